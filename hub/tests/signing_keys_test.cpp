#include "hub/signing_keys.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "common/fs.h"
#include "common/testing/temp_dir.h"

using namespace drover;
using namespace drover::hub;
using drover::testing::TempDir;

namespace {

bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

unsigned mode_of(const std::string& path) {
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

std::string fingerprint(std::string_view public_pem) { return VerifyKey::from_pem(public_pem)->fingerprint(); }
std::string short_id(std::string_view public_pem) { return short_fingerprint(fingerprint(public_pem)); }

// A data directory as `drover-hub init` makes it.
struct HubDir {
    TempDir tmp;
    DataDir dir{tmp / "hub"};
    HubDir() { REQUIRE(init_data_dir(dir, {"localhost"})); }

    std::string file(const std::string& path) const { return *read_file(path); }
    std::string public_key() const { return SigningKey::from_pem(file(dir.signing_key()))->public_pem(); }
    SigningKeyChain chain_on_disk() const {
        auto chain = parse_signing_key_chain_json(file(dir.signing_chain()));
        REQUIRE(chain);
        return *chain;
    }
};

}  // namespace

TEST_CASE("a hub that never rotated serves a one-link chain of its key and writes no chain file") {
    HubDir hub;
    auto keys = load_signing_keys(hub.dir);
    REQUIRE(keys);
    CHECK(keys->public_pem == hub.public_key());
    REQUIRE(keys->chain.size() == 1);
    CHECK(keys->chain[0].key_pem == keys->public_pem);
    CHECK(keys->chain[0].endorsement.empty());
    CHECK(keys->repaired.empty());
    CHECK_FALSE(exists(hub.dir.signing_chain()));
}

TEST_CASE("rotating replaces the key files and chains the new key, endorsed by the old one") {
    HubDir hub;
    std::string old_public = hub.public_key();
    std::string old_private = hub.file(hub.dir.signing_key());

    auto report = rotate_signing_key(hub.dir);
    REQUIRE(report);
    std::string new_public = hub.public_key();
    CHECK(fingerprint(new_public) != fingerprint(old_public));
    CHECK(report->old_key == short_id(old_public));
    CHECK(report->new_key == short_id(new_public));
    CHECK(report->links == 2);

    CHECK(hub.file(hub.dir.signing_pub()) == new_public);
    CHECK(hub.file(hub.dir.signing_key()).find(old_private) == std::string::npos);  // the old private key is gone
    CHECK(mode_of(hub.dir.signing_key()) == 0600);
    CHECK(mode_of(hub.dir.signing_chain()) == 0644);
    CHECK_FALSE(exists(hub.dir.signing_key_next()));

    auto chain = hub.chain_on_disk();
    REQUIRE(chain.size() == 2);
    CHECK(chain[0].key_pem == old_public);
    CHECK(chain[0].endorsement.empty());
    CHECK(chain[1].key_pem == new_public);
    CHECK(VerifyKey::from_pem(old_public)->verify(signing_key_rotation_message(new_public), chain[1].endorsement));
    CHECK(verify_signing_key_chain(chain, new_public));
    // An agent pinned to the original key follows it.
    auto followed = trace_key_rotation(chain, old_public, new_public);
    REQUIRE(followed);
    CHECK(followed->from == std::vector<std::string>{fingerprint(old_public)});

    auto keys = load_signing_keys(hub.dir);
    REQUIRE(keys);
    CHECK(keys->public_pem == new_public);
    CHECK(keys->chain.size() == 2);
    CHECK(keys->repaired.empty());
}

TEST_CASE("a second rotation extends the chain and the first key still leads to the newest") {
    HubDir hub;
    std::string first = hub.public_key();
    REQUIRE(rotate_signing_key(hub.dir));
    std::string second = hub.public_key();
    auto report = rotate_signing_key(hub.dir);
    REQUIRE(report);
    CHECK(report->links == 3);
    std::string third = hub.public_key();
    auto chain = hub.chain_on_disk();
    REQUIRE(chain.size() == 3);
    CHECK(chain[1].key_pem == second);
    CHECK(VerifyKey::from_pem(second)->verify(signing_key_rotation_message(third), chain[2].endorsement));
    auto followed = trace_key_rotation(chain, first, third);
    REQUIRE(followed);
    CHECK(followed->from.size() == 2);
}

TEST_CASE("rotating refuses a directory that is not a hub's and creates nothing there") {
    TempDir tmp;
    DataDir dir{tmp.path()};
    auto r = rotate_signing_key(dir);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == tmp.path() + " is not a hub data directory (" + dir.store() +
                                   " is missing; drover-hub init --data DIR makes one)");
    CHECK_FALSE(exists(tmp / "keys"));
}

TEST_CASE("a rotation interrupted after the chain was written is finished by the next load") {
    HubDir hub;
    std::string old_public = hub.public_key();
    auto old_key = SigningKey::from_pem(hub.file(hub.dir.signing_key()));
    std::string next_pem = generate_p256_key_pem();
    std::string next_public = SigningKey::from_pem(next_pem)->public_pem();
    // Steps 1 and 2 of signing_keys.h done, the crash before step 3.
    REQUIRE(write_file_atomic(hub.dir.signing_key_next(), next_pem, 0600));
    SigningKeyChain chain{{old_public, ""}, endorse_signing_key(*old_key, next_public)};
    REQUIRE(write_file_atomic(hub.dir.signing_chain(), signing_key_chain_json(chain)));

    auto keys = load_signing_keys(hub.dir);
    REQUIRE(keys);
    CHECK(keys->public_pem == next_public);
    CHECK(keys->repaired == "finished an interrupted key rotation: " + hub.dir.signing_key() + " is now key " +
                                short_id(next_public));
    CHECK(hub.file(hub.dir.signing_key()) == next_pem);
    CHECK(hub.file(hub.dir.signing_pub()) == next_public);
    CHECK_FALSE(exists(hub.dir.signing_key_next()));
}

TEST_CASE("a rotation interrupted before the chain was written leaves the old key in force") {
    HubDir hub;
    std::string old_public = hub.public_key();
    REQUIRE(write_file_atomic(hub.dir.signing_key_next(), generate_p256_key_pem(), 0600));  // step 1 only
    auto keys = load_signing_keys(hub.dir);
    REQUIRE(keys);
    CHECK(keys->public_pem == old_public);
    CHECK(keys->chain.size() == 1);
    CHECK(keys->repaired.find("removed " + hub.dir.signing_key_next()) == 0);
    CHECK_FALSE(exists(hub.dir.signing_key_next()));
    // And the next rotation starts from the old key.
    REQUIRE(rotate_signing_key(hub.dir));
    CHECK(hub.chain_on_disk()[0].key_pem == old_public);
}

TEST_CASE("a stale signing.pub.pem is rewritten from the private key on load") {
    HubDir hub;
    REQUIRE(write_file_atomic(hub.dir.signing_pub(), SigningKey::from_pem(generate_p256_key_pem())->public_pem()));
    auto keys = load_signing_keys(hub.dir);
    REQUIRE(keys);
    CHECK(hub.file(hub.dir.signing_pub()) == keys->public_pem);
    CHECK(keys->repaired == "rewrote " + hub.dir.signing_pub() + " from " + hub.dir.signing_key());
}

TEST_CASE("loading refuses a chain that does not end at the current key, or that does not verify") {
    HubDir hub;
    std::string current = hub.public_key();
    SigningKey other = *SigningKey::from_pem(generate_p256_key_pem());

    SUBCASE("ends elsewhere") {
        REQUIRE(write_file_atomic(hub.dir.signing_chain(), signing_key_chain_json({{other.public_pem(), ""}})));
        auto keys = load_signing_keys(hub.dir);
        REQUIRE_FALSE(keys);
        CHECK(keys.error().message == hub.dir.signing_chain() + " ends at key " + short_id(other.public_pem()) +
                                          " but " + hub.dir.signing_key() + " is key " + short_id(current) +
                                          "; restore the two files that belong together");
    }
    SUBCASE("forged endorsement") {
        SigningKey forger = *SigningKey::from_pem(generate_p256_key_pem());
        SigningKeyChain chain{{other.public_pem(), ""}, endorse_signing_key(forger, current)};
        REQUIRE(write_file_atomic(hub.dir.signing_chain(), signing_key_chain_json(chain)));
        auto keys = load_signing_keys(hub.dir);
        REQUIRE_FALSE(keys);
        CHECK(keys.error().message.find(hub.dir.signing_chain() + ": the endorsement of link 2 of 2") == 0);
    }
    SUBCASE("not a chain") {
        REQUIRE(write_file_atomic(hub.dir.signing_chain(), "{\"key\": 1}"));
        auto keys = load_signing_keys(hub.dir);
        REQUIRE_FALSE(keys);
        CHECK(keys.error().message ==
              hub.dir.signing_chain() + ": expected a JSON array of {\"key\", \"endorsement\"} links");
    }
    // Nothing was rotated or rewritten by a refused load.
    CHECK(hub.public_key() == current);
}

TEST_CASE("the chain file round-trips and its parser names what is wrong") {
    SigningKey a = *SigningKey::from_pem(generate_p256_key_pem());
    SigningKey b = *SigningKey::from_pem(generate_p256_key_pem());
    SigningKeyChain chain{{a.public_pem(), ""}, endorse_signing_key(a, b.public_pem())};
    std::string text = signing_key_chain_json(chain);
    CHECK(text.find("\"endorsement\": \"\"") != std::string::npos);
    auto back = parse_signing_key_chain_json(text);
    REQUIRE(back);
    REQUIRE(back->size() == 2);
    CHECK((*back)[1].key_pem == chain[1].key_pem);
    CHECK((*back)[1].endorsement == chain[1].endorsement);

    auto error = [](std::string_view t) {
        auto r = parse_signing_key_chain_json(t);
        return r ? std::string("(parsed)") : r.error().message;
    };
    CHECK(error("[{\"key\": ") == "not valid JSON");
    CHECK(error("[{\"endorsement\": \"\"}]") == "link 1 has no \"key\" string");
    CHECK(error("[{\"key\": \"k\"}, 3]") == "link 2 has no \"key\" string");
    CHECK(error("[{\"key\": \"k\", \"endorsement\": \"@@@@\"}]") == "link 1: \"endorsement\" is not base64");
    CHECK(error("[{\"key\": \"k\", \"endorsement\": 7}]") == "link 1: \"endorsement\" is not a string");
    CHECK(parse_signing_key_chain_json("[]"));
}

TEST_CASE("rotating refuses a chain already as long as agents follow, and changes nothing") {
    HubDir hub;
    // A genuine chain of kMaxSigningKeyChain keys, the last one in signing.pem.
    std::string pem = generate_p256_key_pem();
    SigningKey key = *SigningKey::from_pem(pem);
    SigningKeyChain chain{{key.public_pem(), ""}};
    while (chain.size() < kMaxSigningKeyChain) {
        std::string next_pem = generate_p256_key_pem();
        SigningKey next = *SigningKey::from_pem(next_pem);
        chain.push_back(endorse_signing_key(key, next.public_pem()));
        key = std::move(next);
        pem = next_pem;
    }
    REQUIRE(write_file_atomic(hub.dir.signing_key(), pem, 0600));
    REQUIRE(write_file_atomic(hub.dir.signing_chain(), signing_key_chain_json(chain)));
    REQUIRE(load_signing_keys(hub.dir));

    auto r = rotate_signing_key(hub.dir);
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "the signing-key chain already has 256 links (limit 256): agents cannot follow a longer one; re-provision "
          "them instead");
    CHECK(hub.file(hub.dir.signing_key()) == pem);
    CHECK(hub.chain_on_disk().size() == kMaxSigningKeyChain);
    CHECK_FALSE(exists(hub.dir.signing_key_next()));
}
