#include "hub/server/api_fleet_state.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "common/text.h"

namespace drover::hub {

const std::string& AgentBundleState::shown_state() const {
    static const std::string kOutOfSync = "OutOfSync";
    return out_of_sync ? kOutOfSync : state;
}

namespace {

using DigestHex = std::unordered_map<const render::Spec*, std::string>;  // each spec's digest, encoded once

// One agent's row: the bundles the deployment gives it, each with what the
// agent reported (Pending before any report), then bundles it still reports
// but no longer should run. A revoked agent is targeted by nothing.
AgentState agent_state(AgentRecord record, bool online, const std::vector<StatusRecord>& statuses,
                       const Deployment* deployment, DigestHex& digest_hex) {
    AgentState a;
    a.labels = record.effective_labels();
    a.online = online;
    a.agent = std::move(record);
    std::map<std::string, const StatusRecord*> mine;
    for (auto& s : statuses) mine[s.bundle] = &s;
    std::set<std::string> targeted;
    if (deployment && !a.agent.revoked_ms) {
        for (auto& b : deployment->fleet.bundles) {
            const render::Spec* spec = b.spec_for(a.labels, a.agent.name, deployment->fleet.groups);
            if (!spec) continue;
            targeted.insert(b.name);
            AgentBundleState st{b.name, "Pending", "", "", false};
            if (auto it = mine.find(b.name); it != mine.end()) {
                st.state = it->second->state;
                st.message = it->second->message;
                st.revision = it->second->revision;
                auto [hex, fresh] = digest_hex.try_emplace(spec);
                if (fresh) hex->second = hex_encode(spec->digest);
                st.out_of_sync = it->second->digest != hex->second;
            }
            a.bundles.push_back(std::move(st));
        }
    }
    for (auto& [name, s] : mine) {
        if (targeted.count(name)) continue;
        // Still reported: being removed (out of sync), or a revoked agent's last word.
        a.bundles.push_back({name, s->state, s->message, s->revision, !a.agent.revoked_ms, false});
    }
    return a;
}

void count_bundles(FleetState& out) {
    out.bundles.clear();
    if (out.deployment)
        for (auto& b : out.deployment->fleet.bundles) out.bundles[b.name].name = b.name;
    for (size_t i = 0; i < out.agents.size(); ++i) {
        auto& a = out.agents[i];
        for (auto& st : a.bundles) {
            if (!st.targeted) continue;
            auto& counts = out.bundles[st.bundle];
            ++counts.targeted;
            if (!st.out_of_sync && st.state == "Ready") ++counts.ready;
            if (!a.online) ++counts.offline;
            counts.agents[st.shown_state()].push_back(i);
        }
    }
}

FleetState compute(Fleet& fleet) {
    Store& store = fleet.store();
    FleetState out;
    out.deployment = fleet.deployment();
    auto records = store.agents();
    std::unordered_map<std::string, std::vector<StatusRecord>> reported;  // agent id -> statuses
    for (auto& s : store.statuses()) reported[s.agent_id].push_back(std::move(s));
    static const std::vector<StatusRecord> kNone;
    DigestHex digest_hex;
    out.agents.reserve(records.size());
    for (auto& r : records) {
        auto it = reported.find(r.id);
        bool online = fleet.online(r.id);
        out.agents.push_back(
            agent_state(std::move(r), online, it != reported.end() ? it->second : kNone, out.deployment.get(), digest_hex));
    }
    std::sort(out.agents.begin(), out.agents.end(), [](auto& a, auto& b) { return a.agent.name < b.agent.name; });
    count_bundles(out);
    return out;
}

// Reads the changed agents' rows again, in place.
void update(Fleet& fleet, FleetState& view, const std::set<std::string>& agent_ids) {
    DigestHex digest_hex;
    for (auto& id : agent_ids) {
        auto record = fleet.store().agent(id);
        if (!record) continue;  // agents are never deleted; an unknown id changed nothing
        bool online = fleet.online(id);
        auto row = agent_state(std::move(*record), online, fleet.store().statuses_of(id), view.deployment.get(), digest_hex);
        auto at = std::lower_bound(view.agents.begin(), view.agents.end(), row.agent.name,
                                   [](const AgentState& a, const std::string& n) { return a.agent.name < n; });
        if (at != view.agents.end() && at->agent.name == row.agent.name) *at = std::move(row);
        else view.agents.insert(at, std::move(row));
    }
    count_bundles(view);
}

}  // namespace

const FleetState& fleet_view(Fleet& fleet) {
    auto& cache = fleet.view_cache();
    auto changes = fleet.take_view_changes();
    // Past a tenth of the fleet, one pass over the store beats a read per agent.
    bool whole = changes.all || !cache.view || changes.agent_ids.size() > cache.view->agents.size() / 10 + 16;
    if (whole) cache.view = std::make_unique<FleetState>(compute(fleet));
    else if (!changes.agent_ids.empty()) update(fleet, *cache.view, changes.agent_ids);
    return *cache.view;
}

}  // namespace drover::hub
