#pragma once
// Spec-signing key rotation without re-provisioning. The hub keeps the
// history of its spec-signing keys as a chain: the first link is the
// original public key, each later link a new public key endorsed (signed)
// by the private key of the link before it. An agent that pinned any key of
// the chain can follow it to the hub's current key, one verified
// endorsement at a time; a key outside the chain, or a link that does not
// verify, leaves it refusing the hub as before.
//
// The chain is public: it holds public keys and signatures only. Old private
// keys are not needed to verify it, and the hub does not keep them.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "proto/spec_signature.h"

namespace drover {

struct SigningKeyLink {
    std::string key_pem;      // public key, PEM
    std::string endorsement;  // DER signature by the previous link's key; empty on the first link
};
using SigningKeyChain = std::vector<SigningKeyLink>;

// Longest chain either side handles: 256 links are ~64 KB in a Welcome and
// 256 signature checks on an agent. The hub refuses to rotate past it.
constexpr size_t kMaxSigningKeyChain = 256;

// "3f9a0c12b7de": the first 12 hex digits of a key fingerprint
// (VerifyKey::fingerprint()), for logs and messages.
std::string short_fingerprint(std::string_view fingerprint);

// The link that makes new_public_pem the successor of previous.
SigningKeyLink endorse_signing_key(const SigningKey& previous, std::string new_public_pem);

// The whole chain holds: at most kMaxSigningKeyChain links, every key a
// usable P-256 public key, the first link without an endorsement, every
// later link endorsed by the key before it, and the last link is
// current_pem (compared by fingerprint). The hub checks its chain with this
// before it serves it.
Result<void> verify_signing_key_chain(const SigningKeyChain& chain, std::string_view current_pem);

struct KeyRotation {
    // Fingerprints of the keys the presented key was rotated from, in chain
    // order: the pinned key first, then every key between it and the
    // presented one. Empty when the presented key is the pinned one.
    std::vector<std::string> from;
};

// The agent's check of a Welcome: how presented_pem descends from
// pinned_pem through chain. Holds when presented is the pinned key itself,
// or when the chain ends at presented, holds pinned, and every link after
// the pinned key's (its last occurrence) is endorsed by the link before it.
// Links before the pinned key are not looked at: the agent never trusted
// them. The error names what is wrong in one line.
Result<KeyRotation> trace_key_rotation(const SigningKeyChain& chain, std::string_view pinned_pem,
                                       std::string_view presented_pem);

}  // namespace drover
