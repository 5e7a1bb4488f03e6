#pragma once
// GET /api/v1/agents and /api/v1/agents/NAME.
//
// The list is sorted by name and filtered by ?selector= (label selector,
// api_label_selector.h) and ?state= (an agent matches when any of its
// bundles shows that state; Offline: it has no session). ?limit= (default
// 100, max 1000) and ?continue= page through it; the answer is
// {"items": [...], "continue": cursor or null, "total": matches in all pages}.
#include <nlohmann/json.hpp>

#include "hub/server/api_fleet_state.h"
#include "hub/server/http_message.h"

namespace drover::hub {

// One agent: id, name, labels, facts, version, online, last_seen,
// offline_since (null while online), revoked_at (null unless revoked) and
// its bundles, each with its state as reported ("Pending" before any report)
// and whether it is out of sync. A revoked agent is targeted by nothing: its
// bundles are its last reports.
nlohmann::json agent_json(const AgentState& agent);

HttpResponse list_agents(Fleet& fleet, const HttpRequest& request);
HttpResponse get_agent(Fleet& fleet, const std::string& name);

}  // namespace drover::hub
