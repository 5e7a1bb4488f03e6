#include "hub/server/rollouts.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/text.h"

namespace drover::hub {

using nlohmann::json;

namespace {

std::string short_commit(const std::string& commit) { return commit.substr(0, 12); }

// What a rollout of this bundle is asked to do: its policy, or for
// `paused: true` alone, everyone at once once resumed.
render::RolloutPolicy policy_of(const render::Bundle& bundle) {
    return bundle.rollout.value_or(render::RolloutPolicy{});
}

bool staged(const render::Bundle& bundle) { return bundle.rollout || bundle.paused; }

std::string describe_start(const render::Bundle& b, const BundleRollout& r) {
    auto policy = policy_of(b);
    std::string how = policy.canary ? "canary first" : policy.batch_size ? cat("batches of ", policy.batch_size->text())
                                                                         : std::string("everyone at once");
    return cat("rollout of ", b.name, " to ", short_commit(r.target), " started (", how,
               r.from.empty() ? "; a new bundle" : cat("; the others keep ", short_commit(r.from)), ")",
               b.paused ? ", paused (paused: true)" : "");
}

json record_json(const BundleRollout& r) {
    return {{"bundle", r.bundle}, {"target", r.target},         {"from", r.from},
            {"held", r.held},     {"started_ms", r.started_ms}, {"state", r.engine.state()}};
}

std::string text_of(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::map<std::string, std::string> held_of(const json& j) {
    std::map<std::string, std::string> out;
    if (auto it = j.find("held"); it != j.end() && it->is_object())
        for (auto& [id, commit] : it->items())
            if (commit.is_string()) out[id] = commit.get<std::string>();
    return out;
}

}  // namespace

bool BundleRollout::active() const {
    auto p = engine.phase();
    return p == Rollout::Phase::canary || p == Rollout::Phase::soaking || p == Rollout::Phase::batches ||
           engine.awaiting_returns();
}


const std::string& BundleRollout::commit_for(const std::string& agent_id) const {
    if (engine.updated(agent_id)) return target;
    auto it = held.find(agent_id);
    return it != held.end() ? it->second : from;
}

std::vector<std::string> Rollouts::deploy(const std::shared_ptr<const Deployment>& before,
                                          const std::shared_ptr<const Deployment>& after, int64_t now_ms) {
    std::vector<std::string> events;
    std::map<std::string, BundleRollout> next;
    for (auto& b : after->fleet.bundles) {
        const render::Bundle* old = before ? before->fleet.find(b.name) : nullptr;
        auto it = rollouts_.find(b.name);
        BundleRollout* running = it != rollouts_.end() ? &it->second : nullptr;
        bool unfinished = running && running->engine.phase() != Rollout::Phase::complete;
        if (!staged(b)) {
            if (unfinished)
                events.push_back(cat("rollout of ", b.name, " ended: commit ", short_commit(after->commit),
                                     " has no rollout policy, so every agent it targets gets it now"));
            continue;
        }
        if (old && gives_agents_the_same(*old, b)) {
            if (!running) continue;
            // The same revision under a policy that may have changed.
            BundleRollout kept{running->bundle, after->commit, running->from, running->held, running->started_ms,
                               Rollout(policy_of(b), after->fleet.groups)};
            kept.engine.restore(running->engine.state());
            if (old->paused != b.paused && running->active()) {
                b.paused ? kept.engine.pause() : kept.engine.resume();
                events.push_back(cat("rollout of ", b.name, b.paused ? " paused" : " resumed", " by commit ",
                                     short_commit(after->commit), " (paused: ", b.paused ? "true" : "false", ")"));
            }
            next.emplace(b.name, std::move(kept));
            continue;
        }
        // An operator's pause outlives the revision it was given for.
        bool paused = b.paused || (unfinished && running->engine.paused() && !(old && old->paused));
        BundleRollout r{b.name, after->commit, old ? before->commit : "", {}, now_ms,
                        Rollout(policy_of(b), after->fleet.groups, paused)};
        if (unfinished) {
            // Superseded: the same starting point; nobody goes back.
            r.from = running->from;
            if (running->engine.phase() != Rollout::Phase::aborted) {
                r.held = running->held;
                for (auto& id : running->engine.updated_ids()) r.held[id] = running->target;
            }
            std::erase_if(r.held, [&](const auto& kv) { return kv.second == r.from; });
            events.push_back(cat("rollout of ", b.name, " to ", short_commit(running->target), " (",
                                 phase_name(running->engine.phase()), ") superseded by ", short_commit(after->commit),
                                 "; agents that have it keep it until their turn"));
        }
        if (before) revisions_.emplace(before->commit, before);
        events.push_back(describe_start(b, r));
        next.emplace(b.name, std::move(r));
    }
    for (auto& [name, r] : rollouts_) dirty_.insert(name);
    for (auto& [name, r] : next) dirty_.insert(name);
    rollouts_ = std::move(next);
    release_unreferenced();
    return events;
}

std::vector<std::string> Rollouts::restore(const std::map<std::string, std::string>& records,
                                           const std::shared_ptr<const Deployment>& deployed,
                                           const Revisions& referenced) {
    std::vector<std::string> events;
    for (auto& [bundle, text] : records) {
        dirty_.insert(bundle);  // deleted, unless restored below
        auto j = json::parse(text, nullptr, false);
        const render::Bundle* b = deployed->fleet.find(bundle);
        if (!j.is_object() || text_of(j, "target") != deployed->commit || !b || !staged(*b)) {
            events.push_back(cat("the stored rollout of ", bundle, " is not one of the deployed revision ",
                                 short_commit(deployed->commit), "; every agent it targets gets that revision"));
            continue;
        }
        BundleRollout r{bundle, deployed->commit, text_of(j, "from"), held_of(j), 0, Rollout(policy_of(*b), deployed->fleet.groups)};
        if (auto it = j.find("started_ms"); it != j.end() && it->is_number_integer()) r.started_ms = it->get<int64_t>();
        if (auto it = j.find("state"); it != j.end()) r.engine.restore(*it);
        std::set<std::string> commits;
        if (!r.engine.done()) {
            if (!r.from.empty()) commits.insert(r.from);
            for (auto& [id, commit] : r.held) commits.insert(commit);
        }
        std::string missing;
        for (auto& c : commits)
            if (!referenced.count(c)) missing = c;
        if (!missing.empty()) {
            events.push_back(cat("rollout of ", bundle, " ended: commit ", short_commit(missing),
                                 ", which it keeps agents on, could not be rendered again; every agent it targets gets ",
                                 short_commit(deployed->commit)));
            continue;
        }
        for (auto& c : commits) revisions_.emplace(c, referenced.at(c));
        rollouts_.emplace(bundle, std::move(r));
        dirty_.erase(bundle);  // stored as it is
    }
    return events;
}

void Rollouts::adjust(const std::string& agent_id, const Labels& labels, const std::string& agent_name,
                      std::vector<v1::Deployment>& desired) const {
    for (auto& [bundle, r] : rollouts_) {
        if (r.engine.updated(agent_id)) continue;
        auto at = std::find_if(desired.begin(), desired.end(), [&](auto& d) { return d.bundle() == bundle; });
        if (at == desired.end()) continue;  // not targeted by the deployed revision: not in the rollout
        const std::string& commit = r.commit_for(agent_id);
        auto rev = commit.empty() ? revisions_.end() : revisions_.find(commit);
        if (rev != revisions_.end())
            if (auto kept = rev->second->entry_for(bundle, labels, agent_name)) {
                *at = std::move(*kept);
                continue;
            }
        desired.erase(at);  // it had none: it waits for its turn
    }
}

std::shared_ptr<const std::string> Rollouts::content(const std::string& digest) const {
    for (auto& [commit, rev] : revisions_)
        if (auto it = rev->content_by_digest.find(digest); it != rev->content_by_digest.end()) return it->second;
    return nullptr;
}

void Rollouts::clear() {
    for (auto& [name, r] : rollouts_) dirty_.insert(name);
    rollouts_.clear();
    revisions_.clear();
}

bool Rollouts::any_active() const {
    return std::any_of(rollouts_.begin(), rollouts_.end(), [](auto& kv) { return kv.second.active(); });
}

BundleRollout* Rollouts::find(const std::string& bundle) {
    auto it = rollouts_.find(bundle);
    return it == rollouts_.end() ? nullptr : &it->second;
}

void Rollouts::changed(const std::string& bundle) {
    dirty_.insert(bundle);
    auto* r = find(bundle);
    if (!r) return;
    if (r->engine.phase() == Rollout::Phase::aborted) r->held.clear();
    if (r->engine.done()) r->held.clear();  // everyone has it
    release_unreferenced();
}

std::map<std::string, std::optional<std::string>> Rollouts::take_records() {
    std::map<std::string, std::optional<std::string>> out;
    for (auto& bundle : dirty_) {
        auto it = rollouts_.find(bundle);
        out[bundle] = it == rollouts_.end() ? std::nullopt : std::optional(record_json(it->second).dump());
    }
    dirty_.clear();
    return out;
}

void Rollouts::release_unreferenced() {
    std::set<std::string> used;
    for (auto& [name, r] : rollouts_) {
        if (r.engine.done()) continue;  // keeps nobody on anything
        used.insert(r.from);
        for (auto& [id, commit] : r.held) used.insert(commit);
    }
    std::erase_if(revisions_, [&](const auto& kv) { return !used.count(kv.first); });
}

std::set<std::string> referenced_commits(const std::map<std::string, std::string>& records) {
    std::set<std::string> out;
    for (auto& [bundle, text] : records) {
        auto j = json::parse(text, nullptr, false);
        if (!j.is_object()) continue;
        if (auto state = j.find("state"); state != j.end() && state->is_object() && state->value("phase", "") == "complete") {
            auto skipped = state->find("skipped");
            if (skipped == state->end() || !skipped->is_array() || skipped->empty()) continue;  // done
        }
        if (auto from = text_of(j, "from"); !from.empty()) out.insert(from);
        for (auto& [id, commit] : held_of(j)) out.insert(commit);
    }
    return out;
}

}  // namespace drover::hub
