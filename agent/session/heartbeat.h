#pragma once
// Liveness of one hub link, decided from the agent's side with a clock the
// caller passes in (unit tests drive it by hand).
//
// The agent pings (a websocket ping with a one-byte payload) only when the
// link has been quiet for `interval`: a busy link proves itself. Anything
// received, a frame or the hub's pong, proves the hub is there. Nothing
// received for `idle_timeout` means the link is dead even if TCP never said
// so — the hub vanished without a FIN, a NAT dropped the mapping, a proxy
// stalls — and the agent hangs up and reconnects.
//
// Cost on an idle link: one ping and one pong per interval, about 55 bytes
// over TLS 1.3, so the 60 s default stays under 100 B/min.
#include <chrono>
#include <cstdint>

namespace drover::session {

class Heartbeat {
public:
    enum class Action { none, ping, hang_up };

    Heartbeat(std::chrono::milliseconds interval, std::chrono::milliseconds idle_timeout);

    // A connection was established at now.
    void start(int64_t now_ms);
    // Bytes arrived from the hub.
    void received(int64_t now_ms);
    // The hub asked for pings at most this far apart (Welcome.heartbeat_ms);
    // the shorter of the two wins, and the idle timeout stays above two
    // intervals so one lost pong is not fatal.
    void limit_interval(std::chrono::milliseconds interval);
    // What is due at now. A returned ping counts as sent.
    Action due(int64_t now_ms);
    // The next time due() may return something other than none.
    int64_t next_deadline() const;

    std::chrono::milliseconds interval() const { return interval_; }
    std::chrono::milliseconds idle_timeout() const { return idle_timeout_; }

private:
    std::chrono::milliseconds interval_, idle_timeout_;
    int64_t last_received_ = 0;
    int64_t last_ping_ = 0;
};

}  // namespace drover::session
