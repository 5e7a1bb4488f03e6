#include "agent/session/client_certificate.h"

#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "common/mbedtls_handle.h"
#include "common/text.h"
#include "proto/spec_signature.h"

namespace drover::session {

namespace {

// Largest DER a P-256 key or a certificate naming an agent id needs, with room.
constexpr size_t kDerBuffer = 4096;

using Pk = PkContext;
using Crt = MbedtlsHandle<mbedtls_x509_crt, mbedtls_x509_crt_init, mbedtls_x509_crt_free>;

std::string message(int rc) {
    char buf[160];
    mbedtls_strerror(rc, buf, sizeof buf);
    return buf;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// mbedTLS writes DER at the end of the buffer and returns its length.
template <class Write>
std::string write_der(Write write) {
    std::string buf(kDerBuffer, '\0');
    int len = write(reinterpret_cast<unsigned char*>(buf.data()), buf.size());
    if (len < 0) throw std::runtime_error(cat("cannot encode a key: ", message(len)));
    return buf.substr(buf.size() - static_cast<size_t>(len));
}

Result<void> parse_private(Pk& pk, std::string_view der) {
    int rc = mbedtls_pk_parse_key(pk.get(), bytes(der), der.size(), nullptr, 0);
    if (rc != 0) return fail(cat("the stored client key is unusable: ", message(rc)));
    if (mbedtls_pk_get_type(pk.get()) != MBEDTLS_PK_ECKEY) return fail("the stored client key is not an EC key");
    return {};
}

std::string common_name(const mbedtls_x509_name* name) {
    for (; name != nullptr; name = name->next)
        if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &name->oid) == 0)
            return std::string(reinterpret_cast<const char*>(name->val.p), name->val.len);
    return {};
}

}  // namespace

ClientKey generate_client_key() {
    Pk pk;
    int rc = mbedtls_pk_setup(pk.get(), mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc == 0) rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk.get()), os_random, nullptr);
    if (rc != 0) throw std::runtime_error(cat("cannot generate a client key: ", message(rc)));
    ClientKey key;
    key.private_der = write_der([&](unsigned char* buf, size_t n) { return mbedtls_pk_write_key_der(pk.get(), buf, n); });
    key.public_der =
        write_der([&](unsigned char* buf, size_t n) { return mbedtls_pk_write_pubkey_der(pk.get(), buf, n); });
    return key;
}

Result<std::string> client_public_key(std::string_view private_der) {
    Pk pk;
    if (auto ok = parse_private(pk, private_der); !ok) return std::unexpected(ok.error());
    return write_der([&](unsigned char* buf, size_t n) { return mbedtls_pk_write_pubkey_der(pk.get(), buf, n); });
}

Result<void> check_client_certificate(std::string_view certificate_der, std::string_view private_der,
                                      std::string_view agent_id, std::string_view ca_pem) {
    Crt crt;
    int rc = mbedtls_x509_crt_parse_der(crt.get(), bytes(certificate_der), certificate_der.size());
    if (rc != 0) return fail(cat("not an X.509 certificate: ", message(rc)));
    Pk key;
    if (auto ok = parse_private(key, private_der); !ok) return ok;
    if (mbedtls_pk_check_pair(&crt->pk, key.get()) != 0) return fail("it certifies another key than this agent's");
    std::string cn = common_name(&crt->subject);
    if (cn != agent_id) return fail(cat("it names ", quoted(cn), ", not this agent (", agent_id, ")"));
    if (mbedtls_x509_crt_check_extended_key_usage(crt.get(), MBEDTLS_OID_CLIENT_AUTH,
                                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)) != 0)
        return fail("it is not for TLS client authentication (extendedKeyUsage)");
    Crt ca;
    // PEM parsing wants the terminating NUL counted.
    std::string pem(ca_pem);
    rc = mbedtls_x509_crt_parse(ca.get(), bytes(pem), pem.size() + 1);
    if (rc != 0) return fail(cat("the pinned CA certificate is unusable: ", message(rc)));
    uint32_t flags = 0;
    mbedtls_x509_crt_verify(crt.get(), ca.get(), nullptr, nullptr, &flags, nullptr, nullptr);
    // Time is the hub's to judge (see the header).
    flags &= ~static_cast<uint32_t>(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE |
                                    MBEDTLS_X509_BADCRL_EXPIRED | MBEDTLS_X509_BADCRL_FUTURE);
    if (flags != 0) {
        char info[256];
        mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
        std::string why(info);
        while (!why.empty() && why.back() == '\n') why.pop_back();
        return fail(cat("it does not chain to the pinned hub CA (", why, ")"));
    }
    return {};
}

}  // namespace drover::session
