#pragma once
// The hub's staged rollouts (bundle.yaml `rollout:` and `paused:`), at most
// one per bundle. While a bundle's new revision spreads, each agent the
// bundle targets gets either that revision or the one it had; Rollout
// (rollout.h) decides who has which. Loop thread only, owned by the Fleet.
//
// A rollout starts when a deployed commit changes a bundle's specs (or adds
// the bundle) and the bundle has a rollout policy or `paused: true`. The
// revision agents keep ("from") is the one deployed before. A commit that
// leaves a bundle's specs as they were (say, it only edits the policy) keeps
// its rollout going under the new policy, and `paused:` flipping in Git
// pauses or resumes it.
//
// A newer commit that changes the bundle again supersedes its rollout
// unless that rollout was complete: a new rollout of the newest revision
// starts (canary first again) from the same "from", and agents that already
// had the superseded revision keep it until their turn in the new one, so
// nobody goes back. After an abort everyone is on "from" again. A bundle
// without a policy gets every new revision everywhere at once; one that
// loses its policy ends its rollout that way.
//
// Every change is kept in the store (Store::save_rollouts, via
// take_records()), so a restarted hub holds back exactly what it held back
// before; the commits still referenced (referenced_commits()) are rendered
// again at start-up.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hub/server/deployment.h"
#include "hub/server/rollout.h"

namespace drover::hub {

// Rendered revisions by commit.
using Revisions = std::map<std::string, std::shared_ptr<const Deployment>>;

struct BundleRollout {
    std::string bundle;
    std::string target;  // the commit whose revision spreads (the deployed one)
    std::string from;    // the commit agents keep until updated; "" when the bundle is new
    // Agents that keep an older commit than `from` (superseded rollouts).
    std::map<std::string, std::string> held;
    int64_t started_ms = 0;
    Rollout engine;

    // Still deciding who gets the revision: canary, soaking or batches, or
    // complete with skipped agents yet to return (Rollout::awaiting_returns()).
    bool active() const;
    // The commit this agent gets the bundle from.
    const std::string& commit_for(const std::string& agent_id) const;
};

class Rollouts {
public:
    // A new revision is deployed over `before` (null: none): start,
    // supersede, keep or end each bundle's rollout. Returns what happened,
    // one event message each.
    std::vector<std::string> deploy(const std::shared_ptr<const Deployment>& before,
                                    const std::shared_ptr<const Deployment>& after, int64_t now_ms);
    // A restarted hub: the stored records of the `deployed` revision, with
    // the older commits they reference rendered. A record that cannot be
    // restored (its commits failed to render) ends, and says so.
    std::vector<std::string> restore(const std::map<std::string, std::string>& records,
                                     const std::shared_ptr<const Deployment>& deployed, const Revisions& referenced);

    // Replaces the deployed revision's entry of each bundle under rollout
    // that this agent does not have yet with the one it keeps (or none).
    // `desired` is Deployment::desired_for() of the deployed revision.
    void adjust(const std::string& agent_id, const Labels& labels, const std::string& agent_name,
                std::vector<v1::Deployment>& desired) const;
    // Content of a revision agents keep, by digest; null if none has it.
    std::shared_ptr<const std::string> content(const std::string& digest) const;

    // Ends every rollout (nothing is held back any more).
    void clear();
    bool any_active() const;
    BundleRollout* find(const std::string& bundle);
    std::map<std::string, BundleRollout>& all() { return rollouts_; }

    // The bundle's record changed (step, pause, resume, abort): saved with
    // the next take_records(). An abort also forgets its held agents, and a
    // finished rollout its older revisions.
    void changed(const std::string& bundle);
    // Records to save: each changed bundle's, or nullopt for one that ended.
    std::map<std::string, std::optional<std::string>> take_records();
    bool has_changes() const { return !dirty_.empty(); }

private:
    void release_unreferenced();

    std::map<std::string, BundleRollout> rollouts_;
    Revisions revisions_;  // every commit a rollout's from or held names
    std::set<std::string> dirty_;
};

// The commits stored records keep agents on (their from and held commits).
std::set<std::string> referenced_commits(const std::map<std::string, std::string>& records);

}  // namespace drover::hub
