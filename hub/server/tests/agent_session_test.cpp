#include "common/deflate.h"
#include "hub/server/tests/session_fixture.h"
#include "proto/spec_signature.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;

namespace {
struct Registered {
    std::string id, credential;
    v1::DesiredState desired;
};

Registered register_agent(Hub& hub, MemoryTransport& t, AgentSession& s, const Labels& labels) {
    s.on_frame(hello_frame("edge", labels, hub.token()));
    auto out = t.take();
    REQUIRE(out.size() >= 1);
    REQUIRE(out[0].has_welcome());
    Registered r{out[0].welcome().agent_id(), out[0].welcome().credential(), {}};
    if (out.size() > 1) r.desired = out[1].desired();
    return r;
}

std::string frame_of(const v1::Envelope& env) { return wire::encode(env); }
}  // namespace

TEST_CASE("registration issues a credential and sends a signed desired state to a targeted agent") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto r = register_agent(hub, t, s, {{"role", "gw"}});
    CHECK(r.credential.size() > 32);
    CHECK(hub.fleet->online(r.id));
    REQUIRE(r.desired.bundles_size() == 1);
    auto& d = r.desired.bundles(0);
    CHECK(d.bundle() == "web");
    auto pub = VerifyKey::from_pem(hub.key.public_pem());
    CHECK(pub->verify(spec_signing_message(d.bundle(), d.revision(), d.digest()), d.signature()));
    CHECK(r.desired.hash() == desired_hash({d}, hub.fleet->signing_key_id()));
    CHECK(hub.store->credentials(r.id)->current_hash == sha256_hex(r.credential));
}

TEST_CASE("an agent that matches no target gets an empty desired state") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto r = register_agent(hub, t, s, {{"role", "sensor"}});
    CHECK(r.desired.bundles_size() == 0);
}

TEST_CASE("a wrong registration token is refused with its reason and registers nothing") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {}, "drv_reg_nope"));
    auto out = t.take();
    REQUIRE(out.size() == 1);
    CHECK(out[0].close().reason() == "registration token is not known to this hub");
    CHECK(t.closed);
    CHECK(hub.store->agents().empty());
}

TEST_CASE("a returning agent logs in with its credential; a wrong credential is refused") {
    Hub hub;
    std::string id, credential, hash;
    {
        MemoryTransport t;
        AgentSession s(*hub.fleet, t);
        auto r = register_agent(hub, t, s, {{"role", "gw"}});
        id = r.id;
        credential = r.credential;
        hash = r.desired.hash();
        s.on_closed();
    }
    CHECK_FALSE(hub.store->agent(id)->online);
    {
        MemoryTransport t;
        AgentSession s(*hub.fleet, t);
        s.on_frame(hello_frame("edge", {{"role", "gw"}}, "", id, credential, hash));
        auto out = t.take();
        // Its cached desired set is current: Welcome only, no DesiredState.
        REQUIRE(out.size() == 1);
        CHECK(out[0].welcome().credential().empty());
        CHECK(out[0].welcome().agent_id() == id);
    }
    {
        MemoryTransport t;
        AgentSession s(*hub.fleet, t);
        s.on_frame(hello_frame("edge", {}, "", id, credential + "x"));
        CHECK(t.take().at(0).close().reason() == "unknown or revoked agent credential");
    }
}

TEST_CASE("content streams in chunks from the requested offset and reassembles to the signed digest") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto r = register_agent(hub, t, s, {{"role", "gw"}});
    auto digest = r.desired.bundles(0).digest();
    for (uint64_t offset : {uint64_t{0}, uint64_t{7}}) {
        v1::Envelope f;
        f.mutable_fetch()->set_digest(digest);
        f.mutable_fetch()->set_offset(offset);
        s.on_frame(frame_of(f));
        auto out = t.take();
        REQUIRE(out.size() == 1);
        auto& c = out[0].chunk();
        CHECK(c.offset() == offset);
        CHECK(c.last());
        CHECK(c.total() == r.desired.bundles(0).size());
        if (offset == 0) CHECK(sha256(*inflate_bytes(c.data(), 1 << 20)) == digest);
        else CHECK(c.data().size() == c.total() - offset);
    }
}

TEST_CASE("a large spec streams only as fast as the transport drains") {
    Hub hub;
    render::FileMap files = kFleetFiles;
    std::string big = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n";
    for (int i = 0; i < 40000; ++i) big += "  k" + std::to_string(i) + ": '" + random_token("", 8) + "'\n";
    files["web/big.yaml"] = big;
    hub.deploy(files, "2222222222222222222222222222222222222222");
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto r = register_agent(hub, t, s, {{"role", "gw"}});
    REQUIRE(r.desired.bundles(0).size() > 4 * wire::kChunkSize);
    v1::Envelope f;
    f.mutable_fetch()->set_digest(r.desired.bundles(0).digest());
    s.on_frame(frame_of(f));
    std::string data;
    size_t rounds = 0;
    bool last = false;
    while (!last) {
        CHECK(t.frames.size() <= SessionLimits{}.chunks_in_flight);
        for (auto& env : t.take()) {
            CHECK(env.chunk().offset() == data.size());
            data += env.chunk().data();
            last = env.chunk().last();
        }
        s.on_drained();
        REQUIRE(++rounds < 1000);
    }
    CHECK(sha256(*inflate_bytes(data, 64 << 20)) == r.desired.bundles(0).digest());
}

TEST_CASE("a fetch of a spec not meant for this agent sends nothing (and a stale fetch does not end the session)") {
    Hub hub;
    MemoryTransport gw_t, sensor_t;
    AgentSession gw(*hub.fleet, gw_t), sensor(*hub.fleet, sensor_t);
    auto web = register_agent(hub, gw_t, gw, {{"role", "gw"}}).desired.bundles(0).digest();
    register_agent(hub, sensor_t, sensor, {{"role", "sensor"}});
    v1::Envelope f;
    f.mutable_fetch()->set_digest(web);  // another agent's spec
    sensor.on_frame(frame_of(f));
    CHECK(sensor_t.take().empty());
    CHECK_FALSE(sensor_t.closed);
}

TEST_CASE("statuses are stored before they are acked, and a resend is acked without a second write") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto r = register_agent(hub, t, s, {{"role", "gw"}});
    auto status = [&](uint64_t seq, v1::State state) {
        v1::Envelope env;
        auto* st = env.mutable_status();
        st->set_seq(seq);
        st->set_bundle("web");
        st->set_digest(r.desired.bundles(0).digest());
        st->set_revision(r.desired.bundles(0).revision());
        st->set_state(state);
        s.on_frame(frame_of(env));
        CHECK(t.take().empty());  // nothing is acked before it is stored
        hub.fleet->flush_queued();
        return t.take().at(0).ack().up_to_seq();
    };
    CHECK(status(1, v1::APPLYING) == 1);
    CHECK(status(2, v1::READY) == 2);
    CHECK(hub.store->statuses().at(0).state == "Ready");
    CHECK(status(1, v1::FAILED) == 2);  // a late duplicate changes nothing
    CHECK(hub.store->statuses().at(0).state == "Ready");
}

TEST_CASE("malformed frames end only the session that sent them") {
    Hub hub;
    MemoryTransport good_t, bad_t;
    AgentSession good(*hub.fleet, good_t), bad(*hub.fleet, bad_t);
    auto r = register_agent(hub, good_t, good, {{"role", "gw"}});
    bad.on_frame("\xff\xff\xff");
    CHECK(bad_t.take().at(0).close().reason().find("malformed frame") == 0);
    v1::Envelope ack;
    ack.mutable_ack()->set_up_to_seq(1);
    MemoryTransport early_t;
    AgentSession early(*hub.fleet, early_t);
    early.on_frame(frame_of(ack));
    CHECK(early_t.take().at(0).close().reason() == "expected hello as the first message, got ack");
    CHECK_FALSE(good_t.closed);
    CHECK(hub.fleet->online(r.id));
}

TEST_CASE("hello with hostile fields is refused with the reason") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("../../etc", {}, hub.token()));
    CHECK(t.take().at(0).close().reason().find("agent name") == 0);
    MemoryTransport t2;
    AgentSession s2(*hub.fleet, t2);
    s2.on_frame(hello_frame("edge", {{"bad key!", "x"}}, hub.token()));
    CHECK(t2.take().at(0).close().reason().find("label key") == 0);
    CHECK(hub.store->agents().empty());
}

TEST_CASE("a Hello of another protocol version is refused, naming both versions") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto frame = hello_frame("edge", {}, hub.token());
    auto hello = *wire::decode(frame);
    hello.mutable_hello()->set_protocol(1);  // an agent from before the key-bound desired hash
    s.on_frame(wire::encode(hello));
    CHECK(t.take().at(0).close().reason() == "protocol version 1 is not supported (hub speaks 2)");
    CHECK(hub.store->agents().empty());
}

TEST_CASE("a label change pushes a new desired state to the online agent") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto r = register_agent(hub, t, s, {{"role", "sensor"}});
    CHECK(r.desired.bundles_size() == 0);
    hub.fleet->relabel(r.id, {{"role", "gw"}});
    auto out = t.take();
    REQUIRE(out.size() == 1);
    CHECK(out[0].desired().bundles_size() == 1);
    hub.fleet->relabel(r.id, {{"role", "gw"}});  // nothing changed: nothing sent
    CHECK(t.take().empty());
}

TEST_CASE("a restarted hub holds fetches and statuses until its revision is loaded, then answers them all") {
    Hub hub;
    // A restart: the deployed revision is known but not rendered yet.
    auto web = build_deployment("1111111111111111111111111111111111111111", kFleetFiles, hub.key);
    REQUIRE(web);
    std::string digest = (*web)->content_by_digest.begin()->first;
    hub.fleet = std::make_unique<Fleet>(*hub.store, hub.key.public_pem(), [&hub] { return hub.now; });
    hub.fleet->set_deployment_pending(true);

    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto r = register_agent(hub, t, s, {{"role", "gw"}});
    v1::Envelope fetch;
    fetch.mutable_fetch()->set_digest(digest);
    s.on_frame(frame_of(fetch));
    v1::Envelope status;
    status.mutable_status()->set_seq(1);
    status.mutable_status()->set_bundle("web");
    status.mutable_status()->set_state(v1::READY);
    s.on_frame(frame_of(status));
    hub.fleet->flush_queued();
    CHECK(t.take().empty());  // neither ignored nor acked: held
    CHECK(hub.store->statuses().empty());

    hub.fleet->deploy(*web);
    hub.fleet->flush_queued();
    auto out = t.take();
    bool chunk = false, ack = false;
    for (auto& f : out) {
        chunk |= f.has_chunk() && f.chunk().digest() == digest;
        ack |= f.has_ack() && f.ack().up_to_seq() == 1;
    }
    CHECK(chunk);
    CHECK(ack);
    REQUIRE(hub.store->statuses().size() == 1);
    CHECK(hub.store->status_log(r.id).size() == 1);
}

TEST_CASE("what a starting hub holds for an agent is bounded in bytes, not only in frames") {
    Hub hub;
    hub.fleet = std::make_unique<Fleet>(*hub.store, hub.key.public_pem(), [&hub] { return hub.now; });
    hub.fleet->set_deployment_pending(true);
    HubLimits limits;
    limits.session.max_held_bytes = 10'000;
    hub.fleet->set_limits(limits);
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    register_agent(hub, t, s, {{"role", "gw"}});
    v1::Envelope status;
    status.mutable_status()->set_bundle("web");
    status.mutable_status()->set_state(v1::FAILED);
    status.mutable_status()->set_message(std::string(6'000, 'x'));
    status.mutable_status()->set_seq(1);
    s.on_frame(frame_of(status));
    CHECK_FALSE(t.closed);
    status.mutable_status()->set_seq(2);
    s.on_frame(frame_of(status));
    REQUIRE(t.closed);
    CHECK(t.take().back().close().reason() == "the hub is still loading its deployed revision; reconnect later");
}

TEST_CASE("a newer session of the same agent replaces the older one without marking it offline") {
    Hub hub;
    MemoryTransport t1, t2;
    auto s1 = std::make_unique<AgentSession>(*hub.fleet, t1);
    auto r = register_agent(hub, t1, *s1, {{"role", "gw"}});
    AgentSession s2(*hub.fleet, t2);
    s2.on_frame(hello_frame("edge", {{"role", "gw"}}, "", r.id, r.credential));
    CHECK(t1.take().at(0).close().reason() == "replaced by a newer session of the same agent");
    s1->on_closed();
    s1.reset();
    hub.fleet->flush_queued();
    CHECK(hub.fleet->online(r.id));
    CHECK(hub.store->agent(r.id)->online);
}

TEST_CASE("a new revision reaches online agents whose desired set changed") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto r = register_agent(hub, t, s, {{"role", "gw"}});
    render::FileMap files = kFleetFiles;
    files["web/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '2'}\n";
    hub.deploy(files, "3333333333333333333333333333333333333333");
    auto out = t.take();
    REQUIRE(out.size() == 1);
    CHECK(out[0].desired().bundles(0).digest() != r.desired.bundles(0).digest());
    CHECK(out[0].desired().bundles(0).revision() == "3333333333333333333333333333333333333333");
}

TEST_CASE("statuses for bundles the hub never sent are acknowledged but not stored") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    auto r = register_agent(hub, t, s, {{"role", "gw"}});
    v1::Envelope env;
    auto* st = env.mutable_status();
    st->set_seq(1);
    st->set_bundle("invented");
    st->set_state(v1::READY);
    s.on_frame(frame_of(env));
    hub.fleet->flush_queued();
    CHECK(t.take().at(0).ack().up_to_seq() == 1);
    CHECK(hub.store->statuses().empty());
    CHECK(hub.store->agent(r.id)->acked_seq == 1);
}

TEST_CASE("a status seq beyond 2^63-1 is refused") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    register_agent(hub, t, s, {{"role", "gw"}});
    v1::Envelope env;
    env.mutable_status()->set_seq(UINT64_MAX);
    env.mutable_status()->set_bundle("web");
    env.mutable_status()->set_state(v1::READY);
    s.on_frame(frame_of(env));
    CHECK(t.take().at(0).close().reason() == "status seq must be between 1 and 2^63-1");
}

TEST_CASE("a long status message is cut on a character boundary") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    register_agent(hub, t, s, {{"role", "gw"}});
    v1::Envelope env;
    auto* st = env.mutable_status();
    st->set_seq(1);
    st->set_bundle("web");
    st->set_state(v1::FAILED);
    st->set_message(std::string(4095, 'x') + "\xc3\xa9");
    s.on_frame(frame_of(env));
    hub.fleet->flush_queued();
    auto stored = hub.store->statuses().at(0).message;
    CHECK(stored == std::string(4095, 'x'));
}

TEST_CASE("after a restart, agents hear nothing until the deployed revision is loaded again") {
    Hub hub;
    hub.fleet = std::make_unique<Fleet>(*hub.store, hub.key.public_pem(), [&hub] { return hub.now; });
    hub.fleet->set_deployment_pending(true);  // the store says a commit was deployed
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {{"role", "gw"}}, hub.token(), "", "", sha256("cached set")));
    auto out = t.take();
    REQUIRE(out.size() == 1);  // Welcome only: no empty DesiredState that would prune everything
    CHECK_FALSE(out[0].welcome().desired_state_follows());
    hub.deploy(kFleetFiles, "1111111111111111111111111111111111111111");
    out = t.take();
    REQUIRE(out.size() == 1);
    CHECK(out[0].desired().bundles_size() == 1);
}

TEST_CASE("welcome says whether a desired state follows") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {{"role", "gw"}}, hub.token()));
    auto out = t.take();
    CHECK(out.at(0).welcome().desired_state_follows());
    CHECK(out.at(1).has_desired());
}

TEST_CASE("a hub that never rotated its signing key sends no chain in Welcome") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {{"role", "gw"}}, hub.token()));
    auto out = t.take();
    REQUIRE(out.size() >= 1);
    CHECK(out[0].welcome().signing_key() == hub.key.public_pem());
    CHECK(out[0].welcome().signing_key_chain_size() == 0);
}

TEST_CASE("after a key rotation Welcome carries the chain and the agent's set is re-signed, content unchanged") {
    Hub hub;
    std::string id, credential, old_hash;
    v1::Deployment before;
    {
        MemoryTransport t;
        AgentSession s(*hub.fleet, t);
        auto r = register_agent(hub, t, s, {{"role", "gw"}});
        id = r.id;
        credential = r.credential;
        old_hash = r.desired.hash();
        REQUIRE(r.desired.bundles_size() == 1);
        before = r.desired.bundles(0);
        s.on_closed();
    }
    // What `drover-hub rotate-signing-key` and a restart do.
    std::string old_public = hub.key.public_pem();
    SigningKey next = *SigningKey::from_pem(generate_p256_key_pem());
    SigningKeyChain chain{{old_public, ""}, endorse_signing_key(hub.key, next.public_pem())};
    hub.key = std::move(next);
    hub.fleet = std::make_unique<Fleet>(*hub.store, hub.key.public_pem(), [&hub] { return hub.now; });
    hub.fleet->set_signing_chain(chain);
    hub.deploy(kFleetFiles, "1111111111111111111111111111111111111111");

    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {{"role", "gw"}}, "", id, credential, old_hash));
    auto out = t.take();
    REQUIRE(out.size() == 2);
    const auto& w = out[0].welcome();
    CHECK(w.signing_key() == hub.key.public_pem());
    REQUIRE(w.signing_key_chain_size() == 2);
    CHECK(w.signing_key_chain(0).key() == old_public);
    CHECK(w.signing_key_chain(0).endorsement().empty());
    CHECK(w.signing_key_chain(1).key() == hub.key.public_pem());
    CHECK(w.desired_state_follows());
    SigningKeyChain received;
    for (auto& link : w.signing_key_chain()) received.push_back({link.key(), link.endorsement()});
    CHECK(trace_key_rotation(received, old_public, w.signing_key()));

    // The same revision and content, signed by the new key, under a new hash.
    REQUIRE(out[1].has_desired());
    const auto& desired = out[1].desired();
    REQUIRE(desired.bundles_size() == 1);
    const auto& d = desired.bundles(0);
    CHECK(d.digest() == before.digest());
    CHECK(d.revision() == before.revision());
    CHECK(VerifyKey::from_pem(hub.key.public_pem())->verify(spec_signing_message(d.bundle(), d.revision(), d.digest()),
                                                           d.signature()));
    CHECK(desired.hash() != old_hash);
    CHECK(desired.hash() == desired_hash({d}, hub.fleet->signing_key_id()));
}
