#include <doctest/doctest.h>

#include "common/crypto.h"
#include "proto/spec_signature.h"

using namespace drover;

TEST_CASE("a spec signature verifies, and a tampered spec does not") {
    auto key = SigningKey::from_pem(generate_p256_key_pem());
    REQUIRE(key);
    auto pub = VerifyKey::from_pem(key->public_pem());
    REQUIRE(pub);
    std::string digest = sha256("{\"bundle\":\"web\"}");
    auto msg = spec_signing_message("web", "abc123", digest);
    auto sig = key->sign(msg);
    CHECK(pub->verify(msg, sig));
    CHECK_FALSE(pub->verify(spec_signing_message("web", "abc123", sha256("{\"bundle\":\"evil\"}")), sig));
    CHECK_FALSE(pub->verify(spec_signing_message("web", "abc124", digest), sig));
    std::string bad = sig;
    bad[bad.size() / 2] ^= 1;
    CHECK_FALSE(pub->verify(msg, bad));
    CHECK_FALSE(pub->verify(msg, ""));
}

TEST_CASE("a signature from another key is refused") {
    auto key = SigningKey::from_pem(generate_p256_key_pem());
    auto other = VerifyKey::from_pem(SigningKey::from_pem(generate_p256_key_pem())->public_pem());
    auto msg = spec_signing_message("web", "r", sha256("x"));
    CHECK_FALSE(other->verify(msg, key->sign(msg)));
}

TEST_CASE("malformed keys are refused") {
    CHECK_FALSE(SigningKey::from_pem("not a key"));
    CHECK_FALSE(VerifyKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
}

TEST_CASE("a remembered verification never vouches for another key or another signature") {
    auto a = *SigningKey::from_pem(generate_p256_key_pem());
    auto b = *SigningKey::from_pem(generate_p256_key_pem());
    auto verify_a = *VerifyKey::from_pem(a.public_pem());
    auto verify_b = *VerifyKey::from_pem(b.public_pem());
    std::string message = spec_signing_message("web", "rev", std::string(32, 'd'));
    std::string sig = a.sign(message);
    CHECK(verify_a.verify(message, sig));
    CHECK(verify_a.verify(message, sig));  // from the memo
    CHECK_FALSE(verify_b.verify(message, sig));
    std::string other = spec_signing_message("web", "rev2", std::string(32, 'd'));
    CHECK_FALSE(verify_a.verify(other, sig));
}
