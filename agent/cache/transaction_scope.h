#pragma once
// One logical change, one transaction. A store method that writes several
// rows opens a WriteScope; when its caller already holds a transaction (the
// reconciler recording an applied bundle and its status together) the scope
// joins it instead of failing on a nested BEGIN. ReadScope does the same for
// reads that must see one snapshot, without taking the write lock.
#include <optional>

#include "common/sqlite.h"

namespace drover::cache {

inline bool in_transaction(sql::Db& db) { return sqlite3_get_autocommit(db.raw()) == 0; }

class WriteScope {
public:
    explicit WriteScope(sql::Db& db) {
        if (!in_transaction(db)) tx_.emplace(db);
    }
    // Commits only a transaction this scope opened; a joined one commits
    // with its owner.
    void commit() {
        if (tx_) tx_->commit();
    }

private:
    std::optional<sql::Transaction> tx_;
};

class ReadScope {
public:
    explicit ReadScope(sql::Db& db) : db_(db), owner_(!in_transaction(db)) {
        if (owner_) db_.exec("BEGIN DEFERRED");
    }
    ~ReadScope() {
        if (!owner_) return;
        try {
            db_.exec("ROLLBACK");
        } catch (...) {
        }
    }
    ReadScope(const ReadScope&) = delete;
    ReadScope& operator=(const ReadScope&) = delete;

private:
    sql::Db& db_;
    bool owner_;
};

}  // namespace drover::cache
