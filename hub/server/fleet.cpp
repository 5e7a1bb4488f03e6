#include "hub/server/fleet.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/crypto.h"
#include "common/log.h"
#include "hub/server/agent_session.h"
#include "hub/server/api_fleet_state.h"
#include "hub/server/fleet_metrics.h"

namespace drover::hub {

Fleet::Fleet(Store& store, std::string signing_key_pem, Clock clock)
    : store_(store), signing_key_pem_(std::move(signing_key_pem)), clock_(std::move(clock)) {
    auto key = VerifyKey::from_pem(signing_key_pem_);
    // The caller loaded the key (hub/signing_keys.h): a bad one is a bug here.
    if (!key) throw std::invalid_argument(cat("Fleet: ", key.error().message));
    signing_key_id_ = key->fingerprint();
    signing_chain_ = {{signing_key_pem_, ""}};
    metrics_.registry.add_collector([this](Exposition& out) { collect_fleet_metrics(*this, out); });
}

Fleet::~Fleet() = default;

std::pair<size_t, size_t> Fleet::queued_frames() const {
    size_t total = 0, longest = 0;
    for (auto& [id, session] : sessions_) {
        size_t n = session->queued_frames();
        total += n;
        longest = std::max(longest, n);
    }
    return {total, longest};
}

namespace {

bool same_specs(const render::Bundle& a, const render::Bundle& b) {
    if (a.specs.size() != b.specs.size()) return false;
    for (size_t i = 0; i < a.specs.size(); ++i)
        if (a.specs[i].digest != b.specs[i].digest || a.specs[i].customization != b.specs[i].customization) return false;
    return a.depends_on == b.depends_on && a.keep_resources == b.keep_resources && a.self_heal == b.self_heal &&
           a.paused == b.paused;
}

}  // namespace

const std::map<std::string, std::string>& Fleet::bundle_commits() {
    if (!bundle_commits_) {
        bundle_commits_.emplace();
        auto stored = nlohmann::json::parse(store_.setting("bundle_commits").value_or("{}"), nullptr, false);
        if (stored.is_object())
            for (auto& [name, commit] : stored.items())
                if (commit.is_string()) (*bundle_commits_)[name] = commit.get<std::string>();
    }
    return *bundle_commits_;
}

void Fleet::deploy(std::shared_ptr<const Deployment> deployment) {
    // Which commit last changed each bundle: kept while its specs stay the
    // same (and, for the revision loaded at start-up, taken from the store).
    std::map<std::string, std::string> commits;
    const auto& known = bundle_commits();
    for (auto& bundle : deployment->fleet.bundles) {
        auto it = known.find(bundle.name);
        const render::Bundle* before = deployment_ ? deployment_->fleet.find(bundle.name) : nullptr;
        bool unchanged = deployment_ ? before && same_specs(*before, bundle) : true;
        commits[bundle.name] = unchanged && it != known.end() ? it->second : deployment->commit;
    }
    if (commits != known) {
        store_.set_setting("bundle_commits", nlohmann::json(commits).dump());
        bundle_commits_ = std::move(commits);
    }
    deployment_ = std::move(deployment);
    changes_.all = true;
    view_changes_.all = true;
    // Copy: a refresh may end a session, which detaches it from sessions_.
    auto sessions = sessions_;
    for (auto& [id, session] : sessions) session->refresh();
}

void Fleet::attach(const std::string& agent_id, AgentSession* session) {
    auto it = sessions_.find(agent_id);
    if (it != sessions_.end() && it->second != session) {
        AgentSession* old = it->second;
        sessions_.erase(it);
        log::info("agent ", agent_id, ": a newer session replaces the current one");
        old->end("replaced by a newer session of the same agent");
    }
    sessions_[agent_id] = session;
    changed(agent_id);
}

void Fleet::detach(const std::string& agent_id, AgentSession* session) {
    auto it = sessions_.find(agent_id);
    if (it != sessions_.end() && it->second == session) {
        sessions_.erase(it);
        changed(agent_id);
    }
}

void Fleet::queue_statuses(const std::string& agent_id, std::vector<StatusRecord> statuses, uint64_t up_to_seq) {
    auto [it, fresh] = queued_index_.try_emplace(agent_id, queued_.size());
    if (fresh) queued_.push_back({agent_id, {}, 0});
    StatusBatch& batch = queued_[it->second];
    for (auto& st : statuses) batch.statuses.push_back(std::move(st));
    batch.up_to_seq = std::max(batch.up_to_seq, up_to_seq);
}

void Fleet::flush_queued() {
    if (queued_.empty() && presence_.empty()) return;
    std::vector<StatusBatch> batches;
    batches.swap(queued_);
    queued_index_.clear();
    std::vector<PresenceUpdate> presence;
    presence.swap(presence_);
    std::vector<uint64_t> acked;
    try {
        acked = store_.record_batch(presence, batches);
    } catch (...) {
        // Nothing was stored: these agents resend after reconnecting.
        for (auto& b : batches)
            if (auto it = sessions_.find(b.agent_id); it != sessions_.end())
                it->second->end("the hub could not store statuses; reconnect and send them again");
        throw;
    }
    for (auto& p : presence) changed(p.agent_id);
    for (auto& b : batches) changed(b.agent_id);
    for (size_t i = 0; i < batches.size(); ++i) {
        auto it = sessions_.find(batches[i].agent_id);
        if (it != sessions_.end()) it->second->acknowledge(acked[i]);
    }
}

size_t Fleet::start_rotations(const std::vector<AgentSession*>& sessions) {
    if (sessions.empty()) return 0;
    std::map<std::string, std::string> secrets;  // agent id -> new credential
    std::vector<std::pair<std::string, std::string>> next_hashes;
    for (auto* s : sessions) {
        auto& secret = secrets[s->agent_id()] = random_token("drv_agt_", 32);
        next_hashes.emplace_back(s->agent_id(), sha256_hex(secret));
    }
    auto begun = store_.begin_credential_rotations(next_hashes);
    for (auto& id : begun) sessions_.at(id)->send_credential(secrets.at(id));
    return begun.size();
}

bool Fleet::rotate_credential(const std::string& agent_id) {
    if (!store_.expire_credential(agent_id)) return false;
    auto it = sessions_.find(agent_id);
    if (it == sessions_.end()) return true;
    it->second->expire_credential();
    if (it->second->credential_due()) start_rotations({it->second});
    return true;
}

size_t Fleet::rotate_due_credentials(size_t max) {
    std::vector<AgentSession*> due;
    for (auto& [id, session] : sessions_) {
        if (due.size() == max) break;
        if (session->credential_due()) due.push_back(session);
    }
    return start_rotations(due);
}

std::optional<int64_t> Fleet::revoke(const std::string& agent_id) {
    auto revoked = store_.revoke_agent(agent_id, now_ms());
    if (!revoked) return std::nullopt;
    changed(agent_id);
    auto it = sessions_.find(agent_id);
    if (it != sessions_.end()) it->second->end("this agent was revoked by the operator");
    return revoked;
}

void Fleet::relabel(const std::string& agent_id, const std::map<std::string, std::optional<std::string>>& overrides) {
    store_.set_operator_labels(agent_id, overrides);
    changed(agent_id);
    auto it = sessions_.find(agent_id);
    if (it != sessions_.end()) it->second->labels_changed();
}

}  // namespace drover::hub
