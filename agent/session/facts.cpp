#include "agent/session/facts.h"

#include <sys/utsname.h>

#include "common/fs.h"
#include "common/text.h"

namespace drover::session {

std::string os_release_pretty_name(const std::string& text) {
    for (auto& raw : split(text, '\n')) {
        std::string_view line = trim(raw);
        if (!starts_with(line, "PRETTY_NAME=")) continue;
        std::string_view value = line.substr(12);
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        std::string out;
        for (size_t i = 0; i < value.size(); ++i) {
            if (value[i] == '\\' && i + 1 < value.size()) ++i;
            out.push_back(value[i]);
        }
        return out;
    }
    return "";
}

Facts collect_facts(const std::string& os_release_path) {
    Facts facts;
    struct utsname u{};
    if (uname(&u) == 0) {
        facts["arch"] = u.machine;
        facts["kernel"] = u.release;
        facts["os"] = u.sysname;
    }
    if (auto text = read_file(os_release_path, 64 * 1024)) {
        std::string pretty = os_release_pretty_name(*text);
        if (!pretty.empty()) facts["os"] = pretty;
    }
    return facts;
}

}  // namespace drover::session
