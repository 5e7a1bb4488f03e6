#pragma once
// The reconciler makes the applier's world match the cached desired set. It
// runs on its own thread, whether or not the hub link is up: everything it
// needs is in the cache, so after a reboot with no hub in sight it carries on
// from there.
//
// A pass, in order:
//  1. Bundles that are applied (or were reported) but no longer desired are
//     pruned through their stored inventory, unless their spec asked for
//     keepResources, and reported Removed.
//  2. Every desired bundle's cached spec is checked again: sha256 == digest
//     (else the content is dropped and reported Failed so the session
//     fetches it again) and the signature against the pinned hub key (else
//     Failed, and the desired-set hash is forgotten so the hub resends the
//     signed set). Missing content is Pending.
//  3. Bundles are visited in dependsOn order, then by name. One whose
//     applied digest differs from the desired one is applied once every
//     bundle it depends on is Ready on this agent (WaitingForDependency
//     until then): Applying, then Ready or Failed. The applied record is
//     written first (state Applying, inventory = the previous one plus
//     every object of the spec), so an attempt cut short by a crash is
//     redone on restart and nothing it created is left untracked. An apply
//     that succeeded ends Ready, or NotReady when the applier says its
//     objects are not ready yet.
//  4. NotReady bundles ask the applier for readiness on every pass; while
//     any is NotReady, run() makes a pass every readiness interval (a few
//     seconds), so they turn Ready soon after they are.
//  5. On periodic passes (startup and every drift interval) applied bundles
//     are compared with what is live: Modified, and re-applied when the
//     spec's selfHeal says so; without drift their readiness is checked
//     again (Ready <-> NotReady). Failed bundles are retried on these
//     passes.
// A status goes into the outbox only when (digest, revision, state,
// message) changes for the bundle; the session is then poked to send it.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "agent/apply/applier.h"
#include "agent/cache/cache.h"
#include "agent/reconcile/spec.h"
#include "proto/spec_signature.h"

namespace drover::reconcile {

class Reconciler {
public:
    using Clock = std::function<int64_t()>;  // unix milliseconds, stamped on statuses

    // outbox_changed runs on the reconciler thread after a pass that emitted
    // statuses or dropped content (it must be thread-safe: it pokes the
    // session). clock defaults to the system clock.
    Reconciler(cache::Cache& cache, apply::Applier& applier, std::function<void()> outbox_changed,
               Clock clock = {});

    // One pass. periodic: also check drift and retry Failed bundles.
    void reconcile(bool periodic);

    // The thread body: a periodic pass at once, a pass on every wake(), a
    // periodic pass every drift_interval, and a pass every
    // readiness_interval while a bundle is NotReady. Returns after stop().
    void run(std::chrono::milliseconds drift_interval,
             std::chrono::milliseconds readiness_interval = std::chrono::seconds(5));
    void wake();  // any thread: the desired set or content changed
    void stop();  // any thread

private:
    struct Candidate {
        cache::Deployment deployment;
        std::optional<Spec> spec;
        // Set when the bundle cannot be applied this pass (Pending, Failed).
        std::optional<std::pair<v1::State, std::string>> verdict;
    };

    void remove_undesired(const std::set<std::string>& desired);
    Candidate load_candidate(const cache::Deployment& d, const std::optional<VerifyKey>& key);
    v1::State reconcile_bundle(const Candidate& c, const std::map<std::string, v1::State>& states,
                               const std::set<std::string>& desired, bool periodic);
    v1::State apply_bundle(const cache::Deployment& d, const Spec& spec, const apply::Inventory& previous);
    v1::State check_drift(const cache::Deployment& d, const Spec& spec, cache::AppliedRecord record,
                          const apply::Inventory& inventory);
    v1::State check_readiness(const cache::Deployment& d, cache::AppliedRecord record,
                              const apply::Inventory& inventory);
    void emit(const std::string& bundle, const std::string& digest, const std::string& revision, v1::State state,
              const std::string& message, size_t resources);
    apply::Inventory stored_inventory(const cache::AppliedRecord& record);

    cache::Cache& cache_;
    apply::Applier& applier_;
    std::function<void()> outbox_changed_;
    Clock clock_;
    bool poke_session_ = false;  // within one pass
    bool any_not_ready_ = false;  // after the last pass: some bundle is NotReady

    std::mutex mutex_;
    std::condition_variable cv_;
    bool woken_ = false;
    bool stopping_ = false;
};

// "2 objects drifted: ConfigMap web/a differs, Service web/b missing"; at
// most five are named.
std::string describe_drift(const std::vector<apply::Difference>& diffs);

}  // namespace drover::reconcile
