#include "hub/server/status_view.h"

#include "hub/server/api_agents.h"
#include "hub/server/api_fleet_state.h"

namespace drover::hub {

using nlohmann::json;

namespace {

json revision_json(Fleet& fleet, const FleetState& state) {
    json revision = {{"commit", state.deployment ? json(state.deployment->commit) : json(nullptr)}, {"error", nullptr}};
    if (auto& r = fleet.rejection()) revision["error"] = {{"commit", r->commit}, {"message", r->message}};
    return revision;
}

}  // namespace

json status_view(Fleet& fleet) {
    const FleetState& state = fleet_view(fleet);
    json agents_json = json::array();
    for (auto& a : state.agents) agents_json.push_back(agent_json(a));

    json bundles_json = json::array();
    const auto& changed_in = fleet.bundle_commits();
    for (auto& [name, b] : state.bundles) {
        std::map<std::string, int> states;
        for (auto& [shown, agents] : b.agents) states[shown] = static_cast<int>(agents.size());
        auto commit = changed_in.find(name);
        bundles_json.push_back({{"name", name},
                                {"revision", state.deployment ? state.deployment->commit : ""},
                                {"commit", commit != changed_in.end() ? commit->second : ""},
                                {"targeted", b.targeted},
                                {"ready", b.ready},
                                {"not_ready", b.targeted - b.ready},
                                {"states", states}});
    }

    return {{"revision", revision_json(fleet, state)}, {"agents", agents_json}, {"bundles", bundles_json}};
}

json summary_view(Fleet& fleet) {
    const FleetState& state = fleet_view(fleet);
    int online = 0, healthy = 0;
    for (auto& a : state.agents) online += a.online;
    for (auto& [name, b] : state.bundles) healthy += b.ready == b.targeted;
    int agents = static_cast<int>(state.agents.size()), bundles = static_cast<int>(state.bundles.size());
    return {{"revision", revision_json(fleet, state)},
            {"agents", {{"registered", agents}, {"online", online}, {"offline", agents - online}}},
            {"bundles", {{"total", bundles}, {"healthy", healthy}, {"degraded", bundles - healthy}}}};
}

}  // namespace drover::hub
