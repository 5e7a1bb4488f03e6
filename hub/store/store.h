#pragma once
// The hub's store: agents, registration tokens, per agent x bundle status,
// events and a few settings. This narrow interface is all the rest of the hub
// sees; SQLite (sqlite_store.h) is the embedded backend, and a PostgreSQL
// backend for several hub replicas can implement the same interface.
//
// Expected failures (unknown token, unknown agent) are values. Broken storage
// (disk full, corruption) throws: the caller cannot fix it by retrying the
// request, and nothing half-written is left behind because every method is
// one transaction.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/labels.h"

namespace drover::hub {

// Registration tokens enrol agents (each use registers one). Push tokens
// let operators and CI `git push` to (and clone from) the hub's repository.
// Viewer tokens read the REST API and nothing else.
enum class TokenKind { registration, push, viewer };

// "registration", "push", "viewer": as stored and as the API shows them.
inline const char* token_kind_name(TokenKind kind) {
    switch (kind) {
        case TokenKind::push: return "push";
        case TokenKind::viewer: return "viewer";
        case TokenKind::registration: break;
    }
    return "registration";
}
inline std::optional<TokenKind> token_kind_from(std::string_view name) {
    for (auto kind : {TokenKind::registration, TokenKind::push, TokenKind::viewer})
        if (name == token_kind_name(kind)) return kind;
    return std::nullopt;
}

struct TokenRecord {
    std::string id;                     // "tok_..." public id, safe to show
    Labels labels;                      // default labels of agents it enrols
    std::optional<int64_t> uses_left;   // nullopt: unlimited
    std::optional<int64_t> expires_ms;  // nullopt: never
    int64_t created_ms = 0;
    bool revoked = false;
    TokenKind kind = TokenKind::registration;
};

struct AgentRecord {
    std::string id;
    std::string name;
    Labels token_labels;     // from the registration token
    Labels reported_labels;  // what the agent says in Hello
    // Operator overrides: a value sets the label, nullopt removes it even if
    // the agent reports it.
    std::map<std::string, std::optional<std::string>> operator_labels;
    std::map<std::string, std::string> facts;
    std::string version;
    int64_t created_ms = 0;
    int64_t last_seen_ms = 0;
    bool online = false;
    uint64_t acked_seq = 0;  // highest status seq stored for this agent
    std::optional<int64_t> revoked_ms;  // set: its credential no longer logs in
    // mTLS: once the agent stored the client certificate the hub issued it,
    // when, and the SHA-256 (hex) of the certified public key
    // (SubjectPublicKeyInfo DER): a hub that issues certificates then
    // requires one for that key on every connection. next_...: issued, not
    // yet confirmed.
    std::optional<int64_t> client_certificate_ms;
    std::string client_key_sha256;
    std::string next_client_key_sha256;

    // token labels, overridden by reported labels, overridden by the operator.
    Labels effective_labels() const;
};

struct StatusRecord {
    std::string agent_id;
    std::string bundle;
    std::string digest;    // hex
    std::string revision;  // commit hex
    std::string state;     // "Ready", ...
    std::string message;
    uint64_t seq = 0;
    int64_t time_ms = 0;
    uint32_t resources = 0;
};

// Statuses one agent sent in one burst; see Store::record_statuses.
struct StatusBatch {
    std::string agent_id;
    std::vector<StatusRecord> statuses;  // seq ascending
    uint64_t up_to_seq = 0;
};

// An agent came or went. Recorded with the next batch of statuses (one
// transaction per event-loop pass), so a reconnect storm of thousands of
// agents costs a few fsyncs, not one each.
struct PresenceUpdate {
    std::string agent_id;
    bool online = false;
    // When online: what the agent said in Hello.
    Labels reported;
    std::map<std::string, std::string> facts;
    std::string version;
    int64_t time_ms = 0;
};

struct Registration {
    TokenRecord token;
    AgentRecord agent;
};

// The status history keeps this many of an agent's latest status events;
// older ones are pruned as new ones arrive.
constexpr int64_t kStatusLogPerAgent = 1000;

struct EventRecord {
    int64_t id = 0;
    int64_t time_ms = 0;
    std::string kind;  // "push", "rejected", "registered", ...
    std::string message;
};

class Store {
public:
    virtual ~Store() = default;

    virtual void add_token(const TokenRecord& token, const std::string& secret_hash) = 0;
    // Atomically check (exists, not revoked, not expired, uses left) and use
    // one use of the token whose secret hashes to secret_hash.
    virtual Result<TokenRecord> consume_token(const std::string& secret_hash, int64_t now_ms) = 0;

    // The push token whose secret hashes to secret_hash, if it exists and is
    // neither revoked nor expired; the error says which.
    virtual Result<TokenRecord> push_token(const std::string& secret_hash, int64_t now_ms) = 0;

    // The viewer token whose secret hashes to secret_hash, if it exists and
    // is neither revoked nor expired; the error says which.
    virtual Result<TokenRecord> viewer_token(const std::string& secret_hash, int64_t now_ms) = 0;
    // Every token of every kind, oldest first; secrets are never stored.
    virtual std::vector<TokenRecord> tokens() = 0;
    // Marks the token revoked (it no longer registers, pushes or reads).
    // False when no token has that id; revoking twice is harmless.
    virtual bool revoke_token(const std::string& id) = 0;

    // consume_token + register_agent + a "registered" event, in one
    // transaction: first contact costs one fsync.
    virtual Result<Registration> register_with_token(const std::string& secret_hash, const std::string& wanted_name,
                                                     const std::string& credential_hash, int64_t now_ms) = 0;
    // Create an agent with a fresh id. A name already held by another agent
    // is never taken over: the new agent gets the first free "name-2",
    // "name-3", ... and the returned record says which.
    virtual AgentRecord register_agent(const std::string& wanted_name, const std::string& credential_hash,
                                       const Labels& token_labels, int64_t now_ms) = 0;
    virtual std::optional<AgentRecord> agent(const std::string& id) = 0;
    virtual std::optional<AgentRecord> agent_by_name(const std::string& name) = 0;
    // An agent's credential hashes: the current one and, while a rotation
    // is under way, the next one (both log in until the agent confirms it
    // stored the next). nullopt for unknown and revoked agents.
    struct Credentials {
        std::string current_hash;
        std::string next_hash;  // "" when no rotation is under way
        int64_t issued_ms = 0;  // when the current one was issued
    };
    virtual std::optional<Credentials> credentials(const std::string& agent_id) = 0;
    // Rotation: remember the next credential's hash; then make it the
    // current one (issued now) and forget the old. Finishing stores a
    // "credential" event in the same transaction. False for unknown,
    // revoked agents, and (finish) when no rotation is under way.
    // Begins one rotation per (agent id, next hash), in one transaction;
    // returns the agent ids it began for (unknown and revoked ones are skipped).
    virtual std::vector<std::string> begin_credential_rotations(
        const std::vector<std::pair<std::string, std::string>>& next_hashes) = 0;
    virtual bool finish_credential_rotation(const std::string& agent_id, int64_t now_ms) = 0;
    // The current credential counts as due for rotation (issued at time 0).
    virtual bool expire_credential(const std::string& agent_id) = 0;
    // Client certificates, like credential rotation: remember the key a
    // certificate was just issued for, then, once the agent confirms storing
    // it (or presents it), make it the one required, set client_certificate_ms
    // and store a "certificate" event, in one transaction. Both are false
    // for unknown and revoked agents and for agents that already have one;
    // finishing also when key_sha256 is not the one begun.
    virtual bool begin_client_certificate(const std::string& agent_id, const std::string& key_sha256) = 0;
    virtual bool finish_client_certificate(const std::string& agent_id, const std::string& key_sha256,
                                           int64_t now_ms) = 0;
    // Revokes the agent's credential for good and stores a "revoked" event,
    // in one transaction. Returns when it was revoked (revoking twice keeps
    // the first time); nullopt when no such agent.
    virtual std::optional<int64_t> revoke_agent(const std::string& id, int64_t now_ms) = 0;
    virtual std::vector<AgentRecord> agents() = 0;
    virtual void agent_connected(const std::string& id, const Labels& reported, const std::map<std::string, std::string>& facts,
                                 const std::string& version, int64_t now_ms) = 0;
    virtual void agent_disconnected(const std::string& id, int64_t now_ms) = 0;
    // Marks every agent offline: a fresh hub process has no sessions.
    virtual void all_agents_offline(int64_t now_ms) = 0;
    virtual void set_operator_labels(const std::string& id,
                                     const std::map<std::string, std::optional<std::string>>& labels) = 0;

    // For each batch: store statuses with seq > the agent's acked seq (older
    // ones are duplicates of what is stored) as the agent x bundle's current
    // status and in the agent's status history, and advance the acked seq to
    // at least up_to_seq (statuses the hub chose to drop are acknowledged
    // too). Removed deletes the agent x bundle row. All batches are one
    // transaction: a burst from many agents costs one fsync. Returns the new
    // acked seq per batch, in order (0 for an unknown agent).
    // Presence updates are applied first, in order.
    virtual std::vector<uint64_t> record_batch(const std::vector<PresenceUpdate>& presence,
                                               const std::vector<StatusBatch>& batches) = 0;
    std::vector<uint64_t> record_statuses(const std::vector<StatusBatch>& batches) { return record_batch({}, batches); }
    uint64_t record_statuses(const std::string& agent_id, const std::vector<StatusRecord>& statuses,
                             uint64_t up_to_seq) {
        return record_statuses(std::vector<StatusBatch>{{agent_id, statuses, up_to_seq}}).front();
    }
    virtual std::vector<StatusRecord> statuses() = 0;
    // One agent's current statuses, by bundle.
    virtual std::vector<StatusRecord> statuses_of(const std::string& agent_id) = 0;
    // The agent's status history, oldest first (at most kStatusLogPerAgent).
    virtual std::vector<StatusRecord> status_log(const std::string& agent_id) = 0;
    // Bundles the agent has a stored status for.
    virtual std::vector<std::string> status_bundles(const std::string& agent_id) = 0;

    virtual void add_event(const std::string& kind, const std::string& message, int64_t now_ms) = 0;
    virtual std::vector<EventRecord> events(size_t limit) = 0;
    // The newest `limit` events of one kind, newest first.
    virtual std::vector<EventRecord> events_of_kind(const std::string& kind, size_t limit) = 0;
    // Events with an id above after_id, oldest first, up to limit, of one
    // kind unless kind is empty (what a live stream has not sent yet).
    virtual std::vector<EventRecord> events_after(int64_t after_id, size_t limit, const std::string& kind = "") = 0;

    virtual std::optional<std::string> setting(const std::string& key) = 0;
    virtual void set_setting(const std::string& key, const std::string& value) = 0;

    // Staged rollouts (hub/server/rollouts.h): one record per bundle, opaque
    // here. save_rollouts writes each record, or deletes it (nullopt), and
    // with a deployed_commit the setting of that name, all in one
    // transaction: a restart never finds a deployed commit without the
    // rollouts that hold it back.
    virtual std::map<std::string, std::string> rollouts() = 0;
    virtual void save_rollouts(const std::map<std::string, std::optional<std::string>>& records,
                               const std::string& deployed_commit = "") = 0;
};

}  // namespace drover::hub
