#include "agent/reconcile/reconciler.h"

#include <algorithm>

#include "agent/reconcile/apply_order.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/text.h"
#include "proto/states.h"

namespace drover::reconcile {

namespace {

int64_t system_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

constexpr size_t kDriftNamed = 5;

}  // namespace

std::string describe_drift(const std::vector<apply::Difference>& diffs) {
    std::string out = cat(diffs.size(), diffs.size() == 1 ? " object drifted: " : " objects drifted: ");
    for (size_t i = 0; i < diffs.size() && i < kDriftNamed; ++i)
        out += cat(i ? ", " : "", apply::describe(diffs[i].object), " ", diffs[i].what);
    if (diffs.size() > kDriftNamed) out += cat(" and ", diffs.size() - kDriftNamed, " more");
    return out;
}

Reconciler::Reconciler(cache::Cache& cache, apply::Applier& applier, std::function<void()> outbox_changed,
                       Clock clock)
    : cache_(cache),
      applier_(applier),
      outbox_changed_(std::move(outbox_changed)),
      clock_(clock ? std::move(clock) : Clock(system_unix_ms)) {}

void Reconciler::emit(const std::string& bundle, const std::string& digest, const std::string& revision,
                      v1::State state, const std::string& message, size_t resources) {
    cache::Status st;
    st.bundle = bundle;
    st.digest = digest;
    st.revision = revision;
    st.state = state;
    st.message = message;
    st.time_unix_ms = clock_();
    st.resources = static_cast<uint32_t>(resources);
    if (!cache_.outbox().append_if_changed(st)) return;
    poke_session_ = true;
    if (state == v1::FAILED)
        log::error("bundle ", bundle, ": ", state_name(state), ": ", message);
    else if (message.empty())
        log::info("bundle ", bundle, ": ", state_name(state));
    else
        log::info("bundle ", bundle, ": ", state_name(state), ": ", message);
}

apply::Inventory Reconciler::stored_inventory(const cache::AppliedRecord& record) {
    auto inv = apply::inventory_from_json(record.inventory_json);
    if (inv) return *inv;
    // Only a damaged cache gets here; the bundle is then applied afresh and
    // objects of the lost inventory are not pruned.
    log::error("bundle ", record.bundle, ": ", inv.error().message, "; its objects can no longer be pruned");
    return {};
}

void Reconciler::reconcile(bool periodic) {
    poke_session_ = false;
    auto identity = cache_.identity().load();
    auto desired = cache_.desired().load();

    std::optional<VerifyKey> key;
    if (!identity.signing_key_pem.empty()) {
        auto k = VerifyKey::from_pem(identity.signing_key_pem);
        if (k)
            key = std::move(*k);
        else
            log::error("pinned hub signing key is unusable: ", k.error().message);
    }

    std::set<std::string> names;
    for (auto& d : desired.bundles) names.insert(d.bundle);
    remove_undesired(names);

    std::map<std::string, Candidate> candidates;
    std::map<std::string, std::vector<std::string>> depends_on;
    for (auto& d : desired.bundles) {
        Candidate c = load_candidate(d, key);
        depends_on[d.bundle] = c.spec ? c.spec->policy.depends_on : std::vector<std::string>{};
        candidates.emplace(d.bundle, std::move(c));
    }

    std::map<std::string, v1::State> states;
    bool not_ready = false;
    for (auto& bundle : apply_order(depends_on)) {
        states[bundle] = reconcile_bundle(candidates.at(bundle), states, names, periodic);
        not_ready = not_ready || states[bundle] == v1::NOT_READY;
    }
    any_not_ready_ = not_ready;

    if (poke_session_ && outbox_changed_) outbox_changed_();
}

void Reconciler::remove_undesired(const std::set<std::string>& desired) {
    std::set<std::string> applied_names;
    for (auto& rec : cache_.applied().load_all()) {
        applied_names.insert(rec.bundle);
        if (desired.count(rec.bundle)) continue;
        apply::Inventory inventory = stored_inventory(rec);
        std::string message;
        if (rec.keep_resources) {
            message = cat("removed from this agent; ", inventory.size(), " objects kept (keepResources)");
        } else if (auto pruned = applier_.prune(rec.bundle, inventory); !pruned) {
            // Stays applied and is retried on the next pass.
            emit(rec.bundle, rec.digest, rec.revision, v1::FAILED, cat("cannot remove: ", pruned.error().message),
                 inventory.size());
            continue;
        }
        sql::Transaction tx(cache_.db());
        cache_.applied().remove(rec.bundle);
        emit(rec.bundle, rec.digest, rec.revision, v1::REMOVED, message, 0);
        cache_.outbox().forget(rec.bundle);
        tx.commit();
    }
    // Bundles reported (Pending, WaitingForDependency, ...) but never applied.
    for (auto& bundle : cache_.outbox().bundles_with_last_status()) {
        if (desired.count(bundle) || applied_names.count(bundle)) continue;
        auto last = cache_.outbox().last(bundle);
        sql::Transaction tx(cache_.db());
        emit(bundle, last ? last->digest : "", last ? last->revision : "", v1::REMOVED, "", 0);
        cache_.outbox().forget(bundle);
        tx.commit();
    }
}

Reconciler::Candidate Reconciler::load_candidate(const cache::Deployment& d, const std::optional<VerifyKey>& key) {
    Candidate c{d, std::nullopt, std::nullopt};
    auto content = cache_.content().spec(d.digest);
    if (!content) {
        c.verdict = {v1::PENDING, "waiting for the spec from the hub"};
        return c;
    }
    if (!key) {
        // Only a damaged cache gets here (entries are stored after the key
        // is pinned). Nothing can be verified, so nothing is applied.
        c.verdict = {v1::FAILED, "no usable hub signing key is pinned"};
        return c;
    }
    if (sha256(*content) != d.digest) {
        log::error("bundle ", d.bundle, ": cached spec ", hex_encode(d.digest).substr(0, 12),
                   " does not match its digest; dropping it");
        cache_.content().drop(d.digest);
        poke_session_ = true;  // the session fetches it again
        c.verdict = {v1::FAILED, "cached spec failed verification; refetching"};
        return c;
    }
    if (!key->verify(spec_signing_message(d.bundle, d.revision, d.digest), d.signature)) {
        // The content is what the digest says; the stored desired entry is
        // what is wrong. Refetching content would not help: have the hub
        // send the signed set again on the next connection.
        log::error("bundle ", d.bundle, ": cached desired entry fails signature verification");
        cache_.desired().forget_hash();
        c.verdict = {v1::FAILED, "cached desired entry failed signature verification; asking the hub again"};
        return c;
    }
    auto spec = parse_spec(*content);
    if (!spec) {
        c.verdict = {v1::FAILED, spec.error().message};
        return c;
    }
    if (spec->bundle != d.bundle) {
        c.verdict = {v1::FAILED, cat("spec is for bundle ", quoted(spec->bundle), ", not ", quoted(d.bundle))};
        return c;
    }
    c.spec = std::move(*spec);
    return c;
}

v1::State Reconciler::reconcile_bundle(const Candidate& c, const std::map<std::string, v1::State>& states,
                                       const std::set<std::string>& desired, bool periodic) {
    const auto& d = c.deployment;
    if (c.verdict) {
        emit(d.bundle, d.digest, d.revision, c.verdict->first, c.verdict->second, 0);
        return c.verdict->first;
    }
    const Spec& spec = *c.spec;
    auto rec = cache_.applied().find(d.bundle);
    apply::Inventory inventory = rec ? stored_inventory(*rec) : apply::Inventory{};
    bool same_digest = rec && rec->digest == d.digest;

    // Applying: an attempt that never finished (the agent died in it).
    if (same_digest && rec->state != v1::FAILED && rec->state != v1::APPLYING &&
        rec->state != v1::STATE_UNSPECIFIED) {
        if (rec->revision != d.revision) {
            // Same spec rendered from a newer commit: nothing to apply.
            rec->revision = d.revision;
            cache_.applied().put(*rec);
        }
        if (periodic) return check_drift(d, spec, *rec, inventory);
        if (rec->state == v1::NOT_READY) return check_readiness(d, *rec, inventory);
        emit(d.bundle, d.digest, d.revision, rec->state, rec->message, inventory.size());
        return rec->state;
    }
    if (same_digest && rec->state == v1::FAILED && !periodic) {
        emit(d.bundle, d.digest, d.revision, v1::FAILED, rec->message, inventory.size());
        return v1::FAILED;
    }
    for (auto& dep : spec.policy.depends_on) {
        auto it = states.find(dep);
        if (it != states.end() && it->second == v1::READY) continue;
        std::string why = it != states.end()   ? state_name(it->second)
                          : desired.count(dep) ? "in a dependency cycle"
                                               : "not deployed to this agent";
        emit(d.bundle, d.digest, d.revision, v1::WAITING_FOR_DEPENDENCY, cat("waiting for ", dep, " (", why, ")"),
             0);
        return v1::WAITING_FOR_DEPENDENCY;
    }
    return apply_bundle(d, spec, inventory);
}

v1::State Reconciler::apply_bundle(const cache::Deployment& d, const Spec& spec, const apply::Inventory& previous) {
    cache::AppliedRecord rec;
    rec.bundle = d.bundle;
    rec.digest = d.digest;
    rec.revision = d.revision;
    rec.keep_resources = spec.policy.keep_resources;
    {
        // Write-ahead: before anything goes live the stored inventory names
        // every object this attempt may create, and the record says
        // Applying. An agent killed mid-apply (or losing power) therefore
        // applies again on restart, and whatever it applies or prunes next
        // passes this inventory as the previous one: nothing it created is
        // left behind untracked.
        std::vector<apply::ObjectKey> keys;
        for (auto& object : spec.objects)
            if (auto key = apply::object_key(object)) keys.push_back(*key);
        rec.state = v1::APPLYING;
        rec.inventory_json = apply::inventory_to_json(apply::merge(previous, apply::make_inventory(std::move(keys))));
        sql::Transaction tx(cache_.db());
        cache_.applied().put(rec);
        emit(d.bundle, d.digest, d.revision, v1::APPLYING, "", previous.size());
        tx.commit();
    }
    auto result = applier_.apply(d.bundle, spec.objects, previous);
    rec.state = result.error ? v1::FAILED : result.not_ready ? v1::NOT_READY : v1::READY;
    rec.message = result.error ? *result.error : result.not_ready.value_or("");
    rec.inventory_json = apply::inventory_to_json(result.inventory);
    sql::Transaction tx(cache_.db());
    cache_.applied().put(rec);
    emit(d.bundle, d.digest, d.revision, rec.state, rec.message, result.inventory.size());
    tx.commit();
    return rec.state;
}

v1::State Reconciler::check_drift(const cache::Deployment& d, const Spec& spec, cache::AppliedRecord rec,
                                  const apply::Inventory& inventory) {
    auto diffs = applier_.drift(d.bundle, inventory, spec.objects);
    if (!diffs) {
        log::warn("bundle ", d.bundle, ": drift check failed: ", diffs.error().message);
        emit(d.bundle, d.digest, d.revision, rec.state, rec.message, inventory.size());
        return rec.state;
    }
    if (diffs->empty()) {
        if (rec.state == v1::MODIFIED) {
            // Fixed by hand; whether it is Ready is for readiness to say.
            rec.state = v1::READY;
            rec.message.clear();
            cache_.applied().put(rec);
        }
        return check_readiness(d, std::move(rec), inventory);
    }
    sql::Transaction tx(cache_.db());
    rec.state = v1::MODIFIED;
    rec.message = describe_drift(*diffs);
    cache_.applied().put(rec);
    emit(d.bundle, d.digest, d.revision, rec.state, rec.message, inventory.size());
    tx.commit();
    if (!spec.policy.self_heal) return v1::MODIFIED;
    log::info("bundle ", d.bundle, ": self-healing");
    return apply_bundle(d, spec, inventory);
}

v1::State Reconciler::check_readiness(const cache::Deployment& d, cache::AppliedRecord rec,
                                      const apply::Inventory& inventory) {
    auto ready = applier_.readiness(d.bundle, inventory);
    sql::Transaction tx(cache_.db());
    if (!ready) {
        // Unknown is not a change: the bundle keeps its state.
        log::warn("bundle ", d.bundle, ": readiness check failed: ", ready.error().message);
    } else {
        v1::State state = *ready ? v1::NOT_READY : v1::READY;
        std::string message = ready->value_or("");
        if (state != rec.state || message != rec.message) {
            rec.state = state;
            rec.message = std::move(message);
            cache_.applied().put(rec);
        }
    }
    emit(d.bundle, d.digest, d.revision, rec.state, rec.message, inventory.size());
    tx.commit();
    return rec.state;
}

void Reconciler::run(std::chrono::milliseconds drift_interval, std::chrono::milliseconds readiness_interval) {
    auto next_periodic = std::chrono::steady_clock::now();
    auto next_readiness = std::chrono::steady_clock::time_point::max();
    while (true) {
        {
            std::unique_lock lock(mutex_);
            cv_.wait_until(lock, std::min(next_periodic, next_readiness), [this] { return stopping_ || woken_; });
            if (stopping_) return;
            woken_ = false;
        }
        auto now = std::chrono::steady_clock::now();
        bool periodic = now >= next_periodic;
        if (periodic) next_periodic = now + drift_interval;
        try {
            reconcile(periodic);
        } catch (const std::exception& e) {
            // Broken infrastructure (disk full, corrupt cache): log and try
            // again on the next wake or tick rather than die.
            log::error("reconcile pass failed: ", e.what());
        }
        next_readiness = any_not_ready_ ? std::chrono::steady_clock::now() + readiness_interval
                                        : std::chrono::steady_clock::time_point::max();
    }
}

void Reconciler::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    cv_.notify_one();
}

void Reconciler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_one();
}

}  // namespace drover::reconcile
