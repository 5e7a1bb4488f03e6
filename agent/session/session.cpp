#include "agent/session/session.h"

#include <algorithm>
#include <set>

#include "agent/cache/transaction_scope.h"
#include "agent/session/client_certificate.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/text.h"
#include "drover_config.h"
#include "proto/desired_set.h"
#include "proto/frame.h"
#include "proto/signing_key_chain.h"
#include "proto/states.h"

namespace drover::session {

namespace {

// Credentials the hub issues (Welcome, Credential) are stored and sent back
// verbatim: refuse anything no hub would issue.
Result<void> check_credential(const std::string& credential) {
    if (credential.empty() || credential.size() > 256)
        return fail(cat("hub sent a credential of ", credential.size(), " bytes (1 to 256 expected)"));
    return {};
}

bool has_word(const std::string& words, const std::string& word) {
    for (auto& w : split(words, ' '))
        if (w == word) return true;
    return false;
}

// Identity::signing_key_rotated_from once the pinned key moves on through
// rotation: what it held, then the keys just walked; the new key itself is
// never its own ancestor. Bounded like the chain.
std::string extend_rotated_from(const std::string& held, const KeyRotation& rotation, const VerifyKey& to) {
    std::vector<std::string> words;
    for (auto& w : split(held, ' '))
        if (!w.empty()) words.push_back(w);
    for (auto& fingerprint : rotation.from) words.push_back(hex_encode(fingerprint));
    std::string own = hex_encode(to.fingerprint());
    std::vector<std::string> kept;
    for (auto& w : words)
        if (w != own && std::find(kept.begin(), kept.end(), w) == kept.end()) kept.push_back(w);
    if (kept.size() > kMaxSigningKeyChain) kept.erase(kept.begin(), kept.end() - kMaxSigningKeyChain);
    std::string out;
    for (auto& w : kept) out += (out.empty() ? "" : " ") + w;
    return out;
}

}  // namespace

Result<void> pin_signing_key(cache::Cache& cache, const std::string& pem) {
    auto key = VerifyKey::from_pem(pem);
    if (!key) return fail(cat("not a usable public key: ", key.error().message));
    auto identity = cache.identity().load();
    if (!identity.signing_key_pem.empty()) {
        auto pinned = VerifyKey::from_pem(identity.signing_key_pem);
        if (pinned && pinned->fingerprint() == key->fingerprint()) return {};
        if (pinned && has_word(identity.signing_key_rotated_from, hex_encode(key->fingerprint()))) {
            log::info("--signing-key names key ", short_fingerprint(key->fingerprint()),
                      ", which the hub has since rotated to ", short_fingerprint(pinned->fingerprint()),
                      " (verified); keeping ", short_fingerprint(pinned->fingerprint()));
            return {};
        }
    }
    // The cached desired set was signed by the old pin (its hash covers that
    // key): forgetting the hash makes the next Hello bring a set signed by
    // the hub's current key, so the new pin is never left with entries it
    // cannot verify.
    cache::WriteScope scope(cache.db());
    identity.signing_key_pem = pem;
    identity.signing_key_rotated_from.clear();
    cache.identity().save(identity);
    cache.desired().forget_hash();
    scope.commit();
    return {};
}

Session::Session(cache::Cache& cache, const SessionConfig& config, Send send, std::function<void()> cache_changed)
    : cache_(cache),
      config_(config),
      send_(std::move(send)),
      cache_changed_(std::move(cache_changed)),
      fetch_(cache, send_, cache_changed_) {}

void Session::start() {
    auto identity = cache_.identity().load();
    registering_ = !identity.registered();
    v1::Envelope env;
    auto* hello = env.mutable_hello();
    hello->set_protocol(wire::kProtocolVersion);
    hello->set_name(config_.name);
    if (registering_) {
        hello->set_registration_token(config_.registration_token);
    } else {
        hello->set_agent_id(identity.agent_id);
        hello->set_credential(identity.credential);
        if (!config_.registration_token.empty())
            log::debug("registration token ignored: already registered as ", identity.name, " (", identity.agent_id,
                       ")");
    }
    hello->set_version(DROVER_VERSION);
    for (auto& [k, v] : config_.labels) (*hello->mutable_labels())[k] = v;
    for (auto& [k, v] : config_.facts) (*hello->mutable_facts())[k] = v;
    hello->set_desired_hash(cache_.desired().load().hash);
    for (auto& rec : cache_.applied().load_all()) {
        auto* a = hello->add_applied();
        a->set_bundle(rec.bundle);
        a->set_digest(rec.digest);
        a->set_state(rec.state);
    }
    send_(env);
}

Result<void> Session::on_frame(const v1::Envelope& frame) {
    switch (frame.msg_case()) {
        case v1::Envelope::kWelcome: return on_welcome(frame.welcome());
        case v1::Envelope::kClose: on_close(frame.close()); return {};
        case v1::Envelope::kDesired:
        case v1::Envelope::kChunk:
        case v1::Envelope::kAck:
        case v1::Envelope::kCredential:
        case v1::Envelope::kClientCertificate:
            if (!welcomed_) return fail(cat("hub sent ", wire::message_name(frame), " before welcome"));
            if (frame.has_desired()) return on_desired(frame.desired());
            if (frame.has_chunk()) return fetch_.on_chunk(frame.chunk());
            if (frame.has_credential()) return on_credential(frame.credential());
            if (frame.has_client_certificate()) return on_client_certificate(frame.client_certificate());
            return on_ack(frame.ack());
        default: return fail(cat("hub sent an unexpected ", wire::message_name(frame), " message"));
    }
}

Result<void> Session::on_welcome(const v1::Welcome& welcome) {
    if (welcomed_) return fail("hub sent a second welcome");
    if (welcome.agent_id().empty()) return fail("welcome carries no agent id");
    // No agent issues seqs that high: a hub claiming it stored them would
    // make this agent skip every status it has and issue seqs near the end
    // of the range.
    if (welcome.acked_seq() > static_cast<uint64_t>(cache::StatusOutbox::kMaxSeqFloor))
        return fail(cat("hub claims to have stored status seq ", welcome.acked_seq(), ", beyond any this agent issues"));
    auto identity = cache_.identity().load();
    if (registering_ && welcome.credential().empty())
        return fail("hub accepted the registration but issued no credential");
    if (!welcome.credential().empty())
        if (auto ok = check_credential(welcome.credential()); !ok) return ok;
    if (!registering_ && welcome.agent_id() != identity.agent_id)
        return fail(cat("hub welcomed agent ", quoted(welcome.agent_id()), " but this agent is ",
                        quoted(identity.agent_id)));

    // A newly issued credential is stored before anything else: the hub has
    // used up the registration token for it.
    std::string name = welcome.name().empty() ? config_.name : welcome.name();
    if (!welcome.credential().empty() || name != identity.name || identity.hub_url != config_.hub_url) {
        if (registering_) {
            // A certificate left from an earlier registration names another id.
            identity.client_key.clear();
            identity.client_certificate.clear();
        }
        identity.agent_id = welcome.agent_id();
        if (!welcome.credential().empty()) identity.credential = welcome.credential();
        identity.name = name;
        identity.hub_url = config_.hub_url;
        cache_.identity().save(identity);
        if (registering_) log::info("registered with the hub as ", name, " (", identity.agent_id, ")");
    }

    std::string pem = welcome.signing_key();
    auto key = VerifyKey::from_pem(pem);
    if (!key) return fail(cat("hub's spec-signing key is unusable: ", key.error().message));
    pending_pin_.reset();
    if (identity.signing_key_pem.empty()) {
        identity.signing_key_pem = pem;
        cache_.identity().save(identity);
        log::info("pinned the hub's spec-signing key ", short_fingerprint(key->fingerprint()));
    } else {
        SigningKeyChain chain;
        for (auto& link : welcome.signing_key_chain()) chain.push_back({link.key(), link.endorsement()});
        auto rotation = trace_key_rotation(chain, identity.signing_key_pem, pem);
        if (!rotation)
            return fail(cat("hub presented a spec-signing key different from the one pinned (by --signing-key, or at "
                            "first contact); refusing it: ",
                            rotation.error().message));
        if (!rotation->from.empty()) {
            pending_pin_ = PendingPin{pem, extend_rotated_from(identity.signing_key_rotated_from, *rotation, *key)};
            log::info("hub's spec-signing key was rotated from ", short_fingerprint(rotation->from.front()), " to ",
                      short_fingerprint(key->fingerprint()), " (", rotation->from.size(),
                      rotation->from.size() == 1 ? " endorsement" : " endorsements",
                      " verified); pinning it with the desired state signed by it");
        }
    }
    key_ = std::move(*key);
    welcomed_ = true;
    log::info("session established as ", name, " (", identity.agent_id, ")");
    if (!welcome.labels().empty()) {
        Labels effective(welcome.labels().begin(), welcome.labels().end());
        log::debug("hub targets this agent with labels ", format_labels(effective));
    }

    auto acked = static_cast<int64_t>(welcome.acked_seq());
    {
        cache::WriteScope scope(cache_.db());
        cache_.outbox().ensure_seq_above(acked);
        cache_.outbox().ack(acked);
        scope.commit();
    }
    acked_ = sent_through_ = acked;
    send_statuses();
    // A DesiredState is on its way: fetching for the cached (stale) set now
    // would ask for content the hub no longer serves to this agent.
    fetch_.hold(welcome.desired_state_follows());
    fetch_.pump();
    if (welcome.client_certificates()) request_certificate();
    return {};
}

void Session::request_certificate() {
    if (config_.ca_pem.empty()) {
        log::debug("the hub issues client certificates; this agent does not take one (no CA configured)");
        return;
    }
    auto identity = cache_.identity().load();
    std::string public_key;
    if (!identity.client_key.empty()) {
        auto existing = client_public_key(identity.client_key);
        if (existing) public_key = std::move(*existing);
        else log::warn(existing.error().message, "; making a new one");
    }
    if (public_key.empty()) {
        // Stored before it is sent: the certificate that comes back, in
        // this session or after a reconnect, is for this key.
        auto key = generate_client_key();
        identity.client_key = key.private_der;
        identity.client_certificate.clear();
        cache_.identity().save(identity);
        public_key = std::move(key.public_der);
    }
    log::info("asking the hub for a client certificate");
    v1::Envelope env;
    env.mutable_certificate_request()->set_public_key(public_key);
    send_(env);
    certificate_requested_ = true;
}

Result<void> Session::on_client_certificate(const v1::ClientCertificate& certificate) {
    if (!certificate_requested_) return fail("hub sent a client certificate this agent did not ask for");
    certificate_requested_ = false;
    auto identity = cache_.identity().load();
    if (auto ok = check_client_certificate(certificate.certificate(), identity.client_key, identity.agent_id,
                                           config_.ca_pem);
        !ok) {
        // Storing it would lock this agent out at its next connection.
        log::error("refusing the client certificate the hub issued: ", ok.error().message);
        return {};
    }
    // Durable before the answer: once the hub hears it, connections without
    // the certificate are refused.
    identity.client_certificate = certificate.certificate();
    cache_.identity().save(identity);
    log::info("stored the client certificate the hub issued; presenting it from the next connection");
    v1::Envelope env;
    env.mutable_client_certificate_stored();
    send_(env);
    return {};
}

Result<void> Session::on_desired(const v1::DesiredState& desired) {
    cache::DesiredSet set;
    set.hash = desired.hash();
    std::vector<DesiredEntry> entries;
    std::set<std::string> names;
    for (auto& d : desired.bundles()) {
        if (d.bundle().empty() || d.digest().size() != kDigestSize)
            return fail(cat("desired state rejected: malformed entry for bundle ", quoted(d.bundle())));
        if (!names.insert(d.bundle()).second)
            return fail(cat("desired state rejected: bundle ", quoted(d.bundle()), " is listed twice"));
        if (!key_->verify(spec_signing_message(d.bundle(), d.revision(), d.digest()), d.signature()))
            return fail(cat("desired state rejected: the signature of bundle ", d.bundle(),
                            " does not verify against the pinned hub key"));
        entries.push_back({d.bundle(), d.revision(), d.digest()});
        set.bundles.push_back({d.bundle(), d.revision(), d.digest(), d.signature(), d.size()});
    }
    if (desired_set_hash(entries, key_->fingerprint()) != set.hash)
        return fail("desired state rejected: its hash does not match its bundles and the hub's key");
    std::sort(set.bundles.begin(), set.bundles.end(),
              [](const cache::Deployment& a, const cache::Deployment& b) { return a.bundle < b.bundle; });

    std::set<std::string> keep;
    for (auto& d : set.bundles) keep.insert(d.digest);
    // A download no longer desired stops here; its partial bytes go with the
    // rest of the undesired content.
    fetch_.abandon_unless(keep);
    fetch_.hold(false);
    {
        cache::WriteScope scope(cache_.db());
        if (pending_pin_) {
            auto identity = cache_.identity().load();
            identity.signing_key_pem = pending_pin_->pem;
            identity.signing_key_rotated_from = pending_pin_->rotated_from;
            cache_.identity().save(identity);
        }
        cache_.desired().replace(set);
        cache_.content().keep_only(keep);
        scope.commit();
    }
    if (pending_pin_) {
        pending_pin_.reset();
        log::info("hub's spec-signing key rotated; now pinned to ", short_fingerprint(key_->fingerprint()));
    }
    log::info("desired state: ", set.bundles.size(), set.bundles.size() == 1 ? " bundle" : " bundles");
    if (cache_changed_) cache_changed_();
    fetch_.pump();
    return {};
}

Result<void> Session::on_ack(const v1::Ack& ack) {
    auto up = static_cast<int64_t>(std::min<uint64_t>(ack.up_to_seq(), INT64_MAX));
    if (up <= acked_) return {};
    if (up > sent_through_) {
        // Never delete what the hub cannot have seen.
        log::warn("hub acknowledged status ", up, " but only ", sent_through_, " was sent; ignoring the excess");
        up = sent_through_;
    }
    cache_.outbox().ack(up);
    acked_ = up;
    while (!in_flight_.empty() && in_flight_.front() <= up) in_flight_.pop_front();
    send_statuses();
    return {};
}

Result<void> Session::on_credential(const v1::Credential& credential) {
    const std::string& secret = credential.credential();
    if (auto ok = check_credential(secret); !ok) return ok;
    // Durable before the answer: once the hub hears it, the old one is gone.
    auto identity = cache_.identity().load();
    identity.credential = secret;
    cache_.identity().save(identity);
    log::info("the hub rotated this agent's credential; the new one is stored");
    v1::Envelope env;
    env.mutable_credential_stored();
    send_(env);
    return {};
}

void Session::on_close(const v1::Close& close) {
    closed_by_hub_ = true;
    log::error("hub closed the session: ", close.reason().empty() ? "(no reason given)" : close.reason());
    if (registering_)
        log::error("this agent is not registered yet; retrying with backoff (if the hub refused the token, "
                   "check --token)");
}

void Session::send_statuses() {
    if (!welcomed_ || in_flight_.size() >= kMaxInFlight) return;
    for (auto& st : cache_.outbox().pending(sent_through_, kMaxInFlight - in_flight_.size())) {
        v1::Envelope env;
        auto* s = env.mutable_status();
        s->set_seq(static_cast<uint64_t>(st.seq));
        s->set_bundle(st.bundle);
        s->set_digest(st.digest);
        s->set_revision(st.revision);
        s->set_state(st.state);
        s->set_message(st.message);
        s->set_time_unix_ms(st.time_unix_ms);
        s->set_resources(st.resources);
        send_(env);
        in_flight_.push_back(st.seq);
        sent_through_ = st.seq;
    }
}

void Session::pump() {
    if (!welcomed_) return;
    send_statuses();
    fetch_.pump();
}

}  // namespace drover::session
