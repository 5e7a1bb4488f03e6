#pragma once
// What a push changes for the fleet, as `remote:` lines the operator reads
// before the push command returns: "web: 12 agents to update, 3 unchanged".
// Pure: computed on a worker thread from a snapshot of the registered agents
// (online or not) and the revision currently deployed.
#include <memory>
#include <string>
#include <vector>

#include "common/labels.h"
#include "hub/server/deployment.h"

namespace drover::hub {

struct AgentTarget {
    std::string name;
    Labels labels;  // effective labels
};

// One line per bundle that changes for at least one agent (or is added or
// removed), in bundle order, then one line counting the bundles that change
// for nobody. At most max_lines bundle lines; the rest are counted.
std::vector<std::string> push_summary(const Deployment* current, const Deployment& next,
                                      const std::vector<AgentTarget>& agents, size_t max_lines = 50);

}  // namespace drover::hub
