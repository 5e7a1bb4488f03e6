// The agent's client key and its check of the certificate the hub issues,
// against certificates made by the hub's own PKI code.
#include <doctest/doctest.h>

#include "agent/session/client_certificate.h"
#include "hub/pki/certificates.h"

using namespace drover;
using session::check_client_certificate;
using session::generate_client_key;

namespace {

const pki::KeyPair& hub_ca() {
    static const pki::KeyPair ca = *pki::create_ca("drover test CA");
    return ca;
}

bool refused_with(const Result<void>& r, const std::string& text) {
    if (r) return false;
    INFO(r.error().message);
    return r.error().message.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("a client key is fresh P-256 each time, and its public half can be recovered from the stored key") {
    auto a = generate_client_key(), b = generate_client_key();
    CHECK(a.private_der != b.private_der);
    auto public_key = session::client_public_key(a.private_der);
    REQUIRE(public_key);
    CHECK(*public_key == a.public_der);
    CHECK(a.public_der.size() == 91);  // SubjectPublicKeyInfo of an uncompressed P-256 point
    CHECK_FALSE(session::client_public_key("not a key"));
}

TEST_CASE("a certificate the hub's CA issued for the agent's key and id passes the check") {
    auto key = generate_client_key();
    auto cert = pki::ClientCertificateIssuer::load(hub_ca())->certify("agt_1", key.public_der);
    REQUIRE(cert);
    CHECK(check_client_certificate(cert->certificate_der, key.private_der, "agt_1", hub_ca().cert_pem));
}

TEST_CASE("certificates that would lock the agent out are refused with the reason") {
    auto key = generate_client_key();
    auto cert = pki::ClientCertificateIssuer::load(hub_ca())->certify("agt_1", key.public_der)->certificate_der;

    CHECK(refused_with(check_client_certificate(cert, key.private_der, "agt_2", hub_ca().cert_pem),
                       "it names \"agt_1\", not this agent (agt_2)"));
    auto other_key = generate_client_key();
    CHECK(refused_with(check_client_certificate(cert, other_key.private_der, "agt_1", hub_ca().cert_pem),
                       "it certifies another key than this agent's"));
    auto other_ca = *pki::create_ca("another CA");
    auto foreign = pki::ClientCertificateIssuer::load(other_ca)->certify("agt_1", key.public_der)->certificate_der;
    CHECK(refused_with(check_client_certificate(foreign, key.private_der, "agt_1", hub_ca().cert_pem),
                       "it does not chain to the pinned hub CA"));
    CHECK(refused_with(check_client_certificate("garbage", key.private_der, "agt_1", hub_ca().cert_pem),
                       "not an X.509 certificate"));
    CHECK(refused_with(check_client_certificate(cert, key.private_der, "agt_1", "no PEM here"),
                       "the pinned CA certificate is unusable"));
    CHECK(refused_with(check_client_certificate(cert, "", "agt_1", hub_ca().cert_pem), "the stored client key is unusable"));
}
