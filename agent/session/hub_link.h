#pragma once
// One agent's websocket link to the hub (libwebsockets 4.1 client) on a
// LinkLoop. The loop's thread owns the link, its connection and its
// Session; other threads only call poke().
//
// Frames: one protobuf Envelope per binary websocket message, reassembled
// here with drover's own size limit (wire::kMaxFrame). Outgoing frames wait
// in a queue and go out one lws_write per WRITEABLE callback.
//
// The link reconnects forever: exponential backoff with full jitter
// (Backoff), reset after a session that reached Welcome, and the first
// reconnect after losing a session is jittered too, so a hub restart that
// drops ten thousand agents at once does not get them back at once. A dead
// link is found by Heartbeat (ping when quiet, hang up when nothing arrives
// for the idle timeout); lws's own validity timers are off.
//
// wss:// pins the CA given with --ca (LinkLoop) and does not load the OS
// trust store; ws:// is for --insecure setups only. A client certificate the
// hub issued (Session) is presented from the next connection on.
#include <libwebsockets.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/cache/cache.h"
#include "agent/session/backoff.h"
#include "agent/session/frame_assembler.h"
#include "agent/session/heartbeat.h"
#include "agent/session/hub_url.h"
#include "agent/session/link_loop.h"
#include "agent/session/session.h"
#include "common/error.h"

namespace drover::session {

constexpr const char* kSubprotocol = "drover.v1";

struct LinkOptions {
    HubUrl url;
    // Defaults suit a hub with 10,000 agents: a restart that drops them all
    // spreads their first reconnect over 5 s, and those that find the hub
    // not yet back retry within 10 s, so all are back within about 15 s
    // (docs/benchmarks.md has the measured storm). A hub that stays away is
    // asked at most every 5 minutes per agent.
    std::chrono::milliseconds backoff_base{5'000};
    std::chrono::milliseconds backoff_cap{300'000};
    Backoff::Random random;  // default: a system-seeded generator
    // A hub that accepts the websocket but does not answer Hello within this
    // is hung up on.
    std::chrono::seconds welcome_timeout{30};
    // See Heartbeat. The hub may ask for a shorter interval in Welcome.
    std::chrono::milliseconds heartbeat{60'000};
    std::chrono::milliseconds idle_timeout{150'000};
    // The first connection attempt waits this long (fleetsim spreads its
    // agents' start; drover-agent starts at once).
    std::chrono::milliseconds first_connect_delay{0};
};

// Bytes on the wire (TCP payload, so TLS records included), from the
// kernel's TCP_INFO. handshake_* is what connections cost up to the
// websocket being established (TCP + TLS + HTTP upgrade).
struct LinkStats {
    uint64_t bytes_sent = 0, bytes_received = 0;
    uint64_t handshake_sent = 0, handshake_received = 0;
    int connect_attempts = 0;
    int sessions = 0;
};

class HubLink {
public:
    // cache_changed: see Session. The cache is used on the loop thread only.
    static Result<std::unique_ptr<HubLink>> create(LinkLoop& loop, cache::Cache& cache, SessionConfig session,
                                                   LinkOptions options, std::function<void()> cache_changed);
    ~HubLink();
    HubLink(const HubLink&) = delete;
    HubLink& operator=(const HubLink&) = delete;

    // Any thread: statuses were appended or content dropped; flush them.
    void poke();

    // Any thread; for logs and tests.
    bool welcomed() const { return welcomed_; }
    int sessions_started() const { return sessions_started_; }
    int connect_attempts() const { return connect_attempts_; }
    // Loop thread.
    LinkStats stats() const;
    const std::string& name() const { return session_config_.name; }

private:
    friend class LinkLoop;
    HubLink(LinkLoop& loop, cache::Cache& cache, SessionConfig session, LinkOptions options,
            std::function<void()> cache_changed);

    // Called by the loop on its thread.
    int handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len);
    void on_poked();
    int64_t tick(int64_t now_ms);  // returns the next deadline

    int on_established(lws* wsi);
    int on_receive(lws* wsi, const char* data, size_t len);
    int on_writeable(lws* wsi);
    void on_disconnected();
    void connect();
    void queue(const v1::Envelope& envelope);
    void close_with(lws* wsi, const std::string& reason);
    void hang_up(const char* why);
    void sample_bytes(lws* wsi);

    LinkLoop& loop_;
    cache::Cache& cache_;
    SessionConfig session_config_;
    LinkOptions options_;
    std::function<void()> cache_changed_;
    std::string url_text_;

    lws* wsi_ = nullptr;
    bool attempting_ = false;    // a connection exists or is being made
    int64_t attempt_started_ = 0;
    int64_t connect_at_ = -1;    // when not attempting: the next attempt (-1: not yet scheduled)
    bool ping_due_ = false;      // a heartbeat ping waits for WRITEABLE
    std::unique_ptr<Session> session_;
    std::deque<std::string> outgoing_;  // LWS_PRE headroom + encoded frame
    FrameAssembler assembler_;
    Backoff backoff_;
    Heartbeat heartbeat_;
    std::optional<std::string> close_reason_;  // hang up once outgoing_ is sent

    LinkStats closed_stats_;       // connections that ended
    uint64_t live_sent_ = 0, live_received_ = 0;  // the current connection, last sample

    bool poke_queued_ = false;  // guarded by the loop's poke mutex
    std::atomic<bool> welcomed_{false};
    std::atomic<int> sessions_started_{0};
    std::atomic<int> connect_attempts_{0};
};

}  // namespace drover::session
