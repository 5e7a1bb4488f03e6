#include "tools/fleetsim/options.h"

#include <map>

#include "common/text.h"

namespace drover::fleetsim {

namespace {

constexpr int kMaxAgents = 20'000;  // one process: the fd limit here is 20,000
constexpr int kMaxWorkers = 64;

Result<std::chrono::milliseconds> duration(const std::string& flag, const std::string& value, int64_t min_ms) {
    if (value == "0" && min_ms == 0) return std::chrono::milliseconds(0);
    auto ms = parse_duration_ms(value);
    if (!ms || *ms < min_ms)
        return fail(cat(flag, " ", quoted(value), " is not a duration of at least ", min_ms, "ms (like 5s, 2m)"));
    return std::chrono::milliseconds(*ms);
}

Result<int> count(const std::string& flag, const std::string& value, int min, int max) {
    auto n = parse_u64(value);
    if (!n || *n < static_cast<uint64_t>(min) || *n > static_cast<uint64_t>(max))
        return fail(cat(flag, " ", quoted(value), " must be a number from ", min, " to ", max));
    return static_cast<int>(*n);
}

}  // namespace

Result<CommandLine> parse_command_line(const std::vector<std::string>& args) {
    CommandLine out;
    Options& o = out.options;
    std::map<std::string, std::string> seen;
    std::string hub;
    for (size_t i = 1; i < args.size(); ++i) {
        const std::string& flag = args[i];
        if (flag == "--help" || flag == "-h") {
            out.command = Command::help;
            return out;
        }
        if (flag == "--insecure") {
            o.insecure = true;
            continue;
        }
        if (!starts_with(flag, "--")) return fail(cat("unexpected argument ", quoted(flag), " (see --help)"));
        if (i + 1 >= args.size()) return fail(cat(flag, " needs a value"));
        if (seen.count(flag)) return fail(cat(flag, " is given twice"));
        const std::string& v = seen[flag] = args[++i];
        Result<std::chrono::milliseconds> d;
        Result<int> n;
        if (flag == "--hub") hub = v;
        else if (flag == "--ca") o.ca = v;
        else if (flag == "--token") o.token = v;
        else if (flag == "--name-prefix") o.name_prefix = v;
        else if (flag == "--data") o.data_dir = v;
        else if (flag == "--report") o.report_file = v;
        else if (flag == "--exit-when-settled") o.exit_when_settled = v;
        else if (flag == "--agents") {
            if (!(n = count(flag, v, 1, kMaxAgents))) return std::unexpected(n.error());
            o.agents = *n;
        } else if (flag == "--workers") {
            if (!(n = count(flag, v, 1, kMaxWorkers))) return std::unexpected(n.error());
            o.workers = *n;
        } else if (flag == "--labels") {
            auto labels = parse_labels(v);
            if (!labels) return fail(cat("--labels: ", labels.error().message));
            o.labels = *labels;
        } else if (flag == "--duration") {
            if (!(d = duration(flag, v, 100))) return std::unexpected(d.error());
            o.duration = *d;
        } else {
            static const std::map<std::string, std::pair<std::chrono::milliseconds Options::*, int64_t>> kDurations = {
                {"--ramp", {&Options::ramp, 0}},
                {"--backoff-base", {&Options::backoff_base, 10}},
                {"--backoff-cap", {&Options::backoff_cap, 10}},
                {"--heartbeat", {&Options::heartbeat, 100}},
                {"--idle-timeout", {&Options::idle_timeout, 200}},
                {"--drift-interval", {&Options::drift_interval, 100}},
                {"--progress", {&Options::progress, 0}},
            };
            auto it = kDurations.find(flag);
            if (it == kDurations.end()) return fail(cat("unknown option ", flag, " (see --help)"));
            if (!(d = duration(flag, v, it->second.second))) return std::unexpected(d.error());
            o.*(it->second.first) = *d;
        }
    }
    if (hub.empty()) return fail("--hub is required (see --help)");
    auto url = session::parse_hub_url(hub);
    if (!url) return fail(cat("--hub: ", url.error().message));
    o.hub = *url;
    if (!o.hub.tls && !o.insecure) return fail("--hub: ws:// sends credentials unencrypted; use wss:// or add --insecure");
    if (o.hub.tls && o.ca.empty()) return fail("--ca is required for a wss:// hub");
    if (o.agents == 0) return fail("--agents is required (see --help)");
    if (o.token.empty() && o.data_dir.empty()) return fail("--token is required (agents register on first contact)");
    if (o.backoff_cap < o.backoff_base) return fail("--backoff-cap is shorter than --backoff-base");
    if (o.idle_timeout < 2 * o.heartbeat) return fail("--idle-timeout must be at least twice --heartbeat");
    o.workers = std::min(o.workers, o.agents);
    return out;
}

std::string usage() {
    return R"(fleetsim: N simulated drover agents in one process, driving a real hub.

Each agent has its own identity, SQLite cache, reconciler and hub link: the
same session, cache and reconcile code as drover-agent. Only the applier is
simulated (objects live in memory), so thousands fit in one process.

Usage:
  fleetsim --hub wss://HUB:PORT --ca CA.pem --token TOKEN --agents N
           [--labels k=v,...] [--duration 10m] [options]

Options:
  --hub URL               the hub (ws:// only with --insecure)
  --ca FILE               the hub's CA certificate (PEM)
  --token TOKEN           registration token; it must allow N uses
  --agents N              how many agents (1-20000)
  --labels k=v,...        labels every agent reports
  --duration D            stop after D (default: run until SIGINT/SIGTERM)
  --name-prefix P         agents are named P-00001, P-00002, ... (default sim)
  --data DIR              keep caches on disk in DIR/P-00001/cache.db (default:
                          in memory); a second run with the same DIR reuses the
                          identities, like devices rebooting
  --workers N             threads, each with one link loop (default 2)
  --ramp D                spread the agents' first connects over D (default 0)
  --backoff-base D, --backoff-cap D, --heartbeat D, --idle-timeout D,
  --drift-interval D      as for drover-agent (defaults 5s, 5m, 60s, 150s, 30s)
  --progress D            print a progress line (JSON) every D; 0 turns it off
                          (default 1s)
  --report FILE           at exit, write one JSON object per agent: name, id,
                          statuses emitted, bytes on the wire, converge time
  --exit-when-settled REV exit 0 as soon as every agent runs revision REV
                          everywhere and its outbox is empty; with --duration,
                          exit 1 if that has not happened by then

Progress lines: {"t_ms", "agents", "welcomed", "converged", "settled",
"revisions": {REV: agents settled there}, "statuses_emitted",
"statuses_unacked", "bytes_sent", "bytes_received", "handshake_sent",
"handshake_received", "sessions", "connect_attempts"}. Bytes are TCP
payload (TLS included), from the kernel.
)";
}

}  // namespace drover::fleetsim
