#include "hub/server/fleet.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/crypto.h"
#include "common/log.h"
#include "hub/server/agent_session.h"
#include "hub/server/api_fleet_state.h"
#include "hub/server/fleet_metrics.h"
#include "common/text.h"

#include <algorithm>

namespace drover::hub {

Fleet::Fleet(Store& store, std::string signing_key_pem, Clock clock)
    : store_(store), signing_key_pem_(std::move(signing_key_pem)), clock_(std::move(clock)) {
    started_ms_ = clock_();
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

void Fleet::deploy(std::shared_ptr<const Deployment> deployment, bool startup, const Revisions& referenced) {
    // Which commit last changed each bundle: kept while its specs stay the
    // same (and, for the revision loaded at start-up, taken from the store).
    std::map<std::string, std::string> commits;
    const auto& known = bundle_commits();
    for (auto& bundle : deployment->fleet.bundles) {
        auto it = known.find(bundle.name);
        const render::Bundle* before = deployment_ ? deployment_->fleet.find(bundle.name) : nullptr;
        bool unchanged = deployment_ ? before && gives_agents_the_same(*before, bundle) : true;
        commits[bundle.name] = unchanged && it != known.end() ? it->second : deployment->commit;
    }
    if (commits != known) {
        store_.set_setting("bundle_commits", nlohmann::json(commits).dump());
        bundle_commits_ = std::move(commits);
    }
    std::vector<std::string> events;
    if (startup) {
        events = rollouts_.restore(store_.rollouts(), deployment, referenced);
    } else if (!deployment_ && deployment_pending_) {
        // The revision deployed before the restart did not render: there is
        // nothing to hold agents on, and holding them on nothing would
        // remove their workloads.
        rollouts_.clear();
        events.push_back(cat("commit ", deployment->commit.substr(0, 12),
                             " goes to every agent at once: the revision deployed before the hub restarted could not "
                             "be loaded, so no rollout can keep agents on it"));
    } else {
        events = rollouts_.deploy(deployment_, deployment, now_ms());
    }
    for (auto& e : events) {
        log::info(e);
        store_.add_event("rollout", e, now_ms());
    }
    deployment_ = std::move(deployment);
    if (!startup) unsaved_commit_ = deployment_->commit;
    changes_.all = true;
    view_changes_.all = true;
    // Canaries get the revision now, not at the next step.
    step_rollouts(false);
    refresh_sessions(nullptr);
    // The commit is recorded as deployed with its rollouts, in one
    // transaction; a failure is retried at the next step.
    try {
        save_rollouts();
    } catch (const std::exception& e) {
        log::error("storing the deployed commit and its rollouts failed (retried): ", e.what());
    }
}

std::vector<v1::Deployment> Fleet::desired_for(const std::string& agent_id, const Labels& labels,
                                               const std::string& agent_name) const {
    if (!deployment_) return {};
    auto desired = deployment_->desired_for(labels, agent_name);
    rollouts_.adjust(agent_id, labels, agent_name, desired);
    return desired;
}

std::shared_ptr<const std::string> Fleet::content(const std::string& digest) const {
    if (deployment_)
        if (auto it = deployment_->content_by_digest.find(digest); it != deployment_->content_by_digest.end())
            return it->second;
    return rollouts_.content(digest);
}

namespace {

// The agents a bundle targets, as its rollout sees them: a state counts only
// when reported for the deployed revision's spec.
std::vector<RolloutAgent> rollout_agents(const FleetState& view, const std::string& bundle, int64_t now_ms,
                                         int64_t started_ms) {
    std::vector<RolloutAgent> out;
    for (auto& a : view.agents)
        for (auto& st : a.bundles) {
            if (st.bundle != bundle || !st.targeted) continue;
            bool current = !st.out_of_sync && st.state != "Pending";
            // Offline time counts from the hub's start: agents reconnecting
            // after a restart are not "offline" for as long as the hub was down.
            int64_t offline_ms = a.online ? 0 : now_ms - std::max(a.agent.last_seen_ms, started_ms);
            out.push_back({a.agent.id, a.agent.name, a.labels, a.online, offline_ms, current ? st.state : "",
                           current ? st.message : ""});
        }
    return out;
}

}  // namespace

std::vector<RolloutAgent> Fleet::rollout_agents(const std::string& bundle) {
    return drover::hub::rollout_agents(fleet_view(*this), bundle, now_ms(), started_ms_);
}

void Fleet::step_rollouts(bool refresh) {
    int64_t now = now_ms();
    std::set<std::string> moved;
    bool everyone = false;
    for (auto& [bundle, r] : rollouts_.all()) {
        if (!r.active()) continue;
        auto before = r.engine.mark();
        for (auto& id : r.engine.step(rollout_agents(bundle), now)) moved.insert(std::move(id));
        if (r.engine.mark() == before) continue;
        rollouts_.changed(bundle);
        if (r.engine.phase() == before.phase) continue;
        everyone = everyone || r.engine.phase() == Rollout::Phase::complete;
        std::string e = cat("rollout of ", bundle, " to ", r.target.substr(0, 12), ": ", phase_name(r.engine.phase()));
        if (!r.engine.reason().empty()) e += cat(": ", r.engine.reason());
        if (r.engine.phase() == Rollout::Phase::halted) log::error(e);
        else log::info(e);
        store_.add_event("rollout", e, now);
    }
    if (!refresh) return;
    // Agents get what was decided even if storing it fails: the records stay
    // unsaved and are written by the next step.
    for (auto& id : moved) changed(id);
    if (everyone) refresh_sessions(nullptr);
    else if (!moved.empty()) refresh_sessions(&moved);
    save_rollouts();
}

void Fleet::save_rollouts() {
    auto records = rollouts_.take_records();
    if (records.empty() && !unsaved_commit_) return;
    try {
        store_.save_rollouts(records, unsaved_commit_.value_or(""));
    } catch (...) {  // saved with the next change, or the next tick
        for (auto& [bundle, record] : records) rollouts_.changed(bundle);
        throw;
    }
    unsaved_commit_.reset();
    changes_.all = true;  // live views show rollouts
}

void Fleet::refresh_sessions(const std::set<std::string>* only) {
    std::vector<AgentSession*> targets;
    if (only) {
        for (auto& id : *only)
            if (auto it = sessions_.find(id); it != sessions_.end()) targets.push_back(it->second);
    } else {
        for (auto& [id, session] : sessions_) targets.push_back(session);
    }
    // A refresh may end a session; each is looked up again first.
    for (auto* s : targets) {
        auto it = sessions_.find(s->agent_id());
        if (it != sessions_.end() && it->second == s) s->refresh();
    }
}

Result<void> Fleet::control_rollout(const std::string& bundle, RolloutAction action, const std::string& who) {
    auto* r = rollouts_.find(bundle);
    if (!r) return fail(cat("bundle ", quoted(bundle), " has no rollout"));
    static constexpr std::pair<const char*, const char*> kWords[] = {
        {"pause", "paused"}, {"resume", "resumed"}, {"abort", "aborted"}};
    auto [verb, done] = kWords[static_cast<size_t>(action)];
    auto phase = r->engine.phase();
    if (phase == Rollout::Phase::complete || phase == Rollout::Phase::aborted)
        return fail(cat("the rollout of ", bundle, " to ", r->target.substr(0, 12), " is ", phase_name(phase),
                        ": there is nothing to ", verb));
    if (phase == Rollout::Phase::halted && action != RolloutAction::abort)
        return fail(cat("the rollout of ", bundle, " halted (", r->engine.reason(),
                        "); abort it, or push a revision that fixes it"));
    switch (action) {
        case RolloutAction::pause: r->engine.pause(); break;
        case RolloutAction::resume: r->engine.resume(); break;
        case RolloutAction::abort: r->engine.abort(cat("aborted by ", who)); break;
    }
    rollouts_.changed(bundle);
    std::string e = cat("rollout of ", bundle, " to ", r->target.substr(0, 12), " ", done, " by ", who);
    log::info(e);
    store_.add_event("rollout", e, now_ms());
    if (action == RolloutAction::abort) refresh_sessions(nullptr);
    step_rollouts();  // a resumed one goes on now; saves the change either way
    return {};
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
