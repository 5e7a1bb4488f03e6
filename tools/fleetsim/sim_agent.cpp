#include "tools/fleetsim/sim_agent.h"

#include <cstdio>

#include "agent/session/facts.h"
#include "common/fs.h"
#include "common/text.h"

namespace drover::fleetsim {

SimAgent::SimAgent(session::LinkLoop& loop, std::unique_ptr<cache::Cache> cache, std::string name)
    : loop_(loop),
      cache_(std::move(cache)),
      name_(std::move(name)),
      unacked_(cache_->db().prepare("SELECT COUNT(*) FROM outbox")) {}

Result<std::unique_ptr<SimAgent>> SimAgent::create(session::LinkLoop& loop, const Options& o, int index,
                                                   std::chrono::milliseconds first_connect_delay) {
    char number[16];
    std::snprintf(number, sizeof number, "%05d", index);
    std::string name = cat(o.name_prefix, "-", number);
    std::string path = ":memory:";
    if (!o.data_dir.empty()) {
        std::string dir = cat(o.data_dir, "/", name);
        if (auto made = make_dirs(dir, 0700); !made) return std::unexpected(made.error());
        path = dir + "/cache.db";
    }
    auto cache = cache::Cache::open(path, o.data_dir.empty() ? sql::Durability::normal : sql::Durability::full);
    if (!cache) return fail(cat(name, ": ", cache.error().message));
    std::unique_ptr<SimAgent> agent(new SimAgent(loop, std::move(*cache), name));
    SimAgent* self = agent.get();

    agent->reconciler_ = std::make_unique<reconcile::Reconciler>(*agent->cache_, agent->applier_, [self] {
        if (self->link_) self->link_->poke();
    });

    session::SessionConfig config;
    config.name = name;
    config.registration_token = o.token;
    config.labels = o.labels;
    config.facts = session::collect_facts();
    config.facts["simulated"] = "fleetsim";
    config.hub_url = o.hub.to_string();
    session::LinkOptions link;
    link.url = o.hub;
    link.backoff_base = o.backoff_base;
    link.backoff_cap = o.backoff_cap;
    link.heartbeat = o.heartbeat;
    link.idle_timeout = o.idle_timeout;
    link.first_connect_delay = first_connect_delay;
    // New desired state or content: reconcile soon, once, outside the
    // session callback that stored it.
    auto changed = [self] {
        if (self->reconcile_queued_) return;
        self->reconcile_queued_ = true;
        self->loop_.post([self] {
            self->reconcile_queued_ = false;
            self->reconcile(false);
        });
    };
    auto made = session::HubLink::create(loop, *agent->cache_, config, link, changed);
    if (!made) return fail(cat(name, ": ", made.error().message));
    agent->link_ = std::move(*made);
    return agent;
}

void SimAgent::reconcile(bool periodic) { reconciler_->reconcile(periodic); }

AgentProgress SimAgent::progress() {
    AgentProgress p;
    p.name = name_;
    p.agent_id = cache_->identity().load().agent_id;
    p.welcomed = link_->welcomed();
    p.link = link_->stats();
    p.last_seq = cache_->outbox().last_seq();
    unacked_.step();
    p.unacked = unacked_.int64(0);
    unacked_.reset();

    auto desired = cache_->desired().load();
    if (desired.hash.empty()) return p;  // never heard from the hub
    p.converged = true;
    for (auto& d : desired.bundles) {
        auto applied = cache_->applied().find(d.bundle);
        if (!applied || applied->digest != d.digest || applied->state != v1::READY) p.converged = false;
        if (p.revision.empty()) p.revision = d.revision;
        else if (p.revision != d.revision) p.revision = "mixed";
    }
    if (desired.bundles.empty()) p.revision = "none";
    p.settled = p.converged && p.unacked == 0;
    return p;
}

}  // namespace drover::fleetsim
