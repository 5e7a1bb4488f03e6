#pragma once
// The hub's spec-signing keys in its data directory (keys/), and their
// rotation (`drover-hub rotate-signing-key`).
//
//   signing.pem          the current private key (0600)
//   signing.pub.pem      its public key, for --signing-key and provisioning
//   signing-chain.json   the keys' public history (proto/signing_key_chain.h):
//                        [{"key": PEM, "endorsement": base64 DER}, ...], the
//                        original key first (endorsement ""), the current key
//                        last. Absent until the first rotation: the chain is
//                        then the current key alone.
//   signing.next.pem     a rotation's new private key, only while it runs
//
// A rotation takes three steps, each an atomic file replacement:
//   1. the new private key is written to signing.next.pem;
//   2. signing-chain.json is replaced by the chain extended with the new
//      public key, endorsed by the current private key. This is the commit
//      point: from here on the new key is the hub's key;
//   3. signing.next.pem is renamed over signing.pem (the old private key is
//      gone only now, once its endorsement of the successor is on disk),
//      then signing.pub.pem is rewritten.
// A crash before step 2 leaves the old keys in force and a stray
// signing.next.pem, which load_signing_keys deletes (it was never endorsed).
// A crash after step 2 leaves a chain ending at the key in signing.next.pem:
// load_signing_keys finishes step 3 before anything signs. So every crash
// leaves a state the next start uses, and neither key is ever lost while
// something still needs it. Two rotations at once on one directory are not
// guarded against.
#include <string>
#include <string_view>

#include "common/error.h"
#include "hub/data_dir.h"
#include "proto/signing_key_chain.h"
#include "proto/spec_signature.h"

namespace drover::hub {

struct SigningKeys {
    SigningKey key;          // current private key
    std::string public_pem;  // its public key
    SigningKeyChain chain;   // verified; ends at public_pem
    // What loading repaired, for the log ("" when nothing): finishing an
    // interrupted rotation, a stray signing.next.pem, a stale signing.pub.pem.
    std::string repaired;
};

// The keys `serve` signs with. Refuses a directory that is not a hub's, an
// unreadable key or chain file, and a chain that does not verify or does
// not end at signing.pem's key (after finishing an interrupted rotation).
Result<SigningKeys> load_signing_keys(const DataDir& dir);

struct RotationReport {
    std::string old_key;  // short fingerprints (short_fingerprint())
    std::string new_key;
    size_t links = 0;  // in the chain now
};

// A new ECDSA P-256 key replaces the current one, endorsed by it (see the
// steps above). A running hub keeps signing with the old key until it is
// restarted. Refuses a chain already kMaxSigningKeyChain links long.
Result<RotationReport> rotate_signing_key(const DataDir& dir);

// signing-chain.json's text, and back. The parser refuses anything but an
// array of {"key": string, "endorsement": base64 string} objects.
std::string signing_key_chain_json(const SigningKeyChain& chain);
Result<SigningKeyChain> parse_signing_key_chain_json(std::string_view text);

}  // namespace drover::hub
