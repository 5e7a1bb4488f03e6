#pragma once
// What this agent has made live per bundle: the digest and revision last
// applied (or last attempted, when state is Failed), the outcome, the
// applier's inventory (JSON, see agent/apply/inventory.h) and the spec's
// keepResources policy, kept so a bundle can be pruned correctly after its
// spec has left the cache.
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite.h"
#include "drover.pb.h"

namespace drover::cache {

struct AppliedRecord {
    std::string bundle;
    std::string digest;  // 32 raw bytes
    std::string revision;
    v1::State state = v1::STATE_UNSPECIFIED;
    std::string message;
    std::string inventory_json = "[]";
    bool keep_resources = false;
};

class AppliedStore {
public:
    explicit AppliedStore(sql::Db& db);
    std::vector<AppliedRecord> load_all();  // by bundle name
    std::optional<AppliedRecord> find(const std::string& bundle);
    void put(const AppliedRecord& record);  // insert or replace
    void remove(const std::string& bundle);

private:
    sql::Stmt all_, find_, put_, remove_;
};

}  // namespace drover::cache
