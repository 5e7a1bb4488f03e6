#pragma once
// Hashing and randomness (mbedTLS). Digests travel as 32 raw bytes and are
// shown as 64 lower-case hex characters.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace drover {

constexpr size_t kDigestSize = 32;

std::string sha256(std::string_view data);          // 32 raw bytes
std::string sha256_hex(std::string_view data);      // 64 hex chars
std::string random_bytes(size_t n);                  // from the OS CSPRNG; throws if unavailable
// A URL-safe random secret with a readable prefix: "drv_reg_3f9a...".
std::string random_token(std::string_view prefix, size_t bytes = 24);
// HMAC-SHA256 (RFC 2104) of data under key: 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);
// Constant-time comparison for secrets and their hashes.
bool equal_secret(std::string_view a, std::string_view b);

// Standard base64 (RFC 4648, padded). Decoding refuses characters outside
// the alphabet (mbedTLS skips line breaks); nullopt then.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// SHA-256 over data that arrives in pieces (content too big to hold twice).
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(std::string_view data);
    std::string finish();  // 32 raw bytes; starts over afterwards

private:
    struct Context;
    std::unique_ptr<Context> ctx_;
};

}  // namespace drover
