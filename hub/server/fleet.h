#pragma once
// Fleet: the hub's live view on the event-loop thread — the deployed
// revision and which agents have a session now. Everything durable lives in
// the Store; everything here can be rebuilt from it and from Git.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "hub/server/deployment.h"
#include "hub/server/hub_limits.h"
#include "hub/server/metrics.h"
#include "hub/pki/certificates.h"
#include "hub/server/rate_limiter.h"
#include "hub/server/rollouts.h"
#include "hub/store/store.h"
#include "proto/signing_key_chain.h"

namespace drover::hub {

class AgentSession;
struct FleetState;

struct Rejection {
    std::string commit;
    std::string message;  // problems, one per line
};

class Fleet {
public:
    using Clock = std::function<int64_t()>;  // unix milliseconds
    Fleet(Store& store, std::string signing_key_pem, Clock clock);
    ~Fleet();

    Store& store() { return store_; }
    const std::string& signing_key_pem() const { return signing_key_pem_; }
    // Fingerprint of that key (VerifyKey::fingerprint()): mixed into every
    // desired-set hash, so a rotated key resends every agent its set.
    const std::string& signing_key_id() const { return signing_key_id_; }
    // How the signing key descends from the hub's earlier keys
    // (hub/signing_keys.h), verified, ending at signing_key_pem(). Welcome
    // carries it once it has more than the one link it starts with.
    const SigningKeyChain& signing_chain() const { return signing_chain_; }
    void set_signing_chain(SigningKeyChain chain) { signing_chain_ = std::move(chain); }
    // What sessions, the API and renders accept (hub_limits.h). Set before serving.
    const HubLimits& limits() const { return limits_; }
    void set_limits(const HubLimits& limits) {
        limits_ = limits;
        registrations_ = RateLimiter(limits.registrations_per_minute);
    }
    // One registration attempt from a source address: 0 when allowed, else
    // the milliseconds until the next would be (limits().registrations_per_minute).
    int64_t registration_attempt(const std::string& address) { return registrations_.attempt(address, now_ms()); }
    // The CA certificate (PEM) agents pin, served by GET /api/v1/trust for
    // provisioning; empty when the hub runs without TLS.
    const std::string& ca_pem() const { return ca_pem_; }
    void set_ca_pem(std::string pem) { ca_pem_ = std::move(pem); }
    // mTLS (serve --client-certs): the CA that certifies agents' own keys
    // (proto/drover.proto, step 6). Without it the hub issues no client
    // certificates and requires none, not even from agents it issued one.
    void set_client_ca(pki::ClientCertificateIssuer ca) { client_ca_ = std::move(ca); }
    bool issues_client_certificates() const { return client_ca_.has_value(); }
    // A certificate for the agent's public key with CN = agent_id.
    Result<pki::ClientCertificate> certify_client_key(const std::string& agent_id,
                                                      const std::string& public_key_der) const {
        if (!client_ca_) return fail("this hub issues no client certificates");
        return client_ca_->certify(agent_id, public_key_der);
    }
    // The agent stored the certificate for this key (Store::
    // finish_client_certificate): from now on it must present it.
    bool client_certificate_stored(const std::string& agent_id, const std::string& key_sha256) {
        if (!store_.finish_client_certificate(agent_id, key_sha256, now_ms())) return false;
        changed(agent_id);
        return true;
    }
    int64_t now_ms() const { return clock_(); }
    // The hub's one metrics registry; its fleet gauges are computed at scrape time.
    HubMetrics& metrics() { return metrics_; }

    std::shared_ptr<const Deployment> deployment() const { return deployment_; }
    // True while the hub knows it had a deployed revision but has not loaded
    // it yet (start-up): sessions must not send an empty desired set then.
    bool deployment_pending() const { return deployment_pending_ && !deployment_; }
    void set_deployment_pending(bool pending) { deployment_pending_ = pending; }
    // Swap in a new revision, start or supersede the rollouts it calls for,
    // and tell every online agent whose desired set changed. At start-up
    // (the revision deployed before a restart) the stored rollouts are
    // restored instead, `referenced` holding the older commits they keep
    // agents on (referenced_commits()).
    void deploy(std::shared_ptr<const Deployment> deployment, bool startup = false, const Revisions& referenced = {});
    // What one agent should run now: the deployed revision, except for
    // bundles whose rollout has not reached it (rollouts.h).
    std::vector<v1::Deployment> desired_for(const std::string& agent_id, const Labels& labels,
                                            const std::string& agent_name) const;
    // Compressed spec content by digest, of any revision an agent may be given.
    std::shared_ptr<const std::string> content(const std::string& digest) const;

    // Staged rollouts: advanced from the event loop's ticks (and after a
    // deploy or an operator's action); updated agents are sent their new
    // desired set at once, and every change is stored.
    void step_rollouts(bool refresh = true);
    Rollouts& rollouts() { return rollouts_; }
    // The agents a bundle targets, as its rollout counts them.
    std::vector<RolloutAgent> rollout_agents(const std::string& bundle);
    enum class RolloutAction { pause, resume, abort };
    // An operator's pause, resume or abort; an error names why it does not apply.
    Result<void> control_rollout(const std::string& bundle, RolloutAction action, const std::string& who);
    // The commit that last changed each deployed bundle's specs (what a
    // `git revert` rolls back to shows up here). Kept in the store.
    const std::map<std::string, std::string>& bundle_commits();
    const std::optional<Rejection>& rejection() const { return rejection_; }
    void set_rejection(std::optional<Rejection> rejection) {
        rejection_ = std::move(rejection);
        changes_.all = true;
    }

    // A session that authenticated as agent_id. An older session of the same
    // agent is closed: one device, one session.
    void attach(const std::string& agent_id, AgentSession* session);
    void detach(const std::string& agent_id, AgentSession* session);
    bool online(const std::string& agent_id) const { return sessions_.count(agent_id) != 0; }
    size_t online_count() const { return sessions_.size(); }
    // Frames queued on the sessions' links: the total and the longest queue.
    std::pair<size_t, size_t> queued_frames() const;
    // Stores the agent's operator labels, then recomputes and pushes its
    // desired set. The Fleet makes every change to agents the store keeps,
    // so it knows what its views must read again.
    void relabel(const std::string& agent_id, const std::map<std::string, std::optional<std::string>>& overrides);

    // Agents' credentials are rotated once this old (0: never by age).
    int64_t credential_max_age_ms() const { return credential_max_age_ms_; }
    void set_credential_max_age_ms(int64_t ms) { credential_max_age_ms_ = ms; }
    // The operator asks for a new credential: sent now when the agent is
    // online, else by the first sweep of its next session. False for
    // unknown or revoked agents.
    bool rotate_credential(const std::string& agent_id);
    // Rotate at most `max` online agents' credentials that are due, their
    // next hashes stored in one transaction (called from the server's sweep,
    // never per frame: a reconnect storm after an upgrade must not become a
    // storm of writes). Returns how many started.
    size_t rotate_due_credentials(size_t max);

    // Revokes the agent's credential (Store::revoke_agent) and ends its
    // session, if any, now. When it was revoked; nullopt for unknown agents.
    std::optional<int64_t> revoke(const std::string& agent_id);

    // Statuses wait here until the event loop has served every socket that
    // was ready; flush_queued() then stores them all in one transaction
    // (one fsync per burst, not per status) and acks each agent whose
    // session is still open. An agent whose session closed in between
    // learns its acked seq from the next Welcome.
    void queue_statuses(const std::string& agent_id, std::vector<StatusRecord> statuses, uint64_t up_to_seq);
    // An agent came or went; stored with the next flush, in order.
    void queue_presence(PresenceUpdate update) { presence_.push_back(std::move(update)); }
    void flush_queued();
    size_t queued_statuses() const { return queued_.size(); }

    // What changed since the last take_changes(), for live views (the event
    // feed): agents that came, went, reported statuses or were relabelled;
    // `all` when the deployed revision or its error changed.
    struct Changes {
        std::set<std::string> agent_ids;
        bool all = false;
    };
    Changes take_changes() { return std::exchange(changes_, {}); }

    // What the fleet view (api_fleet_state.h) must read again since it last
    // looked: agents that came or went, had statuses or presence stored,
    // were relabelled or revoked; everything after a deploy.
    Changes take_view_changes() { return std::exchange(view_changes_, {}); }
    // For code that writes agents or statuses to the store itself (tests).
    void store_changed() { view_changes_.all = true; }
    struct ViewCache {
        std::unique_ptr<FleetState> view;
    };
    ViewCache& view_cache() { return view_cache_; }

private:
    void save_rollouts();
    // Refresh these agents' sessions (all when null).
    void refresh_sessions(const std::set<std::string>* only);
    // Store the next credentials' hashes in one transaction, then send each.
    size_t start_rotations(const std::vector<AgentSession*>& sessions);
    Store& store_;
    std::string signing_key_pem_;
    std::string signing_key_id_;
    SigningKeyChain signing_chain_;
    std::string ca_pem_;
    std::optional<pki::ClientCertificateIssuer> client_ca_;
    Clock clock_;
    HubLimits limits_;
    int64_t credential_max_age_ms_ = 0;
    RateLimiter registrations_{limits_.registrations_per_minute};
    HubMetrics metrics_;
    std::shared_ptr<const Deployment> deployment_;
    Rollouts rollouts_;
    int64_t started_ms_ = 0;                    // when this Fleet (the hub) started
    std::optional<std::string> unsaved_commit_;  // deployed, not yet stored with its rollouts
    bool deployment_pending_ = false;
    std::optional<Rejection> rejection_;
    std::optional<std::map<std::string, std::string>> bundle_commits_;  // loaded on first use
    std::map<std::string, AgentSession*> sessions_;
    std::vector<StatusBatch> queued_;
    std::vector<PresenceUpdate> presence_;
    std::map<std::string, size_t> queued_index_;  // agent id -> position in queued_
    Changes changes_;
    Changes view_changes_{{}, true};
    ViewCache view_cache_;
    // Marks the agent changed for the event feed and for the fleet view.
    void changed(const std::string& agent_id) {
        if (!changes_.all) changes_.agent_ids.insert(agent_id);
        if (!view_changes_.all) view_changes_.agent_ids.insert(agent_id);
    }
};

}  // namespace drover::hub
