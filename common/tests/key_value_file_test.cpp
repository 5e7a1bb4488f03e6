// The key = value reader shared by the agent's --config and droverctl's
// config file.
#include <doctest/doctest.h>

#include "common/key_value_file.h"

using namespace drover;

TEST_CASE("key = value lines come back in order with their line numbers; comments and blanks are skipped") {
    auto r = parse_key_value_text("# header\n\n  hub = wss://h:8443  \ntoken=t\n\t# indented comment\nname =\n", "a.conf");
    REQUIRE(r);
    REQUIRE(r->size() == 3);
    CHECK((*r)[0].key == "hub");
    CHECK((*r)[0].value == "wss://h:8443");
    CHECK((*r)[0].line == 3);
    CHECK((*r)[1].key == "token");
    CHECK((*r)[1].value == "t");
    CHECK((*r)[1].line == 4);
    CHECK((*r)[2].key == "name");
    CHECK((*r)[2].value.empty());
    CHECK((*r)[2].line == 6);
}

TEST_CASE("a # after whitespace starts a comment; a # inside a value stays") {
    auto r = parse_key_value_text("token-file = ~/admin.token    # or: token = drv_x\n"
                                  "tab = v\t# tab comment\n"
                                  "hub = https://h/#frag\n"
                                  "a = b#c # d\n",
                                  "c");
    REQUIRE(r);
    REQUIRE(r->size() == 4);
    CHECK((*r)[0].value == "~/admin.token");
    CHECK((*r)[1].value == "v");
    CHECK((*r)[2].value == "https://h/#frag");
    CHECK((*r)[3].value == "b#c");
}

TEST_CASE("surrounding double quotes are dropped, inner ones kept") {
    auto r = parse_key_value_text("labels = \"role=gw\"\nq = \"\nx = a\"b\"\n", "c");
    REQUIRE(r);
    CHECK((*r)[0].key == "labels");
    CHECK((*r)[0].value == "role=gw");
    CHECK((*r)[1].value == "\"");
    CHECK((*r)[2].value == "a\"b\"");
}

TEST_CASE("a line without = is an error naming file, line and the line's text") {
    auto r = parse_key_value_text("hub = h\ntoken: t   # typo\n", "/etc/x.conf");
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "/etc/x.conf:2: expected key = value, not \"token: t\"");
    // A comment that holds the only "=" does not make a line valid.
    auto commented = parse_key_value_text("hub # = h\n", "c");
    REQUIRE_FALSE(commented);
    CHECK(commented.error().message == "c:1: expected key = value, not \"hub\"");
}
