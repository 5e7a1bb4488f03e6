#include <doctest/doctest.h>

#include "proto/signing_key_chain.h"

using namespace drover;

namespace {

SigningKey new_key() { return *SigningKey::from_pem(generate_p256_key_pem()); }

std::string id_of(const SigningKey& key) {
    return short_fingerprint(VerifyKey::from_pem(key.public_pem())->fingerprint());
}
std::string fingerprint_of(const SigningKey& key) { return VerifyKey::from_pem(key.public_pem())->fingerprint(); }

// Keys k[0] (original) .. k[n-1] (current) and the chain the hub would hold.
struct History {
    std::vector<SigningKey> keys;
    SigningKeyChain chain;

    explicit History(size_t n) {
        for (size_t i = 0; i < n; ++i) {
            keys.push_back(new_key());
            if (i == 0) chain.push_back({keys[0].public_pem(), ""});
            else chain.push_back(endorse_signing_key(keys[i - 1], keys[i].public_pem()));
        }
    }
    std::string pem(size_t i) const { return keys[i].public_pem(); }
    std::string current() const { return keys.back().public_pem(); }
};

std::string error_of(const Result<KeyRotation>& r) { return r ? std::string("(holds)") : r.error().message; }

}  // namespace

TEST_CASE("an agent pinned to the original key follows a good chain to the current key") {
    History h(3);
    auto r = trace_key_rotation(h.chain, h.pem(0), h.current());
    REQUIRE(r);
    REQUIRE(r->from.size() == 2);
    CHECK(r->from[0] == fingerprint_of(h.keys[0]));
    CHECK(r->from[1] == fingerprint_of(h.keys[1]));
}

TEST_CASE("an agent pinned to a middle key walks only the links after it") {
    History h(4);
    h.chain[1].endorsement[8] ^= 1;  // before the pinned key: never looked at
    h.chain[0].key_pem = "not a key";
    auto r = trace_key_rotation(h.chain, h.pem(2), h.current());
    REQUIRE(r);
    REQUIRE(r->from.size() == 1);
    CHECK(r->from[0] == fingerprint_of(h.keys[2]));
}

TEST_CASE("the presented key being the pinned one is no rotation, chain or not") {
    History h(2);
    auto same = trace_key_rotation({}, h.current(), h.current());
    REQUIRE(same);
    CHECK(same->from.empty());
    // Whitespace around the PEM does not make another key.
    auto spaced = trace_key_rotation(h.chain, "\n" + h.current() + "\n\n", h.current());
    REQUIRE(spaced);
    CHECK(spaced->from.empty());
}

TEST_CASE("a tampered endorsement is refused and named") {
    History h(3);
    h.chain[2].endorsement[h.chain[2].endorsement.size() / 2] ^= 1;
    auto r = trace_key_rotation(h.chain, h.pem(0), h.current());
    CHECK(error_of(r) == "the endorsement of link 3 of 3 (key " + id_of(h.keys[2]) +
                             ") does not verify against the key before it (" + id_of(h.keys[1]) + ")");
}

TEST_CASE("a link endorsed by a key outside the chain is refused") {
    History h(2);
    SigningKey forger = new_key();
    h.chain[1] = endorse_signing_key(forger, h.current());
    auto r = trace_key_rotation(h.chain, h.pem(0), h.current());
    CHECK(error_of(r).find("the endorsement of link 2 of 2") == 0);
    CHECK(error_of(r).find("does not verify against the key before it (" + id_of(h.keys[0]) + ")") !=
          std::string::npos);
}

TEST_CASE("a link whose key was swapped after endorsement is refused") {
    History h(3);
    SigningKey other = new_key();
    h.chain[1].key_pem = other.public_pem();  // endorsement was over keys[1]
    h.chain[2] = endorse_signing_key(other, h.current());
    auto r = trace_key_rotation(h.chain, h.pem(0), h.current());
    CHECK(error_of(r).find("the endorsement of link 2 of 3") == 0);
}

TEST_CASE("links in the wrong order are refused") {
    History h(3);
    std::swap(h.chain[1], h.chain[2]);
    // Ends at keys[1] now: not the presented key.
    CHECK(error_of(trace_key_rotation(h.chain, h.pem(0), h.current())) ==
          "the hub's signing-key chain does not end at the key it presents (" + id_of(h.keys[2]) + ")");
    // Presented as what it ends at, keys[2] must have endorsed keys[1]: it did not.
    CHECK(error_of(trace_key_rotation(h.chain, h.pem(0), h.pem(1))).find("the endorsement of link 2 of 3") == 0);
}

TEST_CASE("a pinned key absent from the chain is refused") {
    History h(3);
    SigningKey stranger = new_key();
    CHECK(error_of(trace_key_rotation(h.chain, stranger.public_pem(), h.current())) ==
          "the pinned key " + id_of(stranger) + " is not in the hub's signing-key chain (3 links): the hub's key " +
              id_of(h.keys[2]) + " was not rotated from it");
}

TEST_CASE("a chain that does not end at the presented key is refused") {
    History h(3);
    h.chain.pop_back();
    CHECK(error_of(trace_key_rotation(h.chain, h.pem(0), h.current())) ==
          "the hub's signing-key chain does not end at the key it presents (" + id_of(h.keys[2]) + ")");
}

TEST_CASE("a different key with no chain is refused") {
    History h(2);
    CHECK(error_of(trace_key_rotation({}, h.pem(0), h.current())) ==
          "the hub presents key " + id_of(h.keys[1]) + ", not the pinned key " + id_of(h.keys[0]) +
              ", and no rotation chain");
}

TEST_CASE("an unusable key on the walk, or too long a chain, is refused") {
    History h(3);
    h.chain[1].key_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    CHECK(error_of(trace_key_rotation(h.chain, h.pem(0), h.current())).find("link 2 of 3 holds no usable key") == 0);

    History long_one(2);
    while (long_one.chain.size() <= kMaxSigningKeyChain) long_one.chain.insert(long_one.chain.begin(), long_one.chain[0]);
    CHECK(error_of(trace_key_rotation(long_one.chain, long_one.pem(0), long_one.current())) ==
          "the hub's signing-key chain has 257 links (limit 256)");
    CHECK(error_of(trace_key_rotation(h.chain, "garbage", h.current())).find("the pinned spec-signing key is unusable") ==
          0);
}

TEST_CASE("the hub's whole-chain check accepts its own chain and names the first fault") {
    History h(3);
    CHECK(verify_signing_key_chain(h.chain, h.current()));
    CHECK(verify_signing_key_chain({{h.pem(0), ""}}, h.pem(0)));

    auto stale = verify_signing_key_chain(h.chain, h.pem(1));
    REQUIRE_FALSE(stale);
    CHECK(stale.error().message ==
          "the signing-key chain ends at key " + id_of(h.keys[2]) + ", not at the current key " + id_of(h.keys[1]));

    History forged(3);
    forged.chain[1].endorsement = new_key().sign(signing_key_rotation_message(forged.pem(1)));
    auto bad = verify_signing_key_chain(forged.chain, forged.current());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("the endorsement of link 2 of 3") == 0);

    SigningKeyChain endorsed_first = h.chain;
    endorsed_first[0].endorsement = "x";
    CHECK_FALSE(verify_signing_key_chain(endorsed_first, h.current()));
    CHECK_FALSE(verify_signing_key_chain({}, h.current()));
}

TEST_CASE("an endorsement is not a spec signature, and a spec signature is not an endorsement") {
    SigningKey key = new_key();
    auto pub = *VerifyKey::from_pem(key.public_pem());
    std::string pem = new_key().public_pem();
    SigningKeyLink link = endorse_signing_key(key, pem);
    CHECK(pub.verify(signing_key_rotation_message(pem), link.endorsement));
    CHECK(signing_key_rotation_message(pem).rfind("drover signing-key rotation v1\n", 0) == 0);
    CHECK_FALSE(pub.verify(spec_signing_message("web", "r", std::string(32, 'd')), link.endorsement));
}
