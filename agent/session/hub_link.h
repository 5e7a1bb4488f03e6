#pragma once
// The websocket link to the hub (libwebsockets 4.1 client). One thread, the
// one calling run(), owns the lws context, the connection and the Session;
// other threads only call poke() and stop(), which set a flag and wake the
// loop with lws_cancel_service().
//
// Frames: one protobuf Envelope per binary websocket message, reassembled
// here with drover's own size limit (wire::kMaxFrame). Outgoing frames wait
// in a queue and go out one lws_write per WRITEABLE callback. The link
// reconnects forever: exponential backoff with full jitter (Backoff), reset
// after a session that reached Welcome.
//
// wss:// pins the CA given with --ca (client_ssl_ca_filepath) and does not
// load the OS trust store; ws:// is for --insecure setups only.
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
#include "agent/session/hub_url.h"
#include "agent/session/session.h"
#include "common/error.h"

namespace drover::session {

constexpr const char* kSubprotocol = "drover.v1";

struct LinkOptions {
    HubUrl url;
    std::string ca_file;  // required for wss://
    std::chrono::milliseconds backoff_base{1000};
    std::chrono::milliseconds backoff_cap{60'000};
    Backoff::Random random;  // default: a system-seeded generator
    // A hub that accepts the websocket but does not answer Hello within this
    // is hung up on. (Idle detection after Welcome is a later issue.)
    std::chrono::seconds welcome_timeout{30};
};

class HubLink {
public:
    // cache_changed: see Session. The cache is used on the run() thread only.
    static Result<std::unique_ptr<HubLink>> create(cache::Cache& cache, SessionConfig session, LinkOptions options,
                                                   std::function<void()> cache_changed);
    ~HubLink();
    HubLink(const HubLink&) = delete;
    HubLink& operator=(const HubLink&) = delete;

    // Connects and serves the link until stop(). Blocks.
    void run();
    // Any thread: statuses were appended or content dropped; flush them.
    void poke();
    // Any thread: run() returns soon after.
    void stop();

    // Any thread; for logs and tests.
    bool welcomed() const { return welcomed_; }
    int sessions_started() const { return sessions_started_; }
    int connect_attempts() const { return connect_attempts_; }

private:
    HubLink(cache::Cache& cache, SessionConfig session, LinkOptions options, std::function<void()> cache_changed);

    static int lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
    static void on_timer(lws_sorted_usec_list_t* sul);
    int handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len);
    int on_established(lws* wsi);
    int on_receive(lws* wsi, const char* data, size_t len);
    int on_writeable(lws* wsi);
    void on_disconnected();
    void connect();
    void queue(const v1::Envelope& envelope);
    void close_with(lws* wsi, const std::string& reason);

    cache::Cache& cache_;
    SessionConfig session_config_;
    LinkOptions options_;
    std::function<void()> cache_changed_;
    std::string url_text_;

    lws_context* context_ = nullptr;
    lws_protocols protocols_[2]{};
    // The reconnect timer; owner lets the static callback find this link.
    struct Timer {
        lws_sorted_usec_list_t sul;
        HubLink* owner;
    } timer_{};

    lws* wsi_ = nullptr;
    bool attempting_ = false;  // a connection exists or is being made
    std::unique_ptr<Session> session_;
    std::deque<std::string> outgoing_;  // LWS_PRE headroom + encoded frame
    FrameAssembler assembler_;
    Backoff backoff_;
    std::optional<std::string> close_reason_;  // hang up once outgoing_ is sent

    std::atomic<bool> stopping_{false};
    std::atomic<bool> poked_{false};
    std::atomic<bool> welcomed_{false};
    std::atomic<int> sessions_started_{0};
    std::atomic<int> connect_attempts_{0};
};

}  // namespace drover::session
