#include <doctest/doctest.h>

#include "common/text.h"

using namespace drover;

TEST_CASE("hex round-trips and rejects malformed input") {
    CHECK(hex_encode(std::string("\x00\xff\x10", 3)) == "00ff10");
    CHECK(hex_decode("00ff10") == std::string("\x00\xff\x10", 3));
    CHECK_FALSE(hex_decode("0"));
    CHECK_FALSE(hex_decode("zz"));
}

TEST_CASE("durations parse with units and refuse garbage") {
    CHECK(parse_duration_ms("30d") == 30LL * 86'400'000);
    CHECK(parse_duration_ms("15m") == 900'000);
    CHECK(parse_duration_ms("500ms") == 500);
    CHECK_FALSE(parse_duration_ms("10"));
    CHECK_FALSE(parse_duration_ms("h"));
    CHECK_FALSE(parse_duration_ms("-5s"));
    CHECK_FALSE(parse_duration_ms("99999999999999s"));
}

TEST_CASE("quoted escapes control bytes") {
    CHECK(quoted("a\"b\n") == "\"a\\\"b\\x0a\"");
}
