#pragma once
// fleetsim's command line. Every option is checked here so a bad value is
// one clear line, never a half-started simulation.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agent/session/hub_url.h"
#include "common/error.h"
#include "common/labels.h"

namespace drover::fleetsim {

struct Options {
    session::HubUrl hub;
    std::string ca;
    std::string token;
    int agents = 0;
    Labels labels;
    std::optional<std::chrono::milliseconds> duration;  // none: until SIGINT/SIGTERM
    std::string name_prefix = "sim";
    std::string data_dir;  // empty: caches in memory
    int workers = 2;
    std::chrono::milliseconds ramp{0};  // first connects spread over this
    std::chrono::milliseconds backoff_base{5'000}, backoff_cap{300'000};
    std::chrono::milliseconds heartbeat{60'000}, idle_timeout{150'000};
    std::chrono::milliseconds drift_interval{30'000};
    std::chrono::milliseconds progress{1000};  // 0: no progress lines
    std::string report_file;                  // per-agent JSON at exit
    std::string exit_when_settled;            // revision: exit 0 once all settle there
    bool insecure = false;
};

enum class Command { run, help };

struct CommandLine {
    Command command = Command::run;
    Options options;
};

Result<CommandLine> parse_command_line(const std::vector<std::string>& args);  // args[0] skipped
std::string usage();

}  // namespace drover::fleetsim
