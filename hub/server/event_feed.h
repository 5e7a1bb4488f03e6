#pragma once
// Live updates for GET /api/v1/events with Accept: text/event-stream
// (server-sent events). Loop thread only.
//
// Every tick (about twice a second) the feed reads the events stored since
// the last tick and the agents the Fleet saw change, and writes to each
// stream:
//   id: 42 / event: event / data: {"id":42,"time":..,"kind":..,"message":..}
//   event: change / data: {"agents":["edge-1"],"all":false}
//   : ping                                    (every 15 s, keeps proxies open)
// "change" lists agents that came, went, reported or were relabelled, at
// most kMaxNamedAgents of them; "all": true (and no names) means more changed
// or the deployed revision did: refetch everything.
//
// A stream may start with the stored events after an id (?since= or
// Last-Event-ID), so a client that reconnects misses nothing: at most
// kMaxReplay of them, and when more were missed the replay ends with
//   event: gap / data: {"after":ID,"until":ID}
// naming the ids not sent (read them with GET /api/v1/events). A stream
// whose token is revoked or expires gets `event: error` with the reason and
// is closed. A client that stops reading is cut off once kMaxUnsentBytes
// wait for it; the number of streams is capped, so an open dashboard costs
// the hub a bounded amount.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "hub/server/fleet.h"

namespace drover::hub {

// One subscriber's connection, as the feed sees it.
class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void write(std::string text) = 0;
    virtual size_t unsent_bytes() const = 0;
    // Ends the stream, after what is queued (send_queued) or at once. The
    // feed forgets the sink right after.
    virtual void close(bool send_queued) = 0;
};

struct StreamOptions {
    std::optional<int64_t> since;  // replay stored events with a higher id
    std::string kind;              // only events of this kind ("" all)
    // Why the credential that opened the stream no longer may read
    // (revoked, expired), ending it; nullopt while it may. Asked on a tick
    // that carries a "revoked" event, else every kRecheckMs (each answer
    // costs store reads on the loop).
    std::function<std::optional<std::string>()> refused;
};

class EventFeed {
public:
    static constexpr size_t kMaxStreams = 64;
    static constexpr size_t kMaxUnsentBytes = 1 << 20;
    static constexpr size_t kMaxNamedAgents = 100;
    static constexpr size_t kMaxReplay = 1000;
    static constexpr int64_t kPingMs = 15'000;
    static constexpr int64_t kRecheckMs = 2'000;

    explicit EventFeed(Fleet& fleet) : fleet_(fleet) {}

    // Starts a stream on sink (writes its opening and any replay). Fails,
    // writing nothing, when kMaxStreams are open.
    Result<void> subscribe(EventSink* sink, const StreamOptions& options);
    void unsubscribe(EventSink* sink) { streams_.erase(sink); }
    size_t streams() const { return streams_.size(); }

    // Sends what happened since the last tick.
    void tick();

private:
    struct Stream {
        std::string kind;
        std::function<std::optional<std::string>()> refused;
        int64_t last_write_ms = 0;
        int64_t checked_ms = 0;  // when refused() last said the token may read
    };
    int64_t newest_event_id();

    Fleet& fleet_;
    std::map<EventSink*, Stream> streams_;
    std::optional<int64_t> last_event_id_;  // the newest event streams have been sent
};

// An event as the API shows it: {id, time, kind, message}.
nlohmann::json event_json(const EventRecord& event);

// One server-sent event message (the blank line that ends it included).
std::string sse_message(std::string_view event, std::string_view data, std::optional<int64_t> id = std::nullopt);

}  // namespace drover::hub
