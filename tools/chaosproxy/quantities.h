#pragma once
// The units chaosproxy's command line, control channel and scripts share.
// Errors name the text that is wrong and what was expected.
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "tools/chaosproxy/chaos_plan.h"

namespace drover::chaosproxy {

// "250ms", "5s", "2m" (drover::parse_duration_ms) -> milliseconds.
Result<int64_t> parse_duration(std::string_view text);
// "MIN..MAX" of durations, MIN <= MAX; a single duration D means D..D.
Result<DurationRange> parse_duration_range(std::string_view text);
// Bytes per second: "4096", "64KiB", "1MiB". Zero is refused: a rate of
// nothing is a stall (use "stall"), and "off" is the control channel's word
// for unlimited.
Result<uint64_t> parse_rate(std::string_view text);

}  // namespace drover::chaosproxy
