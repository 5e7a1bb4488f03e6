#include "hub/server/event_feed.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/clock.h"
#include "common/text.h"

namespace drover::hub {

using nlohmann::json;

std::string sse_message(std::string_view event, std::string_view data, std::optional<int64_t> id) {
    std::string out;
    if (id) out += cat("id: ", *id, "\n");
    out += cat("event: ", event, "\n");
    // A line break in data would end the field: each line is its own field.
    for (auto& line : split(data, '\n')) out += cat("data: ", line, "\n");
    out += "\n";
    return out;
}

json event_json(const EventRecord& e) {
    return {{"id", e.id}, {"time", rfc3339(e.time_ms)}, {"kind", e.kind}, {"message", e.message}};
}

int64_t EventFeed::newest_event_id() {
    auto newest = fleet_.store().events(1);
    return newest.empty() ? 0 : newest.front().id;
}

Result<void> EventFeed::subscribe(EventSink* sink, const StreamOptions& options) {
    if (streams_.size() >= kMaxStreams)
        return fail(cat("this hub already serves ", kMaxStreams, " live event streams; try again later"));
    // With no streams open, ticks read nothing: start from now.
    if (streams_.empty()) {
        last_event_id_ = newest_event_id();
        fleet_.take_changes();
    }
    std::string text = "retry: 2000\n\n";
    if (options.since && *options.since < *last_event_id_) {
        auto missed = fleet_.store().events_after(*options.since, kMaxReplay + 1, options.kind);
        int64_t sent = *options.since;
        // Events past last_event_id_ are the next tick's to send.
        for (size_t i = 0; i < missed.size() && missed[i].id <= *last_event_id_; ++i) {
            if (i == kMaxReplay) {  // more than a replay holds: say so rather than skip them
                text += sse_message("gap", json{{"after", sent}, {"until", *last_event_id_}}.dump());
                break;
            }
            text += sse_message("event", event_json(missed[i]).dump(), missed[i].id);
            sent = missed[i].id;
        }
    }
    sink->write(std::move(text));
    streams_[sink] = Stream{options.kind, options.refused, fleet_.now_ms(), fleet_.now_ms()};
    return {};
}

void EventFeed::tick() {
    auto changes = fleet_.take_changes();
    if (streams_.empty()) return;
    auto events = fleet_.store().events_after(*last_event_id_, kMaxReplay);
    if (!events.empty()) last_event_id_ = events.back().id;

    std::string change;
    if (changes.all || !changes.agent_ids.empty()) {
        bool all = changes.all || changes.agent_ids.size() > kMaxNamedAgents;
        json names = json::array();
        if (!all)
            for (auto& id : changes.agent_ids)
                if (auto agent = fleet_.store().agent(id)) names.push_back(agent->name);
        change = sse_message("change", json{{"agents", names}, {"all", all}}.dump());
    }

    int64_t now = fleet_.now_ms();
    bool revocation = std::any_of(events.begin(), events.end(), [](auto& e) { return e.kind == "revoked"; });
    std::vector<std::pair<EventSink*, bool>> ended;  // sink, whether to send what is queued first
    for (auto& [sink, stream] : streams_) {
        if (sink->unsent_bytes() > kMaxUnsentBytes) {
            ended.emplace_back(sink, false);
            continue;
        }
        bool check = stream.refused && (revocation || now - stream.checked_ms >= kRecheckMs);
        if (check) stream.checked_ms = now;
        if (auto why = check ? stream.refused() : std::nullopt) {
            sink->write(sse_message("error", json{{"error", *why}}.dump()));
            ended.emplace_back(sink, true);  // its error message goes out before the close
            continue;
        }
        std::string text;
        for (auto& e : events)
            if (stream.kind.empty() || e.kind == stream.kind) text += sse_message("event", event_json(e).dump(), e.id);
        text += change;
        if (text.empty() && now - stream.last_write_ms < kPingMs) continue;
        if (text.empty()) text = ": ping\n\n";
        stream.last_write_ms = now;
        sink->write(std::move(text));
    }
    for (auto [sink, flush] : ended) {
        streams_.erase(sink);
        sink->close(flush);
    }
}

}  // namespace drover::hub
