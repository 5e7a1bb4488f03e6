#include "tools/droverctl/events_command.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <ostream>
#include <thread>

#include "common/text.h"
#include "tools/droverctl/event_stream.h"
#include "tools/droverctl/json_fields.h"
#include "tools/droverctl/table.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kEventsHelp =
    "Usage: droverctl events [--kind KIND] [--limit N] [--follow] [--idle-timeout 45s]\n"
    "\n"
    "Shows the hub's recent events, oldest first: pushes, refused pushes,\n"
    "deployments, registrations, tokens, revocations, credential rotations,\n"
    "label changes, mirror.\n"
    "\n"
    "  --kind KIND           only events of this kind: push, rejected, deployed,\n"
    "                        registered, token, revoked, credential, labels, mirror\n"
    "  --limit N             the newest N (1-1000; default 100, with --follow 10)\n"
    "  --follow              then print new events as they happen, until Ctrl-C\n"
    "  --idle-timeout DUR    with --follow: a hub silent this long (it pings every\n"
    "                        15 s) is taken as a dropped link (default 45s)\n"
    "\n"
    "--follow reconnects by itself after a dropped link and asks the hub for\n"
    "what it missed meanwhile; it notes each drop on stderr.\n"
    "-o json prints the hub's answer (newest first); with --follow one JSON\n"
    "object per line, oldest first.\n";

namespace {

constexpr size_t kFollowRecent = 10;
constexpr int64_t kDefaultRetryMs = 2'000;
constexpr int64_t kMinRetryMs = 500;  // a hub asking for less is not obeyed: no reconnect storms
constexpr int64_t kMaxBackoffMs = 30'000;
constexpr size_t kTimeWidth = 20;  // "2026-11-21T08:00:00Z"
constexpr size_t kKindWidth = 10;  // "registered"

std::string padded(std::string text, size_t width) {
    size_t w = display_width(text);
    if (w < width) text.append(width - w, ' ');
    return text;
}

std::string ndjson(const json& event) {
    return event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// SIGINT for the life of a follow: the handler only sets a flag the stream
// and the backoff poll; the previous disposition comes back afterwards.
std::atomic<bool> g_sigint{false};

class SigintScope {
public:
    SigintScope() {
        g_sigint = false;
        struct sigaction sa{};
        sa.sa_handler = [](int) { g_sigint = true; };
        sigemptyset(&sa.sa_mask);
        installed_ = sigaction(SIGINT, &sa, &previous_) == 0;
    }
    ~SigintScope() {
        if (installed_) sigaction(SIGINT, &previous_, nullptr);
    }
    SigintScope(const SigintScope&) = delete;
    SigintScope& operator=(const SigintScope&) = delete;

private:
    struct sigaction previous_{};
    bool installed_ = false;
};

// The follow loop's state: what was printed, where to resume.
class Follower {
public:
    Follower(const Context& ctx, ApiClient& client, const EventsQuery& query)
        : ctx_(ctx), client_(client), query_(query) {}

    int run();

private:
    bool stopped() const { return (ctx_.interrupted && ctx_.interrupted->load()) || g_sigint.load(); }
    void print(const json& event);
    void on_message(const SseMessage& m);
    // Waits up to ms, returning early (false) when interrupted.
    bool wait(int64_t ms) const;

    const Context& ctx_;
    ApiClient& client_;
    const EventsQuery& query_;
    int64_t last_id_ = 0;
    int64_t retry_ms_ = kDefaultRetryMs;
    std::optional<std::string> refused_;  // the hub's `event: error`
};

void Follower::print(const json& event) {
    int64_t id = int_field(event, "id");
    if (id != 0 && id <= last_id_) return;  // a replay overlapping what is on screen
    if (id > last_id_) last_id_ = id;
    if (ctx_.options.output == OutputFormat::json) ctx_.out << ndjson(event);
    else ctx_.out << event_line(event);
    ctx_.out.flush();
}

void Follower::on_message(const SseMessage& m) {
    json body = json::parse(m.data, nullptr, false);
    if (!body.is_object()) return;
    if (m.event == "event") return print(body);
    if (m.event == "gap") {
        // The hub replays at most 1000 events: name the ones it did not.
        ctx_.err << "droverctl: events after id " << int_field(body, "after") << " up to id "
                 << int_field(body, "until") << " were too many to replay (the newest 1000 events: 'droverctl events --limit 1000')\n";
        ctx_.err.flush();
        if (int_field(body, "until") > last_id_) last_id_ = int_field(body, "until");
    } else if (m.event == "error") {
        // The stream's token stopped working (revoked, expired): retrying cannot mend that.
        refused_ = printable(text_field(body, "error"));
    }
    // "change" is for dashboards; others are unknown.
}

bool Follower::wait(int64_t ms) const {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
        if (stopped()) return false;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
    }
    return !stopped();
}

int Follower::run() {
    auto recent = client_.get("/api/v1/events" + query_string({{"kind", query_.kind},
                                                               {"limit", std::to_string(query_.limit
                                                                                            ? query_.limit
                                                                                            : kFollowRecent)}}));
    if (!recent) return ctx_.api_failure(recent.error());
    if (!recent->is_array()) return ctx_.failure("hub answered GET /api/v1/events with something other than an array");
    if (ctx_.options.output == OutputFormat::table) ctx_.out << event_line_header();
    for (auto it = recent->rbegin(); it != recent->rend(); ++it)
        if (it->is_object()) print(*it);
    ctx_.out.flush();

    bool noted = false;  // the current outage is already on stderr
    int64_t backoff = 0;
    // The since= of the last stream the parser refused: the same refusal
    // twice from the same point will not mend by retrying.
    std::optional<int64_t> unparsable_since;
    while (!stopped()) {
        bool delivered = false, unparsable = false;
        const int64_t since = last_id_;
        SseParser parser([this](const SseMessage& m) { on_message(m); });
        StreamRequest request;
        request.idle_timeout_ms = query_.idle_timeout_ms;
        request.stop = [this] { return stopped(); };
        request.on_bytes = [&](std::string_view bytes) -> Result<void> {
            delivered = true;
            auto ok = parser.feed(bytes);
            if (!ok) unparsable = true;
            return ok;
        };
        auto end = client_.stream(
            "/api/v1/events" + query_string({{"kind", query_.kind}, {"since", std::to_string(since)}}), request);
        if (parser.retry_ms()) retry_ms_ = std::max(*parser.retry_ms(), kMinRetryMs);
        if (end && *end == StreamEnd::stopped) break;
        if (refused_) return ctx_.failure(cat("the hub ended the event stream: ", *refused_));

        std::string why = end ? std::string("the hub closed it") : end.error().message;
        if (!end) {
            const ApiError& e = end.error();
            // A refusal (token revoked, bad kind) or an answer that is no
            // stream (a hub without live events) will not mend by retrying;
            // a full hub (503) may.
            bool fatal = (e.kind == ApiError::Kind::refused && e.http_status != 503) ||
                         (e.kind == ApiError::Kind::bad_response && !unparsable);
            if (fatal) return ctx_.api_failure(e);
            if (unparsable) {
                if (unparsable_since == since) return ctx_.api_failure(e);
                unparsable_since = since;
            }
        }
        if (delivered) {
            noted = false;
            backoff = retry_ms_;
        } else {
            backoff = backoff == 0 ? retry_ms_ : std::min(backoff * 2, kMaxBackoffMs);
        }
        if (!noted) {
            ctx_.err << "droverctl: event stream dropped (" << why << "); reconnecting\n";
            ctx_.err.flush();
            noted = true;
        }
        if (!wait(backoff)) break;
    }
    return kExitOk;
}

}  // namespace

Result<EventsQuery> parse_events_args(std::span<const std::string> args) {
    auto parsed = parse_args(args, {"--kind", "--limit", "--idle-timeout"}, {"--follow", "-f"});
    if (!parsed) return std::unexpected(parsed.error());
    if (!parsed->positionals.empty()) return fail(cat("unexpected argument ", quoted(parsed->positionals.front())));
    EventsQuery q;
    q.kind = parsed->value("--kind").value_or("");
    q.follow = parsed->has("--follow") || parsed->has("-f");
    if (auto limit = parsed->value("--limit")) {
        auto n = parse_u64(*limit);
        if (!n || *n < 1 || *n > 1000) return fail(cat("--limit ", quoted(*limit), ": must be a whole number from 1 to 1000"));
        q.limit = static_cast<size_t>(*n);
    }
    if (auto idle = parsed->value("--idle-timeout")) {
        if (!q.follow) return fail("--idle-timeout is for --follow");
        auto ms = parse_duration_ms(*idle);
        if (!ms || *ms < 100 || *ms > 3'600'000)
            return fail(cat("--idle-timeout ", quoted(*idle), ": use a duration from 100ms to 1h, like 45s"));
        q.idle_timeout_ms = *ms;
    }
    return q;
}

std::string format_events(const json& newest_first) {
    Table table({"TIME", "KIND", "MESSAGE"});
    for (auto it = newest_first.rbegin(); it != newest_first.rend(); ++it)
        table.add_row({text_field(*it, "time"), text_field(*it, "kind"), text_field(*it, "message")});
    return table.render();
}

std::string event_line(const json& event) {
    std::string line = padded(printable(text_field(event, "time")), kTimeWidth) + "   " +
                       padded(printable(text_field(event, "kind")), kKindWidth) + "   " +
                       printable(text_field(event, "message"));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
}

std::string event_line_header() { return event_line(json{{"time", "TIME"}, {"kind", "KIND"}, {"message", "MESSAGE"}}); }

int run_events(const Context& ctx, std::span<const std::string> args) {
    auto query = parse_events_args(args);
    if (!query) return ctx.usage_error(query.error().message, "events");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    if (query->follow) {
        SigintScope sigint;
        return Follower(ctx, *client, *query).run();
    }
    auto events = client->get("/api/v1/events" + query_string({{"kind", query->kind},
                                                               {"limit", query->limit ? std::to_string(query->limit)
                                                                                      : std::string()}}));
    if (!events) return ctx.api_failure(events.error());
    if (!events->is_array()) return ctx.failure("hub answered GET /api/v1/events with something other than an array");
    if (ctx.options.output == OutputFormat::json) ctx.print_json(*events);
    else if (events->empty()) ctx.out << (query->kind.empty() ? "No events yet.\n" : "No events of that kind.\n");
    else ctx.out << format_events(*events);
    return kExitOk;
}

}  // namespace drover::ctl
