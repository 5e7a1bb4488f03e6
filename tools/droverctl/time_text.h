#pragma once
// Times as the hub writes them (RFC 3339 in UTC: "2026-11-21T10:00:00Z",
// optionally with fractional seconds) and as droverctl shows ages ("2h").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drover::ctl {

// "2026-11-21T10:00:00Z" or "2026-11-21T10:00:00.123Z" -> Unix milliseconds.
// Only the UTC ("Z") form the hub sends; nullopt for anything else.
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

// A duration rounded down to its largest unit: "45s", "12m", "5h", "3d".
// Negative durations (clocks apart) read as "0s".
std::string age_text(int64_t ms);

// "2h ago"-style age of an RFC 3339 time at now_ms; "" when the time does
// not parse.
std::string age_of(std::string_view rfc3339, int64_t now_ms);

}  // namespace drover::ctl
