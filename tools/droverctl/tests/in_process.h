#pragma once
// droverctl run in-process, as main() runs it: arguments in, exit code and
// what landed on stdout and stderr out. The environment is only what the
// test passes (no HOME: no config file unless the test points to one).
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tools/droverctl/droverctl.h"

namespace drover::ctl::testing {

struct Run {
    int code;
    std::string out, err;
};

inline Run droverctl(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                     const Runtime& runtime = {}) {
    std::ostringstream out, err;
    EnvLookup lookup = [env](const char* name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    int code = run_droverctl(args, out, err, lookup, runtime);
    return {code, out.str(), err.str()};
}

}  // namespace drover::ctl::testing
