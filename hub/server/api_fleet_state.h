#pragma once
// The fleet as operators see it, computed once per request: every agent with
// each bundle's state, every deployed bundle with its agents per state. One
// read of the agents and one of the statuses, whatever the fleet's size; the
// status view, the REST lists and the detail pages all read this.
//
// A targeted agent with no report yet is Pending; one that runs another spec
// than the deployed revision gives it is OutOfSync. An agent still reporting a
// bundle it no longer should run (being removed) shows it as out of sync, but
// that bundle's counts do not include it.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hub/server/fleet.h"

namespace drover::hub {

struct AgentBundleState {
    std::string bundle;
    std::string state;  // as reported, or "Pending"
    std::string message;
    std::string revision;
    bool out_of_sync = false;
    bool targeted = true;  // false: reported, but the deployment no longer gives it this agent

    // What lists filter and count by: OutOfSync overrides the reported state.
    const std::string& shown_state() const;
};

struct AgentState {
    AgentRecord agent;
    Labels labels;  // effective
    bool online = false;
    std::vector<AgentBundleState> bundles;  // targeted ones by bundle name, then no-longer-targeted ones
};

struct BundleState {
    std::string name;
    int targeted = 0;
    int ready = 0;    // Ready and in sync
    int offline = 0;  // targeted agents without a session (their last state is counted too)
    // shown state -> indexes into FleetState::agents, in agent name order.
    std::map<std::string, std::vector<size_t>> agents;
};

struct FleetState {
    std::shared_ptr<const Deployment> deployment;
    std::vector<AgentState> agents;  // sorted by name
    std::map<std::string, BundleState> bundles;  // every deployed bundle, by name
};

// The fleet as it is now. Computed whole on first use and after the
// deployment changed; after that only the rows of agents the Fleet saw
// change (Fleet::take_view_changes()) are read again, in place, and the
// bundle counts recounted from memory. Loop thread only; valid until the
// next call.
const FleetState& fleet_view(Fleet& fleet);

}  // namespace drover::hub
