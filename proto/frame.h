#pragma once
// One protobuf Envelope per websocket binary frame. Frames from the network
// are untrusted: decode() checks the size before parsing, checks the parse
// result and refuses envelopes with no message set.
#include <string>
#include <string_view>

#include "common/error.h"
#include "drover.pb.h"

namespace drover::wire {

// Largest frame either side accepts by default. Content travels in chunks of
// kChunkSize, so no legitimate frame comes near it.
constexpr size_t kMaxFrame = 1 << 20;
constexpr size_t kChunkSize = 64 * 1024;
// 2: the desired-set hash covers the signing key; Credential and
// CredentialStored. A hub refuses a Hello of another version, naming both.
constexpr uint32_t kProtocolVersion = 2;

std::string encode(const v1::Envelope& envelope);
Result<v1::Envelope> decode(std::string_view bytes, size_t max_frame = kMaxFrame);
// "hello", "chunk", ...: for logs and close reasons.
const char* message_name(const v1::Envelope& envelope);

}  // namespace drover::wire
