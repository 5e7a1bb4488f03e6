#include <nlohmann/json.hpp>

#include "common/text.h"
#include "hub/server/event_feed.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;
using nlohmann::json;

namespace {

struct MemorySink final : EventSink {
    std::string written;
    size_t unsent = 0;  // what the client has not read yet
    bool closed = false;
    bool sent_queued = false;  // how it was closed
    void write(std::string text) override { written += text; }
    size_t unsent_bytes() const override { return unsent; }
    void close(bool send_queued) override {
        closed = true;
        sent_queued = send_queued;
    }
    std::string take() { return std::exchange(written, {}); }
};

// The data lines of each message of the given event type, parsed.
std::vector<json> messages(const std::string& text, const std::string& event) {
    std::vector<json> out;
    std::string current;
    for (auto& line : split(text, '\n')) {
        if (line.starts_with("event: ")) current = line.substr(7);
        if (line.starts_with("data: ") && current == event) out.push_back(json::parse(line.substr(6)));
        if (line.empty()) current.clear();
    }
    return out;
}

}  // namespace

TEST_CASE("a stream gets events stored after it opened, in order, with their ids") {
    Hub hub;
    EventFeed feed(*hub.fleet);
    hub.store->add_event("push", "before", hub.now);
    MemorySink sink;
    REQUIRE(feed.subscribe(&sink, {}));
    CHECK(sink.take() == "retry: 2000\n\n");
    hub.store->add_event("push", "first", hub.now);
    hub.store->add_event("rejected", "second", hub.now);
    feed.tick();
    auto text = sink.take();
    auto events = messages(text, "event");
    REQUIRE(events.size() == 2);
    CHECK(events[0]["message"] == "first");
    CHECK(events[1]["message"] == "second");
    CHECK(text.find(cat("id: ", events[1]["id"].get<int64_t>(), "\n")) != std::string::npos);
    feed.tick();
    CHECK(sink.take().empty());  // nothing new, and no ping yet
}

TEST_CASE("a reconnecting stream replays what it missed, filtered by kind") {
    Hub hub;
    EventFeed feed(*hub.fleet);
    hub.store->add_event("push", "p1", hub.now);
    hub.store->add_event("token", "t1", hub.now);
    hub.store->add_event("push", "p2", hub.now);
    auto first = hub.store->events(10).back().id;
    MemorySink sink;
    REQUIRE(feed.subscribe(&sink, {.since = first, .kind = "push"}));
    auto replay = messages(sink.take(), "event");
    REQUIRE(replay.size() == 1);
    CHECK(replay[0]["message"] == "p2");
    hub.store->add_event("token", "t2", hub.now);
    hub.store->add_event("push", "p3", hub.now);
    feed.tick();
    auto live = messages(sink.take(), "event");
    REQUIRE(live.size() == 1);
    CHECK(live[0]["message"] == "p3");
}

TEST_CASE("agents that come, report and are relabelled are named in one change; a deploy changes all") {
    Hub hub;
    EventFeed feed(*hub.fleet);
    MemorySink sink;
    REQUIRE(feed.subscribe(&sink, {}));
    sink.take();
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge-1", {{"role", "gw"}}, hub.token()));
    hub.fleet->flush_queued();
    feed.tick();
    auto changes = messages(sink.take(), "change");
    REQUIRE(changes.size() == 1);
    CHECK(changes[0] == json{{"agents", {"edge-1"}}, {"all", false}});

    auto agent = hub.store->agent_by_name("edge-1");
    hub.fleet->relabel(agent->id, {{"size", "small"}});
    feed.tick();
    changes = messages(sink.take(), "change");
    REQUIRE(changes.size() == 1);
    CHECK(changes[0]["agents"] == json{"edge-1"});

    hub.deploy(kFleetFiles, "2222222222222222222222222222222222222222");
    feed.tick();
    changes = messages(sink.take(), "change");
    REQUIRE(changes.size() == 1);
    CHECK(changes[0] == json{{"agents", json::array()}, {"all", true}});
}

TEST_CASE("a quiet stream is pinged every 15 s; a client that stops reading is cut off") {
    Hub hub;
    EventFeed feed(*hub.fleet);
    MemorySink quiet, stuck;
    REQUIRE(feed.subscribe(&quiet, {}));
    REQUIRE(feed.subscribe(&stuck, {}));
    quiet.take();
    hub.now += EventFeed::kPingMs;
    stuck.unsent = EventFeed::kMaxUnsentBytes + 1;
    feed.tick();
    CHECK(quiet.take() == ": ping\n\n");
    CHECK(stuck.closed);
    CHECK_FALSE(stuck.sent_queued);  // its backlog is dropped, not sent
    CHECK(feed.streams() == 1);
    hub.store->add_event("push", "after", hub.now);
    feed.tick();
    CHECK(messages(quiet.take(), "event").size() == 1);
}

TEST_CASE("the number of streams is capped and a closed stream frees its place") {
    Hub hub;
    EventFeed feed(*hub.fleet);
    std::vector<MemorySink> sinks(EventFeed::kMaxStreams + 1);
    for (size_t i = 0; i < EventFeed::kMaxStreams; ++i) REQUIRE(feed.subscribe(&sinks[i], {}));
    auto refused = feed.subscribe(&sinks.back(), {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("64 live event streams") != std::string::npos);
    CHECK(sinks.back().written.empty());
    feed.unsubscribe(&sinks[0]);
    CHECK(feed.subscribe(&sinks.back(), {}));
}

TEST_CASE("a message's data never carries a raw line break") {
    CHECK(sse_message("event", "a\nb", 7) == "id: 7\nevent: event\ndata: a\ndata: b\n\n");
    CHECK(sse_message("change", "{}") == "event: change\ndata: {}\n\n");
}

TEST_CASE("a reconnect that missed more events than a replay holds is told which ids it did not get") {
    Hub hub;
    EventFeed feed(*hub.fleet);
    for (size_t i = 0; i < EventFeed::kMaxReplay + 5; ++i) hub.store->add_event("push", cat("p", i), hub.now);
    hub.store->add_event("token", "not a push", hub.now);
    auto newest = hub.store->events(1)[0].id;
    MemorySink sink;
    REQUIRE(feed.subscribe(&sink, {.since = 0, .kind = "push"}));
    auto text = sink.take();
    auto replayed = messages(text, "event");
    REQUIRE(replayed.size() == EventFeed::kMaxReplay);
    CHECK(replayed.front()["message"] == "p0");
    auto gaps = messages(text, "gap");
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0]["after"] == replayed.back()["id"]);
    CHECK(gaps[0]["until"] == newest);

    MemorySink recent;
    REQUIRE(feed.subscribe(&recent, {.since = newest - 3, .kind = "push"}));
    auto few = messages(recent.take(), "event");
    CHECK(few.size() == 2);  // the last two pushes; the token event is filtered out by kind
}

TEST_CASE("a stream whose token stops working gets the reason and is closed: at once on a revocation") {
    Hub hub;
    EventFeed feed(*hub.fleet);
    bool revoked = false;
    int asked = 0;
    MemorySink sink;
    REQUIRE(feed.subscribe(&sink, {.refused = [&]() -> std::optional<std::string> {
                                       ++asked;
                                       if (revoked) return "viewer token tok_1 was revoked";
                                       return std::nullopt;
                                   }}));
    sink.take();
    feed.tick();
    CHECK_FALSE(sink.closed);
    CHECK(asked == 0);  // quiet ticks within kRecheckMs cost no store reads
    revoked = true;
    hub.store->add_event("revoked", "token tok_1 revoked", hub.now);
    feed.tick();
    auto errors = messages(sink.take(), "error");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0]["error"] == "viewer token tok_1 was revoked");
    CHECK(sink.closed);
    CHECK(sink.sent_queued);
    CHECK(feed.streams() == 0);
}

TEST_CASE("a token that expires without an event is noticed within kRecheckMs") {
    Hub hub;
    EventFeed feed(*hub.fleet);
    bool expired = false;
    MemorySink sink;
    REQUIRE(feed.subscribe(&sink, {.refused = [&]() -> std::optional<std::string> {
                                       if (expired) return "viewer token tok_1 has expired";
                                       return std::nullopt;
                                   }}));
    expired = true;
    hub.now += EventFeed::kRecheckMs - 1;
    feed.tick();
    CHECK_FALSE(sink.closed);
    hub.now += 1;
    feed.tick();
    CHECK(sink.closed);
    REQUIRE(messages(sink.take(), "error").size() == 1);
}
