#pragma once
// What every droverctl command gets: the parsed global options, where to
// write, and the one way each kind of failure is reported and turned into an
// exit code.
#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string_view>

#include "tools/droverctl/api_client.h"
#include "tools/droverctl/command_line.h"

namespace drover::ctl {

enum ExitCode : int {
    kExitOk = 0,
    kExitHubFailed = 1,    // the hub refused or failed; its message is printed
    kExitUsage = 2,        // bad command line; one line and a hint to --help
    kExitUnreachable = 3,  // no answer from the hub (network, TLS, timeout)
    kExitNotFound = 4,     // the hub has no such agent, bundle or token (HTTP 404)
};

struct Context {
    GlobalOptions options;
    std::ostream& out;
    std::ostream& err;
    int64_t now_ms = 0;  // wall clock when the command started: ages ("2h") count from it
    // Set when the operator interrupts (SIGINT); commands that run until
    // interrupted (events --follow) poll it. Never null.
    const std::atomic<bool>* interrupted = nullptr;

    // Prints "droverctl: MESSAGE (see 'droverctl TOPIC --help')"; returns 2.
    int usage_error(std::string_view message, std::string_view topic = "") const;
    // Prints "droverctl: MESSAGE"; returns 1 (lint problems, local failures).
    int failure(std::string_view message) const;
    // Prints the hub's message (with the HTTP status when refused); returns
    // 3 when the hub was unreachable, 4 for HTTP 404, 1 otherwise.
    int api_failure(const ApiError& error) const;
    // A client from --hub/--token/--ca/--timeout. A missing hub or token, or
    // an unusable URL or CA file, is a usage error for the caller to report.
    Result<ApiClient> client() const;
    // Pretty JSON (two-space indent) and a newline on `out`.
    void print_json(const nlohmann::json& value) const;
};

}  // namespace drover::ctl
