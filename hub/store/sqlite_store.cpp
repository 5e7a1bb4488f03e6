#include "hub/store/sqlite_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/crypto.h"
#include "common/text.h"

namespace drover::hub {

using nlohmann::json;

namespace {

// Schema history. Append new steps; never edit a released one.
const std::vector<std::string_view> kMigrations = {
    R"(CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
       CREATE TABLE tokens (
         id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, labels TEXT NOT NULL,
         uses_left INTEGER, expires_ms INTEGER, created_ms INTEGER NOT NULL,
         revoked INTEGER NOT NULL DEFAULT 0);
       CREATE TABLE agents (
         id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, credential_hash TEXT NOT NULL,
         token_labels TEXT NOT NULL, reported_labels TEXT NOT NULL DEFAULT '{}',
         operator_labels TEXT NOT NULL DEFAULT '{}', facts TEXT NOT NULL DEFAULT '{}',
         version TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL,
         last_seen_ms INTEGER NOT NULL, online INTEGER NOT NULL DEFAULT 0,
         acked_seq INTEGER NOT NULL DEFAULT 0);
       CREATE TABLE status (
         agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE, bundle TEXT NOT NULL,
         digest TEXT NOT NULL, revision TEXT NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL,
         seq INTEGER NOT NULL, time_ms INTEGER NOT NULL, resources INTEGER NOT NULL,
         PRIMARY KEY (agent_id, bundle));
       CREATE TABLE events (
         id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,
         kind TEXT NOT NULL, message TEXT NOT NULL);)",
    R"(CREATE TABLE status_log (
         agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
         bundle TEXT NOT NULL, digest TEXT NOT NULL, revision TEXT NOT NULL, state TEXT NOT NULL,
         message TEXT NOT NULL, time_ms INTEGER NOT NULL, PRIMARY KEY (agent_id, seq)) WITHOUT ROWID;)",
    R"(ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'registration';)",
    R"(ALTER TABLE agents ADD COLUMN revoked_ms INTEGER;)",
    R"(ALTER TABLE agents ADD COLUMN next_credential_hash TEXT;
       ALTER TABLE agents ADD COLUMN credential_issued_ms INTEGER;)",
    R"(CREATE INDEX events_by_kind ON events(kind, id);)",
    R"(ALTER TABLE agents ADD COLUMN client_certificate_ms INTEGER;
       ALTER TABLE agents ADD COLUMN client_key_sha256 TEXT;
       ALTER TABLE agents ADD COLUMN next_client_key_sha256 TEXT;)",
    R"(CREATE TABLE rollouts (bundle TEXT PRIMARY KEY, record TEXT NOT NULL);)",
};


std::string labels_json(const Labels& labels) { return json(labels).dump(); }

Labels parse_labels_json(const std::string& text) {
    Labels out;
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) return out;
    for (auto& [k, v] : j.items())
        if (v.is_string()) out[k] = v.get<std::string>();
    return out;
}

std::map<std::string, std::optional<std::string>> parse_overrides(const std::string& text) {
    std::map<std::string, std::optional<std::string>> out;
    auto j = json::parse(text, nullptr, false);
    if (!j.is_object()) return out;
    for (auto& [k, v] : j.items()) {
        if (v.is_string()) out[k] = v.get<std::string>();
        else if (v.is_null()) out[k] = std::nullopt;
    }
    return out;
}

constexpr const char* kAgentColumns =
    "id, name, token_labels, reported_labels, operator_labels, facts, version, created_ms, last_seen_ms, online, "
    "acked_seq, revoked_ms, client_certificate_ms, client_key_sha256, next_client_key_sha256";

AgentRecord read_agent(const sql::Stmt& s) {
    AgentRecord a;
    a.id = s.text(0);
    a.name = s.text(1);
    a.token_labels = parse_labels_json(s.text(2));
    a.reported_labels = parse_labels_json(s.text(3));
    a.operator_labels = parse_overrides(s.text(4));
    a.facts = parse_labels_json(s.text(5));
    a.version = s.text(6);
    a.created_ms = s.int64(7);
    a.last_seen_ms = s.int64(8);
    a.online = s.int64(9) != 0;
    a.acked_seq = static_cast<uint64_t>(s.int64(10));
    if (!s.is_null(11)) a.revoked_ms = s.int64(11);
    if (!s.is_null(12)) a.client_certificate_ms = s.int64(12);
    if (!s.is_null(13)) a.client_key_sha256 = s.text(13);
    if (!s.is_null(14)) a.next_client_key_sha256 = s.text(14);
    return a;
}

}  // namespace

Labels AgentRecord::effective_labels() const {
    Labels out = token_labels;
    for (auto& [k, v] : reported_labels) out[k] = v;
    for (auto& [k, v] : operator_labels) {
        if (v) out[k] = *v;
        else out.erase(k);
    }
    return out;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
    auto db = sql::Db::open(path, sql::Durability::full);
    if (!db) return std::unexpected(db.error());
    try {
        if (auto m = db->migrate(kMigrations); !m) return std::unexpected(m.error());
    } catch (const sql::Failure& e) {
        return fail(cat("hub store ", path, ": ", e.what()));
    }
    return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(*db)));
}

void SqliteStore::add_token(const TokenRecord& t, const std::string& secret_hash) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "INSERT INTO tokens (id, secret_hash, labels, uses_left, expires_ms, created_ms, revoked, kind) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, t.id).bind(2, secret_hash).bind(3, labels_json(t.labels));
    if (t.uses_left) s.bind(4, *t.uses_left);
    else s.bind_null(4);
    if (t.expires_ms) s.bind(5, *t.expires_ms);
    else s.bind_null(5);
    s.bind(6, t.created_ms).bind(7, int64_t{t.revoked}).bind(8, std::string(token_kind_name(t.kind)));
    s.run();
}

Result<TokenRecord> SqliteStore::consume_token(const std::string& secret_hash, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    sql::Transaction tx(db_);
    auto t = consume_token_locked(secret_hash, now_ms);
    if (t) tx.commit();
    return t;
}

Result<Registration> SqliteStore::register_with_token(const std::string& secret_hash, const std::string& wanted_name,
                                                      const std::string& credential_hash, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    sql::Transaction tx(db_);
    auto token = consume_token_locked(secret_hash, now_ms);
    if (!token) return std::unexpected(token.error());
    Registration r{*token, register_agent_locked(wanted_name, credential_hash, token->labels, now_ms)};
    add_event_locked("registered", cat("agent ", r.agent.name, " registered with token ", r.token.id), now_ms);
    tx.commit();
    return r;
}

Result<TokenRecord> SqliteStore::push_token(const std::string& secret_hash, int64_t now_ms) {
    return usable_token(secret_hash, TokenKind::push, now_ms);
}

Result<TokenRecord> SqliteStore::viewer_token(const std::string& secret_hash, int64_t now_ms) {
    return usable_token(secret_hash, TokenKind::viewer, now_ms);
}

Result<TokenRecord> SqliteStore::usable_token(const std::string& secret_hash, TokenKind kind, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    const char* name = token_kind_name(kind);
    auto s = db_.prepare("SELECT id, expires_ms, created_ms, revoked FROM tokens WHERE secret_hash = ? AND kind = ?");
    s.bind(1, secret_hash).bind(2, std::string(name));
    if (!s.step()) return fail(cat(name, " token is not known to this hub"));
    TokenRecord t;
    t.kind = kind;
    t.id = s.text(0);
    if (!s.is_null(1)) t.expires_ms = s.int64(1);
    t.created_ms = s.int64(2);
    t.revoked = s.int64(3) != 0;
    if (t.revoked) return fail(cat(name, " token ", t.id, " was revoked"));
    if (t.expires_ms && *t.expires_ms <= now_ms) return fail(cat(name, " token ", t.id, " has expired"));
    return t;
}

std::vector<TokenRecord> SqliteStore::tokens() {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "SELECT id, labels, uses_left, expires_ms, created_ms, revoked, kind FROM tokens ORDER BY created_ms, rowid");
    std::vector<TokenRecord> out;
    while (s.step()) {
        TokenRecord t;
        t.id = s.text(0);
        t.labels = parse_labels_json(s.text(1));
        if (!s.is_null(2)) t.uses_left = s.int64(2);
        if (!s.is_null(3)) t.expires_ms = s.int64(3);
        t.created_ms = s.int64(4);
        t.revoked = s.int64(5) != 0;
        t.kind = token_kind_from(s.text(6)).value_or(TokenKind::registration);
        out.push_back(std::move(t));
    }
    return out;
}

bool SqliteStore::revoke_token(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT 1 FROM tokens WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return false;
    s.reset();
    db_.prepare("UPDATE tokens SET revoked = 1 WHERE id = ?").bind(1, id).run();
    return true;
}

Result<TokenRecord> SqliteStore::consume_token_locked(const std::string& secret_hash, int64_t now_ms) {
    auto s = db_.prepare(
        "SELECT id, labels, uses_left, expires_ms, created_ms, revoked FROM tokens "
        "WHERE secret_hash = ? AND kind = 'registration'");
    s.bind(1, secret_hash);
    if (!s.step()) return fail("registration token is not known to this hub");
    TokenRecord t;
    t.id = s.text(0);
    t.labels = parse_labels_json(s.text(1));
    if (!s.is_null(2)) t.uses_left = s.int64(2);
    if (!s.is_null(3)) t.expires_ms = s.int64(3);
    t.created_ms = s.int64(4);
    t.revoked = s.int64(5) != 0;
    s.reset();
    if (t.revoked) return fail(cat("registration token ", t.id, " was revoked"));
    if (t.expires_ms && *t.expires_ms <= now_ms) return fail(cat("registration token ", t.id, " has expired"));
    if (t.uses_left && *t.uses_left <= 0) return fail(cat("registration token ", t.id, " is used up"));
    if (t.uses_left) {
        --*t.uses_left;
        db_.prepare("UPDATE tokens SET uses_left = uses_left - 1 WHERE id = ?").bind(1, t.id).run();
    }
    return t;
}

AgentRecord SqliteStore::register_agent(const std::string& wanted_name, const std::string& credential_hash,
                                        const Labels& token_labels, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    sql::Transaction tx(db_);
    auto a = register_agent_locked(wanted_name, credential_hash, token_labels, now_ms);
    tx.commit();
    return a;
}

AgentRecord SqliteStore::register_agent_locked(const std::string& wanted_name, const std::string& credential_hash,
                                               const Labels& token_labels, int64_t now_ms) {
    auto taken = db_.prepare("SELECT 1 FROM agents WHERE name = ?");
    std::string name = wanted_name;
    for (int n = 2;; ++n) {
        taken.bind(1, name);
        bool exists = taken.step();
        taken.reset();
        if (!exists) break;
        name = cat(wanted_name, "-", n);
    }
    AgentRecord a;
    a.id = random_token("agt_", 12);
    a.name = name;
    a.token_labels = token_labels;
    a.created_ms = a.last_seen_ms = now_ms;
    db_.prepare(
           "INSERT INTO agents (id, name, credential_hash, token_labels, created_ms, last_seen_ms) "
           "VALUES (?, ?, ?, ?, ?, ?)")
        .bind(1, a.id)
        .bind(2, a.name)
        .bind(3, credential_hash)
        .bind(4, labels_json(token_labels))
        .bind(5, now_ms)
        .bind(6, now_ms)
        .run();
    return a;
}

std::optional<AgentRecord> SqliteStore::agent_where(const char* column, const std::string& value) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(cat("SELECT ", kAgentColumns, " FROM agents WHERE ", column, " = ?"));
    s.bind(1, value);
    if (!s.step()) return std::nullopt;
    return read_agent(s);
}

std::optional<AgentRecord> SqliteStore::agent(const std::string& id) { return agent_where("id", id); }
std::optional<AgentRecord> SqliteStore::agent_by_name(const std::string& name) { return agent_where("name", name); }

std::optional<Store::Credentials> SqliteStore::credentials(const std::string& agent_id) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "SELECT credential_hash, coalesce(next_credential_hash, ''), coalesce(credential_issued_ms, created_ms) "
        "FROM agents WHERE id = ? AND revoked_ms IS NULL");
    s.bind(1, agent_id);
    if (!s.step()) return std::nullopt;
    return Credentials{s.text(0), s.text(1), s.int64(2)};
}

std::vector<std::string> SqliteStore::begin_credential_rotations(
    const std::vector<std::pair<std::string, std::string>>& next_hashes) {
    std::lock_guard lock(mutex_);
    sql::Transaction tx(db_);
    std::vector<std::string> begun;
    auto s = db_.prepare("UPDATE agents SET next_credential_hash = ? WHERE id = ? AND revoked_ms IS NULL");
    for (auto& [id, hash] : next_hashes) {
        s.bind(1, hash).bind(2, id).run();
        if (db_.changes() == 1) begun.push_back(id);
    }
    tx.commit();
    return begun;
}

bool SqliteStore::finish_credential_rotation(const std::string& agent_id, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    sql::Transaction tx(db_);
    std::string name;
    {
        auto find = db_.prepare(
            "SELECT name FROM agents WHERE id = ? AND revoked_ms IS NULL AND next_credential_hash IS NOT NULL");
        find.bind(1, agent_id);
        if (!find.step()) return false;
        name = find.text(0);
    }
    db_.prepare("UPDATE agents SET credential_hash = next_credential_hash, next_credential_hash = NULL, "
                "credential_issued_ms = ? WHERE id = ?")
        .bind(1, now_ms)
        .bind(2, agent_id)
        .run();
    add_event_locked("credential", cat("credential of agent ", name, " rotated"), now_ms);
    tx.commit();
    return true;
}

bool SqliteStore::begin_client_certificate(const std::string& agent_id, const std::string& key_sha256) {
    std::lock_guard lock(mutex_);
    db_.prepare("UPDATE agents SET next_client_key_sha256 = ? WHERE id = ? AND revoked_ms IS NULL "
                "AND client_key_sha256 IS NULL")
        .bind(1, key_sha256)
        .bind(2, agent_id)
        .run();
    return db_.changes() == 1;
}

bool SqliteStore::finish_client_certificate(const std::string& agent_id, const std::string& key_sha256,
                                            int64_t now_ms) {
    std::lock_guard lock(mutex_);
    sql::Transaction tx(db_);
    std::string name;
    {
        auto find = db_.prepare("SELECT name FROM agents WHERE id = ? AND revoked_ms IS NULL "
                                "AND client_key_sha256 IS NULL AND next_client_key_sha256 = ?");
        find.bind(1, agent_id).bind(2, key_sha256);
        if (!find.step()) return false;
        name = find.text(0);
    }
    db_.prepare("UPDATE agents SET client_key_sha256 = next_client_key_sha256, next_client_key_sha256 = NULL, "
                "client_certificate_ms = ? WHERE id = ?")
        .bind(1, now_ms)
        .bind(2, agent_id)
        .run();
    add_event_locked("certificate", cat("agent ", name, " stored its client certificate (key ", key_sha256.substr(0, 12),
                                        "); the hub requires it from now on"),
                     now_ms);
    tx.commit();
    return true;
}

bool SqliteStore::expire_credential(const std::string& agent_id) {
    std::lock_guard lock(mutex_);
    db_.prepare("UPDATE agents SET credential_issued_ms = 0 WHERE id = ? AND revoked_ms IS NULL").bind(1, agent_id).run();
    return db_.changes() == 1;
}

std::optional<int64_t> SqliteStore::revoke_agent(const std::string& id, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    sql::Transaction tx(db_);
    std::string name;
    {
        auto find = db_.prepare("SELECT name, revoked_ms FROM agents WHERE id = ?");
        find.bind(1, id);
        if (!find.step()) return std::nullopt;
        if (!find.is_null(1)) return find.int64(1);
        name = find.text(0);
    }
    db_.prepare("UPDATE agents SET revoked_ms = ? WHERE id = ?").bind(1, now_ms).bind(2, id).run();
    add_event_locked("revoked", cat("agent ", name, " revoked"), now_ms);
    tx.commit();
    return now_ms;
}

std::vector<AgentRecord> SqliteStore::agents() {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(cat("SELECT ", kAgentColumns, " FROM agents ORDER BY name"));
    std::vector<AgentRecord> out;
    while (s.step()) out.push_back(read_agent(s));
    return out;
}

void SqliteStore::agent_connected(const std::string& id, const Labels& reported,
                                  const std::map<std::string, std::string>& facts, const std::string& version,
                                  int64_t now_ms) {
    record_batch({PresenceUpdate{id, true, reported, facts, version, now_ms}}, {});
}

void SqliteStore::agent_disconnected(const std::string& id, int64_t now_ms) {
    record_batch({PresenceUpdate{.agent_id = id, .online = false, .time_ms = now_ms}}, {});
}

void SqliteStore::all_agents_offline(int64_t) {
    std::lock_guard lock(mutex_);
    // last_seen_ms stays what it was: the hub did not see them after that.
    db_.exec("UPDATE agents SET online = 0 WHERE online = 1");
}

void SqliteStore::set_operator_labels(const std::string& id,
                                      const std::map<std::string, std::optional<std::string>>& labels) {
    json j = json::object();
    for (auto& [k, v] : labels) j[k] = v ? json(*v) : json(nullptr);
    std::lock_guard lock(mutex_);
    db_.prepare("UPDATE agents SET operator_labels = ? WHERE id = ?").bind(1, j.dump()).bind(2, id).run();
}

SqliteStore::SqliteStore(sql::Db db)
    : db_(std::move(db)),
      acked_seq_(db_.prepare("SELECT acked_seq FROM agents WHERE id = ?")),
      set_acked_seq_(db_.prepare("UPDATE agents SET acked_seq = ? WHERE id = ?")),
      upsert_status_(db_.prepare(
          "INSERT INTO status (agent_id, bundle, digest, revision, state, message, seq, time_ms, resources) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id, bundle) DO UPDATE SET "
          "digest = excluded.digest, revision = excluded.revision, state = excluded.state, "
          "message = excluded.message, seq = excluded.seq, time_ms = excluded.time_ms, "
          "resources = excluded.resources")),
      remove_status_(db_.prepare("DELETE FROM status WHERE agent_id = ? AND bundle = ?")),
      log_status_(db_.prepare(
          "INSERT OR IGNORE INTO status_log (agent_id, seq, bundle, digest, revision, state, message, time_ms) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")),
      prune_log_(db_.prepare("DELETE FROM status_log WHERE agent_id = ? AND seq <= ?")),
      connected_(db_.prepare("UPDATE agents SET reported_labels = ?, facts = ?, version = ?, last_seen_ms = ?, "
                             "online = 1 WHERE id = ?")),
      disconnected_(db_.prepare("UPDATE agents SET online = 0, last_seen_ms = ? WHERE id = ?")) {}

std::vector<uint64_t> SqliteStore::record_batch(const std::vector<PresenceUpdate>& presence,
                                                const std::vector<StatusBatch>& batches) {
    std::lock_guard lock(mutex_);
    std::vector<uint64_t> result;
    result.reserve(batches.size());
    sql::Transaction tx(db_);
    for (auto& p : presence) {
        if (p.online)
            connected_.bind(1, labels_json(p.reported))
                .bind(2, json(p.facts).dump())
                .bind(3, p.version)
                .bind(4, p.time_ms)
                .bind(5, p.agent_id)
                .run();
        else
            disconnected_.bind(1, p.time_ms).bind(2, p.agent_id).run();
    }
    for (auto& batch : batches) {
        acked_seq_.bind(1, batch.agent_id);
        if (!acked_seq_.step()) {
            acked_seq_.reset();
            result.push_back(0);
            continue;
        }
        uint64_t acked = static_cast<uint64_t>(acked_seq_.int64(0));
        acked_seq_.reset();
        for (auto& st : batch.statuses) {
            if (st.seq <= acked) continue;  // a resend of something already stored
            if (st.state == "Removed") {
                remove_status_.bind(1, batch.agent_id).bind(2, st.bundle).run();
            } else {
                upsert_status_.bind(1, batch.agent_id)
                    .bind(2, st.bundle)
                    .bind(3, st.digest)
                    .bind(4, st.revision)
                    .bind(5, st.state)
                    .bind(6, st.message)
                    .bind(7, static_cast<int64_t>(st.seq))
                    .bind(8, st.time_ms)
                    .bind(9, int64_t{st.resources})
                    .run();
            }
            log_status_.bind(1, batch.agent_id)
                .bind(2, static_cast<int64_t>(st.seq))
                .bind(3, st.bundle)
                .bind(4, st.digest)
                .bind(5, st.revision)
                .bind(6, st.state)
                .bind(7, st.message)
                .bind(8, st.time_ms)
                .run();
            acked = st.seq;
        }
        if (acked > static_cast<uint64_t>(kStatusLogPerAgent))
            prune_log_.bind(1, batch.agent_id).bind(2, static_cast<int64_t>(acked) - kStatusLogPerAgent).run();
        acked = std::max(acked, batch.up_to_seq);
        set_acked_seq_.bind(1, static_cast<int64_t>(acked)).bind(2, batch.agent_id).run();
        result.push_back(acked);
    }
    tx.commit();
    return result;
}

std::vector<StatusRecord> SqliteStore::status_log(const std::string& agent_id) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "SELECT bundle, digest, revision, state, message, seq, time_ms FROM status_log WHERE agent_id = ? "
        "ORDER BY seq");
    s.bind(1, agent_id);
    std::vector<StatusRecord> out;
    while (s.step()) {
        StatusRecord r;
        r.agent_id = agent_id;
        r.bundle = s.text(0);
        r.digest = s.text(1);
        r.revision = s.text(2);
        r.state = s.text(3);
        r.message = s.text(4);
        r.seq = static_cast<uint64_t>(s.int64(5));
        r.time_ms = s.int64(6);
        out.push_back(std::move(r));
    }
    return out;
}

namespace {

constexpr const char* kStatusColumns = "agent_id, bundle, digest, revision, state, message, seq, time_ms, resources";

std::vector<StatusRecord> read_statuses(sql::Stmt& s) {
    std::vector<StatusRecord> out;
    while (s.step()) {
        StatusRecord r;
        r.agent_id = s.text(0);
        r.bundle = s.text(1);
        r.digest = s.text(2);
        r.revision = s.text(3);
        r.state = s.text(4);
        r.message = s.text(5);
        r.seq = static_cast<uint64_t>(s.int64(6));
        r.time_ms = s.int64(7);
        r.resources = static_cast<uint32_t>(s.int64(8));
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

std::vector<StatusRecord> SqliteStore::statuses() {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(cat("SELECT ", kStatusColumns, " FROM status ORDER BY agent_id, bundle"));
    return read_statuses(s);
}

std::vector<StatusRecord> SqliteStore::statuses_of(const std::string& agent_id) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(cat("SELECT ", kStatusColumns, " FROM status WHERE agent_id = ? ORDER BY bundle"));
    s.bind(1, agent_id);
    return read_statuses(s);
}

std::vector<std::string> SqliteStore::status_bundles(const std::string& agent_id) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT bundle FROM status WHERE agent_id = ?");
    s.bind(1, agent_id);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
}

void SqliteStore::add_event(const std::string& kind, const std::string& message, int64_t now_ms) {
    std::lock_guard lock(mutex_);
    add_event_locked(kind, message, now_ms);
}

void SqliteStore::add_event_locked(const std::string& kind, const std::string& message, int64_t now_ms) {
    db_.prepare("INSERT INTO events (time_ms, kind, message) VALUES (?, ?, ?)")
        .bind(1, now_ms)
        .bind(2, kind)
        .bind(3, message)
        .run();
}

std::vector<EventRecord> SqliteStore::events(size_t limit) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT id, time_ms, kind, message FROM events ORDER BY id DESC LIMIT ?");
    s.bind(1, static_cast<int64_t>(limit));
    std::vector<EventRecord> out;
    while (s.step()) out.push_back({s.int64(0), s.int64(1), s.text(2), s.text(3)});
    return out;
}

std::vector<EventRecord> SqliteStore::events_of_kind(const std::string& kind, size_t limit) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT id, time_ms, kind, message FROM events WHERE kind = ? ORDER BY id DESC LIMIT ?");
    s.bind(1, kind).bind(2, static_cast<int64_t>(limit));
    std::vector<EventRecord> out;
    while (s.step()) out.push_back({s.int64(0), s.int64(1), s.text(2), s.text(3)});
    return out;
}

std::vector<EventRecord> SqliteStore::events_after(int64_t after_id, size_t limit, const std::string& kind) {
    std::lock_guard lock(mutex_);
    // Two statements, so that a kind filter walks events_by_kind from
    // after_id instead of scanning every event (streams replay on the loop).
    auto s = kind.empty() ? db_.prepare("SELECT id, time_ms, kind, message FROM events WHERE id > ?1 ORDER BY id LIMIT ?2")
                          : db_.prepare("SELECT id, time_ms, kind, message FROM events WHERE kind = ?3 AND id > ?1 "
                                        "ORDER BY id LIMIT ?2");
    s.bind(1, after_id).bind(2, static_cast<int64_t>(limit));
    if (!kind.empty()) s.bind(3, kind);
    std::vector<EventRecord> out;
    while (s.step()) out.push_back({s.int64(0), s.int64(1), s.text(2), s.text(3)});
    return out;
}

std::optional<std::string> SqliteStore::setting(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT value FROM settings WHERE key = ?");
    s.bind(1, key);
    if (!s.step()) return std::nullopt;
    return s.text(0);
}

void SqliteStore::set_setting(const std::string& key, const std::string& value) {
    std::lock_guard lock(mutex_);
    set_setting_locked(key, value);
}

void SqliteStore::set_setting_locked(const std::string& key, const std::string& value) {
    db_.prepare("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(1, key)
        .bind(2, value)
        .run();
}

std::map<std::string, std::string> SqliteStore::rollouts() {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT bundle, record FROM rollouts");
    std::map<std::string, std::string> out;
    while (s.step()) out.emplace(s.text(0), s.text(1));
    return out;
}

void SqliteStore::save_rollouts(const std::map<std::string, std::optional<std::string>>& records,
                                const std::string& deployed_commit) {
    if (records.empty() && deployed_commit.empty()) return;
    std::lock_guard lock(mutex_);
    sql::Transaction tx(db_);
    if (!deployed_commit.empty()) set_setting_locked("deployed_commit", deployed_commit);
    auto put = db_.prepare("INSERT INTO rollouts (bundle, record) VALUES (?, ?) "
                           "ON CONFLICT (bundle) DO UPDATE SET record = excluded.record");
    auto drop = db_.prepare("DELETE FROM rollouts WHERE bundle = ?");
    for (auto& [bundle, record] : records) {
        if (record) put.bind(1, bundle).bind(2, *record).run();
        else drop.bind(1, bundle).run();
    }
    tx.commit();
}

}  // namespace drover::hub
