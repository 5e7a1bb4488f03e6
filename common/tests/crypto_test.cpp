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

TEST_CASE("hmac_sha256 matches the RFC 4231 test vectors, keys longer than a block included") {
    CHECK(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hex_encode(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    CHECK(hmac_sha256("key", "data").size() == kDigestSize);
    CHECK(hmac_sha256("key", "data") != hmac_sha256("key", "datA"));
}
