#include "tools/droverctl/time_text.h"

#include <ctime>

#include "common/text.h"

namespace drover::ctl {

namespace {

std::optional<int> digits(std::string_view s, size_t pos, size_t n) {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

std::optional<int64_t> parse_rfc3339_ms(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return std::nullopt;
    auto year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
    auto hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 || *second > 60)
        return std::nullopt;
    size_t pos = 19;
    int64_t millis = 0;
    if (s[pos] == '.') {
        size_t start = ++pos;
        int64_t scale = 100;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            millis += (s[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
    }
    if (pos + 1 != s.size() || (s[pos] != 'Z' && s[pos] != 'z')) return std::nullopt;
    std::tm tm{};
    tm.tm_year = *year - 1900;
    tm.tm_mon = *month - 1;
    tm.tm_mday = *day;
    tm.tm_hour = *hour;
    tm.tm_min = *minute;
    tm.tm_sec = *second;
    return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

std::string age_text(int64_t ms) {
    int64_t s = ms < 0 ? 0 : ms / 1000;
    if (s < 60) return cat(s, "s");
    if (s < 3600) return cat(s / 60, "m");
    if (s < 48 * 3600) return cat(s / 3600, "h");
    return cat(s / 86400, "d");
}

std::string age_of(std::string_view rfc3339, int64_t now_ms) {
    auto t = parse_rfc3339_ms(rfc3339);
    return t ? age_text(now_ms - *t) + " ago" : std::string();
}

}  // namespace drover::ctl
