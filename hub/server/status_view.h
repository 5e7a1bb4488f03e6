#pragma once
// The fleet as operators see it: every agent with its bundles' states, every
// bundle with how many targeted agents are Ready. Computed from the store and
// the deployed revision; an agent running an older spec than it should is
// OutOfSync, a targeted agent with no report yet is Pending.
#include <nlohmann/json.hpp>

#include "hub/server/fleet.h"

namespace drover::hub {

nlohmann::json status_view(Fleet& fleet);

// GET /api/v1/summary: the fleet in a few numbers, without the agent list:
// {"revision": as above, "agents": {registered, online, offline},
//  "bundles": {total, healthy, degraded}}. A bundle is healthy when every
// agent it targets shows Ready (offline agents by their last report).
nlohmann::json summary_view(Fleet& fleet);

}  // namespace drover::hub
