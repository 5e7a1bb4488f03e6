#pragma once
// The agent's half of one hub connection, without the transport: frames in
// (on_frame), frames out (the Send callback). HubLink runs it over
// libwebsockets; tests run it against a scripted hub in memory.
//
// Contract (proto/drover.proto is authoritative):
//  - start() sends Hello: agent_id + credential when the cache has an
//    identity, else the registration token; labels, facts, the cached
//    desired-set hash and each applied bundle's digest and state.
//  - Welcome: a newly issued credential is stored before anything else; the
//    hub's signing key is pinned on first Welcome (or up front, by
//    pin_signing_key for --signing-key). A different key is accepted only
//    when Welcome's signing_key_chain leads to it from the pinned key
//    through endorsements that verify (proto/signing_key_chain.h), else it
//    is refused with the reason. Outbox rows the hub has stored (acked_seq)
//    are deleted, the rest are sent.
//  - A rotated key is used for this session at once, but pinned in the
//    cache only with the next DesiredState (which the key change always
//    brings: the desired-set hash covers the key), in its transaction: the
//    cached entries and the pinned key then always belong together, and a
//    link lost in between leaves the old key with the entries it signed.
//  - DesiredState: every signature must verify against the session's key
//    and the set hash must match, else the whole message is refused and the
//    session ends. Stored in one transaction; the reconciler is woken and
//    missing content fetched (ContentFetch).
//  - Status rows go out in seq order, at most kMaxInFlight unacknowledged;
//    Ack{up_to_seq} deletes them. After a reconnect everything unacked is
//    sent again (the hub ignores seqs it has).
//  - Credential{credential} (rotation): stored durably, then answered with
//    CredentialStored; the hub forgets the old one only after that.
//  - Welcome.client_certificates (the hub issues client certificates and
//    this connection presented none): with a CA configured (ca_pem), the
//    agent makes its key (stored before it is sent), sends
//    CertificateRequest, checks the ClientCertificate that comes back
//    (agent/session/client_certificate.h), stores it durably and answers
//    ClientCertificateStored; HubLink presents it from the next connection.
//    A certificate that fails the check is logged and never stored or
//    confirmed, and the session goes on: the hub keeps accepting the agent
//    without one.
//  - pin_signing_key replacing a pin also forgets the cached set's hash, so
//    the next Hello brings a set signed by the hub's current key.
//  - Close{reason} from the hub is logged at error level; the caller then
//    hangs up and reconnects with backoff.
// An error returned by on_frame ends the session: the caller sends
// Close{reason} and closes.
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "agent/cache/cache.h"
#include "agent/session/content_fetch.h"
#include "agent/session/facts.h"
#include "common/error.h"
#include "common/labels.h"
#include "drover.pb.h"
#include "proto/spec_signature.h"

namespace drover::session {

constexpr size_t kMaxInFlight = 64;

struct SessionConfig {
    std::string name;                // wanted name; the hub may register another
    std::string registration_token;  // only used while the cache has no identity
    Labels labels;
    Facts facts;
    std::string hub_url;  // recorded with the identity
    // The hub CA (PEM) this agent pins. Set: take client certificates from
    // hubs that issue them (checked against it). Empty: never ask for one
    // (ws:// hubs; fleetsim, whose links share one lws context and so
    // cannot each present their own certificate).
    std::string ca_pem;
};

// --signing-key: makes pem the key the cache trusts before any session runs,
// so specs already cached are verified against it (the reconciler reads the
// key from the identity) and a Welcome presenting another key is refused
// unless a verified rotation chain leads to it from pem. The rule, against
// what the cache holds:
//  - no key pinned yet: pem is pinned;
//  - pem is the pinned key (same public key, whatever the PEM whitespace):
//    nothing changes;
//  - the pinned key was reached from pem by verified rotations (pem is in
//    the identity's signing_key_rotated_from): the pinned key stays. The
//    flag a device was provisioned with names the old key forever; putting
//    it back at each start would undo the rotation, and the cached entries,
//    signed by the newer key, would fail verification until the hub is
//    reached again;
//  - anything else (a key trusted on first contact, another hub's key):
//    pem replaces it and the rotation history is cleared. The operator's
//    file wins over every key not derived from it.
// Refuses a PEM that holds no usable public key.
Result<void> pin_signing_key(cache::Cache& cache, const std::string& pem);

class Session {
public:
    using Send = std::function<void(const v1::Envelope&)>;

    // cache_changed runs when a new desired set or new content was stored
    // (wakes the reconciler).
    Session(cache::Cache& cache, const SessionConfig& config, Send send, std::function<void()> cache_changed);

    void start();
    Result<void> on_frame(const v1::Envelope& frame);
    // The reconciler appended statuses or dropped content: send what is due.
    void pump();

    bool welcomed() const { return welcomed_; }
    bool closed_by_hub() const { return closed_by_hub_; }

private:
    Result<void> on_welcome(const v1::Welcome& welcome);
    Result<void> on_desired(const v1::DesiredState& desired);
    Result<void> on_ack(const v1::Ack& ack);
    Result<void> on_credential(const v1::Credential& credential);
    void request_certificate();
    Result<void> on_client_certificate(const v1::ClientCertificate& certificate);
    void on_close(const v1::Close& close);
    void send_statuses();

    cache::Cache& cache_;
    SessionConfig config_;
    Send send_;
    std::function<void()> cache_changed_;
    ContentFetch fetch_;
    std::optional<VerifyKey> key_;  // the hub's key for this session
    // A verified rotation, pinned with the next DesiredState.
    struct PendingPin {
        std::string pem;
        std::string rotated_from;  // Identity::signing_key_rotated_from to store
    };
    std::optional<PendingPin> pending_pin_;
    bool registering_ = false;
    bool welcomed_ = false;
    bool closed_by_hub_ = false;
    bool certificate_requested_ = false;
    int64_t acked_ = 0;         // highest seq the hub has stored
    int64_t sent_through_ = 0;  // highest seq sent on this connection
    std::deque<int64_t> in_flight_;
};

}  // namespace drover::session
