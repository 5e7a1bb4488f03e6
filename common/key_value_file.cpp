#include "common/key_value_file.h"

#include "common/text.h"

namespace drover {

namespace {

std::string_view strip_inline_comment(std::string_view line) {
    for (size_t i = 1; i < line.size(); ++i)
        if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
    return line;
}

}  // namespace

Result<std::vector<KeyValueEntry>> parse_key_value_text(std::string_view text, std::string_view path) {
    std::vector<KeyValueEntry> out;
    auto lines = split(text, '\n');
    for (size_t n = 0; n < lines.size(); ++n) {
        std::string_view line = trim(lines[n]);
        if (line.empty() || line.front() == '#') continue;
        std::string_view content = strip_inline_comment(line);
        size_t eq = content.find('=');
        if (eq == std::string_view::npos)
            return fail(cat(path, ":", n + 1, ": expected key = value, not ", quoted(utf8_prefix(trim(content), 80))));
        std::string_view value = trim(content.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        out.push_back(KeyValueEntry{std::string(trim(content.substr(0, eq))), std::string(value), n + 1});
    }
    return out;
}

}  // namespace drover
