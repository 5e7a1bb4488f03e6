#pragma once
// A websocket server speaking the hub's side of the link, for HubLink tests
// over real sockets: libwebsockets on 127.0.0.1 with a kernel-chosen port,
// its own service thread, optional TLS. A handler (run on the server
// thread) answers each decoded frame from the agent.
#include <libwebsockets.h>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drover.pb.h"

namespace drover::testing {

struct HubReply {
    std::vector<std::string> frames;  // encoded, sent in order
    bool close = false;               // hang up after sending them
};

class FakeHubServer {
public:
    using Handler = std::function<HubReply(const v1::Envelope& frame)>;
    struct Tls {
        std::string cert_file, key_file;
    };

    explicit FakeHubServer(Handler handler, std::optional<Tls> tls = std::nullopt);
    ~FakeHubServer();
    FakeHubServer(const FakeHubServer&) = delete;
    FakeHubServer& operator=(const FakeHubServer&) = delete;

    int port() const { return port_; }
    // Any thread.
    std::vector<v1::Envelope> received();
    int connections() const { return connections_; }
    // Any thread: closes every open connection.
    void drop_connections();
    // Any thread: sends raw bytes as one binary message on every connection.
    void broadcast(std::string bytes);

private:
    static int callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
    int handle(lws* wsi, lws_callback_reasons reason, void* in, size_t len);

    struct Conn {
        std::string rx;
        std::deque<std::string> out;  // LWS_PRE + payload
        bool close = false;
    };

    Handler handler_;
    lws_context* context_ = nullptr;
    lws_protocols protocols_[2]{};
    int port_ = 0;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connections_{0};
    std::map<lws*, Conn> conns_;  // server thread only

    std::mutex mutex_;
    std::vector<v1::Envelope> received_;
    bool drop_requested_ = false;
    std::vector<std::string> to_broadcast_;
};

}  // namespace drover::testing
