#pragma once
// The agents of one fleetsim run, spread over worker threads. Each worker
// owns one LinkLoop (one lws context) and the agents on it; the main thread
// only posts work to the loops and waits for answers (snapshot), so no agent
// is ever touched by two threads.
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tools/fleetsim/sim_agent.h"

namespace drover::fleetsim {

struct Totals {
    int agents = 0, welcomed = 0, converged = 0, settled = 0;
    std::map<std::string, int> revisions;  // settled agents by revision
    int64_t statuses_emitted = 0, statuses_unacked = 0;
    uint64_t bytes_sent = 0, bytes_received = 0, handshake_sent = 0, handshake_received = 0;
    int64_t sessions = 0, connect_attempts = 0;
};

Totals add_up(const std::vector<AgentProgress>& agents);

class Simulation {
public:
    static Result<std::unique_ptr<Simulation>> create(const Options& options);
    ~Simulation();

    void start();
    // Main thread, while running: every agent's progress (asks each loop).
    std::vector<AgentProgress> progress();
    // Main thread, while running: due drift passes (every drift interval per agent).
    void periodic();
    // Stops and joins the loops; progress() then reads the agents directly.
    void stop();

private:
    struct Worker {
        std::unique_ptr<session::LinkLoop> loop;
        std::vector<std::unique_ptr<SimAgent>> agents;
        std::thread thread;
    };
    explicit Simulation(const Options& options) : options_(options) {}

    Options options_;
    std::vector<Worker> workers_;
    bool running_ = false;
};

}  // namespace drover::fleetsim
