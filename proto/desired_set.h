#pragma once
// The desired-set hash lets Hello say "this is what I hold" in 32 bytes, so
// the hub sends DesiredState only when something changed. Both sides compute
// it with this one function over (bundle, revision, digest) triples.
#include <string>
#include <vector>

namespace drover {

struct DesiredEntry {
    std::string bundle;
    std::string revision;
    std::string digest;  // 32 raw bytes
};

// Order-independent: entries are sorted by bundle name first. 32 raw bytes.
std::string desired_set_hash(std::vector<DesiredEntry> entries);

}  // namespace drover
