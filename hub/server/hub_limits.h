#pragma once
// Every bound the hub puts on what agents, API clients and pushed
// repositories may make it do, with safe defaults. Operators change them with
// `drover-hub serve --limit NAME=VALUE` (repeatable); `drover-hub limits`
// lists them. A refusal caused by one names it, so the operator knows what
// to raise.
//
// Not configurable: label syntax (Kubernetes: 63-character names and
// values, 253-character prefixes), which agents and kubectl share.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "hub/render/render_limits.h"

namespace drover::hub {

// What one agent session may send (see AgentSession).
struct SessionLimits {
    size_t max_labels = 64;
    size_t max_facts = 32;
    size_t max_fact_bytes = 256;
    size_t max_message_bytes = 4096;  // status messages are truncated beyond
    size_t chunks_in_flight = 4;
    // Fetches and statuses held while the hub starts: frames and bytes (a
    // status may carry up to a frame of message before it is truncated).
    size_t max_held_frames = 256;
    size_t max_held_bytes = 256 * 1024;
    uint64_t heartbeat_ms = 60'000;  // asked of agents in Welcome (a third of --idle-timeout)
};

struct HubLimits {
    SessionLimits session;
    render::Limits render;
    size_t frame_bytes = 1 << 20;  // one websocket frame from an agent (at most wire::kMaxFrame)
    size_t request_body_bytes = 64 * 1024;
    size_t webhook_body_bytes = 4 << 20;
    size_t operator_labels = 64;  // labels set on one agent through the API
    // Registration attempts (Hellos carrying a registration token) per
    // source address per minute, with bursts of as many; 0: no limit.
    size_t registrations_per_minute = 60;
};

// Set one limit from "NAME=VALUE". Byte limits take a plain number or a
// KiB/MiB/GiB suffix. A value outside the limit's range is refused with the
// range, an unknown name with the list of names.
Result<void> set_limit(HubLimits& limits, std::string_view assignment);

struct LimitDescription {
    std::string name;
    std::string value;  // as the operator would write it (1MiB, 64)
    std::string meaning;
};
// Every limit with its value in `limits`, in a stable order.
std::vector<LimitDescription> describe_limits(const HubLimits& limits);

}  // namespace drover::hub
