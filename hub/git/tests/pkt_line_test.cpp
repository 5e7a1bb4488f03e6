#include <doctest/doctest.h>

#include "hub/git/pkt_line.h"

using namespace drover;
using namespace drover::git;

namespace {
std::string error_of(std::string bytes) {
    std::string_view in = bytes;
    auto r = read_pkt(in);
    REQUIRE_FALSE(r);
    return r.error().message;
}
}  // namespace

TEST_CASE("pkt-lines round-trip, with flush, delimiter and response-end packets") {
    std::string wire = pkt("want abc\n") + std::string(kFlushPkt) + "0001" + "0002" + pkt("");
    std::string_view in = wire;
    auto a = read_pkt(in);
    REQUIRE(a);
    REQUIRE(*a);
    CHECK((*a)->kind == PktKind::data);
    CHECK((*a)->payload == "want abc\n");
    CHECK((*read_pkt(in))->kind == PktKind::flush);
    CHECK((*read_pkt(in))->kind == PktKind::delim);
    CHECK((*read_pkt(in))->kind == PktKind::response_end);
    auto empty = read_pkt(in);
    CHECK((*empty)->kind == PktKind::data);
    CHECK((*empty)->payload.empty());
    CHECK(in.empty());
    CHECK(pkt("a") == "0005a");
}

TEST_CASE("a partial packet asks for more bytes and consumes nothing") {
    std::string wire = pkt("0123456789");
    for (size_t cut = 0; cut < wire.size(); ++cut) {
        std::string_view in = std::string_view(wire).substr(0, cut);
        auto r = read_pkt(in);
        REQUIRE(r);
        CHECK_FALSE(*r);
        CHECK(in.size() == cut);
    }
}

TEST_CASE("malformed pkt-lines are refused with what is wrong") {
    CHECK(error_of("00zzdata") == "pkt-line length \"00zz\" is not hexadecimal");
    CHECK(error_of("0003") == "pkt-line length 0003 is invalid");
    CHECK(error_of("fff1" + std::string(10, 'x')) == "pkt-line length 65521 exceeds the limit of 65520");
    CHECK(error_of(std::string("\xff\xfe\x00\x01", 4)).find("is not hexadecimal") != std::string::npos);
    // The limit itself is fine (and only read once all of it is there).
    std::string max = "fff0" + std::string(kMaxPktLength - 4, 'x');
    std::string_view in = max;
    auto r = read_pkt(in);
    REQUIRE(r);
    CHECK((*r)->payload.size() == kMaxPktLength - 4);
}

TEST_CASE("side-band data is split into packets of at most 65520 bytes on its band") {
    std::string data(2 * kMaxSidebandData + 10, 'p');
    std::string wire = sideband(1, data);
    std::string_view in = wire;
    std::string joined;
    int packets = 0;
    while (!in.empty()) {
        auto r = read_pkt(in);
        REQUIRE(r);
        REQUIRE(*r);
        REQUIRE((*r)->payload.size() <= kMaxPktLength - 4);
        CHECK((*r)->payload[0] == '\1');
        joined += (*r)->payload.substr(1);
        ++packets;
    }
    CHECK(packets == 3);
    CHECK(joined == data);
    CHECK(sideband(2, "") == "0005\2");
}
