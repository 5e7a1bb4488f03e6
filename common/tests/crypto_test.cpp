#include <doctest/doctest.h>

#include "common/crypto.h"
#include "common/text.h"

using namespace drover;

TEST_CASE("sha256 of known input") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha256 over pieces equals sha256 of the whole, and starts over after finish") {
    std::string data;
    for (int i = 0; i < 10000; ++i) data += std::to_string(i);
    Sha256 hash;
    for (size_t at = 0; at < data.size(); at += 1000) hash.update(std::string_view(data).substr(at, 1000));
    CHECK(hash.finish() == sha256(data));
    hash.update("abc");
    CHECK(hex_encode(hash.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
