#include "agent/tests/session/fake_hub_server.h"

#include <cstring>
#include <stdexcept>

#include "proto/frame.h"

namespace drover::testing {

static std::string with_headroom(const std::string& payload) { return std::string(LWS_PRE, '\0') + payload; }

FakeHubServer::FakeHubServer(Handler handler, std::optional<Tls> tls) : handler_(std::move(handler)) {
    lws_set_log_level(LLL_ERR | LLL_WARN, nullptr);
    protocols_[0].name = "drover.v1";
    protocols_[0].callback = &FakeHubServer::callback;
    protocols_[0].rx_buffer_size = 4096;
    lws_context_creation_info info;
    std::memset(&info, 0, sizeof info);
    info.port = 0;  // the kernel picks
    info.iface = "127.0.0.1";
    info.protocols = protocols_;
    info.user = this;
    info.fd_limit_per_thread = 64;
    // No OS CA store: the fake hub verifies no peers, and lws 4.1 does not
    // free the store it loads for a vhost (seen as a leak under ASan).
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    if (tls) {
        info.ssl_cert_filepath = tls->cert_file.c_str();
        info.ssl_private_key_filepath = tls->key_file.c_str();
    }
    context_ = lws_create_context(&info);
    if (!context_) throw std::runtime_error("fake hub: lws_create_context failed");
    port_ = lws_get_vhost_listen_port(lws_get_vhost_by_name(context_, "default"));
    thread_ = std::thread([this] {
        while (!stopping_)
            if (lws_service(context_, 0) < 0) break;
        // Destroyed on the thread that serviced it, as lws expects.
        lws_context_destroy(context_);
    });
}

FakeHubServer::~FakeHubServer() {
    stopping_ = true;
    lws_cancel_service(context_);
    thread_.join();
}

std::vector<v1::Envelope> FakeHubServer::received() {
    std::lock_guard lock(mutex_);
    return received_;
}

void FakeHubServer::drop_connections() {
    {
        std::lock_guard lock(mutex_);
        drop_requested_ = true;
    }
    lws_cancel_service(context_);
}

void FakeHubServer::broadcast(std::string bytes) {
    {
        std::lock_guard lock(mutex_);
        to_broadcast_.push_back(std::move(bytes));
    }
    lws_cancel_service(context_);
}

int FakeHubServer::callback(lws* wsi, lws_callback_reasons reason, void*, void* in, size_t len) {
    auto* self = static_cast<FakeHubServer*>(lws_context_user(lws_get_context(wsi)));
    return self ? self->handle(wsi, reason, in, len) : 0;
}

int FakeHubServer::handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len) {
    switch (reason) {
        case LWS_CALLBACK_ESTABLISHED:
            conns_[wsi] = Conn{};
            ++connections_;
            return 0;
        case LWS_CALLBACK_CLOSED: conns_.erase(wsi); return 0;
        case LWS_CALLBACK_RECEIVE: {
            auto it = conns_.find(wsi);
            if (it == conns_.end()) return -1;
            Conn& c = it->second;
            c.rx.append(static_cast<const char*>(in), len);
            if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) return 0;
            auto env = wire::decode(c.rx);
            c.rx.clear();
            if (!env) return -1;
            {
                std::lock_guard lock(mutex_);
                received_.push_back(*env);
            }
            HubReply reply = handler_(*env);
            for (auto& f : reply.frames) c.out.push_back(with_headroom(f));
            c.close = c.close || reply.close;
            lws_callback_on_writable(wsi);
            return 0;
        }
        case LWS_CALLBACK_SERVER_WRITEABLE: {
            auto it = conns_.find(wsi);
            if (it == conns_.end()) return -1;
            Conn& c = it->second;
            if (!c.out.empty()) {
                std::string& f = c.out.front();
                size_t n = f.size() - LWS_PRE;
                int w = lws_write(wsi, reinterpret_cast<unsigned char*>(f.data()) + LWS_PRE, n, LWS_WRITE_BINARY);
                c.out.pop_front();
                if (w < static_cast<int>(n)) return -1;
                if (!c.out.empty() || c.close) lws_callback_on_writable(wsi);
                return 0;
            }
            if (c.close) {
                lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, nullptr, 0);
                return -1;
            }
            return 0;
        }
        case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
            std::lock_guard lock(mutex_);
            for (auto& [w, c] : conns_) {
                for (auto& b : to_broadcast_) c.out.push_back(with_headroom(b));
                if (drop_requested_) c.close = true;
                if (!to_broadcast_.empty() || drop_requested_) lws_callback_on_writable(w);
            }
            to_broadcast_.clear();
            drop_requested_ = false;
            return 0;
        }
        default: return 0;
    }
}

}  // namespace drover::testing
