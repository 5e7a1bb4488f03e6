#include "hub/git/pkt_line.h"

#include <cstdio>

#include "common/text.h"

namespace drover::git {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

Result<std::optional<Pkt>> read_pkt(std::string_view& in) {
    if (in.size() < 4) return std::optional<Pkt>{};
    size_t length = 0;
    for (int i = 0; i < 4; ++i) {
        int v = hex_value(in[static_cast<size_t>(i)]);
        if (v < 0) return fail(cat("pkt-line length ", quoted(utf8_prefix(in.substr(0, 4), 4)), " is not hexadecimal"));
        length = length * 16 + static_cast<size_t>(v);
    }
    Pkt p;
    switch (length) {
        case 0: p.kind = PktKind::flush; break;
        case 1: p.kind = PktKind::delim; break;
        case 2: p.kind = PktKind::response_end; break;
        case 3: return fail("pkt-line length 0003 is invalid");
        default:
            if (length > kMaxPktLength)
                return fail(cat("pkt-line length ", length, " exceeds the limit of ", kMaxPktLength));
            if (in.size() < length) return std::optional<Pkt>{};
            p.payload = in.substr(4, length - 4);
            in.remove_prefix(length);
            return std::optional<Pkt>{p};
    }
    in.remove_prefix(4);
    return std::optional<Pkt>{p};
}

std::string pkt(std::string_view payload) {
    char head[5];
    std::snprintf(head, sizeof head, "%04zx", payload.size() + 4);
    std::string out(head, 4);
    out += payload;
    return out;
}

std::string sideband(int band, std::string_view data) {
    std::string out;
    do {
        std::string_view part = data.substr(0, kMaxSidebandData);
        data.remove_prefix(part.size());
        std::string payload(1, static_cast<char>(band));
        payload += part;
        out += pkt(payload);
    } while (!data.empty());
    return out;
}

}  // namespace drover::git
