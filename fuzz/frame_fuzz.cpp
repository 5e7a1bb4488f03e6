// Fuzz target: the frame decoder and the hub's agent session state machine.
//
// The whole input is first decoded as one frame. It is then read as a script
// of steps, each [op][length: 2 bytes, big-endian][length bytes], run
// against a fresh hub (fuzz_hub.h: seeds register with
// kRegistrationToken):
//   op % 6 == 0  the bytes arrive as one frame on the current session
//             1  the transport drains (lets streamed content continue)
//             2  the fleet stores queued statuses and acks them
//             3  an operator sets (first byte odd: role=gw, even:
//                role=sensor) or removes (no bytes) the role label of the
//                agent of the last Welcome, as the API does
//             4  the session closes; a new one says Hello with the agent id
//                and credential of the last Welcome, the bytes as its
//                desired hash
//             5  a second connection opens (an agent may replace itself)
// Beyond "no crash, no leak, no UB" it checks that every frame the hub
// sends decodes, and that a decoded frame decodes again once re-encoded.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz/fuzz_hub.h"

using namespace drover;

namespace {

constexpr size_t kMaxSteps = 256;

struct Link {
    fuzz::MemoryTransport transport;
    std::unique_ptr<hub::AgentSession> session;
};

struct Identity {
    std::string agent_id, credential;
};

// Every frame the hub sent must decode; Welcome credentials are remembered.
void check_sent(fuzz::MemoryTransport& t, Identity& identity) {
    for (const auto& frame : t.frames) {
        auto env = wire::decode(frame);
        if (!env) fuzz::fail_run("the hub sent a frame that does not decode: " + env.error().message);
        if (env->has_welcome() && !env->welcome().credential().empty())
            identity = {env->welcome().agent_id(), env->welcome().credential()};
    }
    t.frames.clear();
}

std::unique_ptr<Link> open_link(fuzz::FuzzHub& hub) {
    auto link = std::make_unique<Link>();
    link->session = std::make_unique<hub::AgentSession>(*hub.fleet, link->transport);
    return link;
}

void close_link(std::unique_ptr<Link>& link) {
    if (!link) return;
    link->session->on_closed();
    link.reset();
}

std::string credential_hello(const Identity& identity, std::string_view desired_hash) {
    v1::Envelope env;
    auto* h = env.mutable_hello();
    h->set_protocol(wire::kProtocolVersion);
    h->set_name("edge");
    h->set_agent_id(identity.agent_id);
    h->set_credential(identity.credential);
    h->set_desired_hash(std::string(desired_hash));
    (*h->mutable_labels())["role"] = "gw";
    return wire::encode(env);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto env = wire::decode(input)) {
        if (!wire::decode(wire::encode(*env))) fuzz::fail_run("a decoded frame does not decode once re-encoded");
    }
    (void)wire::decode(input, 64);  // the size limit refuses before parsing

    fuzz::FuzzHub hub;
    Identity identity;
    std::unique_ptr<Link> link = open_link(hub);
    std::unique_ptr<Link> second;
    for (size_t step = 0; step < kMaxSteps && input.size() >= 3; ++step) {
        uint8_t op = static_cast<uint8_t>(input[0]) % 6;
        size_t len = (static_cast<uint8_t>(input[1]) << 8) | static_cast<uint8_t>(input[2]);
        input.remove_prefix(3);
        std::string_view bytes = input.substr(0, len);
        input.remove_prefix(bytes.size());
        // The server stops reading a connection it closed and then reports it gone.
        if (link->transport.closed && op <= 1) continue;
        switch (op) {
        case 0: link->session->on_frame(bytes); break;
        case 1:
            link->transport.undrained = 0;
            link->session->on_drained();
            break;
        case 2: hub.fleet->flush_queued(); break;
        case 3:
            // As PATCH /api/v1/agents/NAME/labels does: store, then refresh.
            if (!identity.agent_id.empty()) {
                std::optional<std::string> role;
                if (!bytes.empty()) role = bytes[0] % 2 ? "gw" : "sensor";
                hub.fleet->relabel(identity.agent_id, {{"role", role}});
            }
            break;
        case 4:
            close_link(link);
            link = open_link(hub);
            if (!identity.agent_id.empty()) link->session->on_frame(credential_hello(identity, bytes));
            break;
        case 5:
            // The older link stays open until the fleet replaces it.
            close_link(second);
            second = std::move(link);
            link = open_link(hub);
            break;
        }
        check_sent(link->transport, identity);
        if (second) check_sent(second->transport, identity);
    }
    hub.fleet->flush_queued();
    close_link(second);
    close_link(link);
    return 0;
}
