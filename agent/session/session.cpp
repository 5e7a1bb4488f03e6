#include "agent/session/session.h"

#include <algorithm>
#include <set>

#include "agent/cache/transaction_scope.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/text.h"
#include "drover_config.h"
#include "proto/desired_set.h"
#include "proto/frame.h"
#include "proto/states.h"

namespace drover::session {

Result<void> pin_signing_key(cache::Cache& cache, const std::string& pem) {
    if (auto key = VerifyKey::from_pem(pem); !key) return fail(cat("not a usable public key: ", key.error().message));
    auto identity = cache.identity().load();
    if (identity.signing_key_pem == pem) return {};
    identity.signing_key_pem = pem;
    cache.identity().save(identity);
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
            if (!welcomed_) return fail(cat("hub sent ", wire::message_name(frame), " before welcome"));
            if (frame.has_desired()) return on_desired(frame.desired());
            if (frame.has_chunk()) return fetch_.on_chunk(frame.chunk());
            return on_ack(frame.ack());
        default: return fail(cat("hub sent an unexpected ", wire::message_name(frame), " message"));
    }
}

Result<void> Session::on_welcome(const v1::Welcome& welcome) {
    if (welcomed_) return fail("hub sent a second welcome");
    if (welcome.agent_id().empty()) return fail("welcome carries no agent id");
    auto identity = cache_.identity().load();
    if (registering_ && welcome.credential().empty())
        return fail("hub accepted the registration but issued no credential");
    if (!registering_ && welcome.agent_id() != identity.agent_id)
        return fail(cat("hub welcomed agent ", quoted(welcome.agent_id()), " but this agent is ",
                        quoted(identity.agent_id)));

    // A newly issued credential is stored before anything else: the hub has
    // used up the registration token for it.
    std::string name = welcome.name().empty() ? config_.name : welcome.name();
    if (!welcome.credential().empty() || name != identity.name || identity.hub_url != config_.hub_url) {
        identity.agent_id = welcome.agent_id();
        if (!welcome.credential().empty()) identity.credential = welcome.credential();
        identity.name = name;
        identity.hub_url = config_.hub_url;
        cache_.identity().save(identity);
        if (registering_) log::info("registered with the hub as ", name, " (", identity.agent_id, ")");
    }

    std::string pem = welcome.signing_key();
    if (!identity.signing_key_pem.empty() && trim(identity.signing_key_pem) != trim(pem))
        return fail(
            "hub presented a spec-signing key different from the one pinned (by --signing-key, or at first "
            "contact); refusing it (key rotation is not supported yet)");
    auto key = VerifyKey::from_pem(pem);
    if (!key) return fail(cat("hub's spec-signing key is unusable: ", key.error().message));
    if (identity.signing_key_pem.empty()) {
        identity.signing_key_pem = pem;
        cache_.identity().save(identity);
        log::info("pinned the hub's spec-signing key");
    }
    key_ = std::move(*key);
    welcomed_ = true;
    log::info("session established as ", name, " (", identity.agent_id, ")");
    if (!welcome.labels().empty()) {
        Labels effective(welcome.labels().begin(), welcome.labels().end());
        log::debug("hub targets this agent with labels ", format_labels(effective));
    }

    auto acked = static_cast<int64_t>(std::min<uint64_t>(welcome.acked_seq(), INT64_MAX));
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
    if (desired_set_hash(entries) != set.hash)
        return fail("desired state rejected: its hash does not match its bundles");
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
        cache_.desired().replace(set);
        cache_.content().keep_only(keep);
        scope.commit();
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

void Session::on_close(const v1::Close& close) {
    closed_by_hub_ = true;
    log::error("hub closed the session: ", close.reason().empty() ? "(no reason given)" : close.reason());
    if (registering_)
        log::error("this agent is not registered yet; check --token (retrying with backoff)");
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
