#include "hub/server/api_rollouts.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/text.h"
#include "hub/server/api_reply.h"

namespace drover::hub {

using nlohmann::json;

namespace {

json rollout_json(Fleet& fleet, const BundleRollout& r, const std::vector<RolloutAgent>& agents) {
    auto p = r.engine.tally(agents, fleet.now_ms());
    return {{"bundle", r.bundle},
            {"target", r.target},
            {"from", r.from.empty() ? json(nullptr) : json(r.from)},
            {"phase", phase_name(r.engine.phase())},
            {"paused", r.engine.paused()},
            {"reason", r.engine.reason()},
            {"started_at", rfc3339(r.started_ms)},
            {"progress",
             {{"targeted", p.targeted},
              {"updated", p.updated},
              {"ready", p.ready},
              {"failed", p.failed},
              {"waiting", p.waiting},
              {"offline_skipped", p.offline_skipped}}}};
}

HttpResponse no_rollout(const std::string& bundle) {
    return json_error(404, cat("bundle ", quoted(utf8_prefix(bundle, 200)), " has no rollout"));
}

}  // namespace

HttpResponse list_rollouts(Fleet& fleet) {
    json out = json::array();
    for (auto& [bundle, r] : fleet.rollouts().all()) out.push_back(rollout_json(fleet, r, fleet.rollout_agents(bundle)));
    return json_reply(200, out);
}

HttpResponse get_rollout(Fleet& fleet, const std::string& bundle) {
    const BundleRollout* r = fleet.rollouts().find(bundle);
    if (!r) return no_rollout(bundle);
    auto agents = fleet.rollout_agents(bundle);
    json out = rollout_json(fleet, *r, agents);
    json list = json::array();
    std::sort(agents.begin(), agents.end(), [](auto& a, auto& b) { return a.name < b.name; });
    for (auto& a : agents) {
        bool updated = r->engine.updated(a.id);
        const std::string& commit = r->commit_for(a.id);
        list.push_back({{"name", a.name},
                        {"online", a.online},
                        {"updated", updated},
                        {"revision", commit.empty() ? json(nullptr) : json(commit)},
                        {"state", a.state.empty() ? json(nullptr) : json(a.state)},
                        {"message", a.message}});
    }
    out["agents"] = list;
    return json_reply(200, out);
}

HttpResponse control_rollout(Fleet& fleet, const std::string& bundle, const std::string& action, const std::string& who) {
    using Action = Fleet::RolloutAction;
    std::optional<Action> what = action == "pause"    ? std::optional(Action::pause)
                                 : action == "resume" ? std::optional(Action::resume)
                                 : action == "abort"  ? std::optional(Action::abort)
                                                      : std::nullopt;
    if (!what) return json_error(404, cat("no such rollout action ", quoted(utf8_prefix(action, 40)), " (pause, resume or abort)"));
    if (!fleet.rollouts().find(bundle)) return no_rollout(bundle);
    if (auto ok = fleet.control_rollout(bundle, *what, who); !ok) return json_error(409, ok.error().message);
    return get_rollout(fleet, bundle);
}

}  // namespace drover::hub
