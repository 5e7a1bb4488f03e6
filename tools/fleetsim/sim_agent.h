#pragma once
// One simulated agent: its own cache (SQLite), reconciler and hub link, all
// driven on one worker's LinkLoop thread. Where drover-agent runs its
// reconciler on a thread of its own, a simulated agent runs reconcile passes
// on the loop thread between network events (posted, never nested inside a
// session callback), so one SQLite connection serves both.
#include <cstdint>
#include <memory>
#include <string>

#include "agent/cache/cache.h"
#include "agent/reconcile/reconciler.h"
#include "agent/session/hub_link.h"
#include "agent/session/link_loop.h"
#include "common/sqlite.h"
#include "tools/fleetsim/memory_applier.h"
#include "tools/fleetsim/options.h"

namespace drover::fleetsim {

struct AgentProgress {
    std::string name;
    std::string agent_id;
    bool welcomed = false;
    // Every desired bundle applied and Ready at its desired digest.
    bool converged = false;
    // Converged and every status acknowledged by the hub.
    bool settled = false;
    std::string revision;  // the one revision all desired bundles share, if any
    int64_t last_seq = 0;  // statuses emitted so far
    int64_t unacked = 0;
    session::LinkStats link;
};

class SimAgent {
public:
    // index from 1; its name is PREFIX-%05d.
    static Result<std::unique_ptr<SimAgent>> create(session::LinkLoop& loop, const Options& options, int index,
                                                    std::chrono::milliseconds first_connect_delay);

    // Loop thread.
    void reconcile(bool periodic);
    AgentProgress progress();
    int64_t next_periodic_ms = 0;

private:
    SimAgent(session::LinkLoop& loop, std::unique_ptr<cache::Cache> cache, std::string name);

    session::LinkLoop& loop_;
    std::unique_ptr<cache::Cache> cache_;
    std::string name_;
    MemoryApplier applier_;
    std::unique_ptr<reconcile::Reconciler> reconciler_;
    std::unique_ptr<session::HubLink> link_;
    sql::Stmt unacked_;
    bool reconcile_queued_ = false;
};

}  // namespace drover::fleetsim
