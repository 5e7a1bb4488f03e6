#include <doctest/doctest.h>

#include "common/deflate.h"

using namespace drover;

TEST_CASE("deflate round-trips and inflate enforces its output limit") {
    std::string data(100000, 'a');
    auto packed = deflate_bytes(data);
    CHECK(packed.size() < 1000);
    CHECK(inflate_bytes(packed, 200000).value() == data);
    CHECK_FALSE(inflate_bytes(packed, 99999));
    CHECK_FALSE(inflate_bytes(packed.substr(0, packed.size() / 2), 200000));
    CHECK_FALSE(inflate_bytes("not zlib", 100));
}
