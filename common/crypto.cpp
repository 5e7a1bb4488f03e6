#include "common/crypto.h"

#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <sys/random.h>

#include <cerrno>
#include <stdexcept>

#include "common/text.h"

namespace drover {

std::string sha256(std::string_view data) {
    std::string out(kDigestSize, '\0');
    mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                       reinterpret_cast<unsigned char*>(out.data()), 0);
    return out;
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

struct Sha256::Context {
    mbedtls_sha256_context ctx;
    Context() {
        mbedtls_sha256_init(&ctx);
        mbedtls_sha256_starts_ret(&ctx, 0);
    }
    ~Context() { mbedtls_sha256_free(&ctx); }
};

Sha256::Sha256() : ctx_(std::make_unique<Context>()) {}
Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) {
    mbedtls_sha256_update_ret(&ctx_->ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string Sha256::finish() {
    std::string out(kDigestSize, '\0');
    mbedtls_sha256_finish_ret(&ctx_->ctx, reinterpret_cast<unsigned char*>(out.data()));
    mbedtls_sha256_starts_ret(&ctx_->ctx, 0);
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::string out(kDigestSize, '\0');
    // Fails only for a missing digest or on allocation failure: broken
    // infrastructure, not input.
    if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
                        reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                        reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                        reinterpret_cast<unsigned char*>(out.data())) != 0)
        throw std::runtime_error("mbedtls HMAC-SHA256 failed");
    return out;
}

std::string random_bytes(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out.data() + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("getrandom failed");
        }
        got += static_cast<size_t>(r);
    }
    return out;
}

std::string random_token(std::string_view prefix, size_t bytes) {
    return std::string(prefix) + hex_encode(random_bytes(bytes));
}

bool equal_secret(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string base64_encode(std::string_view bytes) {
    size_t n = 0;
    mbedtls_base64_encode(nullptr, 0, &n, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    std::string out(n, '\0');
    if (mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &n,
                              reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) != 0)
        throw std::runtime_error("mbedtls: base64 encoding failed");
    out.resize(n);  // n excludes the terminating NUL mbedTLS writes
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    size_t n = 0;
    const auto* src = reinterpret_cast<const unsigned char*>(text.data());
    int rc = mbedtls_base64_decode(nullptr, 0, &n, src, text.size());
    if (rc == MBEDTLS_ERR_BASE64_INVALID_CHARACTER) return std::nullopt;
    std::string out(n, '\0');
    if (mbedtls_base64_decode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &n, src, text.size()) != 0)
        return std::nullopt;
    out.resize(n);
    return out;
}

}  // namespace drover
