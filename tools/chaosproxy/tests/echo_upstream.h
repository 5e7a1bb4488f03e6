#pragma once
// A loopback TCP server on its own thread that echoes every byte back, for
// any number of connections. It buffers at most 1 MiB per connection
// (then stops reading: real backpressure), and on the client's FIN it sends
// what is left, then closes.
#include <atomic>
#include <cstdint>
#include <thread>

#include "tools/chaosproxy/unique_fd.h"

namespace drover::chaosproxy::testing {

class EchoUpstream {
public:
    EchoUpstream();  // throws std::runtime_error when it cannot listen
    ~EchoUpstream();
    EchoUpstream(const EchoUpstream&) = delete;
    EchoUpstream& operator=(const EchoUpstream&) = delete;

    uint16_t port() const { return port_; }
    uint64_t accepted() const { return accepted_.load(); }

private:
    void run();

    UniqueFd listener_;
    UniqueFd epoll_;
    UniqueFd wake_;
    uint16_t port_ = 0;
    std::atomic<uint64_t> accepted_{0};
    std::thread thread_;
};

}  // namespace drover::chaosproxy::testing
