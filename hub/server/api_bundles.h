#pragma once
// GET /api/v1/bundles and /api/v1/bundles/NAME: every deployed bundle with
// the commit that last changed it, the deployed revision and how many
// targeted agents show each state (out_of_sync agents are counted there, not
// under their reported state; offline counts targeted agents without a
// session whatever their last state). The detail adds "agents":
// {state: [agent names]}.
#include "hub/server/fleet.h"
#include "hub/server/http_message.h"

namespace drover::hub {

HttpResponse list_bundles(Fleet& fleet);
HttpResponse get_bundle(Fleet& fleet, const std::string& name);

}  // namespace drover::hub
