#include <doctest/doctest.h>

#include "common/crypto.h"
#include "proto/desired_set.h"
#include "proto/spec_signature.h"

using namespace drover;

namespace {
const std::string kKey = sha256("signing key");
}

TEST_CASE("desired-set hash ignores order and sees every field") {
    DesiredEntry a{"web", "r1", sha256("a")}, b{"db", "r1", sha256("b")};
    auto h = desired_set_hash({a, b}, kKey);
    CHECK(h.size() == 32);
    CHECK(h == desired_set_hash({b, a}, kKey));
    CHECK(h != desired_set_hash({a}, kKey));
    CHECK(h != desired_set_hash({a, DesiredEntry{"db", "r2", sha256("b")}}, kKey));
    CHECK(h != desired_set_hash({a, DesiredEntry{"db", "r1", sha256("c")}}, kKey));
    CHECK(desired_set_hash({}, kKey) == desired_set_hash({}, kKey));
    // Field boundaries matter: ("ab","c") differs from ("a","bc").
    CHECK(desired_set_hash({{"ab", "c", ""}}, kKey) != desired_set_hash({{"a", "bc", ""}}, kKey));
}

TEST_CASE("desired-set hash changes with the signing key, the empty set's too") {
    auto old_key = VerifyKey::from_pem(SigningKey::from_pem(generate_p256_key_pem())->public_pem());
    auto new_key = VerifyKey::from_pem(SigningKey::from_pem(generate_p256_key_pem())->public_pem());
    REQUIRE(old_key);
    REQUIRE(new_key);
    REQUIRE(old_key->fingerprint().size() == 32);
    DesiredEntry a{"web", "r1", sha256("a")};
    CHECK(desired_set_hash({a}, old_key->fingerprint()) != desired_set_hash({a}, new_key->fingerprint()));
    CHECK(desired_set_hash({}, old_key->fingerprint()) != desired_set_hash({}, new_key->fingerprint()));
    // The key is a field of its own: it cannot be traded for entry bytes.
    // (Without its length the key below would hash like the entry's fields.)
    CHECK(desired_set_hash({{"b", "r", ""}}, "") !=
          desired_set_hash({}, std::string("\x01\0\0\0b\x01\0\0\0r\0\0\0\0", 13)));
}
