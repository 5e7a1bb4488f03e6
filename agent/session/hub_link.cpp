#include "agent/session/hub_link.h"

#include <cstring>
#include <mutex>

#include "common/log.h"
#include "common/text.h"
#include "proto/frame.h"

namespace drover::session {

namespace {

// One hub connection plus lws's own cancel pipe and a spare: keeps lws from
// sizing its tables for the process fd limit.
constexpr unsigned kFdLimit = 16;
// Hub chunks are 64 KiB; one rx buffer holds one, plus envelope overhead.
constexpr size_t kRxBuffer = wire::kChunkSize + 1024;
// RFC 6455 control frames carry at most 125 bytes: 2 for the code.
constexpr size_t kMaxCloseReason = 123;

void lws_log_line(int level, const char* line) {
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (level & LLL_ERR)
        log::warn("lws: ", text);
    else
        log::debug("lws: ", text);
}

}  // namespace

HubLink::HubLink(cache::Cache& cache, SessionConfig session, LinkOptions options, std::function<void()> cache_changed)
    : cache_(cache),
      session_config_(std::move(session)),
      options_(std::move(options)),
      cache_changed_(std::move(cache_changed)),
      url_text_(options_.url.to_string()),
      assembler_(wire::kMaxFrame),
      backoff_(options_.backoff_base, options_.backoff_cap, options_.random) {
    timer_.owner = this;
}

Result<std::unique_ptr<HubLink>> HubLink::create(cache::Cache& cache, SessionConfig session, LinkOptions options,
                                                 std::function<void()> cache_changed) {
    if (options.url.tls && options.ca_file.empty()) return fail("a wss:// hub needs --ca");
    std::unique_ptr<HubLink> link(new HubLink(cache, std::move(session), std::move(options), std::move(cache_changed)));

    static std::once_flag log_once;
    std::call_once(log_once, [] { lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_line); });

    link->protocols_[0].name = kSubprotocol;
    link->protocols_[0].callback = &HubLink::lws_callback;
    link->protocols_[0].rx_buffer_size = kRxBuffer;

    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = link->protocols_;
    info.user = link.get();
    info.fd_limit_per_thread = kFdLimit;
    // Never the OS CA store: the agent trusts exactly the hub's CA (and
    // skipping the store spares OpenSSL a CA directory scan per handshake).
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    if (link->options_.url.tls) info.client_ssl_ca_filepath = link->options_.ca_file.c_str();
    link->context_ = lws_create_context(&info);
    if (!link->context_)
        return fail(link->options_.url.tls
                        ? cat("cannot set up the hub connection (is ", link->options_.ca_file, " a PEM CA certificate?)")
                        : std::string("cannot set up the hub connection"));
    return link;
}

HubLink::~HubLink() {
    stopping_ = true;
    if (context_) lws_context_destroy(context_);
}

void HubLink::run() {
    connect();
    while (!stopping_)
        if (lws_service(context_, 0) < 0) break;
}

void HubLink::poke() {
    poked_ = true;
    lws_cancel_service(context_);
}

void HubLink::stop() {
    stopping_ = true;
    lws_cancel_service(context_);
}

void HubLink::on_timer(lws_sorted_usec_list_t* sul) {
    // sul is the first member of Timer, a standard-layout struct.
    reinterpret_cast<Timer*>(sul)->owner->connect();
}

void HubLink::connect() {
    if (stopping_ || attempting_) return;
    const HubUrl& url = options_.url;
    lws_client_connect_info i;
    std::memset(&i, 0, sizeof i);
    i.context = context_;
    i.address = url.host.c_str();
    i.port = url.port;
    i.path = url.path.c_str();
    i.host = url.host.c_str();
    i.origin = url.host.c_str();
    i.protocol = kSubprotocol;
    i.ssl_connection = url.tls ? LCCSCF_USE_SSL : 0;
    i.pwsi = &wsi_;
    log::debug("connecting to ", url_text_);
    attempting_ = true;
    ++connect_attempts_;
    // On failure lws may or may not have reported CONNECTION_ERROR already;
    // on_disconnected() acts once either way.
    if (!lws_client_connect_via_info(&i)) on_disconnected();
}

void HubLink::on_disconnected() {
    if (!attempting_) return;
    attempting_ = false;
    bool reached_welcome = session_ && session_->welcomed();
    if (session_ && !reached_welcome && !session_->closed_by_hub() && !close_reason_ && !stopping_)
        log::warn("session ended without a welcome from the hub");
    session_.reset();
    wsi_ = nullptr;
    outgoing_.clear();
    assembler_.reset();
    close_reason_.reset();
    welcomed_ = false;
    if (stopping_) return;
    if (reached_welcome) backoff_.reset();
    auto delay = backoff_.next();
    log::info("reconnecting to ", url_text_, " in ", cat(delay.count() / 1000, ".", (delay.count() % 1000) / 100), " s");
    lws_sul_schedule(context_, 0, &timer_.sul, &HubLink::on_timer, static_cast<lws_usec_t>(delay.count()) * 1000);
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

int HubLink::lws_callback(lws* wsi, lws_callback_reasons reason, void*, void* in, size_t len) {
    auto* link = static_cast<HubLink*>(lws_context_user(lws_get_context(wsi)));
    if (!link) return 0;
    try {
        return link->handle(wsi, reason, in, len);
    } catch (const std::exception& e) {
        // Broken infrastructure (a cache write failed): drop the connection
        // and let the reconnect try again, never throw into C.
        log::error("hub session failed: ", e.what());
        if (reason != LWS_CALLBACK_EVENT_WAIT_CANCELLED) return -1;
        // That callback belongs to lws's wake-up pipe, not the connection.
        if (link->wsi_) lws_set_timeout(link->wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return 0;
    }
}

int HubLink::handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
    switch (reason) {
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            log::warn("cannot connect to ", url_text_, ": ", in ? static_cast<const char*>(in) : "connection failed");
            on_disconnected();
            return 0;
        case LWS_CALLBACK_CLIENT_ESTABLISHED: return on_established(wsi);
        case LWS_CALLBACK_CLIENT_RECEIVE: return on_receive(wsi, static_cast<const char*>(in), len);
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
                on_disconnected();
            }
            return 0;
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
            if (poked_.exchange(false) && session_) {
                session_->pump();
                if (!outgoing_.empty() && wsi_) lws_callback_on_writable(wsi_);
            }
            return 0;
        default: return 0;
    }
}

int HubLink::on_established(lws* wsi) {
    wsi_ = wsi;
    outgoing_.clear();
    assembler_.reset();
    close_reason_.reset();
    ++sessions_started_;
    log::info("connected to ", url_text_);
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
    if (!was_welcomed && welcomed_) lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    if (!handled) {
        close_with(wsi, handled.error().message);
        return 0;
    }
    if (session_->closed_by_hub()) return -1;
    if (!outgoing_.empty()) lws_callback_on_writable(wsi);
    return 0;
}

int HubLink::on_writeable(lws* wsi) {
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
