#pragma once
// A blocking HTTPS/1.1 server over OpenSSL: one thread per connection,
// keep-alive, optional client certificates. Chosen over libwebsockets for the
// test server because every request is handled to completion on its own
// thread (a handler may sleep to simulate a slow API server, a watch may
// stream for minutes) without an event loop to keep responsive; test traffic
// is a few connections, not thousands.
//
// Client certificates are requested, not required: a certificate that does
// not chain to the client CA fails the handshake (as kube-apiserver does); no
// certificate leaves authentication to the handler (bearer tokens).
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/error.h"
#include "tools/kube-testserver/http_message.h"
#include "tools/kube-testserver/openssl_handles.h"

namespace drover::kts {

struct TlsIdentity {
    std::string cert_pem, key_pem;
    // Client certificates signed by this CA are accepted; empty: none asked.
    std::string client_ca_pem;
};

struct Peer {
    // CN of a verified client certificate; empty when none was presented.
    std::string client_common_name;
};

using RequestHandler = std::function<HttpResponse(const HttpRequest&, const Peer&)>;

class TlsServer {
public:
    // Binds host:port (port 0: the kernel picks) and loads the identity.
    // Ignores SIGPIPE for the whole process: peers vanish mid-write.
    static Result<std::unique_ptr<TlsServer>> open(const std::string& host, uint16_t port, const TlsIdentity& identity,
                                                   RequestHandler handler);
    ~TlsServer();
    TlsServer(const TlsServer&) = delete;
    TlsServer& operator=(const TlsServer&) = delete;

    uint16_t port() const { return port_; }
    // Accepts until stop(); then runs the stop hook, cuts open connections
    // and waits for their threads before returning.
    void run();
    // Async-signal-safe and thread-safe.
    void stop();
    // Called by run() once it stops accepting, before waiting for
    // connections: wakes handlers that wait on something else (watches).
    void set_stop_hook(std::function<void()> hook) { stop_hook_ = std::move(hook); }

private:
    TlsServer() = default;
    void serve(int fd);

    SslCtxPtr ctx_;
    RequestHandler handler_;
    std::function<void()> stop_hook_;
    int listen_fd_ = -1;
    int wake_pipe_[2] = {-1, -1};
    uint16_t port_ = 0;

    std::mutex mutex_;
    std::condition_variable idle_;
    std::set<int> open_fds_;
    int active_ = 0;
    bool stopping_ = false;
};

}  // namespace drover::kts
