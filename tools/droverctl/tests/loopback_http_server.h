#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 for droverctl's tests: one thread, one
// request per connection (it answers "Connection: close"), a handler that
// maps each request to a canned reply, and a log of what it received. Not a
// general server: no chunked bodies, no keep-alive, bodies up to 1 MiB.
// A streamed reply (server-sent events) has no Content-Length: its chunks
// are written one send() each, then the connection stays open for hold_ms
// (or until the client goes) before it is closed.
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace drover::ctl::testing {

struct RecordedRequest {
    std::string method, path, authorization, content_type, accept, last_event_id, body;
};

struct CannedReply {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    bool streamed = false;            // body ignored; chunks sent one by one
    std::vector<std::string> chunks;
    int hold_ms = 0;                  // keep a streamed reply open this long
};

class LoopbackHttpServer {
public:
    using Handler = std::function<CannedReply(const RecordedRequest&)>;
    explicit LoopbackHttpServer(Handler handler);
    ~LoopbackHttpServer();  // stops the thread and closes the socket
    LoopbackHttpServer(const LoopbackHttpServer&) = delete;
    LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<RecordedRequest> requests() const;

private:
    void serve();
    void handle(int fd);
    void stream(int fd, const CannedReply& reply);

    Handler handler_;
    int listen_fd_ = -1;
    int stop_pipe_[2] = {-1, -1};
    int port_ = 0;
    mutable std::mutex mutex_;
    std::vector<RecordedRequest> requests_;
    std::thread thread_;
};

// A port on 127.0.0.1 where nothing listens: the socket is bound (so no one
// else gets the port) but never listen()s, so connecting is refused.
class RefusingPort {
public:
    RefusingPort();
    ~RefusingPort();
    RefusingPort(const RefusingPort&) = delete;
    RefusingPort& operator=(const RefusingPort&) = delete;
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

// A port that completes TCP handshakes (the kernel's backlog) but never
// answers: a hung hub.
class SilentPort {
public:
    SilentPort();
    ~SilentPort();
    SilentPort(const SilentPort&) = delete;
    SilentPort& operator=(const SilentPort&) = delete;
    int port() const { return port_; }

private:
    int fd_ = -1;
    int port_ = 0;
};

}  // namespace drover::ctl::testing
