#include "hub/pki/certificates.h"

#include <mbedtls/asn1write.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/x509.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <vector>

#include "common/crypto.h"
#include "common/text.h"
#include "hub/pki/mbedtls_handles.h"
#include "hub/pki/subject_alt_name.h"
#include "proto/spec_signature.h"

namespace drover::pki {

// A parsed CA: owners are not movable, so it lives behind a pointer.
struct LoadedCa {
    PkContext key;
    Certificate cert;
    std::string name;
    std::string not_after;
};

namespace {

// Backdating covers devices whose clocks run somewhat behind the hub's.
constexpr std::time_t kBackdateSeconds = 3600;
// An X.509 ub-common-name.
constexpr size_t kMaxCommonName = 64;

// What distinguishes one kind of certificate from another. A client
// certificate for mTLS is one more Profile: CN = agent id, digitalSignature,
// extendedKeyUsage clientAuth.
struct Profile {
    std::string subject_cn;
    bool is_ca = false;
    unsigned char key_usage = 0;
    std::vector<std::string_view> extended_key_usage;  // OID content bytes
    std::string subject_alt_name_der;                  // empty: no extension
    int valid_days = 0;
};

// Who signs: for a self-signed CA, the subject itself.
struct Issuer {
    mbedtls_pk_context* key;
    std::string name;       // mbedTLS name string, "CN=drover CA"
    std::string not_after;  // "YYYYMMDDhhmmss" the leaf may not pass; empty: none
};

std::string format_time(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return buf;
}

std::string format_time(const mbedtls_x509_time& t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d", t.year, t.mon, t.day, t.hour, t.min, t.sec);
    return buf;
}

std::string mbedtls_message(int code) {
    char buf[160];
    mbedtls_strerror(code, buf, sizeof buf);
    return buf;
}

// An attribute value for mbedTLS's "CN=...,O=..." name strings, which know
// one escape: "\,". A backslash or a control byte cannot be expressed.
Result<std::string> escape_name_value(std::string_view value, std::string_view what) {
    std::string out;
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\\' || u < 0x20 || u == 0x7f)
            return fail(cat(what, " ", quoted(value), ": backslashes and control characters are not allowed"));
        if (c == ',') out += '\\';
        out += c;
    }
    return out;
}

Result<std::string> common_name(std::string_view cn, std::string_view what) {
    if (cn.empty() || cn.size() > kMaxCommonName)
        return fail(cat(what, " ", quoted(cn), ": must be 1-", kMaxCommonName, " characters"));
    auto escaped = escape_name_value(cn, what);
    if (!escaped) return std::unexpected(escaped.error());
    return "CN=" + *escaped;
}

// The CA's subject as a name string that mbedTLS turns back into the same
// attributes, so the leaf's issuer matches it. mbedTLS's writer merges
// repeated attribute types, so a subject that repeats one is refused.
Result<std::string> issuer_name_of(const mbedtls_x509_crt& ca) {
    std::string out;
    std::vector<std::string> seen;
    for (const mbedtls_x509_name* n = &ca.subject; n != nullptr; n = n->next) {
        if (n->oid.p == nullptr) continue;
        const char* short_name = nullptr;
        if (mbedtls_oid_get_attr_short_name(&n->oid, &short_name) != 0)
            return fail("CA certificate subject has an attribute type drover cannot reproduce");
        for (const auto& s : seen)
            if (s == short_name)
                return fail(cat("CA certificate subject repeats ", short_name, "; drover cannot write that issuer name"));
        seen.emplace_back(short_name);
        std::string_view value(reinterpret_cast<const char*>(n->val.p), n->val.len);
        auto escaped = escape_name_value(value, "CA certificate subject value");
        if (!escaped) return std::unexpected(escaped.error());
        if (!out.empty()) out += ',';
        out += cat(short_name, "=", *escaped);
    }
    if (out.empty()) return fail("CA certificate has an empty subject");
    return out;
}

// A self-issued CA certificate must carry a valid signature by its own key:
// that catches a corrupted CA file before it signs anything.
bool self_signature_ok(mbedtls_x509_crt& cert) {
    bool self_issued = cert.issuer_raw.len == cert.subject_raw.len &&
                       std::memcmp(cert.issuer_raw.p, cert.subject_raw.p, cert.subject_raw.len) == 0;
    if (!self_issued) return true;
    const mbedtls_md_info_t* md = mbedtls_md_info_from_type(cert.sig_md);
    if (md == nullptr) return false;
    unsigned char hash[MBEDTLS_MD_MAX_SIZE];
    if (mbedtls_md(md, cert.tbs.p, cert.tbs.len, hash) != 0) return false;
    return mbedtls_pk_verify_ext(cert.sig_pk, cert.sig_opts, &cert.pk, cert.sig_md,
                                 hash, mbedtls_md_get_size(md), cert.sig.p, cert.sig.len) == 0;
}

Result<std::shared_ptr<LoadedCa>> load_ca(const KeyPair& ca) {
    auto loaded = std::make_shared<LoadedCa>();
    // PEM parsing in mbedTLS wants the terminating NUL counted.
    std::string cert_pem = ca.cert_pem, key_pem = ca.key_pem;
    int rc = mbedtls_x509_crt_parse(loaded->cert.get(), reinterpret_cast<const unsigned char*>(cert_pem.c_str()),
                                    cert_pem.size() + 1);
    if (rc != 0) return fail(cat("CA certificate is not a valid PEM certificate: ", mbedtls_message(rc)));
    rc = mbedtls_pk_parse_key(loaded->key.get(), reinterpret_cast<const unsigned char*>(key_pem.c_str()),
                              key_pem.size() + 1, nullptr, 0);
    if (rc != 0) return fail(cat("CA key is not a valid PEM private key: ", mbedtls_message(rc)));

    mbedtls_x509_crt& cert = *loaded->cert.get();
    if (!self_signature_ok(cert)) return fail("CA certificate signature does not verify (corrupted file?)");
    if (!cert.ca_istrue) return fail("CA certificate is not a CA (basicConstraints CA:true missing)");
    if (mbedtls_x509_crt_check_key_usage(&cert, MBEDTLS_X509_KU_KEY_CERT_SIGN) != 0)
        return fail("CA certificate may not sign certificates (keyUsage lacks keyCertSign)");
    if (mbedtls_pk_check_pair(&cert.pk, loaded->key.get()) != 0)
        return fail("CA key does not belong to the CA certificate");
    loaded->not_after = format_time(cert.valid_to);
    if (mbedtls_x509_time_is_past(&cert.valid_to))
        return fail(cat("CA certificate expired at ", loaded->not_after, "Z"));
    auto name = issuer_name_of(cert);
    if (!name) return std::unexpected(name.error());
    loaded->name = std::move(*name);
    return loaded;
}

Result<void> check(int rc, std::string_view step) {
    if (rc != 0) return fail(cat("certificate ", step, ": ", mbedtls_message(rc)));
    return {};
}

Result<void> set_random_serial(mbedtls_x509write_cert* writer) {
    std::string bytes = random_bytes(16);
    // Positive (RFC 5280 4.1.2.2) and never zero.
    bytes[0] = static_cast<char>((static_cast<unsigned char>(bytes[0]) & 0x7f) | 0x40);
    BigNumber serial;
    if (auto ok = check(mbedtls_mpi_read_binary(serial.get(), reinterpret_cast<const unsigned char*>(bytes.data()),
                                                bytes.size()),
                        "serial");
        !ok)
        return ok;
    return check(mbedtls_x509write_crt_set_serial(writer, serial.get()), "serial");
}

// ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
Result<std::string> encode_extended_key_usage(const std::vector<std::string_view>& oids) {
    unsigned char buf[256];
    unsigned char* p = buf + sizeof buf;
    size_t len = 0;
    for (auto it = oids.rbegin(); it != oids.rend(); ++it) {
        int rc = mbedtls_asn1_write_oid(&p, buf, it->data(), it->size());
        if (rc < 0) return fail("certificate extendedKeyUsage: too many purposes");
        len += static_cast<size_t>(rc);
    }
    int rc = mbedtls_asn1_write_len(&p, buf, len);
    if (rc < 0) return fail("certificate extendedKeyUsage: cannot encode");
    len += static_cast<size_t>(rc);
    rc = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE);
    if (rc < 0) return fail("certificate extendedKeyUsage: cannot encode");
    len += static_cast<size_t>(rc);
    return std::string(reinterpret_cast<const char*>(p), len);
}

Result<std::string> write_certificate(const Profile& profile, mbedtls_pk_context* subject_key, const Issuer& issuer) {
    if (profile.valid_days < 1 || profile.valid_days > kMaxValidDays)
        return fail(cat("certificate validity ", profile.valid_days, " days: must be 1-", kMaxValidDays));
    auto subject = common_name(profile.subject_cn, "certificate common name");
    if (!subject) return std::unexpected(subject.error());

    std::time_t now = std::time(nullptr);
    std::string not_before = format_time(now - kBackdateSeconds);
    std::string not_after = format_time(now + static_cast<std::time_t>(profile.valid_days) * 86400);
    // Same fixed-width format: string order is time order.
    if (!issuer.not_after.empty() && issuer.not_after < not_after) not_after = issuer.not_after;

    CertificateWriter writer;
    mbedtls_x509write_crt_set_version(writer.get(), MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(writer.get(), MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(writer.get(), subject_key);
    mbedtls_x509write_crt_set_issuer_key(writer.get(), issuer.key);

    Result<void> ok = set_random_serial(writer.get());
    if (ok) ok = check(mbedtls_x509write_crt_set_subject_name(writer.get(), subject->c_str()), "subject name");
    if (ok) ok = check(mbedtls_x509write_crt_set_issuer_name(writer.get(), issuer.name.c_str()), "issuer name");
    if (ok)
        ok = check(mbedtls_x509write_crt_set_validity(writer.get(), not_before.c_str(), not_after.c_str()),
                   "validity");
    if (ok)
        ok = check(mbedtls_x509write_crt_set_basic_constraints(writer.get(), profile.is_ca ? 1 : 0,
                                                               profile.is_ca ? 0 : -1),
                   "basicConstraints");
    if (ok) ok = check(mbedtls_x509write_crt_set_key_usage(writer.get(), profile.key_usage), "keyUsage");
    if (ok) ok = check(mbedtls_x509write_crt_set_subject_key_identifier(writer.get()), "subjectKeyIdentifier");
    if (ok) ok = check(mbedtls_x509write_crt_set_authority_key_identifier(writer.get()), "authorityKeyIdentifier");
    if (ok && !profile.extended_key_usage.empty()) {
        auto der = encode_extended_key_usage(profile.extended_key_usage);
        if (!der) return std::unexpected(der.error());
        ok = check(mbedtls_x509write_crt_set_extension(
                       writer.get(), MBEDTLS_OID_EXTENDED_KEY_USAGE, MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
                       0, reinterpret_cast<const unsigned char*>(der->data()), der->size()),
                   "extendedKeyUsage");
    }
    if (ok && !profile.subject_alt_name_der.empty()) {
        const std::string& der = profile.subject_alt_name_der;
        ok = check(mbedtls_x509write_crt_set_extension(
                       writer.get(), MBEDTLS_OID_SUBJECT_ALT_NAME, MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                       reinterpret_cast<const unsigned char*>(der.data()), der.size()),
                   "subjectAltName");
    }
    if (!ok) return std::unexpected(ok.error());

    // A P-256 certificate is well under 1 KB plus its names. DER is written
    // at the end of the buffer.
    std::vector<unsigned char> der(4096 + 2 * profile.subject_alt_name_der.size());
    int len = mbedtls_x509write_crt_der(writer.get(), der.data(), der.size(), os_random, nullptr);
    if (len < 0) return std::unexpected(check(len, "encoding").error());
    return std::string(reinterpret_cast<const char*>(der.data() + der.size() - len), static_cast<size_t>(len));
}

Result<std::string> certificate_pem(const std::string& der) {
    std::vector<unsigned char> pem(2 * der.size() + 128);
    size_t len = 0;
    int rc = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
                                      reinterpret_cast<const unsigned char*>(der.data()), der.size(), pem.data(),
                                      pem.size(), &len);
    if (auto ok = check(rc, "PEM encoding"); !ok) return std::unexpected(ok.error());
    // len counts the terminating NUL.
    return std::string(reinterpret_cast<const char*>(pem.data()), len - 1);
}

Result<void> parse_key(PkContext& pk, const std::string& pem) {
    return check(
        mbedtls_pk_parse_key(pk.get(), reinterpret_cast<const unsigned char*>(pem.c_str()), pem.size() + 1, nullptr, 0),
        "key");
}

}  // namespace

namespace {

// A fresh P-256 key certified as `profile` says, by `signer`, or
// self-signed under `self_name` when there is no signer (a CA).
Result<KeyPair> certify_new_key(const Profile& profile, LoadedCa* signer, const std::string& self_name = "") {
    KeyPair out;
    out.key_pem = generate_p256_key_pem();
    PkContext key;
    if (auto ok = parse_key(key, out.key_pem); !ok) return std::unexpected(ok.error());
    Issuer issuer = signer ? Issuer{signer->key.get(), signer->name, signer->not_after} : Issuer{key.get(), self_name, ""};
    auto cert = write_certificate(profile, key.get(), issuer);
    if (!cert) return std::unexpected(cert.error());
    auto pem = certificate_pem(*cert);
    if (!pem) return std::unexpected(pem.error());
    out.cert_pem = std::move(*pem);
    return out;
}

}  // namespace

Result<KeyPair> create_ca(std::string_view cn, int valid_days) {
    auto name = common_name(cn, "CA common name");
    if (!name) return std::unexpected(name.error());
    Profile profile;
    profile.subject_cn = std::string(cn);
    profile.is_ca = true;
    profile.key_usage = MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN;
    profile.valid_days = valid_days;
    return certify_new_key(profile, nullptr, *name);
}

Result<KeyPair> issue_server_certificate(const KeyPair& ca, const std::vector<std::string>& hostnames,
                                         int valid_days) {
    if (hostnames.empty()) return fail("server certificate needs at least one hostname");
    auto names = parse_alt_names(hostnames);
    if (!names) return std::unexpected(names.error());
    // The names that matter live in subjectAltName; CN is for people.
    if (names->front().text.size() > kMaxCommonName)
        return fail(cat("hostname ", quoted(names->front().text), " is longer than ", kMaxCommonName,
                        " characters and cannot be the common name; list a shorter name first"));
    auto san = encode_subject_alt_name(*names);
    if (!san) return std::unexpected(san.error());
    auto loaded = load_ca(ca);
    if (!loaded) return std::unexpected(loaded.error());
    Profile profile;
    profile.subject_cn = names->front().text;
    profile.key_usage = MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
    profile.extended_key_usage = {
        std::string_view(MBEDTLS_OID_SERVER_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH))};
    profile.subject_alt_name_der = std::move(*san);
    profile.valid_days = valid_days;
    return certify_new_key(profile, loaded->get());
}

namespace {

Profile client_profile(std::string_view cn, int valid_days) {
    Profile profile;
    profile.subject_cn = std::string(cn);
    profile.key_usage = MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
    profile.extended_key_usage = {
        std::string_view(MBEDTLS_OID_CLIENT_AUTH, MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH))};
    profile.valid_days = valid_days;
    return profile;
}

}  // namespace

Result<KeyPair> issue_client_certificate(const KeyPair& ca, std::string_view cn, int valid_days) {
    if (auto name = common_name(cn, "client common name"); !name) return std::unexpected(name.error());
    auto loaded = load_ca(ca);
    if (!loaded) return std::unexpected(loaded.error());
    return certify_new_key(client_profile(cn, valid_days), loaded->get());
}

Result<ClientCertificateIssuer> ClientCertificateIssuer::load(const KeyPair& ca) {
    auto loaded = load_ca(ca);
    if (!loaded) return std::unexpected(loaded.error());
    ClientCertificateIssuer issuer;
    issuer.ca_ = std::move(*loaded);
    return issuer;
}

Result<ClientCertificate> ClientCertificateIssuer::certify(std::string_view cn, std::string_view public_key_der,
                                                           int valid_days) const {
    if (auto name = common_name(cn, "client common name"); !name) return std::unexpected(name.error());
    if (public_key_der.empty() || public_key_der.size() > kMaxPublicKeyDer)
        return fail(cat("client public key of ", public_key_der.size(), " bytes (1 to ", kMaxPublicKeyDer,
                        " expected)"));
    PkContext key;
    int rc = mbedtls_pk_parse_public_key(key.get(), reinterpret_cast<const unsigned char*>(public_key_der.data()),
                                         public_key_der.size());
    if (rc != 0) return fail(cat("client public key is not a DER public key: ", mbedtls_message(rc)));
    if (mbedtls_pk_get_type(key.get()) != MBEDTLS_PK_ECKEY ||
        mbedtls_pk_ec(*key.get())->grp.id != MBEDTLS_ECP_DP_SECP256R1)
        return fail("client public key is not an ECDSA P-256 key");
    // Loaded once, perhaps long ago.
    if (mbedtls_x509_time_is_past(&ca_->cert->valid_to))
        return fail(cat("CA certificate expired at ", ca_->not_after, "Z"));
    auto der = write_certificate(client_profile(cn, valid_days), key.get(),
                                 Issuer{ca_->key.get(), ca_->name, ca_->not_after});
    if (!der) return std::unexpected(der.error());
    unsigned char buf[kMaxPublicKeyDer];
    int len = mbedtls_pk_write_pubkey_der(key.get(), buf, sizeof buf);
    if (auto ok = check(len < 0 ? len : 0, "public key encoding"); !ok) return std::unexpected(ok.error());
    return ClientCertificate{std::move(*der),
                             std::string(reinterpret_cast<const char*>(buf + sizeof buf - len), static_cast<size_t>(len))};
}

}  // namespace drover::pki
