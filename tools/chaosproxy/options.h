#pragma once
// chaosproxy's command line. Other engineers' tests are written against it;
// README.md is the contract. Parsing is pure: no file is read (the script is
// loaded by main), no socket opened.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/error.h"
#include "tools/chaosproxy/chaos_plan.h"

namespace drover::chaosproxy {

struct Endpoint {
    std::string host;  // a name or numeric address; IPv6 without brackets
    uint16_t port = 0;
};

// "HOST:PORT", "[V6]:PORT".
std::string to_string(const Endpoint& endpoint);
// "HOST:PORT" or "[V6]:PORT"; port 0 only when port_zero_ok.
Result<Endpoint> parse_endpoint(std::string_view text, bool port_zero_ok);

struct Options {
    Endpoint listen;
    Endpoint upstream;
    std::optional<Endpoint> control;
    uint64_t seed = 1;
    ChaosRanges chaos;
    int64_t delay_ms = 0;
    uint64_t rate_bytes_per_s = 0;  // 0: unlimited
    std::optional<std::string> script_path;
    bool help = false;
};

std::string usage();
// args without the program name. "--name value" and "--name=value" both work.
Result<Options> parse_options(std::span<const std::string> args);

}  // namespace drover::chaosproxy
