#pragma once
// The fleet as operators see it: every agent with its bundles' states, every
// bundle with how many targeted agents are Ready. Computed from the store and
// the deployed revision; an agent running an older spec than it should is
// OutOfSync, a targeted agent with no report yet is Pending.
#include <nlohmann/json.hpp>

#include "hub/server/fleet.h"

namespace drover::hub {

nlohmann::json status_view(Fleet& fleet);

}  // namespace drover::hub
