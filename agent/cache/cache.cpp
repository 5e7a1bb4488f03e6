#include "agent/cache/cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/text.h"

namespace drover::cache {

namespace {

// Step N upgrades schema version N to N+1. Never edit a released step; add one.
const std::vector<std::string_view> kMigrations = {
    R"sql(
CREATE TABLE identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    agent_id TEXT NOT NULL,
    name TEXT NOT NULL,
    credential TEXT NOT NULL,
    signing_key_pem TEXT NOT NULL,
    hub_url TEXT NOT NULL
);
CREATE TABLE desired_set (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    hash BLOB NOT NULL
);
CREATE TABLE desired (
    bundle TEXT PRIMARY KEY,
    revision TEXT NOT NULL,
    digest BLOB NOT NULL,
    signature BLOB NOT NULL,
    size INTEGER NOT NULL
);
CREATE TABLE content (
    digest BLOB PRIMARY KEY,
    spec BLOB NOT NULL
);
CREATE TABLE partial (
    digest BLOB NOT NULL,
    offset INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (digest, offset)
);
CREATE TABLE applied (
    bundle TEXT PRIMARY KEY,
    digest BLOB NOT NULL,
    revision TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL,
    inventory TEXT NOT NULL,
    keep_resources INTEGER NOT NULL
);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    bundle TEXT NOT NULL,
    digest BLOB NOT NULL,
    revision TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL,
    time_unix_ms INTEGER NOT NULL,
    resources INTEGER NOT NULL
);
CREATE TABLE last_status (
    bundle TEXT PRIMARY KEY,
    digest BLOB NOT NULL,
    revision TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL
);
)sql",
    // Keys the pinned spec-signing key was verifiably rotated from.
    R"sql(
ALTER TABLE identity ADD COLUMN signing_key_rotated_from TEXT NOT NULL DEFAULT '';
)sql",
    // The TLS client key and the certificate the hub issued for it (mTLS).
    R"sql(
ALTER TABLE identity ADD COLUMN client_key BLOB NOT NULL DEFAULT x'';
ALTER TABLE identity ADD COLUMN client_certificate BLOB NOT NULL DEFAULT x'';
)sql",
};

}  // namespace

int Cache::schema_version() { return static_cast<int>(kMigrations.size()); }

Cache::Cache(sql::Db db) : db_(std::move(db)) {
    identity_ = std::make_unique<IdentityStore>(db_);
    desired_ = std::make_unique<DesiredStore>(db_);
    content_ = std::make_unique<ContentStore>(db_);
    applied_ = std::make_unique<AppliedStore>(db_);
    outbox_ = std::make_unique<StatusOutbox>(db_);
}

Result<std::unique_ptr<Cache>> Cache::open(const std::string& path, sql::Durability durability) {
    // The cache holds the agent's credential: owner-only from the start
    // (SQLite gives its -wal and -shm files the database file's mode).
    // Only a file this call creates is opened here: closing any descriptor
    // of a file drops every POSIX lock the process holds on it, so closing
    // one of an open cache would drop the shared lock SQLite keeps on a WAL
    // database, and another process opening the file (sqlite3, a backup)
    // would then delete the WAL under the agent and take its later writes
    // with it. ":memory:" (tools/fleetsim) names no file.
    if (path != ":memory:") {
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            ::close(fd);
        else if (errno != EEXIST)
            return fail(cat("cannot create cache ", path, ": ", std::strerror(errno)));
    }
    auto db = sql::Db::open(path, durability);
    if (!db) return fail(db.error().message);
    try {
        auto migrated = db->migrate(kMigrations);
        if (!migrated) return fail(cat("cache ", path, ": ", migrated.error().message));
        return std::unique_ptr<Cache>(new Cache(std::move(*db)));
    } catch (const sql::Failure& e) {
        return fail(cat("cache ", path, ": ", e.what()));
    }
}

}  // namespace drover::cache
