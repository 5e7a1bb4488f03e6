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

void Fleet::refresh(const std::string& agent_id) {
    auto it = sessions_.find(agent_id);
    if (it != sessions_.end()) it->second->labels_changed();
}

}  // namespace drover::hub
