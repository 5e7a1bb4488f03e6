#include "common/labels.h"

#include "common/text.h"

namespace drover {

static bool name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool valid_name(std::string_view s, bool allow_empty) {
    if (s.empty()) return allow_empty;
    if (s.size() > 63) return false;
    if (!name_char(s.front()) || !name_char(s.back())) return false;
    for (char c : s)
        if (!name_char(c) && c != '-' && c != '_' && c != '.') return false;
    return true;
}

static bool valid_prefix(std::string_view s) {
    if (s.empty() || s.size() > 253) return false;
    for (auto& part : split(s, '.')) {
        if (part.empty() || part.size() > 63) return false;
        for (char c : part)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
        if (part.front() == '-' || part.back() == '-') return false;
    }
    return true;
}

Result<void> validate_label(std::string_view key, std::string_view value) {
    auto slash = key.find('/');
    std::string_view name = key;
    if (slash != std::string_view::npos) {
        if (!valid_prefix(key.substr(0, slash)))
            return fail(cat("label key ", quoted(key), ": prefix must be a DNS subdomain"));
        name = key.substr(slash + 1);
    }
    if (!valid_name(name, false))
        return fail(cat("label key ", quoted(key),
                        ": must be 1-63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric"));
    if (!valid_name(value, true))
        return fail(cat("label ", quoted(key), " value ", quoted(value),
                        ": must be at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric"));
    return {};
}

Result<Labels> parse_labels(std::string_view text) {
    Labels out;
    if (trim(text).empty()) return out;
    for (auto& item : split(text, ',')) {
        auto eq = item.find('=');
        if (eq == std::string::npos) return fail(cat("label ", quoted(item), ": expected key=value"));
        std::string key(trim(std::string_view(item).substr(0, eq)));
        std::string value(trim(std::string_view(item).substr(eq + 1)));
        if (auto ok = validate_label(key, value); !ok) return std::unexpected(ok.error());
        if (!out.emplace(key, value).second) return fail(cat("label ", quoted(key), " given twice"));
    }
    return out;
}

std::string format_labels(const Labels& labels) {
    std::string out;
    for (auto& [k, v] : labels) {
        if (!out.empty()) out += ',';
        out += k + "=" + v;
    }
    return out;
}

}  // namespace drover
