#include "tools/fleetsim/simulation.h"

#include <future>

#include "common/log.h"

namespace drover::fleetsim {

Totals add_up(const std::vector<AgentProgress>& agents) {
    Totals t;
    for (auto& a : agents) {
        ++t.agents;
        t.welcomed += a.welcomed;
        t.converged += a.converged;
        t.settled += a.settled;
        if (a.settled) ++t.revisions[a.revision];
        t.statuses_emitted += a.last_seq;
        t.statuses_unacked += a.unacked;
        t.bytes_sent += a.link.bytes_sent;
        t.bytes_received += a.link.bytes_received;
        t.handshake_sent += a.link.handshake_sent;
        t.handshake_received += a.link.handshake_received;
        t.sessions += a.link.sessions;
        t.connect_attempts += a.link.connect_attempts;
    }
    return t;
}

Result<std::unique_ptr<Simulation>> Simulation::create(const Options& o) {
    std::unique_ptr<Simulation> sim(new Simulation(o));
    sim->workers_.resize(static_cast<size_t>(o.workers));
    size_t per_worker = static_cast<size_t>((o.agents + o.workers - 1) / o.workers);
    for (auto& w : sim->workers_) {
        auto loop = session::LinkLoop::create({.tls = o.hub.tls, .ca_file = o.ca, .max_links = per_worker});
        if (!loop) return std::unexpected(loop.error());
        w.loop = std::move(*loop);
    }
    // Opening thousands of caches (schema migrations) takes a while: each
    // worker's agents are made on a thread of their own.
    int64_t now = session::LinkLoop::now_ms();
    std::vector<std::string> errors(sim->workers_.size());
    std::vector<std::thread> makers;
    for (size_t wi = 0; wi < sim->workers_.size(); ++wi) {
        makers.emplace_back([&o, &sim, &errors, wi, now] {
            Worker& w = sim->workers_[wi];
            for (int i = 1; i <= o.agents; ++i) {
                if (static_cast<size_t>(i % o.workers) != wi) continue;
                // Evenly spread over the ramp, in index order across workers.
                auto delay = std::chrono::milliseconds(o.ramp.count() * (i - 1) / o.agents);
                auto agent = SimAgent::create(*w.loop, o, i, delay);
                if (!agent) {
                    errors[wi] = agent.error().message;
                    return;
                }
                // The first drift pass re-applies from the cache, like
                // drover-agent at start-up; spread over the drift interval.
                (*agent)->next_periodic_ms = now + o.drift_interval.count() * (i - 1) / o.agents;
                w.agents.push_back(std::move(*agent));
            }
        });
    }
    for (auto& t : makers) t.join();
    for (auto& e : errors)
        if (!e.empty()) return fail(e);
    return sim;
}

Simulation::~Simulation() { stop(); }

void Simulation::start() {
    running_ = true;
    for (auto& w : workers_) w.thread = std::thread([&w] { w.loop->run(); });
}

void Simulation::stop() {
    if (!running_) return;
    running_ = false;
    for (auto& w : workers_) w.loop->stop();
    for (auto& w : workers_)
        if (w.thread.joinable()) w.thread.join();
}

std::vector<AgentProgress> Simulation::progress() {
    std::vector<AgentProgress> out;
    if (!running_) {
        for (auto& w : workers_)
            for (auto& a : w.agents) out.push_back(a->progress());
        return out;
    }
    std::vector<std::future<std::vector<AgentProgress>>> answers;
    for (auto& w : workers_) {
        auto promise = std::make_shared<std::promise<std::vector<AgentProgress>>>();
        answers.push_back(promise->get_future());
        w.loop->post([&w, promise] {
            std::vector<AgentProgress> part;
            for (auto& a : w.agents) part.push_back(a->progress());
            promise->set_value(std::move(part));
        });
    }
    for (auto& f : answers)
        for (auto& p : f.get()) out.push_back(std::move(p));
    return out;
}

void Simulation::periodic() {
    for (auto& w : workers_) {
        int64_t interval = options_.drift_interval.count();
        w.loop->post([&w, interval] {
            int64_t now = session::LinkLoop::now_ms();
            for (auto& a : w.agents) {
                if (a->next_periodic_ms > now) continue;
                a->next_periodic_ms = now + interval;
                a->reconcile(true);
            }
        });
    }
}

}  // namespace drover::fleetsim
