#pragma once
// What an AgentSession needs from the connection under it. The lws server
// implements it over websockets; tests implement it in memory.
#include <cstddef>
#include <string>

namespace drover::hub {

class Transport {
public:
    virtual ~Transport() = default;
    // Queue one binary frame. Never blocks.
    virtual void send(std::string frame) = 0;
    // Frames queued and not yet written to the socket.
    virtual size_t queued() const = 0;
    // Send what is queued, then close. No further frames are accepted.
    virtual void close(const std::string& reason) = 0;
    // The peer's IP address, for per-address limits; "" when unknown (all
    // unknown peers then share one limit).
    virtual std::string peer_address() const { return {}; }
    // The subject CN of the client certificate the peer presented and the
    // TLS layer verified against the hub's CA (hub --client-certs); "" when
    // it presented none.
    virtual std::string peer_certificate_name() const { return {}; }
};

}  // namespace drover::hub
