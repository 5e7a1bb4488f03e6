#include "proto/spec_signature.h"

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <mutex>
#include <stdexcept>
#include <unordered_set>

#include "common/crypto.h"
#include "common/text.h"

namespace drover {

int os_random(void*, unsigned char* out, size_t len) {
    std::string bytes = random_bytes(len);
    std::copy(bytes.begin(), bytes.end(), out);
    return 0;
}

std::string spec_signing_message(std::string_view bundle, std::string_view revision, std::string_view digest_raw) {
    return cat("drover-spec-v1\n", bundle, "\n", revision, "\n", hex_encode(digest_raw), "\n");
}

std::string signing_key_rotation_message(std::string_view new_public_pem) {
    return cat("drover signing-key rotation v1\n", new_public_pem);
}

std::string generate_p256_key_pem() {
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0 ||
        mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), os_random, nullptr) != 0) {
        mbedtls_pk_free(&pk);
        throw std::runtime_error("mbedtls: ECDSA P-256 key generation failed");
    }
    unsigned char buf[1024];
    int rc = mbedtls_pk_write_key_pem(&pk, buf, sizeof buf);
    mbedtls_pk_free(&pk);
    if (rc != 0) throw std::runtime_error("mbedtls: cannot write key PEM");
    return reinterpret_cast<const char*>(buf);
}

static std::unique_ptr<mbedtls_pk_context> new_pk() {
    auto pk = std::make_unique<mbedtls_pk_context>();
    mbedtls_pk_init(pk.get());
    return pk;
}

static bool is_p256(mbedtls_pk_context* pk) {
    return mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY && mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

void SigningKey::Free::operator()(mbedtls_pk_context* pk) const {
    mbedtls_pk_free(pk);
    delete pk;
}
void VerifyKey::Free::operator()(mbedtls_pk_context* pk) const {
    mbedtls_pk_free(pk);
    delete pk;
}

Result<SigningKey> SigningKey::from_pem(std::string_view pem) {
    SigningKey key;
    key.pk_.reset(new_pk().release());
    std::string z(pem);  // mbedTLS wants the terminating NUL counted for PEM
    if (mbedtls_pk_parse_key(key.pk_.get(), reinterpret_cast<const unsigned char*>(z.c_str()), z.size() + 1,
                             nullptr, 0) != 0)
        return fail("signing key is not a valid PEM private key");
    if (!is_p256(key.pk_.get())) return fail("signing key is not an ECDSA P-256 key");
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(z.data(), static_cast<int>(z.size())), BIO_free);
    EVP_PKEY* evp = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (!evp) return fail("signing key is not a valid PEM private key (OpenSSL)");
    key.evp_.reset(evp, EVP_PKEY_free);
    return key;
}

std::string SigningKey::sign(std::string_view message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char sig[MBEDTLS_ECDSA_MAX_LEN];
    size_t len = sizeof sig;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, evp_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
        throw std::runtime_error("openssl: signing failed");
    return std::string(reinterpret_cast<const char*>(sig), len);
}

std::string SigningKey::public_pem() const {
    unsigned char buf[512];
    if (mbedtls_pk_write_pubkey_pem(pk_.get(), buf, sizeof buf) != 0)
        throw std::runtime_error("mbedtls: cannot write public key PEM");
    return reinterpret_cast<const char*>(buf);
}

Result<VerifyKey> VerifyKey::from_pem(std::string_view public_pem) {
    VerifyKey key;
    key.pk_.reset(new_pk().release());
    std::string z(public_pem);
    if (mbedtls_pk_parse_public_key(key.pk_.get(), reinterpret_cast<const unsigned char*>(z.c_str()),
                                    z.size() + 1) != 0)
        return fail("signing public key is not a valid PEM public key");
    if (!is_p256(key.pk_.get())) return fail("signing public key is not an ECDSA P-256 key");
    unsigned char der[256];
    int n = mbedtls_pk_write_pubkey_der(key.pk_.get(), der, sizeof der);
    if (n <= 0) return fail("signing public key cannot be encoded");
    key.fingerprint_ = sha256(std::string_view(reinterpret_cast<const char*>(der + sizeof der - n), static_cast<size_t>(n)));
    return key;
}

namespace {

struct VerifiedMemo {
    std::mutex mutex;
    std::unordered_set<std::string> entries;
};

VerifiedMemo& verified_memo() {
    static VerifiedMemo memo;
    return memo;
}

}  // namespace

bool VerifyKey::verify(std::string_view message, std::string_view signature) const {
    if (signature.empty() || signature.size() > MBEDTLS_ECDSA_MAX_LEN) return false;
    std::string hash = sha256(message);
    std::string memo_key = sha256(fingerprint_ + hash + std::string(signature));
    VerifiedMemo& memo = verified_memo();
    {
        std::lock_guard lock(memo.mutex);
        if (memo.entries.count(memo_key)) return true;
    }
    bool ok = mbedtls_pk_verify(pk_.get(), MBEDTLS_MD_SHA256, reinterpret_cast<const unsigned char*>(hash.data()),
                                hash.size(), reinterpret_cast<const unsigned char*>(signature.data()),
                                signature.size()) == 0;
    if (ok) {
        std::lock_guard lock(memo.mutex);
        if (memo.entries.size() >= kVerifiedMemo) memo.entries.clear();
        memo.entries.insert(std::move(memo_key));
    }
    return ok;
}

}  // namespace drover
