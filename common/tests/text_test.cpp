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

TEST_CASE("utf8_prefix never cuts a multi-byte character in half") {
    std::string s = "ab\xc3\xa9";  // "abé"
    CHECK(utf8_prefix(s, 10) == s);
    CHECK(utf8_prefix(s, 4) == s);
    CHECK(utf8_prefix(s, 3) == "ab");
    CHECK(utf8_prefix(s, 2) == "ab");
    std::string euro = "x\xe2\x82\xac";  // "x€"
    CHECK(utf8_prefix(euro, 3) == "x");
    CHECK(utf8_prefix(euro, 2) == "x");
    CHECK(utf8_prefix(euro, 0).empty());
}
