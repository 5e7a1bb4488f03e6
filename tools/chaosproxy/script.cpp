#include "tools/chaosproxy/script.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/text.h"
#include "tools/chaosproxy/quantities.h"

namespace drover::chaosproxy {

// Scripts are written by people, not received from the network; the cap only
// keeps a wrong path (a log file, a device) from being read whole.
constexpr size_t kMaxScriptBytes = 1 << 20;

Result<std::vector<ScriptStep>> parse_script(std::string_view text, std::string_view file_name) {
    std::vector<ScriptStep> steps;
    size_t line_no = 0;
    for (const std::string& raw : split(text, '\n')) {
        ++line_no;
        std::string_view line = raw;
        if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        line = trim(line);
        if (line.empty()) continue;
        std::string where = cat(file_name, ":", line_no);
        size_t space = line.find_first_of(" \t");
        if (space == std::string_view::npos)
            return fail(cat(where, ": expected \"AT COMMAND\" (e.g. \"5s cut\"), got ", quoted(line)));
        auto at = parse_duration(line.substr(0, space));
        if (!at) return fail(cat(where, ": ", at.error().message));
        std::string_view command_text = trim(line.substr(space));
        auto command = parse_command(command_text);
        if (!command) return fail(cat(where, ": ", command.error().message));
        steps.push_back(ScriptStep{*at, *command, std::string(command_text), std::move(where)});
    }
    std::stable_sort(steps.begin(), steps.end(),
                     [](const ScriptStep& a, const ScriptStep& b) { return a.at_ms < b.at_ms; });
    return steps;
}

Result<std::vector<ScriptStep>> load_script(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(cat(path, ": cannot open: ", std::strerror(errno)));
    std::string text;
    text.resize(kMaxScriptBytes + 1);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) return fail(cat(path, ": cannot read"));
    text.resize(static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxScriptBytes) return fail(cat(path, ": larger than 1 MiB; is this a script?"));
    return parse_script(text, path);
}

}  // namespace drover::chaosproxy
