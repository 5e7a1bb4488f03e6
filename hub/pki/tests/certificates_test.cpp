#include <doctest/doctest.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/x509.h>

#include <cstring>
#include <ctime>
#include <string>

#include "common/text.h"
#include "hub/pki/certificates.h"
#include "hub/pki/mbedtls_handles.h"
#include "proto/spec_signature.h"

using namespace drover;
using namespace drover::pki;

namespace {

void parse_into(Certificate& crt, const std::string& pem) {
    REQUIRE(mbedtls_x509_crt_parse(crt.get(), reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1) ==
            0);
}

void parse_key_into(PkContext& pk, const std::string& pem) {
    REQUIRE(mbedtls_pk_parse_key(pk.get(), reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1,
                                 nullptr, 0) == 0);
}

std::string subject_of(const Certificate& crt) {
    char buf[256];
    REQUIRE(mbedtls_x509_dn_gets(buf, sizeof buf, &crt->subject) > 0);
    return buf;
}

std::string issuer_of(const Certificate& crt) {
    char buf[256];
    REQUIRE(mbedtls_x509_dn_gets(buf, sizeof buf, &crt->issuer) > 0);
    return buf;
}

// Verifies leaf against ca as the only trust anchor; returns mbedTLS's flags
// (0: trusted), or -1 when verification failed without flags.
int verify(const std::string& leaf_pem, const std::string& ca_pem, const char* name) {
    Certificate leaf, ca;
    parse_into(leaf, leaf_pem);
    parse_into(ca, ca_pem);
    uint32_t flags = 0;
    int rc = mbedtls_x509_crt_verify(leaf.get(), ca.get(), nullptr, name, &flags, nullptr, nullptr);
    if (rc != 0 && flags == 0) return -1;
    return static_cast<int>(flags);
}

struct SanEntries {
    std::vector<std::string> dns, ip;
};

SanEntries san_of(const Certificate& crt) {
    SanEntries out;
    REQUIRE((crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) != 0);
    for (const mbedtls_x509_sequence* s = &crt->subject_alt_names; s != nullptr; s = s->next) {
        std::string value(reinterpret_cast<const char*>(s->buf.p), s->buf.len);
        if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2)) out.dns.push_back(value);
        else if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7)) out.ip.push_back(hex_encode(value));
        else FAIL("unexpected GeneralName tag ", int(s->buf.tag));
    }
    return out;
}

int year_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return tm.tm_year + 1900;
}

const KeyPair& shared_ca() {
    static const KeyPair ca = [] {
        auto made = create_ca("drover test CA");
        REQUIRE(made);
        return *made;
    }();
    return ca;
}

}  // namespace

TEST_CASE("a new CA is a self-signed ECDSA P-256 CA with pathlen 0, keyCertSign and ten years") {
    const KeyPair& ca = shared_ca();
    CHECK(starts_with(ca.key_pem, "-----BEGIN EC PRIVATE KEY-----"));
    CHECK(starts_with(ca.cert_pem, "-----BEGIN CERTIFICATE-----"));

    Certificate crt;
    parse_into(crt, ca.cert_pem);
    CHECK(crt->version == 3);
    CHECK(subject_of(crt) == "CN=drover test CA");
    CHECK(issuer_of(crt) == "CN=drover test CA");
    CHECK(crt->ca_istrue == 1);
    CHECK(crt->max_pathlen == 1);  // mbedTLS stores pathlen + 1
    CHECK(mbedtls_x509_crt_check_key_usage(crt.get(), MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN) == 0);
    CHECK(mbedtls_x509_crt_check_key_usage(crt.get(), MBEDTLS_X509_KU_DIGITAL_SIGNATURE) != 0);
    CHECK(crt->sig_md == MBEDTLS_MD_SHA256);
    CHECK(mbedtls_pk_get_type(&crt->pk) == MBEDTLS_PK_ECKEY);
    CHECK(mbedtls_pk_ec(crt->pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1);
    CHECK(crt->valid_to.year - year_now() == 10);
    CHECK_FALSE(mbedtls_x509_time_is_future(&crt->valid_from));

    PkContext key;
    parse_key_into(key, ca.key_pem);
    CHECK(mbedtls_pk_check_pair(&crt->pk, key.get()) == 0);
    CHECK(verify(ca.cert_pem, ca.cert_pem, nullptr) == 0);
}

TEST_CASE("a server certificate chains to its CA and answers for its hostnames only") {
    const KeyPair& ca = shared_ca();
    auto server = issue_server_certificate(ca, default_server_hostnames());
    REQUIRE(server);

    Certificate crt;
    parse_into(crt, server->cert_pem);
    CHECK(subject_of(crt) == "CN=localhost");
    CHECK(issuer_of(crt) == "CN=drover test CA");
    CHECK(crt->ca_istrue == 0);
    CHECK(crt->valid_to.year - year_now() == 2);
    CHECK(mbedtls_x509_crt_check_key_usage(crt.get(), MBEDTLS_X509_KU_DIGITAL_SIGNATURE) == 0);
    CHECK(mbedtls_x509_crt_check_key_usage(crt.get(), MBEDTLS_X509_KU_KEY_CERT_SIGN) != 0);
    CHECK(mbedtls_x509_crt_check_extended_key_usage(crt.get(), MBEDTLS_OID_SERVER_AUTH,
                                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) == 0);
    CHECK(mbedtls_x509_crt_check_extended_key_usage(crt.get(), MBEDTLS_OID_CLIENT_AUTH,
                                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) != 0);
    auto san = san_of(crt);
    CHECK(san.dns == std::vector<std::string>{"localhost"});
    CHECK(san.ip == std::vector<std::string>{"7f000001", "00000000000000000000000000000001"});

    PkContext key;
    parse_key_into(key, server->key_pem);
    CHECK(mbedtls_pk_check_pair(&crt->pk, key.get()) == 0);
    CHECK(mbedtls_pk_ec(crt->pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1);

    CHECK(verify(server->cert_pem, ca.cert_pem, "localhost") == 0);
    CHECK(verify(server->cert_pem, ca.cert_pem, "evil.example") == MBEDTLS_X509_BADCERT_CN_MISMATCH);
    auto other_ca = create_ca("another CA");
    REQUIRE(other_ca);
    CHECK((verify(server->cert_pem, other_ca->cert_pem, "localhost") & MBEDTLS_X509_BADCERT_NOT_TRUSTED) != 0);
}

TEST_CASE("mixed DNS names and IP literals: CN is the first, every name is in subjectAltName") {
    auto server = issue_server_certificate(shared_ca(), {"Hub.Example.com", "10.1.2.3", "*.edge.example", "2001:db8::1"});
    REQUIRE(server);
    Certificate crt;
    parse_into(crt, server->cert_pem);
    CHECK(subject_of(crt) == "CN=hub.example.com");
    auto san = san_of(crt);
    CHECK(san.dns == std::vector<std::string>{"hub.example.com", "*.edge.example"});
    CHECK(san.ip == std::vector<std::string>{"0a010203", "20010db8000000000000000000000001"});
    CHECK(verify(server->cert_pem, shared_ca().cert_pem, "hub.example.com") == 0);
    CHECK(verify(server->cert_pem, shared_ca().cert_pem, "node7.edge.example") == 0);
}

TEST_CASE("an IP literal listed first becomes the common name") {
    auto server = issue_server_certificate(shared_ca(), {"192.168.1.10"});
    REQUIRE(server);
    Certificate crt;
    parse_into(crt, server->cert_pem);
    CHECK(subject_of(crt) == "CN=192.168.1.10");
    CHECK(san_of(crt).ip == std::vector<std::string>{"c0a8010a"});
}

TEST_CASE("every certificate gets its own random positive serial") {
    auto a = issue_server_certificate(shared_ca(), {"localhost"});
    auto b = issue_server_certificate(shared_ca(), {"localhost"});
    REQUIRE(a);
    REQUIRE(b);
    Certificate ca_crt, crt_a, crt_b;
    parse_into(ca_crt, shared_ca().cert_pem);
    parse_into(crt_a, a->cert_pem);
    parse_into(crt_b, b->cert_pem);
    auto serial = [](const Certificate& c) { return std::string(reinterpret_cast<const char*>(c->serial.p), c->serial.len); };
    CHECK(serial(crt_a).size() == 16);
    CHECK((static_cast<unsigned char>(serial(crt_a)[0]) & 0x80) == 0);
    CHECK(serial(crt_a) != serial(crt_b));
    CHECK(serial(crt_a) != serial(ca_crt));
    CHECK(a->key_pem != b->key_pem);
}

TEST_CASE("a leaf never outlives its CA") {
    auto short_ca = create_ca("short-lived CA", 30);
    REQUIRE(short_ca);
    auto server = issue_server_certificate(*short_ca, {"localhost"}, kServerValidDays);
    REQUIRE(server);
    Certificate ca_crt, crt;
    parse_into(ca_crt, short_ca->cert_pem);
    parse_into(crt, server->cert_pem);
    CHECK(std::memcmp(&ca_crt->valid_to, &crt->valid_to, sizeof(mbedtls_x509_time)) == 0);
}

TEST_CASE("a CA common name with a comma still yields a leaf whose issuer matches") {
    auto ca = create_ca("Acme, Inc. drover CA");
    REQUIRE(ca);
    Certificate crt;
    parse_into(crt, ca->cert_pem);
    CHECK(subject_of(crt) == "CN=Acme\\, Inc. drover CA");
    auto server = issue_server_certificate(*ca, {"localhost"});
    REQUIRE(server);
    CHECK(verify(server->cert_pem, ca->cert_pem, "localhost") == 0);
}

TEST_CASE("bad CA names and validity periods are refused") {
    CHECK_FALSE(create_ca(""));
    CHECK_FALSE(create_ca(std::string(65, 'x')));
    CHECK(create_ca(std::string(64, 'x')));
    CHECK_FALSE(create_ca("back\\slash"));
    CHECK_FALSE(create_ca("new\nline"));
    CHECK_FALSE(create_ca("ok", 0));
    CHECK_FALSE(create_ca("ok", -5));
    CHECK_FALSE(create_ca("ok", kMaxValidDays + 1));
    CHECK_FALSE(issue_server_certificate(shared_ca(), {"localhost"}, 0));
}

TEST_CASE("a far-future validity is written as GeneralizedTime and still parses") {
    auto ca = create_ca("long CA", kMaxValidDays);
    REQUIRE(ca);
    Certificate crt;
    parse_into(crt, ca->cert_pem);
    CHECK(crt->valid_to.year - year_now() >= 99);
}

TEST_CASE("bad hostnames are refused, naming the hostname") {
    auto none = issue_server_certificate(shared_ca(), {});
    REQUIRE_FALSE(none);
    CHECK(none.error().message == "server certificate needs at least one hostname");
    auto bad = issue_server_certificate(shared_ca(), {"localhost", "hub:8443"});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("\"hub:8443\"") != std::string::npos);
    std::string long_first = std::string(60, 'a') + ".example";
    auto too_long = issue_server_certificate(shared_ca(), {long_first, "localhost"});
    REQUIRE_FALSE(too_long);
    CHECK(too_long.error().message.find("list a shorter name first") != std::string::npos);
    CHECK(issue_server_certificate(shared_ca(), {"localhost", long_first}));
}

TEST_CASE("malformed or mismatched CA input is an error, not a crash") {
    const KeyPair& ca = shared_ca();
    auto other = create_ca("other CA");
    REQUIRE(other);
    auto leaf = issue_server_certificate(ca, {"localhost"});
    REQUIRE(leaf);
    std::string truncated = ca.cert_pem.substr(0, ca.cert_pem.size() / 2);
    std::string corrupted = ca.cert_pem;
    corrupted[corrupted.size() / 2] = corrupted[corrupted.size() / 2] == 'A' ? 'B' : 'A';

    struct Case {
        const char* what;
        KeyPair input;
        const char* expect;
    };
    const Case cases[] = {
        {"empty", {"", ""}, "CA certificate is not a valid PEM certificate"},
        {"garbage cert", {ca.key_pem, "hello"}, "CA certificate is not a valid PEM certificate"},
        {"truncated cert", {ca.key_pem, truncated}, "CA certificate is not a valid PEM certificate"},
        {"corrupted cert", {ca.key_pem, corrupted}, "CA certificate"},
        {"garbage key", {"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", ca.cert_pem},
         "CA key is not a valid PEM private key"},
        {"key and cert swapped", {ca.cert_pem, ca.key_pem}, "CA certificate is not a valid PEM certificate"},
        {"another CA's key", {other->key_pem, ca.cert_pem}, "CA key does not belong to the CA certificate"},
        {"a leaf as CA", {leaf->key_pem, leaf->cert_pem}, "CA certificate is not a CA"},
    };
    for (const auto& c : cases) {
        auto r = issue_server_certificate(c.input, {"localhost"});
        CHECK_MESSAGE(!r, c.what);
        if (!r) CHECK_MESSAGE(r.error().message.find(c.expect) != std::string::npos, c.what, ": ", r.error().message);
    }
}

TEST_CASE("a client certificate chains to its CA, names its user in CN and is for clientAuth only") {
    const KeyPair& ca = shared_ca();
    auto client = issue_client_certificate(ca, "kube-admin");
    REQUIRE(client);

    Certificate crt;
    parse_into(crt, client->cert_pem);
    CHECK(subject_of(crt) == "CN=kube-admin");
    CHECK(issuer_of(crt) == "CN=drover test CA");
    CHECK(crt->ca_istrue == 0);
    CHECK((crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) == 0);
    CHECK(mbedtls_x509_crt_check_key_usage(crt.get(), MBEDTLS_X509_KU_DIGITAL_SIGNATURE) == 0);
    CHECK(mbedtls_x509_crt_check_extended_key_usage(crt.get(), MBEDTLS_OID_CLIENT_AUTH,
                                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) == 0);
    CHECK(mbedtls_x509_crt_check_extended_key_usage(crt.get(), MBEDTLS_OID_SERVER_AUTH,
                                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) != 0);
    PkContext key;
    parse_key_into(key, client->key_pem);
    CHECK(mbedtls_pk_check_pair(&crt->pk, key.get()) == 0);
    CHECK(verify(client->cert_pem, ca.cert_pem, nullptr) == 0);

    CHECK_FALSE(issue_client_certificate(ca, ""));
    auto bad_ca = issue_client_certificate(KeyPair{"", ""}, "kube-admin");
    REQUIRE_FALSE(bad_ca);
    CHECK(bad_ca.error().message.find("CA certificate is not a valid PEM certificate") != std::string::npos);
}

namespace {

// A fresh key's SubjectPublicKeyInfo (DER), on the given curve.
std::string public_key_der(mbedtls_ecp_group_id curve, PkContext& key) {
    REQUIRE(mbedtls_pk_setup(key.get(), mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0);
    REQUIRE(mbedtls_ecp_gen_key(curve, mbedtls_pk_ec(*key.get()), os_random, nullptr) == 0);
    unsigned char buf[512];
    int len = mbedtls_pk_write_pubkey_der(key.get(), buf, sizeof buf);
    REQUIRE(len > 0);
    return std::string(reinterpret_cast<const char*>(buf + sizeof buf - len), static_cast<size_t>(len));
}

}  // namespace

TEST_CASE("a client's own key is certified for clientAuth with its id as CN, valid as long as the CA") {
    const KeyPair& ca = shared_ca();
    PkContext key;
    std::string spki = public_key_der(MBEDTLS_ECP_DP_SECP256R1, key);
    auto issued = ClientCertificateIssuer::load(ca)->certify("agt_0123", spki);
    REQUIRE(issued);
    CHECK(issued->public_key_der == spki);
    const std::string* der = &issued->certificate_der;
    Certificate crt;
    REQUIRE(mbedtls_x509_crt_parse_der(crt.get(), reinterpret_cast<const unsigned char*>(der->data()), der->size()) == 0);
    CHECK(subject_of(crt) == "CN=agt_0123");
    CHECK(crt->ca_istrue == 0);
    CHECK(mbedtls_x509_crt_check_extended_key_usage(crt.get(), MBEDTLS_OID_CLIENT_AUTH,
                                                    MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) == 0);
    // The certificate is for exactly the key given (its private half never left the client).
    unsigned char buf[512];
    int len = mbedtls_pk_write_pubkey_der(&crt->pk, buf, sizeof buf);
    CHECK(std::string(reinterpret_cast<const char*>(buf + sizeof buf - len), static_cast<size_t>(len)) == spki);
    Certificate ca_crt;
    parse_into(ca_crt, ca.cert_pem);
    CHECK(std::memcmp(&crt->valid_to, &ca_crt->valid_to, sizeof crt->valid_to) == 0);
    uint32_t flags = 0;
    CHECK(mbedtls_x509_crt_verify(crt.get(), ca_crt.get(), nullptr, nullptr, &flags, nullptr, nullptr) == 0);
}

TEST_CASE("a client public key that is not P-256 DER, or a bad common name, is refused with the reason") {
    const KeyPair& ca = shared_ca();
    PkContext p384;
    auto refused = ClientCertificateIssuer::load(ca)->certify("agt_1", public_key_der(MBEDTLS_ECP_DP_SECP384R1, p384));
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "client public key is not an ECDSA P-256 key");
    refused = ClientCertificateIssuer::load(ca)->certify("agt_1", "garbage");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.starts_with("client public key is not a DER public key"));
    refused = ClientCertificateIssuer::load(ca)->certify("agt_1", "");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "client public key of 0 bytes (1 to 512 expected)");
    PkContext key;
    CHECK_FALSE(ClientCertificateIssuer::load(ca)->certify("", public_key_der(MBEDTLS_ECP_DP_SECP256R1, key)));
}

TEST_CASE("a client certificate issuer checks its CA once, when loaded") {
    auto other = *create_ca("another CA");
    auto mismatched = ClientCertificateIssuer::load(KeyPair{other.key_pem, shared_ca().cert_pem});
    REQUIRE_FALSE(mismatched);
    CHECK(mismatched.error().message == "CA key does not belong to the CA certificate");
    auto not_a_ca = ClientCertificateIssuer::load(*issue_server_certificate(shared_ca(), {"localhost"}));
    REQUIRE_FALSE(not_a_ca);
    CHECK(not_a_ca.error().message.find("not a CA") != std::string::npos);
}
