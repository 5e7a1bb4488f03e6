#pragma once
// --script FILE: one step per line, "AT COMMAND" ("5s cut", "0s rate 1MiB"),
// AT relative to the proxy's start; '#' starts a comment, blank lines are
// skipped. Steps run in time order; steps with the same time run in file
// order.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "tools/chaosproxy/control.h"

namespace drover::chaosproxy {

struct ScriptStep {
    int64_t at_ms = 0;
    Command command;
    std::string text;  // the command as written, for logs
    std::string where;  // "FILE:LINE"
};

// Errors read "FILE:LINE: reason".
Result<std::vector<ScriptStep>> parse_script(std::string_view text, std::string_view file_name);
Result<std::vector<ScriptStep>> load_script(const std::string& path);

}  // namespace drover::chaosproxy
