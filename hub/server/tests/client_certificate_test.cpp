// Client certificates (mTLS, hub --client-certs; proto step 6): offered in
// Welcome to a connection that presented none, issued for the agent's own
// key, required once the agent confirmed storing it, and never accepted for
// another agent.
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "common/mbedtls_handle.h"
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
    PkContext pk;
    REQUIRE(mbedtls_pk_parse_key(pk.get(), reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1,
                                 nullptr, 0) == 0);
    unsigned char buf[512];
    int len = mbedtls_pk_write_pubkey_der(pk.get(), buf, sizeof buf);
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

using Presented = std::optional<Transport::PeerCertificate>;

Presented presenting(const std::string& name, const std::string& public_key) {
    return Transport::PeerCertificate{name, sha256_hex(public_key)};
}

struct Login {
    MemoryTransport t;
    std::unique_ptr<AgentSession> s;
    std::vector<v1::Envelope> frames;
    Login(Hub& hub, const Agent& a, Presented certificate) {
        t.certificate = std::move(certificate);
        s = std::make_unique<AgentSession>(*hub.fleet, t);
        s->on_frame(hello_frame("edge", {}, "", a.id, a.credential));
        frames = t.take();
    }
    bool welcomed() const { return !frames.empty() && frames[0].has_welcome(); }
    bool offered() const { return welcomed() && frames[0].welcome().client_certificates(); }
};

// Registers an agent on a hub that issues certificates; the session stays open.
struct Enrolment {
    MemoryTransport t;
    AgentSession s;
    Agent agent;
    bool offered = false;
    explicit Enrolment(Hub& hub) : s(*hub.fleet, t) {
        s.on_frame(hello_frame("edge", {}, hub.token()));
        auto w = t.take().at(0).welcome();
        agent = {w.agent_id(), w.credential()};
        offered = w.client_certificates();
    }
    // The certificate issued for key, or the reason the session ended.
    std::string request(const std::string& key) {
        s.on_frame(request_frame(key));
        auto out = t.take();
        if (t.closed) return *t.closed;
        REQUIRE(out.size() == 1);
        return out[0].client_certificate().certificate();
    }
};

}  // namespace

TEST_CASE("a hub that issues client certificates certifies the agent's own key at registration and then requires it") {
    Hub hub;
    hub.fleet->set_client_ca(*pki::ClientCertificateIssuer::load(hub_ca()));
    Enrolment r(hub);
    CHECK(r.offered);
    const Agent& a = r.agent;

    std::string key = agent_public_key();
    std::string der = r.request(key);
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    REQUIRE(mbedtls_x509_crt_parse_der(&crt, reinterpret_cast<const unsigned char*>(der.data()), der.size()) == 0);
    char subject[256];
    mbedtls_x509_dn_gets(subject, sizeof subject, &crt.subject);
    CHECK(std::string(subject) == "CN=" + a.id);
    mbedtls_x509_crt_free(&crt);
    CHECK(hub.store->agent(a.id)->next_client_key_sha256 == sha256_hex(key));
    CHECK(hub.store->agent(a.id)->client_key_sha256.empty());

    r.s.on_frame(stored_frame());
    CHECK_FALSE(r.t.closed);
    CHECK(hub.store->agent(a.id)->client_key_sha256 == sha256_hex(key));
    CHECK(hub.store->agent(a.id)->client_certificate_ms == hub.now);
    CHECK(hub.store->events_of_kind("certificate", 10).size() == 1);

    Login without(hub, a, std::nullopt);
    CHECK(without.t.closed == "agent edge was issued a client certificate and must present it (hub --client-certs)");
    Login with(hub, a, presenting(a.id, key));
    REQUIRE(with.welcomed());
    CHECK_FALSE(with.offered());  // it has one
    // A certificate for the same agent but another key (issued to someone
    // holding the credential before the agent confirmed its own) is refused.
    std::string other = agent_public_key();
    Login other_key(hub, a, presenting(a.id, other));
    CHECK(other_key.t.closed == cat("agent edge presented a certificate for key ", sha256_hex(other).substr(0, 12),
                                    ", not the one it stored (", sha256_hex(key).substr(0, 12), ")"));
    Login borrowed(hub, a, presenting("agt_someone_else", key));
    CHECK(borrowed.t.closed == "the client certificate names agent \"agt_someone_else\", not this one");
}

TEST_CASE("a lost confirmation is completed by the first connection that presents the certificate") {
    Hub hub;
    hub.fleet->set_client_ca(*pki::ClientCertificateIssuer::load(hub_ca()));
    Enrolment r(hub);
    const Agent a = r.agent;
    std::string key = agent_public_key();
    r.request(key);
    r.s.on_closed();  // the answer never came

    // Issued, never confirmed: the agent may still come without it (it may
    // never have stored it), and is offered one again.
    Login without(hub, a, std::nullopt);
    CHECK(without.offered());
    CHECK(hub.store->agent(a.id)->client_key_sha256.empty());
    // A certificate for a key the hub did not issue last is no confirmation.
    Login stray(hub, a, presenting(a.id, agent_public_key()));
    CHECK(stray.offered());
    CHECK(hub.store->agent(a.id)->client_key_sha256.empty());

    hub.now += 1000;
    Login with(hub, a, presenting(a.id, key));
    REQUIRE(with.welcomed());
    CHECK_FALSE(with.offered());
    CHECK(hub.store->agent(a.id)->client_key_sha256 == sha256_hex(key));
    CHECK(hub.store->agent(a.id)->client_certificate_ms == hub.now);
    CHECK(Login(hub, a, std::nullopt).t.closed);
}

TEST_CASE("one certificate per session, only when offered; bad requests end the session with the reason") {
    Hub hub;
    Agent a;
    {
        Enrolment r(hub);  // this hub issues none
        CHECK_FALSE(r.offered);
        a = r.agent;
        CHECK(r.request(agent_public_key()) == "certificate_request: no client certificate was offered in this session");
    }
    hub.fleet->set_client_ca(*pki::ClientCertificateIssuer::load(hub_ca()));
    {
        Login l(hub, a, std::nullopt);
        l.s->on_frame(request_frame("not a key"));
        REQUIRE(l.t.closed);
        CHECK(l.t.closed->starts_with("certificate_request refused: client public key is not a DER public key"));
    }
    {
        Login l(hub, a, std::nullopt);
        l.s->on_frame(stored_frame());
        CHECK(l.t.closed == "client_certificate_stored answers no certificate request");
    }
    {
        Login l(hub, a, std::nullopt);
        l.s->on_frame(request_frame(agent_public_key()));
        l.s->on_frame(request_frame(agent_public_key()));
        CHECK(l.t.closed == "certificate_request: a client certificate was already issued in this session");
    }
    std::string key = agent_public_key();
    {
        // Request, confirm, request again: still one per session, one event.
        Login l(hub, a, std::nullopt);
        l.s->on_frame(request_frame(key));
        l.s->on_frame(stored_frame());
        l.s->on_frame(request_frame(agent_public_key()));
        CHECK(l.t.closed == "certificate_request: a client certificate was already issued in this session");
    }
    CHECK(hub.store->events_of_kind("certificate", 10).size() == 1);
    // With the certificate it stored, nothing more is offered or issued.
    Login l(hub, a, presenting(a.id, key));
    REQUIRE(l.welcomed());
    CHECK_FALSE(l.offered());
    l.s->on_frame(request_frame(agent_public_key()));
    CHECK(l.t.closed == "certificate_request: no client certificate was offered in this session");
}

TEST_CASE("a hub without --client-certs requires no certificate, even from an agent that stored one") {
    Hub hub;
    Enrolment r(hub);
    const Agent a = r.agent;
    REQUIRE(hub.store->begin_client_certificate(a.id, "k"));
    REQUIRE(hub.store->finish_client_certificate(a.id, "k", hub.now));
    Login l(hub, a, std::nullopt);
    CHECK(l.welcomed());
    CHECK_FALSE(l.offered());
}
