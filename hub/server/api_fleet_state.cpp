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

FleetState compute(Fleet& fleet) {
    Store& store = fleet.store();
    FleetState out;
    out.deployment = fleet.deployment();
    const Deployment* deployment = out.deployment.get();

    auto records = store.agents();
    std::sort(records.begin(), records.end(), [](auto& a, auto& b) { return a.name < b.name; });
    std::unordered_map<std::string, size_t> index_of;  // agent id -> index
    out.agents.reserve(records.size());
    for (auto& r : records) {
        index_of[r.id] = out.agents.size();
        AgentState a;
        a.labels = r.effective_labels();
        a.online = fleet.online(r.id);
        a.agent = std::move(r);
        out.agents.push_back(std::move(a));
    }
    std::vector<std::map<std::string, StatusRecord>> reported(out.agents.size());
    for (auto& s : store.statuses()) {
        auto it = index_of.find(s.agent_id);
        if (it != index_of.end()) reported[it->second][s.bundle] = std::move(s);
    }

    if (deployment)
        for (auto& b : deployment->fleet.bundles) out.bundles[b.name].name = b.name;

    std::unordered_map<const render::Spec*, std::string> digest_hex;  // each spec's digest, encoded once
    for (size_t i = 0; i < out.agents.size(); ++i) {
        auto& a = out.agents[i];
        auto& mine = reported[i];
        if (a.agent.revoked_ms) {
            // Never targeted again: its last reports, for the record.
            for (auto& [name, s] : mine) a.bundles.push_back({name, s.state, s.message, s.revision, false});
            continue;
        }
        std::set<std::string> targeted;
        if (deployment) {
            for (auto& b : deployment->fleet.bundles) {
                const render::Spec* spec = b.spec_for(a.labels, a.agent.name, deployment->fleet.groups);
                if (!spec) continue;
                targeted.insert(b.name);
                AgentBundleState st{b.name, "Pending", "", "", false};
                if (auto it = mine.find(b.name); it != mine.end()) {
                    st.state = it->second.state;
                    st.message = it->second.message;
                    st.revision = it->second.revision;
                    auto [hex, fresh] = digest_hex.try_emplace(spec);
                    if (fresh) hex->second = hex_encode(spec->digest);
                    st.out_of_sync = it->second.digest != hex->second;
                }
                auto& counts = out.bundles[b.name];
                ++counts.targeted;
                if (!st.out_of_sync && st.state == "Ready") ++counts.ready;
                if (!a.online) ++counts.offline;
                counts.agents[st.shown_state()].push_back(i);
                a.bundles.push_back(std::move(st));
            }
        }
        for (auto& [name, s] : mine) {
            if (targeted.count(name)) continue;
            a.bundles.push_back({name, s.state, s.message, s.revision, true});
        }
    }
    return out;
}

}  // namespace

std::shared_ptr<const FleetState> fleet_view(Fleet& fleet) {
    auto& cache = fleet.view_cache();
    if (!cache.view || cache.generation != fleet.generation()) {
        cache.view = std::make_shared<const FleetState>(compute(fleet));
        cache.generation = fleet.generation();
    }
    return cache.view;
}

}  // namespace drover::hub
