#include <doctest/doctest.h>

#include <vector>

#include "tools/droverctl/event_stream.h"

using namespace drover::ctl;

namespace {

struct Collected {
    std::vector<SseMessage> messages;
    SseParser parser{[this](const SseMessage& m) { messages.push_back(m); }};
};

// What the hub sends: the opening retry, an event, a change, a ping.
const std::string kHubStream =
    "retry: 2000\n\n"
    "id: 42\nevent: event\ndata: {\"id\":42,\"kind\":\"push\",\"message\":\"main moved\"}\n\n"
    "event: change\ndata: {\"agents\":[\"edge-1\"],\"all\":false}\n\n"
    ": ping\n\n"
    "id: 43\nevent: event\ndata: {\"id\":43,\"kind\":\"registered\",\"message\":\"edge-2\"}\n\n";

void check_hub_stream(const std::vector<SseMessage>& m) {
    REQUIRE(m.size() == 3);
    CHECK(m[0].event == "event");
    CHECK(m[0].data == R"({"id":42,"kind":"push","message":"main moved"})");
    CHECK(m[1].event == "change");
    CHECK(m[1].data == R"({"agents":["edge-1"],"all":false})");
    CHECK(m[2].data == R"({"id":43,"kind":"registered","message":"edge-2"})");
}

}  // namespace

TEST_CASE("the hub's stream yields its events and changes; comments and the retry field are not messages") {
    Collected c;
    REQUIRE(c.parser.feed(kHubStream));
    check_hub_stream(c.messages);
    CHECK(c.parser.retry_ms() == 2000);
}

TEST_CASE("a stream split at every possible byte gives the same messages") {
    for (size_t cut = 0; cut <= kHubStream.size(); ++cut) {
        Collected c;
        REQUIRE(c.parser.feed(std::string_view(kHubStream).substr(0, cut)));
        REQUIRE(c.parser.feed(std::string_view(kHubStream).substr(cut)));
        check_hub_stream(c.messages);
    }
    Collected one_by_one;
    for (char ch : kHubStream) REQUIRE(one_by_one.parser.feed(std::string_view(&ch, 1)));
    check_hub_stream(one_by_one.messages);
}

TEST_CASE("CRLF and CR line ends work, also when CR and LF arrive in different reads") {
    std::string crlf = "id: 7\r\nevent: event\r\ndata: a\r\n\r\n";
    for (size_t cut = 0; cut <= crlf.size(); ++cut) {
        Collected c;
        REQUIRE(c.parser.feed(crlf.substr(0, cut)));
        REQUIRE(c.parser.feed(crlf.substr(cut)));
        REQUIRE(c.messages.size() == 1);
        CHECK(c.messages[0].data == "a");
        CHECK(c.messages[0].event == "event");
    }
    Collected cr;
    REQUIRE(cr.parser.feed("data: b\r\r"));
    REQUIRE(cr.messages.size() == 1);
    CHECK(cr.messages[0].event == "message");
}

TEST_CASE("several data lines join with newlines; a field without a colon or space is read as the format says") {
    Collected c;
    REQUIRE(c.parser.feed("data: one\ndata:two\ndata\nevent:x\n\n"));
    REQUIRE(c.messages.size() == 1);
    CHECK(c.messages[0].data == "one\ntwo\n");
    CHECK(c.messages[0].event == "x");
}

TEST_CASE("a message without data, unknown fields and a bad retry are ignored") {
    Collected c;
    REQUIRE(c.parser.feed("event: change\n\nfoo: bar\nretry: soon\ndata: x\n\n"));
    REQUIRE(c.messages.size() == 1);
    CHECK(c.messages[0].event == "message");  // the type does not outlive its message
    CHECK_FALSE(c.parser.retry_ms());
}

TEST_CASE("a leading byte-order mark is dropped, even split") {
    Collected c;
    REQUIRE(c.parser.feed("\xEF\xBB"));
    REQUIRE(c.parser.feed("\xBF" "data: x\n\n"));
    REQUIRE(c.messages.size() == 1);
    CHECK(c.messages[0].data == "x");
}

TEST_CASE("an endless line is refused and the parser stays failed") {
    Collected c;
    std::string big(SseParser::kMaxLine + 1, 'a');
    auto r = c.parser.feed("data: " + big);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "an event stream line is longer than 1024 KiB");
    CHECK_FALSE(c.parser.feed("\n\n"));
    CHECK(c.messages.empty());
}

TEST_CASE("a message larger than the limit is refused") {
    Collected c;
    std::string line = "data: " + std::string(512 * 1024, 'x') + "\n";
    drover::Result<void> r;
    for (int i = 0; i < 10 && r; ++i) r = c.parser.feed(line);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "an event stream message is larger than 4 MiB");
}
