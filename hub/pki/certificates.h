#pragma once
// The hub's own small PKI, generated locally by `drover-hub init` with
// mbedTLS: a CA (ECDSA P-256, self-signed, CA:true with path length 0) and
// the TLS server certificate it signs. Agents and droverctl pin the CA
// certificate; nothing here touches the system trust store.
//
// Every certificate is ECDSA P-256 with SHA-256, X.509 v3, a random positive
// 126-bit serial, subject and authority key identifiers, and a notBefore one
// hour in the past (edge clocks drift). A leaf's notAfter never passes its
// CA's. Keys are PEM (SEC1 "EC PRIVATE KEY"), certificates PEM.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace drover::pki {

struct KeyPair {
    std::string key_pem, cert_pem;
};

constexpr int kCaValidDays = 3650;
constexpr int kServerValidDays = 730;
// Largest validity accepted by the functions below (100 years).
constexpr int kMaxValidDays = 36500;

// What `drover-hub init` puts in the server certificate when the operator
// names no --hostname.
inline std::vector<std::string> default_server_hostnames() { return {"localhost", "127.0.0.1", "::1"}; }

// A self-signed CA: subject CN = common_name (1-64 printable characters,
// no backslash), basicConstraints critical CA:true pathlen:0, keyUsage
// critical keyCertSign|cRLSign.
Result<KeyPair> create_ca(std::string_view common_name, int valid_days = kCaValidDays);

// A TLS server certificate signed by ca: subject CN = the first hostname,
// subjectAltName = every hostname (DNS names and IPv4/IPv6 literals, mixed;
// see subject_alt_name.h; repeats dropped), keyUsage critical
// digitalSignature, extendedKeyUsage serverAuth, basicConstraints CA:false.
// A malformed or mismatched CA key/certificate, a CA certificate that is not
// a CA or has expired, and a bad hostname are errors, not crashes.
Result<KeyPair> issue_server_certificate(const KeyPair& ca, const std::vector<std::string>& hostnames,
                                         int valid_days = kServerValidDays);

// A TLS client certificate signed by ca, for mutual TLS: subject CN =
// common_name (1-64 printable characters, no backslash; servers such as
// Kubernetes read it as the user name), keyUsage critical digitalSignature,
// extendedKeyUsage clientAuth, basicConstraints CA:false, no subjectAltName.
// CA problems are reported as for issue_server_certificate.
Result<KeyPair> issue_client_certificate(const KeyPair& ca, std::string_view common_name,
                                         int valid_days = kServerValidDays);

// The same client certificates for key pairs the clients made themselves, so
// their private keys never leave them (the hub's --client-certs).
constexpr size_t kMaxPublicKeyDer = 512;
struct ClientCertificate {
    std::string certificate_der;
    // The certified key as the certificate carries it (DER
    // SubjectPublicKeyInfo, re-encoded): what a TLS peer's certificate is
    // compared with.
    std::string public_key_der;
};
struct LoadedCa;
class ClientCertificateIssuer {
public:
    // Parses and checks the CA once (as issue_server_certificate does), so
    // that each certify() costs one signature, not a parse and two
    // verifications.
    static Result<ClientCertificateIssuer> load(const KeyPair& ca);
    // public_key_der: the client's DER SubjectPublicKeyInfo, ECDSA P-256
    // only, at most kMaxPublicKeyDer bytes; anything else is an error naming
    // why. With kMaxValidDays the certificate is valid as long as the CA is.
    Result<ClientCertificate> certify(std::string_view common_name, std::string_view public_key_der,
                                      int valid_days = kMaxValidDays) const;

private:
    std::shared_ptr<LoadedCa> ca_;
};

}  // namespace drover::pki
