// droverctl events: the list, and --follow over server-sent events against
// a loopback hub that streams, drops, refuses and goes silent on cue.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/text.h"
#include "tools/droverctl/event_stream.h"
#include "tools/droverctl/events_command.h"
#include "tools/droverctl/tests/in_process.h"
#include "tools/droverctl/tests/loopback_http_server.h"

using namespace drover;
using namespace drover::ctl;
using namespace drover::ctl::testing;
using nlohmann::json;

namespace {

json event(int id, const std::string& kind, const std::string& message) {
    return {{"id", id}, {"time", cat("2026-11-21T10:00:0", id, "Z")}, {"kind", kind}, {"message", message}};
}

std::string sse_event(const json& e) { return cat("id: ", e["id"].get<int>(), "\nevent: event\ndata: ", e.dump(), "\n\n"); }

bool is_stream(const RecordedRequest& r) { return r.accept == "text/event-stream"; }

// A hub that answers the recent-events list, then each stream request with
// the next reply from `streams`; past the end, 401.
class ScriptedHub {
public:
    ScriptedHub(json recent, std::vector<CannedReply> streams)
        : recent_(std::move(recent)), streams_(std::move(streams)), server_([this](const RecordedRequest& r) {
              return answer(r);
          }) {}
    std::string url() const { return server_.url(); }
    std::vector<RecordedRequest> requests() const { return server_.requests(); }

private:
    CannedReply answer(const RecordedRequest& r) {
        if (!is_stream(r)) return {200, recent_.dump()};
        std::lock_guard lock(mutex_);
        if (next_ < streams_.size()) return streams_[next_++];
        return {401, R"({"error":"viewer token tok_v was revoked"})"};
    }

    json recent_;
    std::mutex mutex_;
    std::vector<CannedReply> streams_;
    size_t next_ = 0;
    LoopbackHttpServer server_;
};

CannedReply streamed(std::vector<std::string> chunks, int hold_ms = 0) {
    CannedReply r;
    r.content_type = "text/event-stream";
    r.streamed = true;
    r.chunks = std::move(chunks);
    r.hold_ms = hold_ms;
    return r;
}

std::map<std::string, std::string> env_for(const std::string& url) { return {{"DROVER_HUB", url}, {"DROVER_TOKEN", "t"}}; }

const std::string kHeader = "TIME                   KIND         MESSAGE\n";

std::string line(int id, const std::string& kind, const std::string& message) {
    return event_line(event(id, kind, message));
}

}  // namespace

TEST_CASE("events arguments: --kind, --limit 1-1000, --follow or -f, --idle-timeout only with --follow") {
    std::vector<std::string> args = {"--kind", "push", "--limit", "5", "-f", "--idle-timeout", "1500ms"};
    auto q = parse_events_args(args);
    REQUIRE(q);
    CHECK(q->kind == "push");
    CHECK(q->limit == 5);
    CHECK(q->follow);
    CHECK(q->idle_timeout_ms == 1500);
    std::vector<std::string> plain;
    CHECK(parse_events_args(plain)->idle_timeout_ms == 45'000);
    std::vector<std::string> zero = {"--limit", "0"};
    CHECK_FALSE(parse_events_args(zero));
}

TEST_CASE("the events table is oldest first; follow lines keep fixed columns") {
    json newest_first = json::array({event(2, "registered", "edge-2 registered"), event(1, "push", "main moved")});
    CHECK(format_events(newest_first) ==
          "TIME                   KIND         MESSAGE\n"
          "2026-11-21T10:00:01Z   push         main moved\n"
          "2026-11-21T10:00:02Z   registered   edge-2 registered\n");
    CHECK(event_line_header() == kHeader);
    CHECK(line(1, "push", "main moved") == "2026-11-21T10:00:01Z   push         main moved\n");
    // Control characters from the hub cannot break a line.
    CHECK(line(1, "push", "a\nb\x1b[2J") == "2026-11-21T10:00:01Z   push         a b?[2J\n");
}

TEST_CASE("events lists with the filters given; -o json prints the hub's answer") {
    json recent = json::array({event(2, "push", "second"), event(1, "push", "first")});
    LoopbackHttpServer hub([recent](const RecordedRequest&) { return CannedReply{200, recent.dump()}; });
    auto run = droverctl({"events", "--kind", "push", "--limit", "2"}, env_for(hub.url()));
    CHECK(run.code == 0);
    CHECK(run.out == format_events(recent));
    CHECK(hub.requests()[0].path == "/api/v1/events?kind=push&limit=2");
    CHECK(hub.requests()[0].accept == "application/json");
    auto as_json = droverctl({"events", "-o", "json"}, env_for(hub.url()));
    CHECK(json::parse(as_json.out) == recent);
    CHECK(hub.requests()[1].path == "/api/v1/events");

    LoopbackHttpServer empty([](const RecordedRequest&) { return CannedReply{200, "[]"}; });
    CHECK(droverctl({"events"}, env_for(empty.url())).out == "No events yet.\n");
}

TEST_CASE("--follow prints the recent events, streams new ones, and reconnects after a drop with since=") {
    ScriptedHub hub(json::array({event(2, "push", "second"), event(1, "push", "first")}),
                    {
                        // The replay overlaps what is on screen (2); a message
                        // and a field arrive split over writes; a change and a
                        // ping are not events. Then the hub closes.
                        streamed({"retry: 10\n\n", sse_event(event(2, "push", "second")),
                                  "id: 3\nevent: ev", "ent\ndata: " + event(3, "registered", "edge-3").dump().substr(0, 20),
                                  event(3, "registered", "edge-3").dump().substr(20) + "\n\n",
                                  "event: change\ndata: {\"agents\":[\"edge-3\"],\"all\":false}\n\n", ": ping\n\n"}),
                        streamed({sse_event(event(4, "revoked", "token tok_v revoked"))}),
                    });
    auto run = droverctl({"events", "--follow"}, env_for(hub.url()));
    CHECK(run.code == 1);  // the third stream request is refused: nothing to retry
    CHECK(run.out == kHeader + line(1, "push", "first") + line(2, "push", "second") + line(3, "registered", "edge-3") +
                         line(4, "revoked", "token tok_v revoked"));
    CHECK(run.err ==
          "droverctl: event stream dropped (the hub closed it); reconnecting\n"
          "droverctl: event stream dropped (the hub closed it); reconnecting\n"
          "droverctl: viewer token tok_v was revoked (HTTP 401)\n");
    auto sent = hub.requests();
    REQUIRE(sent.size() == 4);
    CHECK(sent[0].path == "/api/v1/events?limit=10");
    CHECK(sent[1].path == "/api/v1/events?since=2");
    CHECK(sent[1].accept == "text/event-stream");
    CHECK(sent[1].authorization == "Bearer t");
    CHECK(sent[2].path == "/api/v1/events?since=3");
    CHECK(sent[3].path == "/api/v1/events?since=4");
}

TEST_CASE("--follow -o json prints one object per line, oldest first, and passes --kind to the stream") {
    ScriptedHub hub(json::array({event(5, "push", "b"), event(4, "push", "a")}),
                    {streamed({"retry: 10\n\n", sse_event(event(6, "push", "c"))})});
    auto run = droverctl({"events", "-f", "--kind", "push", "--limit", "2", "-o", "json"}, env_for(hub.url()));
    CHECK(run.code == 1);
    auto lines = split(run.out, '\n');
    REQUIRE(lines.size() == 4);
    CHECK(json::parse(lines[0]) == event(4, "push", "a"));
    CHECK(json::parse(lines[2]) == event(6, "push", "c"));
    CHECK(lines[3].empty());
    auto sent = hub.requests();
    CHECK(sent[0].path == "/api/v1/events?kind=push&limit=2");
    CHECK(sent[1].path == "/api/v1/events?kind=push&since=5");
}

TEST_CASE("failed reconnects back off quietly: one note per drop, a full hub (503) is retried") {
    CannedReply full{503, R"({"error":"this hub already serves 64 live event streams; try again later"})"};
    // The hub asks for 5 ms; droverctl waits at least 500.
    ScriptedHub hub(json::array(), {streamed({"retry: 5\n\n"}), full, full});
    auto start = std::chrono::steady_clock::now();
    auto run = droverctl({"events", "--follow"}, env_for(hub.url()));
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(run.code == 1);
    CHECK(run.out == kHeader);
    CHECK(run.err ==
          "droverctl: event stream dropped (the hub closed it); reconnecting\n"
          "droverctl: viewer token tok_v was revoked (HTTP 401)\n");
    auto sent = hub.requests();
    REQUIRE(sent.size() == 5);
    CHECK(sent[1].path == "/api/v1/events?since=0");  // nothing seen yet: everything after the list
    CHECK(sent[4].path == "/api/v1/events?since=0");
    // Waits of 500, 1000 and 2000 ms: the delay doubles while attempts fail.
    CHECK(elapsed >= std::chrono::milliseconds(3500));
}

TEST_CASE("a stream the parser refuses twice from the same since= ends --follow with the reason") {
    std::string too_long = "data: " + std::string(SseParser::kMaxLine + 1, 'x');
    auto refused = streamed({"retry: 10\n\n", sse_event(event(1, "push", "a")), too_long});
    auto refused_again = streamed({"retry: 10\n\n", too_long});
    // From since=0 the first stream delivers event 1 before its bad line, so
    // the second starts from since=1; only the third repeats it.
    ScriptedHub hub(json::array(), {refused, refused_again, refused_again, streamed({"retry: 10\n\n"})});
    auto run = droverctl({"events", "--follow"}, env_for(hub.url()));
    CHECK(run.code == 1);
    CHECK(run.out == kHeader + line(1, "push", "a"));
    auto sent = hub.requests();
    REQUIRE(sent.size() == 4);
    CHECK(sent[1].path == "/api/v1/events?since=0");
    CHECK(sent[2].path == "/api/v1/events?since=1");
    CHECK(sent[3].path == "/api/v1/events?since=1");
    auto lines = split(run.err, '\n');
    REQUIRE(lines.size() == 4);
    CHECK(lines[0].find("droverctl: event stream dropped (") == 0);
    CHECK(lines[1].find("droverctl: event stream dropped (") == 0);
    CHECK(lines[2].find("droverctl: hub's answer to GET /api/v1/events?since=1: ") == 0);
    CHECK(lines[2].find("an event stream line is longer than 1024 KiB") != std::string::npos);
}

TEST_CASE("a stream that goes silent past --idle-timeout counts as a drop") {
    ScriptedHub hub(json::array(), {streamed({"retry: 10\n\n"}, 10'000)});
    auto start = std::chrono::steady_clock::now();
    auto run = droverctl({"events", "--follow", "--idle-timeout", "300ms"}, env_for(hub.url()));
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(run.code == 1);
    CHECK(elapsed >= std::chrono::milliseconds(300));
    CHECK(elapsed < std::chrono::seconds(5));
    CHECK(run.err.find("droverctl: event stream dropped (hub at " + hub.url() + " sent nothing for 300 ms); reconnecting\n") ==
          0);
    CHECK(hub.requests().size() == 3);
}

TEST_CASE("a hub that answers the stream with something else is an error, not a retry") {
    ScriptedHub hub(json::array(), {CannedReply{200, "[]"}});
    auto run = droverctl({"events", "--follow"}, env_for(hub.url()));
    CHECK(run.code == 1);
    CHECK(run.err ==
          "droverctl: hub answered GET /api/v1/events?since=0 with application/json, not text/event-stream\n");
    CHECK(hub.requests().size() == 2);
}

TEST_CASE("an interrupt ends --follow with exit 0, before or during a stream") {
    std::atomic<bool> stop{true};
    ScriptedHub idle(json::array({event(1, "push", "first")}), {});
    auto before = droverctl({"events", "--follow"}, env_for(idle.url()), Runtime{{}, &stop});
    CHECK(before.code == 0);
    CHECK(before.out == kHeader + line(1, "push", "first"));
    CHECK(idle.requests().size() == 1);

    // The hub says nothing for 10 s; the interrupt comes while curl waits.
    std::atomic<bool> later{false};
    LoopbackHttpServer silent([&later](const RecordedRequest& r) {
        if (!is_stream(r)) return CannedReply{200, "[]"};
        later = true;
        return streamed({"retry: 10\n\n"}, 10'000);
    });
    auto start = std::chrono::steady_clock::now();
    auto during = droverctl({"events", "--follow"}, env_for(silent.url()), Runtime{{}, &later});
    CHECK(during.code == 0);
    CHECK(during.err.empty());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("SIGINT ends --follow with exit 0 and gives the signal back afterwards") {
    LoopbackHttpServer hub([](const RecordedRequest& r) {
        if (!is_stream(r)) return CannedReply{200, "[]"};
        raise(SIGINT);  // as Ctrl-C would, while the stream is open
        return streamed({"retry: 10\n\n"}, 10'000);
    });
    struct sigaction before{};
    sigaction(SIGINT, nullptr, &before);
    auto start = std::chrono::steady_clock::now();
    auto run = droverctl({"events", "--follow"}, env_for(hub.url()));
    CHECK(run.code == 0);
    CHECK(run.out == kHeader);
    CHECK(run.err.empty());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    struct sigaction after{};
    sigaction(SIGINT, nullptr, &after);
    CHECK((after.sa_handler == before.sa_handler));
}

TEST_CASE("--follow ends with the hub's reason when it ends the stream, and names a gap it could not replay") {
    ScriptedHub hub(json::array({event(1, "push", "first")}),
                    {
                        streamed({"retry: 10\n\n", "event: gap\ndata: {\"after\":1,\"until\":1500}\n\n",
                                  sse_event(event(1501, "push", "later")),
                                  "event: error\ndata: {\"error\":\"viewer token tok_v has expired\"}\n\n"}),
                    });
    auto run = droverctl({"events", "--follow"}, env_for(hub.url()));
    CHECK(run.code == 1);
    CHECK(run.out == kHeader + line(1, "push", "first") + line(1501, "push", "later"));
    CHECK(run.err ==
          "droverctl: events after id 1 up to id 1500 were too many to replay (the newest 1000 events: 'droverctl events --limit 1000')\n"
          "droverctl: the hub ended the event stream: viewer token tok_v has expired\n");
    CHECK(hub.requests().size() == 2);  // no reconnect after the refusal
}
