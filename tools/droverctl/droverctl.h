#pragma once
// droverctl as a function: arguments in, text out, exit code back. main()
// passes argv, std::cout/std::cerr and getenv; tests pass their own.
#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "tools/droverctl/command_line.h"

namespace drover::ctl {

// What the process provides besides arguments, streams and environment;
// tests bring their own.
struct Runtime {
    std::function<int64_t()> now_ms;               // wall clock; empty: the system's
    const std::atomic<bool>* interrupted = nullptr;  // set to stop events --follow; null: never
};

// args excludes the program name. Returns the exit code (see context.h).
// Commands that talk to the hub take what flags and the environment leave
// unset from the config file (config_file.h).
int run_droverctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const EnvLookup& env,
                  const Runtime& runtime = {});

}  // namespace drover::ctl
