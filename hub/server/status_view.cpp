#include "hub/server/status_view.h"

#include "common/clock.h"
#include "common/text.h"

namespace drover::hub {

using nlohmann::json;

json status_view(Fleet& fleet) {
    Store& store = fleet.store();
    auto deployment = fleet.deployment();
    auto agents = store.agents();
    std::map<std::string, std::map<std::string, StatusRecord>> by_agent;
    for (auto& s : store.statuses()) by_agent[s.agent_id][s.bundle] = s;

    struct Counts {
        int targeted = 0, ready = 0;
        std::map<std::string, int> states;
    };
    std::map<std::string, Counts> bundle_counts;
    if (deployment)
        for (auto& b : deployment->fleet.bundles) bundle_counts[b.name];

    json agents_json = json::array();
    for (auto& a : agents) {
        Labels labels = a.effective_labels();
        auto& reported = by_agent[a.id];
        json bundles = json::array();
        std::set<std::string> seen;
        if (deployment) {
            for (auto& b : deployment->fleet.bundles) {
                const render::Spec* spec = b.spec_for(labels, a.name, deployment->fleet.groups);
                if (!spec) continue;
                seen.insert(b.name);
                auto& counts = bundle_counts[b.name];
                ++counts.targeted;
                auto it = reported.find(b.name);
                std::string state = "Pending", message, revision;
                bool out_of_sync = false;
                if (it != reported.end()) {
                    state = it->second.state;
                    message = it->second.message;
                    revision = it->second.revision;
                    out_of_sync = it->second.digest != hex_encode(spec->digest);
                }
                if (!out_of_sync && state == "Ready") ++counts.ready;
                ++counts.states[out_of_sync ? "OutOfSync" : state];
                bundles.push_back({{"bundle", b.name},
                                   {"state", state},
                                   {"message", message},
                                   {"revision", revision},
                                   {"out_of_sync", out_of_sync}});
            }
        }
        // Bundles it still reports but should no longer run (being removed).
        for (auto& [name, s] : reported) {
            if (seen.count(name)) continue;
            bundles.push_back({{"bundle", name},
                               {"state", s.state},
                               {"message", s.message},
                               {"revision", s.revision},
                               {"out_of_sync", true}});
        }
        agents_json.push_back({{"id", a.id},
                               {"name", a.name},
                               {"online", fleet.online(a.id)},
                               {"last_seen", rfc3339(a.last_seen_ms)},
                               {"labels", labels},
                               {"version", a.version},
                               {"bundles", bundles}});
    }

    json bundles_json = json::array();
    const auto& changed_in = fleet.bundle_commits();
    for (auto& [name, c] : bundle_counts) {
        auto commit = changed_in.find(name);
        bundles_json.push_back({{"name", name},
                                {"revision", deployment ? deployment->commit : ""},
                                {"commit", commit != changed_in.end() ? commit->second : ""},
                                {"targeted", c.targeted},
                                {"ready", c.ready},
                                {"not_ready", c.targeted - c.ready},
                                {"states", c.states}});
    }

    json revision = {{"commit", deployment ? json(deployment->commit) : json(nullptr)}, {"error", nullptr}};
    if (auto& r = fleet.rejection()) revision["error"] = {{"commit", r->commit}, {"message", r->message}};
    return {{"revision", revision}, {"agents", agents_json}, {"bundles", bundles_json}};
}

}  // namespace drover::hub
