#include "hub/server/fleet.h"

#include "common/log.h"
#include "hub/server/agent_session.h"

namespace drover::hub {

Fleet::Fleet(Store& store, std::string signing_key_pem, Clock clock)
    : store_(store), signing_key_pem_(std::move(signing_key_pem)), clock_(std::move(clock)) {}

void Fleet::deploy(std::shared_ptr<const Deployment> deployment) {
    deployment_ = std::move(deployment);
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
}

void Fleet::detach(const std::string& agent_id, AgentSession* session) {
    auto it = sessions_.find(agent_id);
    if (it != sessions_.end() && it->second == session) sessions_.erase(it);
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
    for (size_t i = 0; i < batches.size(); ++i) {
        auto it = sessions_.find(batches[i].agent_id);
        if (it != sessions_.end()) it->second->acknowledge(acked[i]);
    }
}

void Fleet::refresh(const std::string& agent_id) {
    auto it = sessions_.find(agent_id);
    if (it != sessions_.end()) it->second->labels_changed();
}

}  // namespace drover::hub
