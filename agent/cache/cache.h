#pragma once
// The agent's local state in one SQLite file (DATA_DIR/cache.db): identity,
// desired set, content, applied bundles, status outbox. Everything the
// reconciler needs to re-apply after a reboot with no hub in sight is here.
//
// WAL with synchronous=FULL: edge devices lose power, and a status or a
// credential the hub was told about must not vanish. A Cache is one
// connection and is used by one thread; the session and the reconciler each
// open their own on the same file (SQLite serialises writers; every write is
// a short transaction).
#include <memory>
#include <string>

#include "agent/cache/applied_store.h"
#include "agent/cache/content_store.h"
#include "agent/cache/desired_store.h"
#include "agent/cache/identity_store.h"
#include "agent/cache/status_outbox.h"
#include "common/error.h"
#include "common/sqlite.h"

namespace drover::cache {

class Cache {
public:
    // Opens (creating if needed) and migrates the schema to this binary's
    // version. A cache written by a newer binary is refused.
    static Result<std::unique_ptr<Cache>> open(const std::string& path,
                                               sql::Durability durability = sql::Durability::full);
    static int schema_version();

    sql::Db& db() { return db_; }

    IdentityStore& identity() { return *identity_; }
    DesiredStore& desired() { return *desired_; }
    ContentStore& content() { return *content_; }
    AppliedStore& applied() { return *applied_; }
    StatusOutbox& outbox() { return *outbox_; }

private:
    explicit Cache(sql::Db db);

    sql::Db db_;
    std::unique_ptr<IdentityStore> identity_;
    std::unique_ptr<DesiredStore> desired_;
    std::unique_ptr<ContentStore> content_;
    std::unique_ptr<AppliedStore> applied_;
    std::unique_ptr<StatusOutbox> outbox_;
};

}  // namespace drover::cache
