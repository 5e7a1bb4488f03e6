#include "tools/chaosproxy/quantities.h"

#include <limits>

#include "common/text.h"

namespace drover::chaosproxy {

Result<int64_t> parse_duration(std::string_view text) {
    auto ms = parse_duration_ms(text);
    if (!ms) return fail(cat("bad duration ", quoted(text), " (expected e.g. 250ms, 5s, 2m)"));
    return *ms;
}

Result<DurationRange> parse_duration_range(std::string_view text) {
    size_t dots = text.find("..");
    if (dots == std::string_view::npos) {
        auto d = parse_duration(text);
        if (!d) return std::unexpected(d.error());
        return DurationRange{*d, *d};
    }
    auto min = parse_duration(text.substr(0, dots));
    if (!min) return std::unexpected(min.error());
    auto max = parse_duration(text.substr(dots + 2));
    if (!max) return std::unexpected(max.error());
    if (*min > *max) return fail(cat("bad range ", quoted(text), ": MIN is larger than MAX"));
    return DurationRange{*min, *max};
}

Result<uint64_t> parse_rate(std::string_view text) {
    uint64_t scale = 1;
    std::string_view digits = text;
    if (text.ends_with("KiB")) {
        scale = 1024;
        digits.remove_suffix(3);
    } else if (text.ends_with("MiB")) {
        scale = 1024 * 1024;
        digits.remove_suffix(3);
    }
    auto n = parse_u64(digits);
    if (!n) return fail(cat("bad rate ", quoted(text), " (expected bytes per second, e.g. 4096, 64KiB, 1MiB)"));
    if (*n == 0) return fail(cat("bad rate ", quoted(text), ": must be more than 0"));
    if (*n > std::numeric_limits<uint64_t>::max() / scale / 1000)
        return fail(cat("bad rate ", quoted(text), ": too large"));
    return *n * scale;
}

}  // namespace drover::chaosproxy
