#include "hub/server/fleet_metrics.h"

#include <map>
#include <string>

#include "hub/server/api_fleet_state.h"
#include "hub/server/metrics.h"

namespace drover::hub {

namespace {

// Written even when no agent is in them, so a series does not come and go
// with the fleet's mood (a rate or an alert over it would break). Any other
// state an agent reports is written too, while it is reported.
constexpr const char* kStates[] = {"Ready",   "NotReady", "Failed",   "Modified",
                                   "OutOfSync", "Pending", "Applying", "WaitingForDependency"};

void gauge(Exposition& out, const char* name, const char* help, double value) {
    out.family(name, help, MetricType::gauge);
    out.sample({}, value);
}

}  // namespace

void collect_fleet_metrics(Fleet& fleet, Exposition& out) {
    const FleetState& state = fleet_view(fleet);
    gauge(out, "drover_agents_registered", "Agents registered with the hub.", static_cast<double>(state.agents.size()));
    gauge(out, "drover_agents_connected", "Agents with a session now.", static_cast<double>(fleet.online_count()));

    std::map<std::string, size_t> by_state;
    for (const char* s : kStates) by_state[s] = 0;
    for (auto& [name, bundle] : state.bundles)
        for (auto& [shown, agents] : bundle.agents) by_state[shown] += agents.size();
    out.family("drover_agent_bundles",
               "Deployed bundles on the agents they target, by shown state (OutOfSync: the agent runs another "
               "revision; Pending: no report yet). Offline agents count with their last report.",
               MetricType::gauge);
    for (auto& [shown, n] : by_state) out.sample({{"state", shown}}, static_cast<double>(n));

    gauge(out, "drover_deployed_bundles", "Bundles in the deployed revision.",
          state.deployment ? static_cast<double>(state.deployment->fleet.bundles.size()) : 0);
    gauge(out, "drover_status_queue_depth",
          "Agents whose statuses wait for the event loop's next store flush (one transaction per loop pass).",
          static_cast<double>(fleet.queued_statuses()));
    auto [queued, longest] = fleet.queued_frames();
    gauge(out, "drover_send_queue_frames", "Frames queued for agents and not yet written, summed over sessions.",
          static_cast<double>(queued));
    gauge(out, "drover_send_queue_frames_max", "Frames queued for the agent session with the longest send queue.",
          static_cast<double>(longest));
}

}  // namespace drover::hub
