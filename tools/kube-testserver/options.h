#pragma once
// kube-testserver's command line (README.md is the contract). Pure: no
// file is written and no socket opened here.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "common/error.h"

namespace drover::kts {

enum class AuthMode { token, cert };

struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    std::optional<std::string> kubeconfig_path;
    AuthMode auth = AuthMode::token;
    std::optional<std::string> token;  // default: a random one
    bool crd_auto_establish = true;
    std::chrono::milliseconds crd_establish_delay{0};
    bool verbose = false;
    bool help = false;
};

std::string usage();
// args without the program name; "--name value" and "--name=value".
Result<Options> parse_options(std::span<const std::string> args);

}  // namespace drover::kts
