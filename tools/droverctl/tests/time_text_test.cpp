#include <doctest/doctest.h>

#include "tools/droverctl/time_text.h"

using namespace drover::ctl;

TEST_CASE("the hub's UTC times parse, with or without fractional seconds") {
    CHECK(parse_rfc3339_ms("1970-01-01T00:00:00Z") == 0);
    CHECK(parse_rfc3339_ms("2026-11-21T10:00:00Z") == int64_t{1795255200} * 1000);
    CHECK(parse_rfc3339_ms("2026-11-21T10:00:00.123Z") == int64_t{1795255200} * 1000 + 123);
    CHECK(parse_rfc3339_ms("2026-11-21T10:00:00.5Z") == int64_t{1795255200} * 1000 + 500);
}

TEST_CASE("anything but the hub's UTC form is refused") {
    for (const char* bad : {"", "2026-11-21", "2026-11-21T10:00:00", "2026-11-21T10:00:00+01:00", "2026-13-01T00:00:00Z",
                            "2026-11-21T25:00:00Z", "2026-11-21T10:00:00.Z", "2026-11-21 10:00:00Z", "yesterday"})
        CHECK_FALSE_MESSAGE(parse_rfc3339_ms(bad), bad);
}

TEST_CASE("ages are rounded down to their largest unit") {
    CHECK(age_text(0) == "0s");
    CHECK(age_text(59'999) == "59s");
    CHECK(age_text(60'000) == "1m");
    CHECK(age_text(3'599'000) == "59m");
    CHECK(age_text(2 * 3'600'000 + 5 * 60'000) == "2h");
    CHECK(age_text(47 * 3'600'000) == "47h");
    CHECK(age_text(3 * 86'400'000) == "3d");
    CHECK(age_text(-5'000) == "0s");
    CHECK(age_of("2026-11-21T10:00:00Z", int64_t{1795255200} * 1000 + 90'000) == "1m ago");
    CHECK(age_of("garbage", 0).empty());
}
