#pragma once
// One staged rollout: a bundle's new revision spreading over the agents the
// bundle targets, as its RolloutPolicy (hub/render/rollout_config.h) says.
// Pure logic, no I/O and no clock of its own: the caller passes the agents
// and the time to step(), and asks updated() whether an agent may have the
// new revision (everyone else keeps the revision they had).
//
// Phases: canary (the canary agents get it) -> soaking (every canary Ready;
// waits policy.soak_ms, restarting when one leaves Ready) -> batches ->
// complete -> done (nobody skipped is still to come back). An updated agent
// that is not Ready (Failed, NotReady, ...) when progressDeadline has passed
// counts as failed; more failures than failureThreshold halt it from any
// phase but done: no agent is updated any more, updated ones keep the new
// revision. pause() holds it where it is; abort() takes the revision back
// from every updated agent. A bundle.yaml with `paused: true` starts it paused.
//
// Offline agents never hold it up: one that is offline when its batch comes
// is passed over, skipped once offline for offlineGrace, and updated as soon
// as it is back (unless the rollout halted or was aborted); an updated agent
// offline for offlineGrace counts neither as settled-Ready nor as failed, and
// its batch does not wait for it.
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/labels.h"
#include "hub/render/match.h"
#include "hub/render/rollout_config.h"

namespace drover::hub {

struct RolloutAgent {
    std::string id;
    std::string name;
    Labels labels;
    bool online = false;
    // How long it has been offline, counted from the hub's start at most; 0 online.
    int64_t offline_ms = 0;
    // Its reported state of the NEW revision ("Ready", "Failed", ...); ""
    // while it has reported none (or only for an older revision).
    std::string state;
    std::string message;
};

class Rollout {
public:
    enum class Phase { canary, soaking, batches, complete, halted, aborted };

    explicit Rollout(render::RolloutPolicy policy, render::Groups groups = {}, bool paused = false);

    // Advance: update agents whose turn it is, count failures, change phase.
    // `agents` are those the bundle targets now (the set may change between
    // calls: agents come, go and are relabelled). Returns the agents updated
    // by this call (ids). A done() rollout does nothing.
    std::vector<std::string> step(const std::vector<RolloutAgent>& agents, int64_t now_ms);

    bool updated(const std::string& agent_id) const;
    // The agents updated so far, by id (every agent once complete: ask updated()).
    std::vector<std::string> updated_ids() const;
    Phase phase() const { return phase_; }
    bool paused() const { return paused_; }
    // Complete while agents skipped offline have yet to come back: step() still
    // records them as they return, and a failure still halts it (they would
    // then keep the previous revision).
    bool awaiting_returns() const { return phase_ == Phase::complete && !skipped_.empty(); }
    // Complete with nobody left to come back: over. It keeps no per-agent
    // state (everyone has the revision) and step() changes nothing.
    bool done() const { return phase_ == Phase::complete && skipped_.empty(); }
    // Why it halted or was aborted; "" otherwise.
    const std::string& reason() const { return reason_; }

    void pause() { paused_ = true; }
    void resume() { paused_ = false; }
    void abort(const std::string& why);

    // failed: as step() counts them; once done(), the agents reporting Failed.
    struct Progress {
        size_t targeted = 0, updated = 0, ready = 0, failed = 0, waiting = 0, offline_skipped = 0;
    };
    // Changes whenever the rollout changed anything state() holds (every
    // change moves a phase, a flag or the size of an agent set).
    struct Mark {
        Phase phase;
        bool paused;
        size_t updated, batch, skipped;
        std::optional<int64_t> soak_since;
        bool operator==(const Mark&) const = default;
    };
    Mark mark() const { return {phase_, paused_, updated_at_.size(), batch_.size(), skipped_.size(), soak_since_}; }

    // As of the last step().
    const Progress& progress() const { return progress_; }
    // Counted now, for these agents.
    Progress tally(const std::vector<RolloutAgent>& agents, int64_t now_ms) const;

    // Everything step() decided, for the store: a restarted hub restores it
    // with the bundle's policy and goes on where it was. restore() ignores
    // what it cannot read (a record from a newer hub) field by field.
    nlohmann::json state() const;
    void restore(const nlohmann::json& state);

private:
    bool is_canary(const RolloutAgent& a) const;
    bool failed(const RolloutAgent& a, int64_t now_ms) const;
    void update(const RolloutAgent& a, int64_t now_ms);
    void halt_if_failing(const std::vector<RolloutAgent>& agents, int64_t now_ms);
    void advance_canary(const std::vector<RolloutAgent>& agents, int64_t now_ms);
    void advance_batches(const std::vector<RolloutAgent>& agents, int64_t now_ms);
    void start_batch(const std::vector<RolloutAgent>& agents, int64_t now_ms);
    bool gone(const RolloutAgent& a) const { return !a.online && a.offline_ms >= policy_.offline_grace_ms; }

    render::RolloutPolicy policy_;
    render::Groups groups_;
    Phase phase_ = Phase::canary;
    bool paused_ = false;
    std::string reason_;
    std::map<std::string, int64_t> updated_at_;  // agent id -> when it was updated
    std::set<std::string> batch_;                // the batch in flight (ids)
    std::set<std::string> skipped_;              // offline when their turn came
    std::optional<int64_t> soak_since_;          // every canary Ready since then
    std::vector<std::string> fresh_;             // updated by the step() under way
    Progress progress_;
};

// "canary", "soaking", "batches", "complete", "halted", "aborted".
const char* phase_name(Rollout::Phase phase);

}  // namespace drover::hub
