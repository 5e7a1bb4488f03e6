#include "hub/server/api_bundles.h"

#include <nlohmann/json.hpp>

#include "common/text.h"
#include "hub/server/api_fleet_state.h"
#include "hub/server/api_reply.h"

namespace drover::hub {

using nlohmann::json;

namespace {

json bundle_json(Fleet& fleet, const FleetState& state, const BundleState& b) {
    const auto& commits = fleet.bundle_commits();
    auto commit = commits.find(b.name);
    auto count = [&](const char* s) {
        auto it = b.agents.find(s);
        return it == b.agents.end() ? 0 : static_cast<int>(it->second.size());
    };
    return {{"name", b.name},
            {"commit", commit != commits.end() ? commit->second : ""},
            {"revision", state.deployment ? state.deployment->commit : ""},
            {"targeted", b.targeted},
            {"ready", b.ready},
            {"not_ready", count("NotReady")},
            {"failed", count("Failed")},
            {"modified", count("Modified")},
            {"out_of_sync", count("OutOfSync")},
            {"offline", b.offline},
            {"pending", count("Pending")}};
}

}  // namespace

HttpResponse list_bundles(Fleet& fleet) {
    const FleetState& state = fleet_view(fleet);
    json out = json::array();
    for (auto& [name, b] : state.bundles) out.push_back(bundle_json(fleet, state, b));
    return json_reply(200, out);
}

HttpResponse get_bundle(Fleet& fleet, const std::string& name) {
    const FleetState& state = fleet_view(fleet);
    auto it = state.bundles.find(name);
    if (it == state.bundles.end()) return json_error(404, cat("no deployed bundle named ", drover::quoted(utf8_prefix(name, 200))));
    json out = bundle_json(fleet, state, it->second);
    json agents = json::object();
    for (auto& [shown, indexes] : it->second.agents) {
        json names = json::array();
        for (size_t i : indexes) names.push_back(state.agents[i].agent.name);
        agents[shown] = names;
    }
    out["agents"] = agents;
    json offline = json::array();
    for (auto& [shown, indexes] : it->second.agents)
        for (size_t i : indexes)
            if (!state.agents[i].online) offline.push_back(state.agents[i].agent.name);
    out["offline_agents"] = offline;
    return json_reply(200, out);
}

}  // namespace drover::hub
