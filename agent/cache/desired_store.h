#pragma once
// The desired set: what the hub last said this agent should run, as signed
// (bundle, revision, digest) entries plus the set's hash (proto/desired_set.h)
// that Hello reports back. Replaced as a whole, never edited in place.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite.h"

namespace drover::cache {

struct Deployment {
    std::string bundle;
    std::string revision;
    std::string digest;     // 32 raw bytes
    std::string signature;  // DER, over spec_signing_message(bundle, revision, digest)
    uint64_t size = 0;      // compressed content size, as the hub announced it
};

struct DesiredSet {
    std::string hash;                  // empty when the hub never sent one
    std::vector<Deployment> bundles;   // sorted by bundle name
};

class DesiredStore {
public:
    explicit DesiredStore(sql::Db& db);
    DesiredSet load();
    std::optional<Deployment> find(const std::string& bundle);
    // Replaces the stored set in one transaction (joins the caller's).
    void replace(const DesiredSet& set);
    // Forgets the set's hash (keeping its entries), so the next Hello
    // reports none and the hub sends the whole signed set again.
    void forget_hash();

private:
    sql::Db& db_;
    sql::Stmt hash_, list_, find_, clear_hash_, set_hash_, clear_, insert_;
};

}  // namespace drover::cache
