// Client certificates (mTLS, hub --client-certs; proto step 6): offered in
// Welcome to a connection that presented none, issued for the agent's own
// key, required once the agent confirmed storing it, and never accepted for
// another agent.
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;

namespace {

const pki::KeyPair& hub_ca() {
    static const pki::KeyPair ca = *pki::create_ca("drover test CA");
    return ca;
}

// An agent's public key (DER SubjectPublicKeyInfo).
std::string agent_public_key() {
    std::string pem = generate_p256_key_pem();
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    REQUIRE(mbedtls_pk_parse_key(&pk, reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1, nullptr,
                                 0) == 0);
    unsigned char buf[512];
    int len = mbedtls_pk_write_pubkey_der(&pk, buf, sizeof buf);
    mbedtls_pk_free(&pk);
    REQUIRE(len > 0);
    return std::string(reinterpret_cast<const char*>(buf + sizeof buf - len), static_cast<size_t>(len));
}

std::string request_frame(const std::string& public_key) {
    v1::Envelope env;
    env.mutable_certificate_request()->set_public_key(public_key);
    return wire::encode(env);
}

std::string stored_frame() {
    v1::Envelope env;
    env.mutable_client_certificate_stored();
    return wire::encode(env);
}

struct Agent {
    std::string id, credential;
};

struct Login {
    MemoryTransport t;
    std::unique_ptr<AgentSession> s;
    std::vector<v1::Envelope> frames;
    Login(Hub& hub, const Agent& a, const std::string& certificate_name) {
        t.certificate_name = certificate_name;
        s = std::make_unique<AgentSession>(*hub.fleet, t);
        s->on_frame(hello_frame("edge", {}, "", a.id, a.credential));
        frames = t.take();
    }
    bool welcomed() const { return !frames.empty() && frames[0].has_welcome(); }
};

}  // namespace

TEST_CASE("a hub that issues client certificates certifies the agent's own key at registration and then requires it") {
    Hub hub;
    hub.fleet->set_client_ca(hub_ca());
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {}, hub.token()));
    auto out = t.take();
    REQUIRE(out.at(0).has_welcome());
    CHECK(out[0].welcome().client_certificates());
    Agent a{out[0].welcome().agent_id(), out[0].welcome().credential()};

    std::string key = agent_public_key();
    s.on_frame(request_frame(key));
    out = t.take();
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].has_client_certificate());
    const std::string& der = out[0].client_certificate().certificate();
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    REQUIRE(mbedtls_x509_crt_parse_der(&crt, reinterpret_cast<const unsigned char*>(der.data()), der.size()) == 0);
    char subject[256];
    mbedtls_x509_dn_gets(subject, sizeof subject, &crt.subject);
    CHECK(std::string(subject) == "CN=" + a.id);
    mbedtls_x509_crt_free(&crt);

    CHECK_FALSE(hub.store->agent(a.id)->client_certificate_ms);
    s.on_frame(stored_frame());
    CHECK_FALSE(t.closed);
    CHECK(hub.store->agent(a.id)->client_certificate_ms == hub.now);
    CHECK(hub.store->events_of_kind("certificate", 10).size() == 1);

    Login without(hub, a, "");
    CHECK(without.t.closed == "agent edge was issued a client certificate and must present it (hub --client-certs)");
    Login with(hub, a, a.id);
    REQUIRE(with.welcomed());
    CHECK_FALSE(with.frames[0].welcome().client_certificates());  // it has one
    Login borrowed(hub, a, "agt_someone_else");
    CHECK(borrowed.t.closed == "the client certificate names agent \"agt_someone_else\", not this one");
}

TEST_CASE("a lost confirmation is completed by the first connection that presents the certificate") {
    Hub hub;
    hub.fleet->set_client_ca(hub_ca());
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {}, hub.token()));
    auto w = t.take().at(0).welcome();
    Agent a{w.agent_id(), w.credential()};
    s.on_frame(request_frame(agent_public_key()));
    REQUIRE(t.take().at(0).has_client_certificate());
    s.on_closed();  // the answer never came

    // Issued, never confirmed: the agent may still come without it (it may
    // never have stored it), and is offered one again.
    Login without(hub, a, "");
    REQUIRE(without.welcomed());
    CHECK(without.frames[0].welcome().client_certificates());
    CHECK_FALSE(hub.store->agent(a.id)->client_certificate_ms);

    hub.now += 1000;
    REQUIRE(Login(hub, a, a.id).welcomed());
    CHECK(hub.store->agent(a.id)->client_certificate_ms == hub.now);
    CHECK(Login(hub, a, "").t.closed);
}

TEST_CASE("requests a hub cannot or will not answer end the session with the reason") {
    Hub hub;
    Agent a;
    {
        MemoryTransport t;
        AgentSession s(*hub.fleet, t);
        s.on_frame(hello_frame("edge", {}, hub.token()));
        auto w = t.take().at(0).welcome();
        CHECK_FALSE(w.client_certificates());  // this hub issues none
        a = {w.agent_id(), w.credential()};
        s.on_frame(request_frame(agent_public_key()));
        CHECK(t.closed == "certificate_request: this hub issues no client certificates");
    }
    hub.fleet->set_client_ca(hub_ca());
    {
        Login l(hub, a, "");
        l.s->on_frame(request_frame("not a key"));
        REQUIRE(l.t.closed);
        CHECK(l.t.closed->starts_with("certificate_request refused: client public key is not a DER public key"));
    }
    {
        Login l(hub, a, "");
        l.s->on_frame(stored_frame());
        CHECK(l.t.closed == "client_certificate_stored answers no certificate request");
    }
    {
        Login l(hub, a, "");
        l.s->on_frame(request_frame(agent_public_key()));
        l.s->on_frame(request_frame(agent_public_key()));
        CHECK(l.t.closed == "certificate_request: a client certificate was already issued in this session");
    }
    CHECK_FALSE(hub.store->agent(a.id)->client_certificate_ms);
}

TEST_CASE("a hub without --client-certs requires no certificate, even from an agent that stored one") {
    Hub hub;
    MemoryTransport t;
    AgentSession s(*hub.fleet, t);
    s.on_frame(hello_frame("edge", {}, hub.token()));
    auto w = t.take().at(0).welcome();
    Agent a{w.agent_id(), w.credential()};
    REQUIRE(hub.store->client_certificate_stored(a.id, hub.now));
    CHECK(Login(hub, a, "").welcomed());
}
