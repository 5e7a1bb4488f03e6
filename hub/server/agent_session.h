#pragma once
// One agent's session on the hub, independent of the socket under it (see
// Transport). Frames in, frames out; anything malformed or unauthorised ends
// the session with a Close naming what was wrong, and only that session.
//
// Client certificates (mTLS, proto step 6): with Fleet::issues_client_certificates(),
// an agent that has no certificate the hub requires is offered one in
// Welcome and may ask once per session; the key certified is remembered
// (Store::begin_client_certificate) and required once the agent confirms
// storing it, or presents it. From then on a Hello for that agent is refused
// unless the connection presents a certificate for exactly that key
// (Transport::peer_certificate()). A certificate naming another agent is
// always refused.
//
// Content streaming: the session holds a shared_ptr to the compressed spec
// (shared by every agent fetching the same digest) and an offset, and queues
// the next chunk only when the transport has drained, so a slow link costs a
// few chunks of memory, not a whole spec.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/labels.h"
#include "drover.pb.h"
#include "hub/server/fleet.h"
#include "hub/server/hub_limits.h"
#include "hub/server/transport.h"

namespace drover::hub {

class AgentSession {
public:
    // Limits come from fleet.limits().session, read once here.
    AgentSession(Fleet& fleet, Transport& transport);
    ~AgentSession();
    AgentSession(const AgentSession&) = delete;
    AgentSession& operator=(const AgentSession&) = delete;

    void on_frame(std::string_view frame);
    void on_drained();  // the transport wrote queued frames
    void on_closed();   // the connection is gone
    // Recompute this agent's desired set (a new revision) and send it if it changed.
    void refresh();
    // Reload the agent's labels from the store, then refresh.
    void labels_changed();
    // The hub stored this agent's statuses up to seq (Fleet::flush_queued).
    void acknowledge(uint64_t seq);
    // Credential rotation (proto: Credential, CredentialStored), driven by
    // Fleet::rotate_credentials: due when the credential is older than
    // Fleet::credential_max_age_ms() or the operator asked for it (issued
    // at 0), and no rotation is under way. send_credential() sends one whose
    // hash the store already holds as the next.
    bool credential_due() const;
    void send_credential(const std::string& credential);
    // The operator asked for a rotation (Store::expire_credential).
    void expire_credential() { credential_issued_ms_ = 0; }
    // Close with a reason (used by the fleet when a newer session replaces this one).
    void end(const std::string& reason);

    const std::string& agent_id() const { return agent_id_; }
    bool authenticated() const { return phase_ == Phase::active; }
    size_t queued_frames() const { return transport_.queued(); }

private:
    void handle_hello(const v1::Hello& hello);
    void handle_fetch(const v1::Fetch& fetch);
    void handle_status(const v1::Status& status);
    void handle_credential_stored();
    void handle_certificate_request(const v1::CertificateRequest& request);
    void handle_client_certificate_stored();
    void send(const v1::Envelope& env);
    void pump();
    // The DesiredState to send when the agent's desired set changed (also
    // updates what it may fetch and report); nullopt when nothing changed.
    std::optional<v1::Envelope> desired_update();

    struct Transfer {
        std::string digest;
        std::shared_ptr<const std::string> content;
        size_t offset = 0;
    };

    Fleet& fleet_;
    Transport& transport_;
    SessionLimits limits_;
    enum class Phase { hello, active, closed } phase_ = Phase::hello;
    std::string agent_id_;
    std::string name_;
    Labels labels_;
    std::string sent_hash_;             // desired hash the agent holds or was sent
    std::set<std::string> entitled_;    // digests this agent may fetch
    std::set<std::string> reported_;    // bundles it may report status for
    std::optional<Transfer> transfer_;
    int64_t credential_issued_ms_ = 0;  // 0: a rotation is due now
    bool rotating_ = false;             // a Credential was sent, not yet confirmed
    // Client certificates: offered in this session's Welcome, then at most
    // one issued and confirmed.
    bool offer_certificate_ = false;
    enum class CertificateStep { none, issued, stored } certificate_ = CertificateStep::none;
    std::string issued_key_sha256_;
    // While a restarted hub has not loaded its deployed revision it cannot
    // tell which digests an agent may fetch or which bundles it may report:
    // fetches and statuses wait here (bounded) and are handled once it has,
    // so none is ignored or dropped.
    bool waiting_for_deployment() const;
    void replay_held();
    std::vector<v1::Envelope> held_;
    size_t held_bytes_ = 0;
};

}  // namespace drover::hub
