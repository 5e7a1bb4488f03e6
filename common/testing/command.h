#pragma once
// Run a shell command in a test and collect its stdout (append 2>&1 to the
// command for stderr too). Header-only, shared by every test tree.
#include <sys/wait.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace drover::testing {

struct CommandResult {
    int exit_code = -1;  // -1 when it did not exit normally
    std::string output;
};

inline CommandResult run_command(const std::string& command) {
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) throw std::runtime_error("popen failed: " + command);
    CommandResult r;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

}  // namespace drover::testing
