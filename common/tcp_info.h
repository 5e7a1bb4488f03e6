#pragma once
// What the kernel knows about one TCP connection (Linux TCP_INFO): bytes on
// the wire (TCP payload, so TLS records included) and how long ago data last
// arrived. The hub's idle sweep and fleetsim's byte counts use it; it costs
// one getsockopt and no bytes.
#include <cstdint>
#include <optional>

namespace drover {

struct TcpCounters {
    uint64_t bytes_sent = 0;      // acknowledged by the peer
    uint64_t bytes_received = 0;
    uint32_t ms_since_data_received = 0;
};

// nullopt when fd is not a TCP socket.
std::optional<TcpCounters> tcp_counters(int fd);

}  // namespace drover
