#include "agent/session/link_loop.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "agent/session/hub_link.h"
#include "common/log.h"
#include "common/text.h"
#include "proto/frame.h"

namespace drover::session {

namespace {

// Hub chunks are 64 KiB; one rx buffer holds one, plus envelope overhead.
constexpr size_t kRxBuffer = wire::kChunkSize + 1024;
// Besides the links' sockets: lws's cancel pipe and a spare.
constexpr size_t kSpareFds = 4;

void lws_log_line(int level, const char* line) {
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (level & LLL_ERR)
        log::warn("lws: ", text);
    else
        log::debug("lws: ", text);
}

}  // namespace

int64_t LinkLoop::now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

Result<std::unique_ptr<LinkLoop>> LinkLoop::create(const LoopOptions& options) {
    if (options.tls && options.ca_file.empty()) return fail("a wss:// hub needs --ca");
    std::unique_ptr<LinkLoop> loop(new LinkLoop());
    loop->timer_.owner = loop.get();
    loop->options_ = options;

    static std::once_flag log_once;
    std::call_once(log_once, [] { lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_line); });

    loop->protocols_[0].name = kSubprotocol;
    loop->protocols_[0].callback = &LinkLoop::lws_callback;
    loop->protocols_[0].rx_buffer_size = kRxBuffer;

    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = loop->protocols_;
    info.user = loop.get();
    // Sized for the links, not the process fd limit (lws allocates tables
    // of that size up front), with room for a second socket per link: a
    // connection being torn down while its replacement dials. Past the
    // limit lws fails new connections in ways it does not always report.
    info.fd_limit_per_thread = static_cast<unsigned>(2 * options.max_links + kSpareFds);
    // DO_SSL_GLOBAL_INIT is needed (lws sets up its OpenSSL ex-data index
    // there), and each context's destruction de-initialises OpenSSL for the
    // whole process: with several loops (fleetsim) the later ones' SSL
    // objects are then reported as leaked at exit. Harmless at exit; see
    // tools/fleetsim/lsan.supp.
    // Never the OS CA store: the agent trusts exactly the hub's CA (and
    // skipping the store spares OpenSSL a CA directory scan per handshake).
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    if (options.tls) info.client_ssl_ca_filepath = options.ca_file.c_str();
    loop->context_ = lws_create_context(&info);
    if (!loop->context_)
        return fail(options.tls ? cat("cannot set up the hub connection (is ", options.ca_file,
                                      " a PEM CA certificate?)")
                                : std::string("cannot set up the hub connection"));
    return loop;
}

LinkLoop::~LinkLoop() {
    stopping_ = true;
    if (context_) lws_context_destroy(context_);
}

void LinkLoop::run() {
    schedule(now_ms());
    while (!stopping_)
        if (lws_service(context_, 0) < 0) break;
}

void LinkLoop::stop() {
    stopping_ = true;
    lws_cancel_service(context_);
}

void LinkLoop::add(HubLink* link) { links_.push_back(link); }

void LinkLoop::remove(HubLink* link) {
    std::erase(links_, link);
    std::lock_guard lock(poke_mutex_);
    std::erase(poked_, link);
}

void LinkLoop::poke(HubLink* link) {
    {
        std::lock_guard lock(poke_mutex_);
        // A link is queued once however often it is poked (after a push,
        // thousands of fleetsim agents poke within one pass).
        if (link->poke_queued_) return;
        link->poke_queued_ = true;
        poked_.push_back(link);
    }
    lws_cancel_service(context_);
}

void LinkLoop::post(std::function<void()> fn) {
    {
        std::lock_guard lock(poke_mutex_);
        posted_.push_back(std::move(fn));
    }
    lws_cancel_service(context_);
}

void LinkLoop::drain_pokes() {
    std::vector<HubLink*> work;
    std::vector<std::function<void()>> posted;
    {
        std::lock_guard lock(poke_mutex_);
        work.swap(poked_);
        for (HubLink* link : work) link->poke_queued_ = false;
        posted.swap(posted_);
    }
    for (auto& fn : posted) {
        try {
            fn();
        } catch (const std::exception& e) {
            log::error("posted work failed: ", e.what());
        }
    }
    for (HubLink* link : work) {
        try {
            link->on_poked();
        } catch (const std::exception& e) {
            log::error("hub session failed: ", e.what());
            if (link->wsi_) lws_set_timeout(link->wsi_, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        }
    }
}

void LinkLoop::deadline_changed(int64_t deadline_ms) {
    if (scheduled_for_ == 0 || deadline_ms < scheduled_for_) schedule(deadline_ms);
}

bool LinkLoop::use_client_certificate(const std::string& certificate_der, const std::string& key_der) {
    if (!options_.tls || options_.max_links != 1) return false;
    client_certificate_ = certificate_der;
    client_key_ = key_der;
    auto set = [this](lws_system_blob_item_t type, const std::string& der) {
        lws_system_blob_direct_set(lws_system_get_blob(context_, type, 0),
                                   reinterpret_cast<const uint8_t*>(der.data()), der.size());
    };
    set(LWS_SYSBLOB_TYPE_CLIENT_CERT_DER, client_certificate_);
    set(LWS_SYSBLOB_TYPE_CLIENT_KEY_DER, client_key_);
    return true;
}

void LinkLoop::schedule(int64_t deadline_ms) {
    int64_t now = now_ms();
    deadline_ms = std::max(deadline_ms, now);
    scheduled_for_ = deadline_ms;
    lws_sul_schedule(context_, 0, &timer_.sul, &LinkLoop::on_tick,
                     static_cast<lws_usec_t>(deadline_ms - now) * 1000);
}

void LinkLoop::on_tick(lws_sorted_usec_list_t* sul) {
    // sul is the first member of Timer, a standard-layout struct.
    reinterpret_cast<Timer*>(sul)->owner->tick();
}

void LinkLoop::tick() {
    scheduled_for_ = 0;
    if (stopping_) return;
    int64_t now = now_ms();
    int64_t next = now + 60'000;
    // A link's tick may connect, and a failed connect may call back into
    // this loop; iterate over a copy.
    auto links = links_;
    for (HubLink* link : links) {
        try {
            next = std::min(next, link->tick(now));
        } catch (const std::exception& e) {
            log::error("hub link ", link->name(), " failed: ", e.what());
        }
    }
    schedule(std::max(next, now + kTickFloor.count()));
}

int LinkLoop::lws_callback(lws* wsi, lws_callback_reasons reason, void*, void* in, size_t len) {
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        auto* loop = static_cast<LinkLoop*>(lws_context_user(lws_get_context(wsi)));
        if (loop) loop->drain_pokes();
        return 0;
    }
    auto* link = static_cast<HubLink*>(lws_get_opaque_user_data(wsi));
    if (!link) return 0;
    try {
        return link->handle(wsi, reason, in, len);
    } catch (const std::exception& e) {
        // Broken infrastructure (a cache write failed): drop the connection
        // and let the reconnect try again, never throw into C.
        log::error("hub session failed: ", e.what());
        return -1;
    }
}

}  // namespace drover::session
