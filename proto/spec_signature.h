#pragma once
// Spec signatures: the hub signs (bundle, revision, digest) with its ECDSA
// P-256 key; agents verify against the public key they pinned, before they
// store a spec and again before they apply it from the cache.
#include <mbedtls/pk.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace drover {

// The exact bytes that are signed. Field separators cannot occur inside
// bundle names or revisions (both validated), and the digest is hex.
std::string spec_signing_message(std::string_view bundle, std::string_view revision, std::string_view digest_raw);
// The exact bytes the previous spec-signing key signs to endorse its
// successor (proto/signing_key_chain.h). Domain-separated from spec
// messages, so no spec signature can pass for an endorsement or back.
std::string signing_key_rotation_message(std::string_view new_public_pem);

// A fresh ECDSA P-256 private key, PEM (SEC1).
std::string generate_p256_key_pem();

// The hub's key. sign() uses OpenSSL (already in the hub through
// libwebsockets): its P-256 code signs in tens of microseconds where
// mbedTLS 2.28 takes a millisecond, and a push of 500 bundles signs 500
// specs before it is accepted. sign() may be called from several threads.
class SigningKey {
public:
    static Result<SigningKey> from_pem(std::string_view pem);
    std::string sign(std::string_view message) const;  // DER signature
    std::string public_pem() const;

private:
    struct Free {
        void operator()(mbedtls_pk_context* pk) const;
    };
    std::unique_ptr<mbedtls_pk_context, Free> pk_;
    std::shared_ptr<evp_pkey_st> evp_;
};

// Verification results are memoised process-wide: an ECDSA verify costs
// milliseconds with mbedTLS, and the same (key, message, signature) is
// checked by the session when a desired set arrives and by the reconciler on
// every pass (and, in fleetsim, by every simulated agent). Only successes
// are remembered, at most kVerifiedMemo of them; the message is still hashed
// each time.
constexpr size_t kVerifiedMemo = 4096;

class VerifyKey {
public:
    static Result<VerifyKey> from_pem(std::string_view public_pem);
    bool verify(std::string_view message, std::string_view signature) const;
    // SHA-256 of the public key's DER encoding (32 raw bytes): names the key
    // whatever whitespace its PEM carries.
    const std::string& fingerprint() const { return fingerprint_; }

private:
    struct Free {
        void operator()(mbedtls_pk_context* pk) const;
    };
    std::unique_ptr<mbedtls_pk_context, Free> pk_;
    std::string fingerprint_;  // sha256 of the public key (DER)
};

// mbedTLS-style RNG callback over getrandom(); p_rng is unused.
int os_random(void* p_rng, unsigned char* out, size_t len);

}  // namespace drover
