// fleetsim: N simulated agents in one process against a real hub. Prints a
// JSON progress line every --progress and a summary at the end; see usage().
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/fd_limit.h"
#include "common/log.h"
#include "common/text.h"
#include "tools/fleetsim/simulation.h"

using namespace drover;
using namespace drover::fleetsim;
using nlohmann::json;

namespace {

json to_json(const Totals& t, int64_t t_ms) {
    return {{"t_ms", t_ms},
            {"agents", t.agents},
            {"welcomed", t.welcomed},
            {"converged", t.converged},
            {"settled", t.settled},
            {"revisions", t.revisions},
            {"statuses_emitted", t.statuses_emitted},
            {"statuses_unacked", t.statuses_unacked},
            {"bytes_sent", t.bytes_sent},
            {"bytes_received", t.bytes_received},
            {"handshake_sent", t.handshake_sent},
            {"handshake_received", t.handshake_received},
            {"sessions", t.sessions},
            {"connect_attempts", t.connect_attempts}};
}

void write_report(const std::string& path, const std::vector<AgentProgress>& agents) {
    json out = json::array();
    for (auto& a : agents)
        out.push_back({{"name", a.name},
                       {"agent_id", a.agent_id},
                       {"settled", a.settled},
                       {"revision", a.revision},
                       {"last_seq", a.last_seq},
                       {"unacked", a.unacked},
                       {"bytes_sent", a.link.bytes_sent},
                       {"bytes_received", a.link.bytes_received},
                       {"sessions", a.link.sessions}});
    std::ofstream(path) << out.dump(1) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    auto cmd = parse_command_line(std::vector<std::string>(argv, argv + argc));
    if (!cmd) {
        std::fprintf(stderr, "fleetsim: %s\n", cmd.error().message.c_str());
        return 2;
    }
    if (cmd->command == Command::help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    const Options& o = cmd->options;
    log::set_component("fleetsim");
    log::set_level(log::Level::error);  // thousands of agents: only real trouble
    raise_open_file_limit();  // one socket per agent (plus SQLite files with --data)

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread exists

    auto sim = Simulation::create(o);
    if (!sim) {
        std::fprintf(stderr, "fleetsim: %s\n", sim.error().message.c_str());
        return 1;
    }
    auto started = std::chrono::steady_clock::now();
    auto elapsed_ms = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
            .count();
    };
    (*sim)->start();

    int exit_code = 0;
    int64_t next_progress = 0, next_periodic = 1000, next_check = 0;
    int64_t first_settled_ms = -1;
    for (;;) {
        timespec wait{0, 100'000'000};
        if (sigtimedwait(&signals, nullptr, &wait) > 0) break;
        int64_t now = elapsed_ms();
        if (now >= next_periodic) {
            (*sim)->periodic();
            next_periodic = now + 1000;
        }
        // Asking every agent costs a few queries each: not more than twice
        // a second even when only waiting to settle.
        bool want_progress = o.progress.count() > 0 && now >= next_progress;
        bool check_settled = !o.exit_when_settled.empty() && now >= next_check;
        if (want_progress || check_settled) {
            next_check = now + 500;
            Totals t = add_up((*sim)->progress());
            bool all_settled = t.settled == t.agents && t.agents > 0;
            if (all_settled && first_settled_ms < 0) first_settled_ms = now;
            if (want_progress) {
                std::printf("%s\n", to_json(t, now).dump().c_str());
                std::fflush(stdout);
                next_progress = now + o.progress.count();
            }
            auto it = t.revisions.find(o.exit_when_settled);
            if (!o.exit_when_settled.empty() && it != t.revisions.end() && it->second == t.agents) break;
        }
        if (o.duration && now >= o.duration->count()) {
            if (!o.exit_when_settled.empty()) exit_code = 1;
            break;
        }
    }
    (*sim)->stop();
    auto agents = (*sim)->progress();
    Totals t = add_up(agents);
    json summary = to_json(t, elapsed_ms());
    summary["summary"] = true;
    summary["first_all_settled_ms"] = first_settled_ms;
    if (t.agents) {
        summary["bytes_per_agent"] = (t.bytes_sent + t.bytes_received) / static_cast<uint64_t>(t.agents);
    }
    std::printf("%s\n", summary.dump().c_str());
    if (!o.report_file.empty()) write_report(o.report_file, agents);
    if (exit_code) std::fprintf(stderr, "fleetsim: not every agent settled at %s in time\n", o.exit_when_settled.c_str());
    return exit_code;
}
