#pragma once
// What an AgentSession needs from the connection under it. The lws server
// implements it over websockets; tests implement it in memory.
#include <cstddef>
#include <optional>
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
    // The client certificate the peer presented and the TLS layer verified
    // against the hub's CA (hub --client-certs); nullopt when it presented none.
    struct PeerCertificate {
        std::string common_name;
        std::string key_sha256;  // hex SHA-256 of its SubjectPublicKeyInfo (DER)
    };
    virtual std::optional<PeerCertificate> peer_certificate() const { return std::nullopt; }
};

}  // namespace drover::hub
