#include "common/sqlite.h"

#include "common/text.h"

namespace drover::sql {

static Failure failure(sqlite3* db, std::string_view what) {
    return Failure(cat("sqlite: ", what, ": ", db ? sqlite3_errmsg(db) : "out of memory"));
}

Stmt::Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                           nullptr) != SQLITE_OK)
        throw failure(db, cat("prepare ", sql));
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
    if (this != &o) {
        sqlite3_finalize(stmt_);
        db_ = o.db_;
        stmt_ = o.stmt_;
        o.stmt_ = nullptr;
    }
    return *this;
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
}
Stmt& Stmt::bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
}
Stmt& Stmt::bind_blob(int i, std::string_view bytes) {
    sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    return *this;
}
Stmt& Stmt::bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
}

bool Stmt::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    std::string sql = sqlite3_sql(stmt_) ? sqlite3_sql(stmt_) : "";
    sqlite3_reset(stmt_);
    throw failure(db_, cat("step ", sql));
}

void Stmt::run() {
    while (step()) {
    }
    reset();
}

void Stmt::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int64_t Stmt::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
std::string Stmt::text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}
std::string Stmt::blob(int col) const {
    auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}
bool Stmt::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Result<Db> Db::open(const std::string& path, Durability durability) {
    Db db;
    int rc = sqlite3_open_v2(path.c_str(), &db.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) return fail(cat("cannot open database ", path, ": ", sqlite3_errstr(rc)));
    sqlite3_busy_timeout(db.db_, 5000);
    try {
        db.exec("PRAGMA journal_mode=WAL");
        db.exec(durability == Durability::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
        db.exec("PRAGMA foreign_keys=ON");
    } catch (const Failure& e) {
        return fail(cat("cannot use database ", path, ": ", e.what()));
    }
    return db;
}

Db& Db::operator=(Db&& o) noexcept {
    if (this != &o) {
        sqlite3_close_v2(db_);
        db_ = o.db_;
        o.db_ = nullptr;
    }
    return *this;
}

Db::~Db() { sqlite3_close_v2(db_); }

void Db::exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        throw Failure(cat("sqlite: ", msg, " in: ", s.substr(0, 80)));
    }
}

int Db::user_version() {
    Stmt s(db_, "PRAGMA user_version");
    s.step();
    return static_cast<int>(s.int64(0));
}

std::string Db::integrity_check() {
    Stmt s(db_, "PRAGMA integrity_check");
    std::string out;
    while (s.step()) out += s.text(0);
    return out;
}

Result<int> Db::migrate(const std::vector<std::string_view>& migrations) {
    int version = user_version();
    if (version > static_cast<int>(migrations.size()))
        return fail(cat("database schema version ", version, " is newer than this binary understands (",
                        migrations.size(), "); refusing to touch it"));
    for (int v = version; v < static_cast<int>(migrations.size()); ++v) {
        Transaction tx(*this);
        exec(migrations[static_cast<size_t>(v)]);
        exec(cat("PRAGMA user_version=", v + 1));
        tx.commit();
    }
    return static_cast<int>(migrations.size());
}

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
Transaction::~Transaction() {
    if (!done_) {
        try {
            db_.exec("ROLLBACK");
        } catch (...) {
        }
    }
}
void Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

}  // namespace drover::sql
