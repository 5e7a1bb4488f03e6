#pragma once
// drover-agent's settings: the command line, optionally on top of a
// `--config FILE` of `key = value` lines (keys are the long flag names
// without dashes). The command line overrides the file. Paths are used as
// given, relative to the working directory.
#include <chrono>
#include <string>
#include <vector>

#include "agent/session/hub_url.h"
#include "common/error.h"
#include "common/apply_target.h"
#include "common/labels.h"
#include "common/log.h"

namespace drover::agent {

struct AgentOptions {
    session::HubUrl hub;
    std::string ca;     // CA certificate (PEM) the hub's certificate must chain to
    std::string token;  // registration token; only needed until registered
    // PEM public key specs must be signed with (--signing-key); empty: the
    // key of the first Welcome is pinned.
    std::string signing_key;
    std::string data_dir;
    Labels labels;
    ApplyTarget apply;       // where bundles go live (--apply; common/apply_target.h)
    std::string kubeconfig;  // --kubeconfig; empty: $KUBECONFIG, in-cluster, then K3s's
    std::string name;       // defaults to the host name
    std::chrono::milliseconds drift_interval{30'000};
    std::chrono::milliseconds readiness_interval{5'000};  // how often NotReady bundles are checked
    // The link: see agent/session/hub_link.h for why these defaults.
    std::chrono::milliseconds backoff_base{5'000};
    std::chrono::milliseconds backoff_cap{300'000};
    std::chrono::milliseconds heartbeat{60'000};
    std::chrono::milliseconds idle_timeout{150'000};
    log::Level log_level = log::Level::info;
    bool insecure = false;  // allows ws:// (no TLS)
};

enum class Command { run, help, version };

struct CommandLine {
    Command command = Command::run;
    AgentOptions options;
    std::vector<std::string> warnings;  // for the log, once it is set up
};

// argv[0] is skipped. Errors are one line naming the flag or FILE:LINE.
Result<CommandLine> parse_command_line(const std::vector<std::string>& args);
std::string usage();

}  // namespace drover::agent
