#include <doctest/doctest.h>

#include "agent/session/client_certificate.h"
#include "agent/session/session.h"
#include "agent/tests/session/scripted_hub.h"
#include "common/testing/temp_dir.h"
#include "drover_config.h"
#include "hub/pki/certificates.h"

using namespace drover;
using drover::testing::Published;
using drover::testing::ScriptedHub;
using drover::testing::TempDir;

namespace {

// A cache, and Sessions over it whose frames land in `sent`.
struct Harness {
    TempDir dir;
    std::unique_ptr<cache::Cache> cache;
    ScriptedHub hub;
    std::vector<v1::Envelope> sent;
    int wakes = 0;
    session::SessionConfig config;

    Harness() {
        auto c = cache::Cache::open(dir / "cache.db", sql::Durability::normal);
        REQUIRE(c);
        cache = std::move(*c);
        config.name = "edge-1";
        config.registration_token = "drv_reg_abc";
        config.labels = {{"role", "gateway"}};
        config.facts = {{"arch", "x86_64"}};
        config.hub_url = "wss://hub:8443/v1/agent";
    }

    std::unique_ptr<session::Session> connect() {
        sent.clear();
        auto s = std::make_unique<session::Session>(
            *cache, config, [this](const v1::Envelope& e) { sent.push_back(e); }, [this] { ++wakes; });
        s->start();
        return s;
    }

    // Connects and completes the handshake as a registered agent.
    std::unique_ptr<session::Session> welcomed(uint64_t acked = 0) {
        auto s = connect();
        REQUIRE(s->on_frame(hub.welcome("agt_1", cache->identity().load().registered() ? "" : "cred_1", acked)));
        return s;
    }

    std::vector<v1::Envelope> take(v1::Envelope::MsgCase kind) {
        std::vector<v1::Envelope> out, rest;
        for (auto& e : sent) (e.msg_case() == kind ? out : rest).push_back(e);
        sent = rest;
        return out;
    }

    void add_statuses(int n) {
        for (int i = 0; i < n; ++i) {
            cache::Status st;
            st.bundle = "b" + std::to_string(i);
            st.state = v1::READY;
            cache->outbox().append(st);
        }
    }
};

std::vector<uint64_t> seqs(const std::vector<v1::Envelope>& frames) {
    std::vector<uint64_t> out;
    for (auto& f : frames) out.push_back(f.status().seq());
    return out;
}

std::vector<uint64_t> range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> out;
    for (uint64_t i = from; i <= to; ++i) out.push_back(i);
    return out;
}

}  // namespace

TEST_CASE("first contact sends a Hello with the registration token, labels and facts") {
    Harness h;
    auto s = h.connect();
    REQUIRE(h.sent.size() == 1);
    const auto& hello = h.sent[0].hello();
    CHECK(hello.protocol() == 2);
    CHECK(hello.name() == "edge-1");
    CHECK(hello.registration_token() == "drv_reg_abc");
    CHECK(hello.agent_id().empty());
    CHECK(hello.credential().empty());
    CHECK(hello.version() == DROVER_VERSION);
    CHECK(hello.labels().at("role") == "gateway");
    CHECK(hello.facts().at("arch") == "x86_64");
    CHECK(hello.desired_hash().empty());
    CHECK(hello.applied_size() == 0);
}

TEST_CASE("a Welcome's credential is stored and the hub key pinned; later Hellos use the identity") {
    Harness h;
    auto s = h.connect();
    REQUIRE(s->on_frame(h.hub.welcome("agt_1", "cred_1")));
    CHECK(s->welcomed());
    auto id = h.cache->identity().load();
    CHECK(id.agent_id == "agt_1");
    CHECK(id.credential == "cred_1");
    CHECK(id.name == "edge-1");
    CHECK(id.hub_url == "wss://hub:8443/v1/agent");
    CHECK(id.signing_key_pem == h.hub.key.public_pem());

    h.cache->applied().put({"web", sha256("w"), "r1", v1::READY, "", "[]", false});
    h.cache->desired().replace({sha256("set"), {}});
    s = h.connect();
    const auto& hello = h.sent[0].hello();
    CHECK(hello.agent_id() == "agt_1");
    CHECK(hello.credential() == "cred_1");
    CHECK(hello.registration_token().empty());
    CHECK(hello.desired_hash() == sha256("set"));
    REQUIRE(hello.applied_size() == 1);
    CHECK(hello.applied(0).bundle() == "web");
    CHECK(hello.applied(0).digest() == sha256("w"));
    CHECK(hello.applied(0).state() == v1::READY);
}

TEST_CASE("a registration Welcome with an implausible credential is refused and nothing stored") {
    Harness h;
    auto s = h.connect();
    auto r = s->on_frame(h.hub.welcome("agt_1", std::string(257, 'c')));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "hub sent a credential of 257 bytes (1 to 256 expected)");
    CHECK_FALSE(h.cache->identity().load().registered());
}

TEST_CASE("a registration Welcome without a credential is refused") {
    Harness h;
    auto s = h.connect();
    auto r = s->on_frame(h.hub.welcome("agt_1", ""));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "hub accepted the registration but issued no credential");
    CHECK_FALSE(h.cache->identity().load().registered());
}

TEST_CASE("a later Welcome with a different signing key is refused and the pinned key kept") {
    Harness h;
    h.welcomed();
    std::string pinned = h.cache->identity().load().signing_key_pem;
    h.hub.key = *SigningKey::from_pem(generate_p256_key_pem());
    auto s = h.connect();
    auto r = s->on_frame(h.hub.welcome("agt_1", ""));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("different from the one pinned") != std::string::npos);
    CHECK_FALSE(s->welcomed());
    CHECK(h.cache->identity().load().signing_key_pem == pinned);
}

TEST_CASE("a Welcome for another agent id is refused") {
    Harness h;
    h.welcomed();
    auto s = h.connect();
    auto r = s->on_frame(h.hub.welcome("agt_2", ""));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("agt_2") != std::string::npos);
}

TEST_CASE("protocol messages before Welcome end the session") {
    Harness h;
    auto s = h.connect();
    auto r = s->on_frame(ScriptedHub::ack(1));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "hub sent ack before welcome");
    v1::Envelope hello;
    hello.mutable_hello();
    CHECK(s->on_frame(hello).error().message == "hub sent an unexpected hello message");
}

TEST_CASE("a Close from the hub is noted so the link hangs up") {
    Harness h;
    auto s = h.connect();
    v1::Envelope close;
    close.mutable_close()->set_reason("registration token is invalid, expired or used up");
    REQUIRE(s->on_frame(close));
    CHECK(s->closed_by_hub());
}

TEST_CASE("Welcome deletes statuses the hub already stored and sends the rest in seq order") {
    Harness h;
    h.add_statuses(5);
    auto s = h.welcomed(/*acked=*/2);
    CHECK(seqs(h.take(v1::Envelope::kStatus)) == std::vector<uint64_t>{3, 4, 5});
    auto left = h.cache->outbox().pending(0, 10);
    REQUIRE(left.size() == 3);
    CHECK(left[0].seq == 3);
}

TEST_CASE("at most 64 statuses are unacknowledged; each Ack deletes and releases more") {
    Harness h;
    h.add_statuses(100);
    auto s = h.welcomed();
    CHECK(seqs(h.take(v1::Envelope::kStatus)) == range(1, 64));
    REQUIRE(s->on_frame(ScriptedHub::ack(10)));
    CHECK(seqs(h.take(v1::Envelope::kStatus)) == range(65, 74));
    CHECK(h.cache->outbox().pending(0, 1000).front().seq == 11);
    REQUIRE(s->on_frame(ScriptedHub::ack(74)));
    CHECK(seqs(h.take(v1::Envelope::kStatus)) == range(75, 100));
    REQUIRE(s->on_frame(ScriptedHub::ack(100)));
    CHECK(h.cache->outbox().pending(0, 1000).empty());
}

TEST_CASE("an Ack beyond what was sent deletes only what was sent") {
    Harness h;
    h.add_statuses(70);
    auto s = h.welcomed();
    h.take(v1::Envelope::kStatus);
    REQUIRE(s->on_frame(ScriptedHub::ack(1000)));
    auto left = h.cache->outbox().pending(0, 1000);
    REQUIRE(left.size() == 6);
    CHECK(left[0].seq == 65);
}

TEST_CASE("statuses appended while connected go out on pump; unacked ones are resent after a reconnect") {
    Harness h;
    auto s = h.welcomed();
    h.add_statuses(3);
    s->pump();
    CHECK(seqs(h.take(v1::Envelope::kStatus)) == std::vector<uint64_t>{1, 2, 3});
    s->pump();
    CHECK(h.take(v1::Envelope::kStatus).empty());  // not twice on one connection

    s = h.welcomed(/*acked=*/1);
    CHECK(seqs(h.take(v1::Envelope::kStatus)) == std::vector<uint64_t>{2, 3});
}

TEST_CASE("a hub that has stored seqs this cache never issued gets new seqs above them") {
    Harness h;
    auto s = h.welcomed(/*acked=*/500);
    h.add_statuses(1);
    s->pump();
    CHECK(seqs(h.take(v1::Envelope::kStatus)) == std::vector<uint64_t>{501});
}

TEST_CASE("a desired state is verified, stored, wakes the reconciler and fetches content one digest at a time") {
    Harness h;
    auto s = h.welcomed();
    Published a = h.hub.publish("alpha", "r1", "{\"a\":1}");
    Published b = h.hub.publish("beta", "r1", "{\"b\":2}");
    REQUIRE(s->on_frame(h.hub.desired({b, a})));
    CHECK(h.wakes == 1);
    auto set = h.cache->desired().load();
    REQUIRE(set.bundles.size() == 2);
    CHECK(set.bundles[0].bundle == "alpha");
    CHECK(set.bundles[0].signature == a.signature);
    CHECK(set.bundles[1].size == b.compressed.size());

    auto fetches = h.take(v1::Envelope::kFetch);
    REQUIRE(fetches.size() == 1);
    CHECK(fetches[0].fetch().digest() == a.digest);
    CHECK(fetches[0].fetch().offset() == 0);

    for (auto& c : ScriptedHub::chunks(a, 0)) REQUIRE(s->on_frame(c));
    CHECK(h.cache->content().spec(a.digest) == a.spec);
    CHECK(h.wakes == 2);
    fetches = h.take(v1::Envelope::kFetch);
    REQUIRE(fetches.size() == 1);
    CHECK(fetches[0].fetch().digest() == b.digest);
    for (auto& c : ScriptedHub::chunks(b, 0)) REQUIRE(s->on_frame(c));
    CHECK(h.cache->content().has(b.digest));
    CHECK(h.take(v1::Envelope::kFetch).empty());
}

TEST_CASE("a desired state with one bad signature is refused as a whole") {
    Harness h;
    auto s = h.welcomed();
    Published good = h.hub.publish("alpha", "r1", "{}");
    ScriptedHub impostor;
    Published forged = impostor.publish("beta", "r1", "{\"evil\":1}");
    auto r = s->on_frame(h.hub.desired({good, forged}));
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "desired state rejected: the signature of bundle beta does not verify against the pinned hub key");
    CHECK(h.cache->desired().load().bundles.empty());
    CHECK(h.wakes == 0);
}

TEST_CASE("a desired state whose hash does not match its bundles is refused") {
    Harness h;
    auto s = h.welcomed();
    auto env = h.hub.desired({h.hub.publish("alpha", "r1", "{}")});
    env.mutable_desired()->set_hash(sha256("something else"));
    auto r = s->on_frame(env);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "desired state rejected: its hash does not match its bundles and the hub's key");
}

TEST_CASE("a new desired set forgets content no longer desired") {
    Harness h;
    auto s = h.welcomed();
    Published a = h.hub.publish("alpha", "r1", "{\"a\":1}");
    REQUIRE(s->on_frame(h.hub.desired({a})));
    for (auto& c : ScriptedHub::chunks(a, 0)) REQUIRE(s->on_frame(c));
    REQUIRE(h.cache->content().has(a.digest));
    Published a2 = h.hub.publish("alpha", "r2", "{\"a\":2}");
    REQUIRE(s->on_frame(h.hub.desired({a2})));
    CHECK_FALSE(h.cache->content().has(a.digest));
}

TEST_CASE("a download broken by a disconnect resumes from the stored length") {
    Harness h;
    auto s = h.welcomed();
    Published big = h.hub.publish("big", "r1", testing::bulky_spec(200'000));
    auto chunks = ScriptedHub::chunks(big, 0);
    REQUIRE(chunks.size() >= 3);
    REQUIRE(s->on_frame(h.hub.desired({big})));
    REQUIRE(s->on_frame(chunks[0]));
    REQUIRE(s->on_frame(chunks[1]));
    // The link drops (its session ends, storing what it received); a new
    // session asks for the rest only.
    s.reset();
    s = h.welcomed();
    auto fetches = h.take(v1::Envelope::kFetch);
    REQUIRE(fetches.size() == 1);
    CHECK(fetches[0].fetch().offset() == 2 * wire::kChunkSize);
    for (auto& c : ScriptedHub::chunks(big, fetches[0].fetch().offset())) REQUIRE(s->on_frame(c));
    CHECK(h.cache->content().spec(big.digest) == big.spec);
}

TEST_CASE("a chunk at the wrong offset discards the partial download and refetches from 0") {
    Harness h;
    auto s = h.welcomed();
    Published big = h.hub.publish("big", "r1", testing::bulky_spec(200'000));
    auto chunks = ScriptedHub::chunks(big, 0);
    REQUIRE(s->on_frame(h.hub.desired({big})));
    h.take(v1::Envelope::kFetch);
    REQUIRE(s->on_frame(chunks[0]));
    REQUIRE(s->on_frame(chunks[2]));  // chunk 1 went missing
    auto fetches = h.take(v1::Envelope::kFetch);
    REQUIRE(fetches.size() == 1);
    CHECK(fetches[0].fetch().offset() == 0);
    CHECK(h.cache->content().partial_length(big.digest) == 0);
    // The rest of the abandoned stream is skipped; the restarted one is used.
    for (size_t i = 3; i < chunks.size(); ++i) REQUIRE(s->on_frame(chunks[i]));
    CHECK(h.cache->content().partial_length(big.digest) == 0);
    for (auto& c : chunks) REQUIRE(s->on_frame(c));
    CHECK(h.cache->content().spec(big.digest) == big.spec);
}

TEST_CASE("a hub that keeps sending chunks out of order ends the session") {
    Harness h;
    auto s = h.welcomed();
    Published big = h.hub.publish("big", "r1", testing::bulky_spec(200'000));
    auto chunks = ScriptedHub::chunks(big, 0);
    REQUIRE(s->on_frame(h.hub.desired({big})));
    Result<void> r;
    for (int i = 0; i < 20 && r; ++i) {
        r = s->on_frame(chunks[0]);
        if (r) r = s->on_frame(chunks[2]);
    }
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("out of order") != std::string::npos);
}

TEST_CASE("content that does not match its digest is discarded and fetched once more, then skipped") {
    Harness h;
    auto s = h.welcomed();
    Published real = h.hub.publish("web", "r1", "{\"real\":true}");
    Published wrong = real;
    wrong.compressed = deflate_bytes("{\"real\":false}");
    REQUIRE(s->on_frame(h.hub.desired({real})));
    h.take(v1::Envelope::kFetch);
    for (auto& c : ScriptedHub::chunks(wrong, 0)) REQUIRE(s->on_frame(c));
    CHECK_FALSE(h.cache->content().has(real.digest));
    CHECK(h.cache->content().partial_length(real.digest) == 0);
    CHECK(h.take(v1::Envelope::kFetch).size() == 1);  // once more
    for (auto& c : ScriptedHub::chunks(wrong, 0)) REQUIRE(s->on_frame(c));
    CHECK(h.take(v1::Envelope::kFetch).empty());  // given up for this session
    CHECK(h.wakes == 1);                            // only the desired state

    // The next session tries again, and gets the real thing.
    s = h.welcomed();
    auto fetches = h.take(v1::Envelope::kFetch);
    REQUIRE(fetches.size() == 1);
    for (auto& c : ScriptedHub::chunks(real, 0)) REQUIRE(s->on_frame(c));
    CHECK(h.cache->content().has(real.digest));
}

TEST_CASE("corrupt compressed content is discarded, not stored") {
    Harness h;
    auto s = h.welcomed();
    Published p = h.hub.publish("web", "r1", "{}");
    p.compressed = "this is not zlib";
    REQUIRE(s->on_frame(h.hub.desired({p})));
    for (auto& c : ScriptedHub::chunks(p, 0)) REQUIRE(s->on_frame(c));
    CHECK_FALSE(h.cache->content().has(p.digest));
    CHECK(h.cache->content().partial_length(p.digest) == 0);
}

TEST_CASE("after a Welcome that announces a DesiredState, the stale cached set is not fetched") {
    Harness h;
    Published a = h.hub.publish("alpha", "r1", "{\"a\":1}");
    {
        auto s = h.welcomed();
        REQUIRE(s->on_frame(h.hub.desired({a})));  // fetch of a starts, link breaks
    }
    auto s = h.connect();
    auto welcome = h.hub.welcome("agt_1", "", 0);
    welcome.mutable_welcome()->set_desired_state_follows(true);
    REQUIRE(s->on_frame(welcome));
    CHECK(h.take(v1::Envelope::kFetch).empty());
    Published b = h.hub.publish("beta", "r2", "{\"b\":1}");
    REQUIRE(s->on_frame(h.hub.desired({b})));
    auto fetches = h.take(v1::Envelope::kFetch);
    REQUIRE(fetches.size() == 1);
    CHECK(fetches[0].fetch().digest() == b.digest);
}

TEST_CASE("a download that leaves the desired set is abandoned and the tail of its stream ignored") {
    Harness h;
    auto s = h.welcomed();
    Published big = h.hub.publish("big", "r1", testing::bulky_spec(300'000));
    REQUIRE(s->on_frame(h.hub.desired({big})));
    auto chunks = ScriptedHub::chunks(big, 0);
    REQUIRE(chunks.size() > 2);
    REQUIRE(s->on_frame(chunks[0]));
    Published small = h.hub.publish("small", "r2", "{\"s\":1}");
    h.take(v1::Envelope::kFetch);
    REQUIRE(s->on_frame(h.hub.desired({small})));
    auto fetches = h.take(v1::Envelope::kFetch);
    REQUIRE(fetches.size() == 1);
    CHECK(fetches[0].fetch().digest() == small.digest);
    for (size_t i = 1; i < chunks.size(); ++i) REQUIRE(s->on_frame(chunks[i]));  // the old stream's tail
    CHECK(h.take(v1::Envelope::kFetch).empty());  // no restart caused by it
    CHECK_FALSE(h.cache->content().has(big.digest));
    for (auto& c : ScriptedHub::chunks(small, 0)) REQUIRE(s->on_frame(c));
    CHECK(h.cache->content().has(small.digest));
}

TEST_CASE("with --signing-key, a Welcome presenting another key is refused and nothing but the credential is kept") {
    Harness h;
    std::string operator_pem = generate_p256_key_pem();
    std::string operator_public = SigningKey::from_pem(operator_pem)->public_pem();
    REQUIRE(session::pin_signing_key(*h.cache, operator_public));
    auto s = h.connect();
    auto r = s->on_frame(h.hub.welcome("agt_1", "cred_1"));
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "hub presented a spec-signing key different from the one pinned (by --signing-key, or at first contact); "
          "refusing it: the hub presents key " +
              short_fingerprint(h.hub.key_id()) + ", not the pinned key " +
              short_fingerprint(VerifyKey::from_pem(operator_public)->fingerprint()) + ", and no rotation chain");
    CHECK_FALSE(s->welcomed());
    auto id = h.cache->identity().load();
    CHECK(id.credential == "cred_1");  // the hub used up the token for it
    CHECK(id.signing_key_pem == operator_public);

    // The same hub holding the pinned key is welcomed.
    h.hub.key = *SigningKey::from_pem(operator_pem);
    s = h.connect();
    REQUIRE(s->on_frame(h.hub.welcome("agt_1", "")));
    CHECK(s->welcomed());
    CHECK(h.cache->identity().load().signing_key_pem == operator_public);
}

TEST_CASE("with --signing-key, the pinned key replaces one trusted on first contact and verifies specs") {
    Harness h;
    h.welcomed();  // trusts the hub's first key
    h.hub.key = *SigningKey::from_pem(generate_p256_key_pem());
    std::string new_public = h.hub.key.public_pem();
    REQUIRE(session::pin_signing_key(*h.cache, new_public));
    CHECK(h.cache->identity().load().signing_key_pem == new_public);

    auto s = h.welcomed();
    REQUIRE(s->welcomed());
    REQUIRE(s->on_frame(h.hub.desired({h.hub.publish("web", "r1", "{}")})));

    // A spec signed by any other key is refused.
    ScriptedHub forger;
    auto r = s->on_frame(h.hub.desired({forger.publish("web", "r2", "{}")}));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("does not verify against the pinned hub key") != std::string::npos);
}

TEST_CASE("a --signing-key that replaces the pin forgets the cached set's hash, so the hub re-sends it signed") {
    Harness h;
    auto s = h.welcomed();
    REQUIRE(s->on_frame(h.hub.desired({h.hub.publish("web", "r1", "{}")})));
    REQUIRE_FALSE(h.cache->desired().load().hash.empty());
    REQUIRE(session::pin_signing_key(*h.cache, h.hub.key.public_pem()));  // the same key: nothing changes
    CHECK_FALSE(h.cache->desired().load().hash.empty());

    auto other = *SigningKey::from_pem(generate_p256_key_pem());
    REQUIRE(session::pin_signing_key(*h.cache, other.public_pem()));
    CHECK(h.cache->desired().load().hash.empty());
    CHECK(h.cache->desired().load().bundles.size() == 1);  // entries stay until the new set arrives
    h.connect();
    CHECK(h.sent[0].hello().desired_hash().empty());
}

TEST_CASE("pin_signing_key refuses a file that holds no usable public key") {
    Harness h;
    auto r = session::pin_signing_key(*h.cache, "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.rfind("not a usable public key: ", 0) == 0);
    CHECK(h.cache->identity().load().signing_key_pem.empty());
}

// ---- spec-signing key rotation ---------------------------------------------

namespace {

std::string fingerprint_hex(const std::string& public_pem) {
    return hex_encode(VerifyKey::from_pem(public_pem)->fingerprint());
}

}  // namespace

TEST_CASE("a rotated key with a chain from the pinned key is re-pinned with the DesiredState it signed") {
    Harness h;
    std::string old_private = generate_p256_key_pem();
    h.hub.key = *SigningKey::from_pem(old_private);
    auto s = h.welcomed();
    std::string old_public = h.hub.key.public_pem();
    Published web = h.hub.publish("web", "r1", "{}");
    REQUIRE(s->on_frame(h.hub.desired({web})));

    h.hub.rotate();
    s = h.connect();
    REQUIRE(s->on_frame(h.hub.welcome("agt_1", "")));
    CHECK(s->welcomed());
    // Not pinned yet: the cached entries are still the old key's.
    CHECK(h.cache->identity().load().signing_key_pem == old_public);

    // The hub re-signs the same revision with the new key; same content.
    Published resigned = h.hub.publish("web", "r1", "{}");
    REQUIRE(resigned.digest == web.digest);
    REQUIRE(s->on_frame(h.hub.desired({resigned})));
    auto id = h.cache->identity().load();
    CHECK(id.signing_key_pem == h.hub.key.public_pem());
    CHECK(id.signing_key_rotated_from == fingerprint_hex(old_public));
    auto set = h.cache->desired().load();
    REQUIRE(set.bundles.size() == 1);
    CHECK(set.bundles[0].signature == resigned.signature);
    CHECK(set.hash == h.hub.desired({resigned}).desired().hash());

    // Later sets signed by the new key are accepted; the old key's are not.
    REQUIRE(s->on_frame(h.hub.desired({h.hub.publish("web", "r2", "{\"v\":2}")})));
    ScriptedHub stale;  // the hub's key before the rotation
    stale.key = *SigningKey::from_pem(old_private);
    auto r = s->on_frame(stale.desired({stale.publish("web", "r3", "{}")}));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("does not verify against the pinned hub key") != std::string::npos);

    // The next connection presents the same key and chain: nothing to walk.
    s = h.connect();
    REQUIRE(s->on_frame(h.hub.welcome("agt_1", "")));
    CHECK(h.cache->identity().load().signing_key_rotated_from == fingerprint_hex(old_public));
}

TEST_CASE("a link lost between a rotated Welcome and its DesiredState leaves the old key pinned") {
    Harness h;
    h.welcomed();
    std::string old_public = h.hub.key.public_pem();
    h.hub.rotate();
    {
        auto s = h.connect();
        REQUIRE(s->on_frame(h.hub.welcome("agt_1", "")));
    }  // the link breaks here
    CHECK(h.cache->identity().load().signing_key_pem == old_public);
    CHECK(h.cache->identity().load().signing_key_rotated_from.empty());
    auto s = h.connect();
    REQUIRE(s->on_frame(h.hub.welcome("agt_1", "")));
    REQUIRE(s->on_frame(h.hub.desired({})));
    CHECK(h.cache->identity().load().signing_key_pem == h.hub.key.public_pem());
}

TEST_CASE("two rotations are walked in one Welcome and both earlier keys are remembered") {
    Harness h;
    h.welcomed();
    std::string first = h.hub.key.public_pem();
    h.hub.rotate();
    std::string second = h.hub.key.public_pem();
    h.hub.rotate();
    auto s = h.connect();
    REQUIRE(s->on_frame(h.hub.welcome("agt_1", "")));
    REQUIRE(s->on_frame(h.hub.desired({h.hub.publish("web", "r1", "{}")})));
    auto id = h.cache->identity().load();
    CHECK(id.signing_key_pem == h.hub.key.public_pem());
    CHECK(id.signing_key_rotated_from == fingerprint_hex(first) + " " + fingerprint_hex(second));
}

TEST_CASE("a rotation chain that does not verify is refused and the old pin kept") {
    Harness h;
    h.welcomed();
    std::string pinned = h.hub.key.public_pem();
    std::string reason;

    SUBCASE("endorsed by a key outside the chain") {
        SigningKey forger = *SigningKey::from_pem(generate_p256_key_pem());
        SigningKey next = *SigningKey::from_pem(generate_p256_key_pem());
        h.hub.chain = {{pinned, ""}, endorse_signing_key(forger, next.public_pem())};
        h.hub.key = std::move(next);
        reason = "the endorsement of link 2 of 2 (key " + short_fingerprint(h.hub.key_id()) +
                 ") does not verify against the key before it (" +
                 short_fingerprint(VerifyKey::from_pem(pinned)->fingerprint()) + ")";
    }
    SUBCASE("a chain that never held the pinned key") {
        ScriptedHub other;
        other.rotate();
        h.hub = std::move(other);
        reason = "the pinned key " + short_fingerprint(VerifyKey::from_pem(pinned)->fingerprint()) +
                 " is not in the hub's signing-key chain (2 links): the hub's key " +
                 short_fingerprint(h.hub.key_id()) + " was not rotated from it";
    }
    SUBCASE("a chain ending elsewhere") {
        h.hub.rotate();
        h.hub.key = *SigningKey::from_pem(generate_p256_key_pem());
        reason = "the hub's signing-key chain does not end at the key it presents (" +
                 short_fingerprint(h.hub.key_id()) + ")";
    }

    auto s = h.connect();
    auto r = s->on_frame(h.hub.welcome("agt_1", ""));
    REQUIRE_FALSE(r);
    CHECK(r.error().message ==
          "hub presented a spec-signing key different from the one pinned (by --signing-key, or at first contact); "
          "refusing it: " +
              reason);
    CHECK_FALSE(s->welcomed());
    CHECK(h.cache->identity().load().signing_key_pem == pinned);
}

TEST_CASE("--signing-key naming a key the hub rotated away from keeps the newer pin") {
    Harness h;
    std::string provisioned = h.hub.key.public_pem();
    REQUIRE(session::pin_signing_key(*h.cache, provisioned));
    h.welcomed();
    h.hub.rotate();
    auto s = h.welcomed();
    REQUIRE(s->on_frame(h.hub.desired({h.hub.publish("web", "r1", "{}")})));
    std::string rotated = h.hub.key.public_pem();
    REQUIRE(h.cache->identity().load().signing_key_pem == rotated);

    // The agent restarts with the flag it was provisioned with.
    REQUIRE(session::pin_signing_key(*h.cache, provisioned));
    auto id = h.cache->identity().load();
    CHECK(id.signing_key_pem == rotated);
    CHECK(id.signing_key_rotated_from == fingerprint_hex(provisioned));
    s = h.welcomed();
    CHECK(s->welcomed());

    // The rotated key itself, in other whitespace, is the same key.
    REQUIRE(session::pin_signing_key(*h.cache, "\n" + rotated + "\n"));
    CHECK(h.cache->identity().load().signing_key_pem == rotated);
}

TEST_CASE("--signing-key naming an unrelated key replaces a rotated pin and forgets its history") {
    Harness h;
    h.welcomed();
    h.hub.rotate();
    auto s = h.welcomed();
    REQUIRE(s->on_frame(h.hub.desired({})));
    REQUIRE_FALSE(h.cache->identity().load().signing_key_rotated_from.empty());

    std::string other = SigningKey::from_pem(generate_p256_key_pem())->public_pem();
    REQUIRE(session::pin_signing_key(*h.cache, other));
    auto id = h.cache->identity().load();
    CHECK(id.signing_key_pem == other);
    CHECK(id.signing_key_rotated_from.empty());
}

TEST_CASE("a rotated credential is stored before it is confirmed, and the next Hello uses it") {
    Harness h;
    auto s = h.welcomed();
    h.sent.clear();
    v1::Envelope rotate;
    rotate.mutable_credential()->set_credential("drv_agt_rotated_0123456789");
    REQUIRE(s->on_frame(rotate));
    CHECK(h.cache->identity().load().credential == "drv_agt_rotated_0123456789");
    REQUIRE(h.sent.size() == 1);
    CHECK(h.sent[0].has_credential_stored());

    s = h.connect();
    CHECK(h.sent[0].hello().credential() == "drv_agt_rotated_0123456789");
}

TEST_CASE("a credential before Welcome, or an implausible one, is refused and the stored one kept") {
    Harness h;
    auto s = h.welcomed();
    v1::Envelope bad;
    bad.mutable_credential()->set_credential(std::string(300, 'c'));
    auto r = s->on_frame(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "hub sent a credential of 300 bytes (1 to 256 expected)");
    CHECK(h.cache->identity().load().credential == "cred_1");

    auto fresh = h.connect();
    v1::Envelope early;
    early.mutable_credential()->set_credential("drv_agt_rotated_0123456789");
    r = fresh->on_frame(early);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "hub sent credential before welcome");
    CHECK(h.cache->identity().load().credential == "cred_1");
}

TEST_CASE("a Welcome claiming status seqs beyond any the agent issues is refused and the outbox kept") {
    Harness h;
    h.welcomed();
    h.add_statuses(3);
    auto s = h.connect();
    auto r = s->on_frame(h.hub.welcome("agt_1", "", uint64_t{1} << 63));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "hub claims to have stored status seq 9223372036854775808, beyond any this agent issues");
    CHECK(h.cache->outbox().pending(0, 10).size() == 3);
    auto again = h.connect();
    REQUIRE(again->on_frame(h.hub.welcome("agt_1", "", 0)));
    CHECK(h.take(v1::Envelope::kStatus).size() == 3);
}

namespace {

const pki::KeyPair& hub_ca() {
    static const pki::KeyPair ca = *pki::create_ca("drover test CA");
    return ca;
}

v1::Envelope offering_welcome(const ScriptedHub& hub) {
    auto w = hub.welcome("agt_1", "");
    w.mutable_welcome()->set_client_certificates(true);
    return w;
}

// A registered agent with the hub's CA, welcomed by a hub that offers a
// client certificate.
std::unique_ptr<session::Session> offered(Harness& h) {
    h.config.ca_pem = hub_ca().cert_pem;
    h.welcomed();
    auto s = h.connect();
    REQUIRE(s->on_frame(offering_welcome(h.hub)));
    return s;
}

v1::Envelope certificate_frame(const std::string& der) {
    v1::Envelope env;
    env.mutable_client_certificate()->set_certificate(der);
    return env;
}

}  // namespace

TEST_CASE("offered a client certificate, the agent stores its key, asks, stores the certificate and confirms") {
    Harness h;
    auto s = offered(h);
    auto requests = h.take(v1::Envelope::kCertificateRequest);
    REQUIRE(requests.size() == 1);
    auto id = h.cache->identity().load();
    REQUIRE_FALSE(id.client_key.empty());  // stored before it was sent
    CHECK(id.client_certificate.empty());
    std::string public_key = requests[0].certificate_request().public_key();
    CHECK(*session::client_public_key(id.client_key) == public_key);

    auto cert = pki::ClientCertificateIssuer::load(hub_ca())->certify("agt_1", public_key);
    REQUIRE(cert);
    REQUIRE(s->on_frame(certificate_frame(cert->certificate_der)));
    CHECK(h.cache->identity().load().client_certificate == cert->certificate_der);
    CHECK(h.take(v1::Envelope::kClientCertificateStored).size() == 1);

    // A second offer (the certificate was not presented) reuses the key.
    auto again = h.connect();
    REQUIRE(again->on_frame(offering_welcome(h.hub)));
    requests = h.take(v1::Envelope::kCertificateRequest);
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].certificate_request().public_key() == public_key);
}

TEST_CASE("a client certificate that fails the check is neither stored nor confirmed, and the session goes on") {
    Harness h;
    auto s = offered(h);
    auto request = h.take(v1::Envelope::kCertificateRequest).at(0).certificate_request();
    auto other_ca = *pki::create_ca("another CA");
    auto foreign = pki::ClientCertificateIssuer::load(other_ca)->certify("agt_1", request.public_key())->certificate_der;
    CHECK(s->on_frame(certificate_frame(foreign)));
    CHECK(h.cache->identity().load().client_certificate.empty());
    CHECK(h.take(v1::Envelope::kClientCertificateStored).empty());
    // Only the certificate asked for is taken: a second one is unsolicited.
    auto r = s->on_frame(certificate_frame(foreign));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "hub sent a client certificate this agent did not ask for");
}

TEST_CASE("without a CA configured, or before Welcome, no client certificate is asked for or taken") {
    Harness h;
    h.welcomed();
    auto s = h.connect();
    REQUIRE(s->on_frame(offering_welcome(h.hub)));
    CHECK(h.take(v1::Envelope::kCertificateRequest).empty());
    CHECK(h.cache->identity().load().client_key.empty());
    auto r = s->on_frame(certificate_frame("x"));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "hub sent a client certificate this agent did not ask for");

    auto early = h.connect();
    r = early->on_frame(certificate_frame("x"));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "hub sent client_certificate before welcome");
}

TEST_CASE("a fresh registration forgets a client key and certificate left in the cache") {
    Harness h;
    h.config.ca_pem = hub_ca().cert_pem;
    auto id = h.cache->identity().load();
    id.client_key = session::generate_client_key().private_der;
    id.client_certificate = "stale";
    h.cache->identity().save(id);  // not registered: no agent id or credential
    auto s = h.connect();
    REQUIRE(s->on_frame(h.hub.welcome("agt_1", "cred_1")));
    id = h.cache->identity().load();
    CHECK(id.client_key.empty());
    CHECK(id.client_certificate.empty());
}
