#include "agent/session/hub_link.h"

#include <cstring>

#include "agent/session/client_certificate.h"
#include "common/log.h"
#include "common/tcp_info.h"
#include "common/text.h"
#include "proto/frame.h"

namespace drover::session {

namespace {

// Longer than any of lws's own connect, TLS and upgrade timeouts combined.
constexpr std::chrono::milliseconds kConnectWatchdog{60'000};
// RFC 6455 control frames carry at most 125 bytes: 2 for the code.
constexpr size_t kMaxCloseReason = 123;
// lws's validity pings are off: Heartbeat does this job on the loop's timer.
const lws_retry_bo_t kNoValidityTimers = {};

std::string seconds_text(std::chrono::milliseconds d) {
    return cat(d.count() / 1000, ".", (d.count() % 1000) / 100, " s");
}

}  // namespace

HubLink::HubLink(LinkLoop& loop, cache::Cache& cache, SessionConfig session, LinkOptions options,
                 std::function<void()> cache_changed)
    : loop_(loop),
      cache_(cache),
      session_config_(std::move(session)),
      options_(std::move(options)),
      cache_changed_(std::move(cache_changed)),
      url_text_(options_.url.to_string()),
      assembler_(wire::kMaxFrame),
      backoff_(options_.backoff_base, options_.backoff_cap, options_.random),
      heartbeat_(options_.heartbeat, options_.idle_timeout) {}

Result<std::unique_ptr<HubLink>> HubLink::create(LinkLoop& loop, cache::Cache& cache, SessionConfig session,
                                                 LinkOptions options, std::function<void()> cache_changed) {
    std::unique_ptr<HubLink> link(
        new HubLink(loop, cache, std::move(session), std::move(options), std::move(cache_changed)));
    loop.add(link.get());
    return link;
}

HubLink::~HubLink() {
    loop_.remove(this);
    // The context (and any connection of ours on it) is destroyed with the
    // loop; lws must not call back into a link that is gone.
    if (wsi_) lws_set_opaque_user_data(wsi_, nullptr);
}

void HubLink::poke() { loop_.poke(this); }

void HubLink::on_poked() {
    if (!session_) return;
    session_->pump();
    if (!outgoing_.empty() && wsi_) lws_callback_on_writable(wsi_);
}

int64_t HubLink::tick(int64_t now) {
    if (!attempting_) {
        // The first tick is when the loop starts running: the first connect
        // is delayed from then, not from when the link was made.
        if (connect_at_ < 0) connect_at_ = now + options_.first_connect_delay.count();
        if (now >= connect_at_) connect();
        if (!attempting_) return connect_at_;
    }
    if (!session_) {
        // Connecting: lws times out each phase itself. If an attempt is
        // still neither up nor failed after kConnectWatchdog, lws lost track
        // of it: drop it and start over rather than wait forever.
        if (now - attempt_started_ < kConnectWatchdog.count()) return attempt_started_ + kConnectWatchdog.count();
        // Seen under overload (thousands of connects against a saturated
        // hub): lws frees a connecting wsi without any callback. wsi_ may
        // then dangle, so it is forgotten, never touched.
        log::error("connection attempt to ", url_text_, " neither succeeded nor failed in ",
                   kConnectWatchdog.count() / 1000, " s; starting over");
        wsi_ = nullptr;
        on_disconnected();
        return connect_at_;
    }
    switch (heartbeat_.due(now)) {
        case Heartbeat::Action::hang_up: hang_up("nothing received from the hub within the idle timeout"); break;
        case Heartbeat::Action::ping:
            ping_due_ = true;
            lws_callback_on_writable(wsi_);
            break;
        case Heartbeat::Action::none: break;
    }
    return heartbeat_.next_deadline();
}

void HubLink::connect() {
    if (loop_.stopping() || attempting_) return;
    const HubUrl& url = options_.url;
    lws_client_connect_info i;
    std::memset(&i, 0, sizeof i);
    i.context = loop_.context();
    i.address = url.host.c_str();
    i.port = url.port;
    i.path = url.path.c_str();
    i.host = url.host.c_str();
    i.origin = url.host.c_str();
    i.protocol = kSubprotocol;
    i.ssl_connection = url.tls ? LCCSCF_USE_SSL : 0;
    if (url.tls && !session_config_.ca_pem.empty()) {
        // A certificate issued since the last connection is presented now,
        // once it passes the checks it passed when it was stored: lws would
        // go on without a certificate whose key does not load, and the hub
        // would then refuse this agent with no word of why.
        auto identity = cache_.identity().load();
        if (!identity.client_certificate.empty()) {
            auto usable = check_client_certificate(identity.client_certificate, identity.client_key,
                                                   identity.agent_id, session_config_.ca_pem);
            if (!usable)
                log::error("not presenting the stored client certificate: ", usable.error().message,
                           "; a hub that requires it refuses this agent (revoke it and provision it again)");
            else if (loop_.use_client_certificate(identity.client_certificate, identity.client_key))
                i.sys_tls_client_cert = 1;  // lws: system blob index 0, plus one
        }
    }
    // No pwsi: lws would keep writing to wsi_ for a connection this link
    // may have given up on. Callbacks find the link by opaque_user_data.
    i.opaque_user_data = this;
    i.retry_and_idle_policy = &kNoValidityTimers;
    log::debug("connecting to ", url_text_);
    attempting_ = true;
    attempt_started_ = LinkLoop::now_ms();
    ++connect_attempts_;
    // On failure lws may or may not have reported CONNECTION_ERROR already;
    // on_disconnected() acts once either way.
    lws* wsi = lws_client_connect_via_info(&i);
    if (!wsi) {
        on_disconnected();
        return;
    }
    if (attempting_) wsi_ = wsi;  // unless it already failed inside the call
}

// wsi must be alive: the one a callback is about, or an established wsi_
// (lws reports its end with CLIENT_CLOSED; a connecting one may vanish
// silently, so wsi_ is not sampled then).
void HubLink::sample_bytes(lws* wsi) {
    if (!wsi) return;
    if (auto c = tcp_counters(lws_get_socket_fd(wsi))) {
        live_sent_ = c->bytes_sent;
        live_received_ = c->bytes_received;
    }
}

LinkStats HubLink::stats() const {
    LinkStats s = closed_stats_;
    if (wsi_ && session_) {
        if (auto c = tcp_counters(lws_get_socket_fd(wsi_))) {
            s.bytes_sent += c->bytes_sent;
            s.bytes_received += c->bytes_received;
        }
    }
    s.sessions = sessions_started_;
    s.connect_attempts = connect_attempts_;
    return s;
}

void HubLink::on_disconnected() {
    if (!attempting_) return;
    attempting_ = false;
    closed_stats_.bytes_sent += live_sent_;
    closed_stats_.bytes_received += live_received_;
    live_sent_ = live_received_ = 0;
    bool reached_welcome = session_ && session_->welcomed();
    if (session_ && !reached_welcome && !session_->closed_by_hub() && !close_reason_ && !loop_.stopping())
        log::warn("session ended without a welcome from the hub");
    session_.reset();
    wsi_ = nullptr;
    outgoing_.clear();
    assembler_.reset();
    close_reason_.reset();
    ping_due_ = false;
    welcomed_ = false;
    if (loop_.stopping()) return;
    if (reached_welcome) backoff_.reset();
    auto delay = backoff_.next();
    log::info("reconnecting to ", url_text_, " in ", seconds_text(delay));
    connect_at_ = LinkLoop::now_ms() + delay.count();
    loop_.deadline_changed(connect_at_);
}

void HubLink::queue(const v1::Envelope& envelope) {
    if (close_reason_) return;  // the session is ending; nothing more goes out
    std::string frame(LWS_PRE, '\0');
    frame += wire::encode(envelope);
    outgoing_.push_back(std::move(frame));
}

void HubLink::close_with(lws* wsi, const std::string& reason) {
    if (close_reason_) return;
    log::error("closing the hub session: ", reason);
    v1::Envelope env;
    env.mutable_close()->set_reason(reason);
    queue(env);
    close_reason_ = reason;
    lws_callback_on_writable(wsi);
}

void HubLink::hang_up(const char* why) {
    // The peer is not answering, so a close handshake would wait in vain:
    // drop the connection now. lws then reports CLIENT_CLOSED.
    log::warn("hanging up on ", url_text_, ": ", why);
    sample_bytes(wsi_);
    lws_set_timeout(wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

int HubLink::handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
    switch (reason) {
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            log::warn("cannot connect to ", url_text_, ": ", in ? static_cast<const char*>(in) : "connection failed");
            if (wsi == wsi_ || !wsi_) {
                sample_bytes(wsi);
                closed_stats_.handshake_sent += live_sent_;
                closed_stats_.handshake_received += live_received_;
                on_disconnected();
            }
            return 0;
        case LWS_CALLBACK_CLIENT_ESTABLISHED: return on_established(wsi);
        case LWS_CALLBACK_CLIENT_RECEIVE:
            heartbeat_.received(LinkLoop::now_ms());
            return on_receive(wsi, static_cast<const char*>(in), len);
        case LWS_CALLBACK_CLIENT_RECEIVE_PONG: heartbeat_.received(LinkLoop::now_ms()); return 0;
        case LWS_CALLBACK_CLIENT_WRITEABLE: return on_writeable(wsi);
        case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
            if (len >= 2) {
                auto* p = static_cast<const unsigned char*>(in);
                log::debug("hub closed the websocket: code ", (p[0] << 8) | p[1], " ",
                           quoted(std::string_view(static_cast<const char*>(in) + 2, len - 2)));
            }
            return 0;
        case LWS_CALLBACK_CLIENT_CLOSED:
            if (wsi == wsi_ || !wsi_) {
                log::info("disconnected from ", url_text_);
                sample_bytes(wsi);
                on_disconnected();
            }
            return 0;
        default: return 0;
    }
}

int HubLink::on_established(lws* wsi) {
    // A connection this link gave up on (watchdog) that came up after all.
    if (!attempting_ || (wsi_ && wsi != wsi_)) return -1;
    wsi_ = wsi;
    outgoing_.clear();
    assembler_.reset();
    close_reason_.reset();
    ping_due_ = false;
    ++sessions_started_;
    sample_bytes(wsi);
    closed_stats_.handshake_sent += live_sent_;
    closed_stats_.handshake_received += live_received_;
    log::info("connected to ", url_text_);
    heartbeat_ = Heartbeat(options_.heartbeat, options_.idle_timeout);
    heartbeat_.start(LinkLoop::now_ms());
    loop_.deadline_changed(heartbeat_.next_deadline());
    session_ = std::make_unique<Session>(
        cache_, session_config_, [this](const v1::Envelope& e) { queue(e); }, cache_changed_);
    session_->start();
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, static_cast<int>(options_.welcome_timeout.count()));
    lws_callback_on_writable(wsi);
    return 0;
}

int HubLink::on_receive(lws* wsi, const char* data, size_t len) {
    if (!session_ || close_reason_) return 0;
    if (assembler_.buffered() == 0 && lws_is_first_fragment(wsi) && !lws_frame_is_binary(wsi)) {
        close_with(wsi, "hub sent a text frame; the protocol uses binary frames only");
        return 0;
    }
    bool complete = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
    auto message = assembler_.add(std::string_view(data, len), complete);
    if (!message) {
        close_with(wsi, message.error().message);
        return 0;
    }
    if (!*message) return 0;
    auto envelope = wire::decode(**message);
    if (!envelope) {
        close_with(wsi, envelope.error().message);
        return 0;
    }
    bool was_welcomed = session_->welcomed();
    auto handled = session_->on_frame(*envelope);
    welcomed_ = session_->welcomed();
    if (!was_welcomed && welcomed_) {
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        auto asked = std::chrono::milliseconds(envelope->welcome().heartbeat_ms());
        heartbeat_.limit_interval(asked);
        if (asked.count() > 0 && heartbeat_.interval() == asked)
            log::debug("heartbeat every ", seconds_text(asked), " as the hub asks");
        loop_.deadline_changed(heartbeat_.next_deadline());
    }
    if (!handled) {
        close_with(wsi, handled.error().message);
        return 0;
    }
    if (session_->closed_by_hub()) return -1;
    if (!outgoing_.empty()) lws_callback_on_writable(wsi);
    return 0;
}

int HubLink::on_writeable(lws* wsi) {
    if (ping_due_) {
        // One byte of payload: lws reports empty pongs to nobody.
        ping_due_ = false;
        unsigned char ping[LWS_PRE + 1];
        ping[LWS_PRE] = 'p';
        if (lws_write(wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 1) return -1;
        if (!outgoing_.empty() || close_reason_) lws_callback_on_writable(wsi);
        return 0;
    }
    if (!outgoing_.empty()) {
        std::string& frame = outgoing_.front();
        size_t n = frame.size() - LWS_PRE;
        int written = lws_write(wsi, reinterpret_cast<unsigned char*>(frame.data()) + LWS_PRE, n, LWS_WRITE_BINARY);
        outgoing_.pop_front();
        if (written < static_cast<int>(n)) {
            log::warn("writing to ", url_text_, " failed");
            return -1;
        }
        if (!outgoing_.empty() || close_reason_) lws_callback_on_writable(wsi);
        return 0;
    }
    if (close_reason_) {
        std::string reason = close_reason_->substr(0, kMaxCloseReason);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, reinterpret_cast<unsigned char*>(reason.data()),
                         reason.size());
        return -1;
    }
    return 0;
}

}  // namespace drover::session
