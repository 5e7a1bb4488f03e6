#pragma once
// git's pkt-line framing (git Documentation/technical/protocol-common.txt),
// the unit of the smart-HTTP protocol: four hex digits giving the length of
// the whole packet including themselves, then the payload. "0000" is a
// flush, "0001" a delimiter and "0002" a response end (protocol v2); a
// packet is at most kMaxPktLength bytes.
//
// Request bodies come from the network: read_pkt never reads past its input,
// never allocates, and names what is wrong with a malformed packet.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::git {

constexpr size_t kMaxPktLength = 65520;
// side-band-64k: one band byte per packet, so this much data each.
constexpr size_t kMaxSidebandData = kMaxPktLength - 4 - 1;

enum class PktKind { data, flush, delim, response_end };

struct Pkt {
    PktKind kind = PktKind::data;
    std::string_view payload;  // data packets only; points into the input
};

// Takes one packet off the front of `in`. nullopt: `in` holds only part of
// a packet (it is left as it was; read again with more bytes).
Result<std::optional<Pkt>> read_pkt(std::string_view& in);

// A data packet. The payload must fit (kMaxPktLength - 4 bytes).
std::string pkt(std::string_view payload);
inline constexpr std::string_view kFlushPkt = "0000";

// `data` on side-band channel `band` (1 pack data, 2 progress, 3 fatal
// error), split into as many packets as it needs.
std::string sideband(int band, std::string_view data);

}  // namespace drover::git
