#pragma once
#include <memory>
#include <mutex>

#include "common/sqlite.h"
#include "hub/store/store.h"

namespace drover::hub {

// The embedded store: one SQLite file, WAL, synchronous=FULL (a status the
// hub acked must survive a power cut: the agent has deleted its copy).
// Thread-safe: a mutex serialises callers (the event loop and the Git worker).
class SqliteStore final : public Store {
public:
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);

    void add_token(const TokenRecord& token, const std::string& secret_hash) override;
    Result<TokenRecord> consume_token(const std::string& secret_hash, int64_t now_ms) override;
    Result<TokenRecord> push_token(const std::string& secret_hash, int64_t now_ms) override;
    Result<TokenRecord> viewer_token(const std::string& secret_hash, int64_t now_ms) override;
    std::vector<TokenRecord> tokens() override;
    bool revoke_token(const std::string& id) override;
    Result<Registration> register_with_token(const std::string& secret_hash, const std::string& wanted_name,
                                             const std::string& credential_hash, int64_t now_ms) override;
    AgentRecord register_agent(const std::string& wanted_name, const std::string& credential_hash,
                               const Labels& token_labels, int64_t now_ms) override;
    std::optional<AgentRecord> agent(const std::string& id) override;
    std::optional<AgentRecord> agent_by_name(const std::string& name) override;
    std::optional<Credentials> credentials(const std::string& agent_id) override;
    std::vector<std::string> begin_credential_rotations(
        const std::vector<std::pair<std::string, std::string>>& next_hashes) override;
    bool finish_credential_rotation(const std::string& agent_id, int64_t now_ms) override;
    bool expire_credential(const std::string& agent_id) override;
    bool begin_client_certificate(const std::string& agent_id, const std::string& key_sha256) override;
    bool finish_client_certificate(const std::string& agent_id, const std::string& key_sha256, int64_t now_ms) override;
    std::optional<int64_t> revoke_agent(const std::string& id, int64_t now_ms) override;
    std::vector<AgentRecord> agents() override;
    void agent_connected(const std::string& id, const Labels& reported, const std::map<std::string, std::string>& facts,
                         const std::string& version, int64_t now_ms) override;
    void agent_disconnected(const std::string& id, int64_t now_ms) override;
    void all_agents_offline(int64_t now_ms) override;
    void set_operator_labels(const std::string& id,
                             const std::map<std::string, std::optional<std::string>>& labels) override;
    std::vector<uint64_t> record_batch(const std::vector<PresenceUpdate>& presence,
                                       const std::vector<StatusBatch>& batches) override;
    std::vector<StatusRecord> statuses() override;
    std::vector<StatusRecord> statuses_of(const std::string& agent_id) override;
    std::vector<StatusRecord> status_log(const std::string& agent_id) override;
    std::vector<std::string> status_bundles(const std::string& agent_id) override;
    void add_event(const std::string& kind, const std::string& message, int64_t now_ms) override;
    std::vector<EventRecord> events(size_t limit) override;
    std::vector<EventRecord> events_of_kind(const std::string& kind, size_t limit) override;
    std::vector<EventRecord> events_after(int64_t after_id, size_t limit, const std::string& kind = "") override;
    std::optional<std::string> setting(const std::string& key) override;
    void set_setting(const std::string& key, const std::string& value) override;
    std::map<std::string, std::string> rollouts() override;
    void save_rollouts(const std::map<std::string, std::optional<std::string>>& records,
                       const std::string& deployed_commit = "") override;

private:
    explicit SqliteStore(sql::Db db);
    std::optional<AgentRecord> agent_where(const char* column, const std::string& value);
    // The parts of the public methods, for a caller holding mutex_ inside a transaction.
    Result<TokenRecord> consume_token_locked(const std::string& secret_hash, int64_t now_ms);
    AgentRecord register_agent_locked(const std::string& wanted_name, const std::string& credential_hash,
                                      const Labels& token_labels, int64_t now_ms);
    // A push or viewer token that may be used now, by its secret's hash.
    Result<TokenRecord> usable_token(const std::string& secret_hash, TokenKind kind, int64_t now_ms);
    void add_event_locked(const std::string& kind, const std::string& message, int64_t now_ms);
    void set_setting_locked(const std::string& key, const std::string& value);

    std::mutex mutex_;
    sql::Db db_;
    // The status path runs for every burst of every agent: prepared once.
    sql::Stmt acked_seq_, set_acked_seq_, upsert_status_, remove_status_, log_status_, prune_log_, connected_,
        disconnected_;
};

}  // namespace drover::hub
