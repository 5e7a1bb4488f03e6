#pragma once
// The desired-set hash lets Hello say "this is what I hold" in 32 bytes, so
// the hub sends DesiredState only when something changed. Both sides compute
// it with this one function over (bundle, revision, digest) triples and the
// key that signed them.
#include <string>
#include <string_view>
#include <vector>

namespace drover {

struct DesiredEntry {
    std::string bundle;
    std::string revision;
    std::string digest;  // 32 raw bytes
};

// Order-independent: entries are sorted by bundle name first. 32 raw bytes.
// signing_key_id is the fingerprint of the spec-signing key the entries are
// signed with (VerifyKey::fingerprint()): the hub's own key on the hub, the
// pinned key on the agent. A rotated key therefore changes every agent's
// hash, and every agent receives its set signed anew; without it the
// entries an agent cached stay signed by the old key, which it no longer
// trusts once it re-pins.
std::string desired_set_hash(std::vector<DesiredEntry> entries, std::string_view signing_key_id);

}  // namespace drover
