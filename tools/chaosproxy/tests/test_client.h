#pragma once
// A loopback TCP client for the integration tests. Every wait is a poll()
// with a deadline; nothing sleeps to synchronise.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "tools/chaosproxy/unique_fd.h"

namespace drover::chaosproxy::testing {

using std::chrono::milliseconds;

class TestClient {
public:
    // Connects to 127.0.0.1:port; throws std::runtime_error when it cannot.
    explicit TestClient(uint16_t port);

    int fd() const { return fd_.get(); }

    // Sends all of data within timeout (throws if the peer is gone or slow).
    void send(std::string_view data, milliseconds timeout = milliseconds(10'000));
    // Reads until n bytes have arrived, the peer closes, or timeout passes;
    // returns what arrived.
    std::string receive(size_t n, milliseconds timeout);
    // Whatever arrives first within timeout (empty: nothing, or closed).
    std::string receive_some(milliseconds timeout);
    // Sends data while reading what comes back; returns what came back
    // (all of data's length, unless the link broke or timeout passed).
    std::string exchange(std::string_view data, milliseconds timeout);

    enum class Event { data, closed, quiet };
    // What happens first within timeout: bytes arrive, the connection is
    // closed (EOF or reset), or neither. Consumes nothing.
    Event wait(milliseconds timeout);
    // Sends until the socket stays unwritable for stuck_for; returns the
    // bytes sent. Stops at limit.
    size_t send_until_stuck(milliseconds stuck_for, size_t limit);
    void shutdown_write();

private:
    UniqueFd fd_;
};

// Polls pred every 10 ms until it holds or timeout passes.
bool wait_until(const std::function<bool()>& pred, milliseconds timeout = milliseconds(10'000));

}  // namespace drover::chaosproxy::testing
