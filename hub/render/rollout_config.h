#pragma once
// bundle.yaml `rollout:`: how the hub spreads a new revision of a bundle over
// the agents it targets (canary first, then batches; halt on failure). Only
// the hub reads it: it is not part of any spec, so changing it re-applies
// nothing on the agents.
//
//   rollout:
//     canary:                  # optional: these agents get a revision first
//       selector: {matchLabels: {ring: canary}}   # or group: / agents: [..]
//       soak: 10m              # ...and stay Ready this long before the rest
//     batchSize: 25%           # agents updated per batch (count or percent)
//     maxUnavailable: 2        # at most this many updated and not yet Ready
//     failureThreshold: 5%     # more Failed/NotReady than this halts it
//     progressDeadline: 10m    # an updated agent must be Ready by then
//     offlineGrace: 5m         # offline this long when its turn comes: skipped
//     orderBy: region          # batches follow this label's values, sorted
#include <cstdint>
#include <optional>
#include <string>

#include "hub/render/match.h"
#include "hub/render/problem.h"
#include "hub/render/source.h"

namespace drover::render {

// A number of agents, or a percentage of the agents a bundle targets.
struct AgentCount {
    int64_t value = 0;  // agents, or 0-100 when percent
    bool percent = false;

    // Of `total` agents: percentages round down, at least `floor`.
    size_t of(size_t total, size_t floor = 0) const;
    std::string text() const;  // "3", "25%"
    bool operator==(const AgentCount&) const = default;
};

struct RolloutPolicy {
    std::optional<Match> canary;
    int64_t soak_ms = 0;
    std::optional<AgentCount> batch_size;       // unset: everyone left at once
    std::optional<AgentCount> max_unavailable;  // unset: no bound
    AgentCount failure_threshold;               // default 0: the first failure halts
    int64_t progress_deadline_ms = 600'000;
    // An agent offline when its turn comes is skipped once it has been
    // offline this long (counted from the hub's start: a restarted hub waits
    // for agents to reconnect); until then the batches go on with others and
    // come back to it.
    int64_t offline_grace_ms = 300'000;
    std::string order_by;  // a label key; "" orders by agent name alone
};

// Limits on what bundle.yaml may ask for.
constexpr int64_t kMaxRolloutDurationMs = 30LL * 86'400'000;  // soak, progressDeadline
constexpr int64_t kMaxAgentCount = 1'000'000;

// The mapping at `at`; adds a problem per bad field and returns nullopt if
// there was any.
std::optional<RolloutPolicy> parse_rollout(const Where& at, const GroupNames& groups, Problems& problems);

}  // namespace drover::render
