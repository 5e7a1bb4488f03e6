#pragma once
// A small RAII layer over SQLite: Db owns the connection, Stmt owns a
// prepared statement (prepared once, reset and reused), Transaction rolls back
// unless committed. Migrations are numbered steps recorded in user_version.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace drover::sql {

class Db;

class Stmt {
public:
    Stmt() = default;
    Stmt(sqlite3* db, std::string_view sql);  // throws on a programming error in sql
    Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
    Stmt& operator=(Stmt&& o) noexcept;
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    ~Stmt();

    // Binding is positional from 1. Each bind returns *this for chaining.
    Stmt& bind(int i, int64_t v);
    Stmt& bind(int i, std::string_view text);
    Stmt& bind_blob(int i, std::string_view bytes);
    Stmt& bind_null(int i);

    // step(): true while a row is available; false when done. Throws
    // sql::Failure on SQLite errors (disk full, corruption): infrastructure.
    bool step();
    void run();  // step() to completion, then reset()
    void reset();

    int64_t int64(int col) const;
    std::string text(int col) const;
    std::string blob(int col) const;
    bool is_null(int col) const;

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class Durability {
    // synchronous=FULL: a committed transaction survives power loss. Edge
    // devices lose power; the agent cache and hub store both use this.
    full,
    // synchronous=NORMAL in WAL: survives process crashes, may lose the last
    // transactions on power loss. For tests and caches that can be rebuilt.
    normal,
};

class Db {
public:
    static Result<Db> open(const std::string& path, Durability durability);
    Db() = default;
    Db(Db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
    Db& operator=(Db&& o) noexcept;
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    void exec(std::string_view sql);  // throws sql::Failure
    Stmt prepare(std::string_view sql) { return Stmt(db_, sql); }
    int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
    int changes() const { return sqlite3_changes(db_); }
    sqlite3* raw() const { return db_; }

    // Apply migrations[user_version..] each in its own transaction. A database
    // newer than this binary is refused rather than guessed at.
    Result<int> migrate(const std::vector<std::string_view>& migrations);
    int user_version();
    std::string integrity_check();

private:
    sqlite3* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK in the destructor unless commit().
class Transaction {
public:
    explicit Transaction(Db& db);
    ~Transaction();
    void commit();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

private:
    Db& db_;
    bool done_ = false;
};

}  // namespace drover::sql
