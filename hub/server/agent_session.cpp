#include "hub/server/agent_session.h"

#include <algorithm>

#include "common/crypto.h"
#include "common/log.h"
#include "drover_config.h"
#include "proto/frame.h"
#include "proto/states.h"

namespace drover::hub {

AgentSession::AgentSession(Fleet& fleet, Transport& transport)
    : fleet_(fleet), transport_(transport), limits_(fleet.limits().session) {}

AgentSession::~AgentSession() {
    if (agent_id_.empty()) return;
    fleet_.detach(agent_id_, this);
    fleet_.metrics().sessions_closed.inc();
}

void AgentSession::send(const v1::Envelope& env) { transport_.send(wire::encode(env)); }

void AgentSession::end(const std::string& reason) {
    if (phase_ == Phase::closed) return;
    log::info("session ", name_.empty() ? "(unregistered)" : name_, ": closing: ", reason);
    v1::Envelope env;
    env.mutable_close()->set_reason(reason);
    send(env);
    transport_.close(reason);
    phase_ = Phase::closed;
    transfer_.reset();
}

void AgentSession::on_closed() {
    phase_ = Phase::closed;
    transfer_.reset();
    if (agent_id_.empty()) return;
    fleet_.detach(agent_id_, this);
    // A session replaced by a newer one of the same agent must not mark the
    // agent offline under its successor.
    if (fleet_.online(agent_id_)) return;
    fleet_.queue_presence({.agent_id = agent_id_, .online = false, .time_ms = fleet_.now_ms()});
    log::info("agent ", name_, " went offline");
}

void AgentSession::on_frame(std::string_view frame) {
    if (phase_ == Phase::closed) return;
    auto env = wire::decode(frame);
    if (!env) return end(cat("malformed frame: ", env.error().message));
    if (phase_ == Phase::hello) {
        if (env->msg_case() != v1::Envelope::kHello)
            return end(cat("expected hello as the first message, got ", wire::message_name(*env)));
        return handle_hello(env->hello());
    }
    bool holdable = env->msg_case() == v1::Envelope::kFetch || env->msg_case() == v1::Envelope::kStatus;
    if (holdable && waiting_for_deployment()) {
        if (held_.size() >= limits_.max_held_frames || held_bytes_ + frame.size() > limits_.max_held_bytes)
            return end("the hub is still loading its deployed revision; reconnect later");
        held_bytes_ += frame.size();
        held_.push_back(std::move(*env));
        return;
    }
    switch (env->msg_case()) {
        case v1::Envelope::kFetch: return handle_fetch(env->fetch());
        case v1::Envelope::kStatus: return handle_status(env->status());
        case v1::Envelope::kCredentialStored: return handle_credential_stored();
        case v1::Envelope::kCertificateRequest: return handle_certificate_request(env->certificate_request());
        case v1::Envelope::kClientCertificateStored: return handle_client_certificate_stored();
        case v1::Envelope::kClose:
            log::info("agent ", name_, " closed its session: ", quoted(env->close().reason()));
            transport_.close("agent said goodbye");
            phase_ = Phase::closed;
            return;
        default: return end(cat("unexpected ", wire::message_name(*env), " message from an agent"));
    }
}

static std::optional<std::string> check_hello(const v1::Hello& h, const SessionLimits& limits) {
    if (h.protocol() != wire::kProtocolVersion)
        return cat("protocol version ", h.protocol(), " is not supported (hub speaks ", wire::kProtocolVersion, ")");
    if (h.name().empty() || !validate_label("name", h.name()))
        return cat("agent name ", quoted(utf8_prefix(h.name(), 80)),
                   " is invalid: use 1-63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric");
    if (static_cast<size_t>(h.labels_size()) > limits.max_labels)
        return cat("too many labels (", h.labels_size(), ", hub limit agent-labels is ", limits.max_labels, ")");
    for (auto& [k, v] : h.labels())
        if (auto ok = validate_label(k, v); !ok) return ok.error().message;
    if (static_cast<size_t>(h.facts_size()) > limits.max_facts)
        return cat("too many facts (", h.facts_size(), ", hub limit agent-facts is ", limits.max_facts, ")");
    for (auto& [k, v] : h.facts())
        if (k.size() > limits.max_fact_bytes || v.size() > limits.max_fact_bytes)
            return cat("fact ", quoted(utf8_prefix(k, 40)), " is longer than ", limits.max_fact_bytes,
                       " bytes (hub limit fact-bytes)");
    if (h.version().size() > 64) return std::string("version string is longer than 64 bytes");
    if (!h.desired_hash().empty() && h.desired_hash().size() != kDigestSize)
        return std::string("desired_hash must be 32 bytes");
    return std::nullopt;
}

void AgentSession::handle_hello(const v1::Hello& hello) {
    if (auto problem = check_hello(hello, limits_)) return end(*problem);
    Store& store = fleet_.store();
    int64_t now = fleet_.now_ms();
    std::string issued_credential;
    // Verified by TLS against the hub's CA when presented at all.
    auto certificate = transport_.peer_certificate();
    AgentRecord agent;
    if (!hello.agent_id().empty()) {
        auto creds = store.credentials(hello.agent_id());
        auto known = creds ? store.agent(hello.agent_id()) : std::nullopt;
        std::string presented = sha256_hex(hello.credential());
        bool current = known && equal_secret(creds->current_hash, presented);
        bool next = known && !creds->next_hash.empty() && equal_secret(creds->next_hash, presented);
        if (!current && !next) return end("unknown or revoked agent credential");
        agent = *known;
        if (certificate && certificate->common_name != agent.id)
            return end(cat("the client certificate names agent ", quoted(utf8_prefix(certificate->common_name, 80)),
                           ", not this one"));
        if (fleet_.issues_client_certificates()) {
            if (!agent.client_key_sha256.empty() && !certificate)
                return end(cat("agent ", agent.name,
                               " was issued a client certificate and must present it (hub --client-certs)"));
            if (!agent.client_key_sha256.empty() && certificate->key_sha256 != agent.client_key_sha256)
                return end(cat("agent ", agent.name, " presented a certificate for key ",
                               certificate->key_sha256.substr(0, 12), ", not the one it stored (",
                               agent.client_key_sha256.substr(0, 12), ")"));
            // It stored the certificate issued last but its answer was lost.
            if (agent.client_key_sha256.empty() && certificate &&
                certificate->key_sha256 == agent.next_client_key_sha256 &&
                fleet_.client_certificate_stored(agent.id, certificate->key_sha256)) {
                agent.client_key_sha256 = certificate->key_sha256;
                log::info("agent ", agent.name, ": presented the client certificate it was issued (key ",
                          agent.client_key_sha256.substr(0, 12), "); required from now on");
            }
            offer_certificate_ = agent.client_key_sha256.empty();
        }
        if (next) {
            // The agent stored its new credential but its answer was lost.
            store.finish_credential_rotation(agent.id, now);
            credential_issued_ms_ = now;
            log::info("agent ", agent.name, ": credential rotation completed at reconnect");
        } else {
            // A rotation it never confirmed starts again with a new credential.
            credential_issued_ms_ = creds->next_hash.empty() ? creds->issued_ms : 0;
        }
    } else if (!hello.registration_token().empty()) {
        std::string address = transport_.peer_address();
        if (int64_t wait_ms = fleet_.registration_attempt(address))
            return end(cat("too many registration attempts from ", address.empty() ? "this address" : address,
                           "; retry in ", (wait_ms + 999) / 1000, " s (hub limit registrations-per-minute)"));
        issued_credential = random_token("drv_agt_", 32);
        auto r = store.register_with_token(sha256_hex(hello.registration_token()), hello.name(),
                                           sha256_hex(issued_credential), now);
        if (!r) return end(r.error().message);
        agent = r->agent;
        credential_issued_ms_ = now;
        log::info("agent ", agent.name, " (", agent.id, ") registered with token ", r->token.id);
    } else {
        return end("hello carries neither an agent credential nor a registration token");
    }
    Labels reported(hello.labels().begin(), hello.labels().end());
    std::map<std::string, std::string> facts(hello.facts().begin(), hello.facts().end());
    fleet_.queue_presence({agent.id, true, reported, std::move(facts), hello.version(), now});
    agent.reported_labels = reported;

    agent_id_ = agent.id;
    name_ = agent.name;
    labels_ = agent.effective_labels();
    sent_hash_ = hello.desired_hash();
    phase_ = Phase::active;
    for (auto& bundle : store.status_bundles(agent.id)) reported_.insert(bundle);
    fleet_.attach(agent_id_, this);
    fleet_.metrics().sessions_opened.inc();
    log::info("agent ", name_, " online (", hello.version(), ")");

    v1::Envelope env;
    auto* w = env.mutable_welcome();
    w->set_agent_id(agent.id);
    w->set_name(agent.name);
    w->set_credential(issued_credential);
    w->set_signing_key(fleet_.signing_key_pem());
    // A hub that never rotated its key has nothing for the chain to prove.
    if (fleet_.signing_chain().size() > 1)
        for (auto& link : fleet_.signing_chain()) {
            auto* l = w->add_signing_key_chain();
            l->set_key(link.key_pem);
            l->set_endorsement(link.endorsement);
        }
    w->set_acked_seq(agent.acked_seq);
    w->set_heartbeat_ms(limits_.heartbeat_ms);
    w->mutable_labels()->insert(labels_.begin(), labels_.end());
    auto update = desired_update();
    w->set_desired_state_follows(update.has_value());
    // Registration: a hub that issues certificates offers one at once.
    if (!issued_credential.empty()) offer_certificate_ = fleet_.issues_client_certificates();
    w->set_client_certificates(offer_certificate_);
    send(env);
    if (update) send(*update);
}

bool AgentSession::credential_due() const {
    if (phase_ != Phase::active || rotating_) return false;
    int64_t max_age = fleet_.credential_max_age_ms();
    return credential_issued_ms_ == 0 || (max_age > 0 && fleet_.now_ms() - credential_issued_ms_ >= max_age);
}

void AgentSession::send_credential(const std::string& credential) {
    if (phase_ != Phase::active) return;
    rotating_ = true;
    log::info("agent ", name_, ": rotating its credential");
    v1::Envelope env;
    env.mutable_credential()->set_credential(credential);
    send(env);
}

void AgentSession::handle_credential_stored() {
    if (!rotating_) return end("credential_stored answers no credential rotation");
    rotating_ = false;
    int64_t now = fleet_.now_ms();
    if (!fleet_.store().finish_credential_rotation(agent_id_, now)) return;
    credential_issued_ms_ = now;
    log::info("agent ", name_, ": credential rotated");
}

void AgentSession::handle_certificate_request(const v1::CertificateRequest& request) {
    // One per session, and only when offered: the agent has no certificate
    // the hub requires yet.
    if (!offer_certificate_) return end("certificate_request: no client certificate was offered in this session");
    if (certificate_ != CertificateStep::none)
        return end("certificate_request: a client certificate was already issued in this session");
    auto issued = fleet_.certify_client_key(agent_id_, request.public_key());
    if (!issued) return end(cat("certificate_request refused: ", issued.error().message));
    // Remembered before it is sent: an agent that stored it but whose answer
    // is lost completes the step by presenting it.
    issued_key_sha256_ = sha256_hex(issued->public_key_der);
    if (!fleet_.store().begin_client_certificate(agent_id_, issued_key_sha256_))
        return end("certificate_request: this agent already has a client certificate");
    certificate_ = CertificateStep::issued;
    log::info("agent ", name_, " (", transport_.peer_address(), "): issued a client certificate for key ",
              issued_key_sha256_.substr(0, 12));
    v1::Envelope env;
    env.mutable_client_certificate()->set_certificate(std::move(issued->certificate_der));
    send(env);
}

void AgentSession::handle_client_certificate_stored() {
    if (certificate_ != CertificateStep::issued) return end("client_certificate_stored answers no certificate request");
    certificate_ = CertificateStep::stored;
    if (!fleet_.client_certificate_stored(agent_id_, issued_key_sha256_)) return;
    log::info("agent ", name_, ": stored its client certificate (key ", issued_key_sha256_.substr(0, 12),
              "); required from its next connection");
}

std::optional<v1::Envelope> AgentSession::desired_update() {
    // Right after a restart the hub has not rendered its deployed revision
    // yet. Telling agents "you should run nothing" now would make them prune
    // every workload; say nothing until the revision is back.
    if (waiting_for_deployment()) return std::nullopt;
    std::vector<v1::Deployment> desired = fleet_.desired_for(agent_id_, labels_, name_);
    entitled_.clear();
    for (auto& d : desired) {
        entitled_.insert(d.digest());
        reported_.insert(d.bundle());
    }
    std::string hash = desired_hash(desired, fleet_.signing_key_id());
    if (hash == sent_hash_) return std::nullopt;
    sent_hash_ = hash;
    v1::Envelope env;
    auto* ds = env.mutable_desired();
    ds->set_hash(hash);
    for (auto& d : desired) *ds->add_bundles() = std::move(d);
    log::info("agent ", name_, ": sending desired state (", ds->bundles_size(), " bundles)");
    return env;
}

bool AgentSession::waiting_for_deployment() const { return !fleet_.deployment() && fleet_.deployment_pending(); }

void AgentSession::refresh() {
    if (phase_ != Phase::active) return;
    if (auto update = desired_update()) send(*update);
    replay_held();
}

void AgentSession::replay_held() {
    if (held_.empty() || waiting_for_deployment()) return;
    std::vector<v1::Envelope> held;
    held.swap(held_);
    held_bytes_ = 0;
    for (auto& env : held) {
        if (phase_ != Phase::active) return;
        if (env.has_fetch()) handle_fetch(env.fetch());
        else handle_status(env.status());
    }
}

void AgentSession::labels_changed() {
    if (phase_ != Phase::active) return;
    if (auto agent = fleet_.store().agent(agent_id_)) labels_ = agent->effective_labels();
    refresh();
}

void AgentSession::handle_fetch(const v1::Fetch& fetch) {
    // A fetch that crossed a new DesiredState on the wire asks for content
    // this agent no longer needs: ignore it (the new desired set tells the
    // agent to move on). Content not meant for this agent is never sent.
    auto content = entitled_.count(fetch.digest()) ? fleet_.content(fetch.digest()) : nullptr;
    if (!content) {
        log::info("agent ", name_, ": ignoring fetch of ", hex_encode(fetch.digest()).substr(0, 12),
                  ", which is not in its desired set");
        return;
    }
    if (fetch.offset() > content->size())
        return end(cat("fetch offset ", fetch.offset(), " is beyond the content size ", content->size()));
    transfer_ = Transfer{fetch.digest(), std::move(content), static_cast<size_t>(fetch.offset())};
    pump();
}

void AgentSession::pump() {
    while (transfer_ && phase_ == Phase::active && transport_.queued() < limits_.chunks_in_flight) {
        auto& t = *transfer_;
        size_t n = std::min(wire::kChunkSize, t.content->size() - t.offset);
        v1::Envelope env;
        auto* c = env.mutable_chunk();
        c->set_digest(t.digest);
        c->set_offset(t.offset);
        c->set_data(t.content->substr(t.offset, n));
        c->set_total(t.content->size());
        t.offset += n;
        bool last = t.offset == t.content->size();
        c->set_last(last);
        send(env);
        if (last) transfer_.reset();
    }
}

void AgentSession::on_drained() { pump(); }

void AgentSession::handle_status(const v1::Status& s) {
    if (s.seq() == 0 || s.seq() > static_cast<uint64_t>(INT64_MAX))
        return end("status seq must be between 1 and 2^63-1");
    if (s.bundle().empty() || s.bundle().size() > 253) return end("status names no valid bundle");
    if (!s.digest().empty() && s.digest().size() != kDigestSize) return end("status digest must be 32 bytes");
    if (s.revision().size() > 64) return end("status revision is longer than 64 bytes");
    const char* state = state_name(s.state());
    if (std::string_view(state) == "Unknown") return end(cat("status state ", static_cast<int>(s.state()), " is unknown"));
    StatusRecord r;
    r.agent_id = agent_id_;
    r.bundle = s.bundle();
    r.digest = hex_encode(s.digest());
    r.revision = s.revision();
    r.state = state;
    r.message = utf8_prefix(s.message(), limits_.max_message_bytes);
    r.seq = s.seq();
    r.time_ms = s.time_unix_ms();
    r.resources = s.resources();
    // Only bundles this hub has sent the agent (or holds a status of) are
    // stored: an agent cannot invent bundles or grow the store without bound.
    // Others are acknowledged so its outbox drains, and dropped.
    std::vector<StatusRecord> batch;
    if (reported_.count(r.bundle)) batch.push_back(std::move(r));
    else log::info("agent ", name_, ": dropping status for unknown bundle ", quoted(utf8_prefix(s.bundle(), 80)));
    fleet_.queue_statuses(agent_id_, std::move(batch), s.seq());
}

void AgentSession::acknowledge(uint64_t seq) {
    if (phase_ != Phase::active) return;
    v1::Envelope env;
    env.mutable_ack()->set_up_to_seq(seq);
    send(env);
}

}  // namespace drover::hub
