#pragma once
// A Transport that keeps what a session sends, for tests and fuzz targets
// (no test framework needed).
#include <optional>
#include <string>
#include <vector>

#include "hub/server/transport.h"
#include "proto/frame.h"

namespace drover::hub::testing {

class MemoryTransport final : public Transport {
public:
    std::vector<std::string> frames;  // everything sent, in order
    size_t undrained = 0;             // what queued() reports
    std::optional<std::string> closed;
    std::string address;           // what peer_address() reports
    std::optional<PeerCertificate> certificate;  // what peer_certificate() reports

    void send(std::string frame) override {
        if (closed) return;
        frames.push_back(std::move(frame));
        ++undrained;
    }
    size_t queued() const override { return undrained; }
    void close(const std::string& reason) override { closed = reason; }
    std::string peer_address() const override { return address; }
    std::optional<PeerCertificate> peer_certificate() const override { return certificate; }

    std::vector<v1::Envelope> take() {
        std::vector<v1::Envelope> out;
        for (auto& f : frames) out.push_back(*wire::decode(f));
        frames.clear();
        undrained = 0;
        return out;
    }
};

}  // namespace drover::hub::testing
