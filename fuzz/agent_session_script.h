#pragma once
// The input format of the agent_session fuzz target (agent_session_fuzz.cpp
// says what each part means), shared with the seed writer so that the
// seeds and the target agree on it, on the hub key and on what an earlier
// run left in the cache.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "common/deflate.h"

namespace drover::fuzz {

// The hub's spec-signing key in every seed. A fixed key (made for these
// seeds, it signs nothing else) so that seeds carry signatures the target
// accepts; a fresh key per process would make every seed's DesiredState a
// forgery.
inline constexpr const char* kSeedHubKeyPem =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIMdMjswoaFb7q6DGULvvuQbs7XSB3VrOnbPm8K5z9sU7oAoGCCqGSM49\n"
    "AwEHoUQDQgAEqJ5LImvdcF2dEEvKN9bFd6p8sry1QaA2aw1J+artAzW2qBttCH13\n"
    "ymBHf7VO6HUKfIY0c7nCaLig0mYE9gpEBQ==\n"
    "-----END EC PRIVATE KEY-----\n";

// The key the seeds rotate kSeedHubKeyPem to (a Welcome's signing_key_chain
// endorses it with kSeedHubKeyPem). The only other key the target accepts
// as pinned where kSeedHubKeyPem was: the fuzzer cannot forge an
// endorsement for a key of its own.
inline constexpr const char* kSeedRotatedKeyPem =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIEaFCUc1sWHewGaEbsAQmnj/6m1Qogu5GgGDgIBcTFC7oAoGCCqGSM49\n"
    "AwEHoUQDQgAEVT87llXjVr1Ir80CQ1kUCJ2LLtgztEnKlYymeahvCrK8JTr15WOc\n"
    "y0tyeKhNUFSSmUaUcUj7gsD6HYKGbfpjWA==\n"
    "-----END EC PRIVATE KEY-----\n";

// The first byte of an input.
enum SetupFlag : uint8_t {
    kRegistered = 1,   // the cache holds an identity (agent_id kAgentId)
    kPinned = 2,       // kSeedHubKeyPem's public key pinned before the first session (--signing-key)
    kCachedState = 4,  // an earlier run's desired set (implies kPinned): see EarlierRun
};

inline constexpr const char* kAgentId = "agt_fuzz";

// Then steps: [op][length: 2 bytes, big-endian][length bytes].
enum class Op : uint8_t { frame = 0, statuses = 1, reconnect = 2, reconciler_drops = 3 };
inline constexpr uint8_t kOps = 4;

inline void append_step(std::string& script, Op op, std::string_view bytes) {
    if (bytes.size() > 0xffff) bytes = bytes.substr(0, 0xffff);
    script += static_cast<char>(op);
    script += static_cast<char>(bytes.size() >> 8);
    script += static_cast<char>(bytes.size() & 0xff);
    script += bytes;
}

// A spec as the hub publishes it (signature aside: see kSeedHubKeyPem).
struct SeedSpec {
    std::string bundle, revision, spec, digest, compressed;
};

inline SeedSpec seed_spec(const std::string& bundle, const std::string& revision, const std::string& value) {
    SeedSpec s{bundle, revision,
               "{\"bundle\":\"" + bundle + "\",\"namespace\":\"\",\"objects\":[{\"apiVersion\":\"v1\",\"kind\":"
               "\"ConfigMap\",\"metadata\":{\"name\":\"" + bundle + "\",\"namespace\":\"default\"},\"data\":{"
               "\"value\":\"" + value + "\"}}],\"revision\":\"" + revision + "\"}",
               "", ""};
    s.digest = sha256(s.spec);
    s.compressed = deflate_bytes(s.spec);
    return s;
}

// With kCachedState, the cache starts as an earlier run left it: bundle
// "cached" complete, bundle "half" with the first kHalfStored bytes of
// its compressed content downloaded.
struct EarlierRun {
    SeedSpec cached = seed_spec("cached", "1111111111111111111111111111111111111111", "kept from before");
    SeedSpec half = seed_spec("half", "1111111111111111111111111111111111111111",
                              "a download the link broke in the middle of, long enough to cut in two");
    size_t half_stored = half.compressed.size() / 2;
};

}  // namespace drover::fuzz
