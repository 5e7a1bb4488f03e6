#include "hub/server/rollout.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/text.h"

namespace drover::hub {

namespace {

constexpr const char* kReady = "Ready";
// Shown in a halt reason, at most.
constexpr size_t kNamedFailures = 3;

}  // namespace

Rollout::Rollout(render::RolloutPolicy policy, render::Groups groups, bool paused)
    : policy_(std::move(policy)), groups_(std::move(groups)), paused_(paused) {
    if (!policy_.canary) phase_ = Phase::batches;
}

bool Rollout::updated(const std::string& agent_id) const {
    if (phase_ == Phase::aborted) return false;
    return phase_ == Phase::complete || updated_at_.count(agent_id) != 0;
}

std::vector<std::string> Rollout::updated_ids() const {
    std::vector<std::string> out;
    if (phase_ == Phase::aborted) return out;
    for (auto& [id, at] : updated_at_) out.push_back(id);
    return out;
}

void Rollout::abort(const std::string& why) {
    phase_ = Phase::aborted;
    reason_ = why;
    updated_at_.clear();
    batch_.clear();
}

bool Rollout::is_canary(const RolloutAgent& a) const {
    return policy_.canary && policy_.canary->matches(a.labels, a.name, groups_);
}

// Failed, NotReady or any other state but Ready, once the progress deadline
// has passed since the agent was updated (a failed apply is retried, and may
// yet succeed; meanwhile nothing advances past an agent that is not Ready).
// WaitingForDependency is never an error, and an offline agent is not
// judged: it may be fine and merely unreachable.
bool Rollout::failed(const RolloutAgent& a, int64_t now_ms) const {
    auto it = updated_at_.find(a.id);
    if (it == updated_at_.end()) return false;
    if (!a.online || a.state == kReady || a.state == "WaitingForDependency") return false;
    return now_ms - it->second >= policy_.progress_deadline_ms;
}

void Rollout::update(const RolloutAgent& a, int64_t now_ms) {
    if (updated_at_.emplace(a.id, now_ms).second) fresh_.push_back(a.id);
    skipped_.erase(a.id);
}

std::vector<std::string> Rollout::step(const std::vector<RolloutAgent>& agents, int64_t now_ms) {
    fresh_.clear();
    if (done()) {
        progress_ = tally(agents, now_ms);
        return {};
    }
    // Complete, awaiting skipped agents: every agent has it; those who got it
    // by that rule are recorded, so that a halt afterwards (a failure before
    // the rest are back) takes it from nobody.
    if (phase_ == Phase::complete) {
        std::set<std::string> targeted;
        for (auto& a : agents) targeted.insert(a.id);
        std::erase_if(skipped_, [&](const std::string& id) { return !targeted.count(id); });
        for (auto& a : agents)
            if (a.online && !updated_at_.count(a.id)) update(a, now_ms);
    }
    if (phase_ != Phase::halted && phase_ != Phase::aborted) halt_if_failing(agents, now_ms);
    if (!paused_ && (phase_ == Phase::canary || phase_ == Phase::soaking)) advance_canary(agents, now_ms);
    if (!paused_ && phase_ == Phase::batches) advance_batches(agents, now_ms);
    if (done()) {  // over: everyone has it, whoever they are
        updated_at_.clear();
        batch_.clear();
    }
    progress_ = tally(agents, now_ms);
    return std::exchange(fresh_, {});
}

void Rollout::halt_if_failing(const std::vector<RolloutAgent>& agents, int64_t now_ms) {
    std::vector<const RolloutAgent*> failures;
    for (auto& a : agents)
        if (failed(a, now_ms)) failures.push_back(&a);
    size_t threshold = policy_.failure_threshold.of(agents.size());
    if (failures.size() <= threshold) return;
    phase_ = Phase::halted;
    batch_.clear();
    reason_ = cat(failures.size(), failures.size() == 1 ? " agent" : " agents", " failed, more than failureThreshold ",
                  policy_.failure_threshold.text(), ":");
    for (size_t i = 0; i < failures.size() && i < kNamedFailures; ++i) {
        const RolloutAgent& a = *failures[i];
        std::string state = a.state.empty() ? std::string("not Ready") : a.state;
        reason_ += cat(i ? "; " : " ", a.name, " ", state, " after ", policy_.progress_deadline_ms / 1000, " s",
                       a.message.empty() ? "" : ": " + a.message);
    }
    if (failures.size() > kNamedFailures) reason_ += cat("; and ", failures.size() - kNamedFailures, " more");
}

// Canaries are updated as they come online; soaking starts once every
// updated canary that is online is Ready (and at least one is), and starts
// over when one leaves Ready.
void Rollout::advance_canary(const std::vector<RolloutAgent>& agents, int64_t now_ms) {
    size_t canaries = 0, ready = 0, unready = 0;
    for (auto& a : agents) {
        if (!is_canary(a)) continue;
        ++canaries;
        if (a.online && !updated_at_.count(a.id)) update(a, now_ms);
        if (!a.online) continue;
        (a.state == kReady ? ready : unready) += 1;
    }
    if (canaries == 0) {  // nobody to try it on: nothing to wait for
        phase_ = Phase::batches;
        return;
    }
    if (ready == 0 || unready != 0) {
        soak_since_.reset();
        phase_ = Phase::canary;
        return;
    }
    if (!soak_since_) soak_since_ = now_ms;
    phase_ = Phase::soaking;
    if (now_ms - *soak_since_ >= policy_.soak_ms) phase_ = Phase::batches;
}

// One batch at a time: the next starts when every agent of the one in
// flight is Ready, failed, past the progress deadline, offline for the
// grace, or no longer targeted.
void Rollout::advance_batches(const std::vector<RolloutAgent>& agents, int64_t now_ms) {
    std::map<std::string, const RolloutAgent*> by_id;
    for (auto& a : agents) by_id.emplace(a.id, &a);
    // Skipped agents are updated as soon as they are back.
    for (auto& a : agents)
        if (a.online && skipped_.count(a.id)) update(a, now_ms);
    std::erase_if(batch_, [&](const std::string& id) {
        auto it = by_id.find(id);
        if (it == by_id.end()) return true;
        const RolloutAgent& a = *it->second;
        return a.state == kReady || gone(a) || failed(a, now_ms) ||
               now_ms - updated_at_[id] >= policy_.progress_deadline_ms;
    });
    if (batch_.empty()) start_batch(agents, now_ms);
}

// The next batch: the first batchSize waiting agents that are online (all
// without batchSize), at most maxUnavailable minus the updated agents online
// and not Ready. Offline agents met on the way are skipped once offline for
// offlineGrace; until then they come up again with the next batch. Complete
// when nobody is left waiting.
void Rollout::start_batch(const std::vector<RolloutAgent>& agents, int64_t now_ms) {
    std::vector<const RolloutAgent*> waiting;
    for (auto& a : agents)
        if (!updated_at_.count(a.id) && !skipped_.count(a.id)) waiting.push_back(&a);
    const std::string& key = policy_.order_by;
    auto label = [&key](const RolloutAgent* a) -> const std::string* {
        auto it = a->labels.find(key);
        return it == a->labels.end() ? nullptr : &it->second;
    };
    std::sort(waiting.begin(), waiting.end(), [&](const RolloutAgent* x, const RolloutAgent* y) {
        if (!key.empty()) {
            // Agents without the label go last.
            const std::string *lx = label(x), *ly = label(y);
            if (!lx != !ly) return !ly;
            if (lx && *lx != *ly) return *lx < *ly;
        }
        return x->name != y->name ? x->name < y->name : x->id < y->id;
    });
    size_t n = policy_.batch_size ? policy_.batch_size->of(agents.size(), 1) : waiting.size();
    if (policy_.max_unavailable) {
        size_t unavailable = 0;
        for (auto& a : agents)
            if (updated_at_.count(a.id) && a.online && a.state != kReady && !failed(a, now_ms)) ++unavailable;
        size_t cap = policy_.max_unavailable->of(agents.size(), 1);
        n = std::min(n, cap > unavailable ? cap - unavailable : 0);
        if (n == 0) return;  // the window is full: wait
    }
    bool deferred = false;
    for (const RolloutAgent* a : waiting) {
        if (batch_.size() == n) return;
        if (a->online) {
            update(*a, now_ms);
            batch_.insert(a->id);
        } else if (gone(*a)) {
            skipped_.insert(a->id);
        } else {
            deferred = true;
        }
    }
    if (batch_.empty() && !deferred) phase_ = Phase::complete;
}

Rollout::Progress Rollout::tally(const std::vector<RolloutAgent>& agents, int64_t now_ms) const {
    Progress p;
    p.targeted = agents.size();
    for (auto& a : agents) {
        if (skipped_.count(a.id) && !a.online) ++p.offline_skipped;
        if (!updated(a.id)) {
            ++p.waiting;
            continue;
        }
        ++p.updated;
        if (a.state == kReady) ++p.ready;
        // Once done there are no update times: what reports Failed counts.
        if (done() ? a.online && a.state == "Failed" : failed(a, now_ms)) ++p.failed;
    }
    return p;
}

}  // namespace drover::hub

namespace drover::hub {

namespace {

constexpr std::pair<Rollout::Phase, const char*> kPhases[] = {
    {Rollout::Phase::canary, "canary"},       {Rollout::Phase::soaking, "soaking"},
    {Rollout::Phase::batches, "batches"},     {Rollout::Phase::complete, "complete"},
    {Rollout::Phase::halted, "halted"},       {Rollout::Phase::aborted, "aborted"},
};

}  // namespace

const char* phase_name(Rollout::Phase phase) {
    for (auto& [p, name] : kPhases)
        if (p == phase) return name;
    return "unknown";
}

nlohmann::json Rollout::state() const {
    nlohmann::json j = {{"phase", phase_name(phase_)}, {"paused", paused_}, {"reason", reason_},
                        {"updated", updated_at_}, {"batch", batch_}, {"skipped", skipped_}};
    if (soak_since_) j["soak_since"] = *soak_since_;
    return j;
}

void Rollout::restore(const nlohmann::json& j) {
    if (!j.is_object()) return;
    if (auto it = j.find("phase"); it != j.end() && it->is_string())
        for (auto& [p, name] : kPhases)
            if (*it == name) phase_ = p;
    if (auto it = j.find("paused"); it != j.end() && it->is_boolean()) paused_ = it->get<bool>();
    if (auto it = j.find("reason"); it != j.end() && it->is_string()) reason_ = it->get<std::string>();
    if (auto it = j.find("updated"); it != j.end() && it->is_object())
        for (auto& [id, at] : it->items())
            if (at.is_number_integer()) updated_at_[id] = at.get<int64_t>();
    for (auto [key, set] : {std::pair{"batch", &batch_}, std::pair{"skipped", &skipped_}})
        if (auto it = j.find(key); it != j.end() && it->is_array())
            for (auto& id : *it)
                if (id.is_string()) set->insert(id.get<std::string>());
    if (auto it = j.find("soak_since"); it != j.end() && it->is_number_integer()) soak_since_ = it->get<int64_t>();
}

}  // namespace drover::hub
