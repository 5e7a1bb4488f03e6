#include "hub/server/api_agents.h"

#include <algorithm>
#include <array>

#include "common/clock.h"
#include "common/text.h"
#include "hub/server/api_label_selector.h"
#include "hub/server/api_query.h"
#include "hub/server/api_reply.h"

namespace drover::hub {

using nlohmann::json;

namespace {

constexpr size_t kDefaultPage = 100;
constexpr size_t kMaxPage = 1000;
constexpr std::array<std::string_view, 7> kStates = {"Ready",     "NotReady", "Failed", "Modified",
                                                     "OutOfSync", "Offline",  "Pending"};

bool in_state(const AgentState& a, std::string_view state) {
    if (state == "Offline") return !a.online;
    return std::any_of(a.bundles.begin(), a.bundles.end(), [&](auto& b) { return b.shown_state() == state; });
}

}  // namespace

json agent_json(const AgentState& a) {
    json bundles = json::array();
    for (auto& b : a.bundles)
        bundles.push_back({{"bundle", b.bundle},
                           {"state", b.state},
                           {"revision", b.revision},
                           {"message", b.message},
                           {"out_of_sync", b.out_of_sync}});
    return {{"id", a.agent.id},
            {"name", a.agent.name},
            {"labels", a.labels},
            {"facts", a.agent.facts},
            {"version", a.agent.version},
            {"online", a.online},
            {"last_seen", rfc3339(a.agent.last_seen_ms)},
            {"offline_since", a.online ? json(nullptr) : json(rfc3339(a.agent.last_seen_ms))},
            {"revoked_at", a.agent.revoked_ms ? json(rfc3339(*a.agent.revoked_ms)) : json(nullptr)},
            // When the agent stored its mTLS client certificate; null: none.
            {"client_certificate_since",
             a.agent.client_certificate_ms ? json(rfc3339(*a.agent.client_certificate_ms)) : json(nullptr)},
            {"bundles", bundles}};
}

HttpResponse list_agents(Fleet& fleet, const HttpRequest& req) {
    auto query = parse_query(req.query, "selector,state,limit,continue");
    if (!query) return json_error(400, query.error().message);
    auto limit = parse_limit(*query, kDefaultPage, kMaxPage);
    if (!limit) return json_error(400, limit.error().message);
    auto selector = parse_label_selector(query->contains("selector") ? query->at("selector") : "");
    if (!selector) return json_error(400, selector.error().message);
    std::string state;
    if (query->contains("state")) {
        state = query->at("state");
        if (std::find(kStates.begin(), kStates.end(), state) == kStates.end())
            return json_error(400, cat("state must be one of Ready, NotReady, Failed, Modified, OutOfSync, Offline, "
                                       "Pending; not ",
                                       drover::quoted(utf8_prefix(state, 40))));
    }
    std::optional<std::string> after;
    if (query->contains("continue")) {
        auto c = decode_cursor(query->at("continue"));
        if (!c) return json_error(400, c.error().message);
        after = *c;
    }

    const FleetState& fleet_now = fleet_view(fleet);
    json items = json::array();
    size_t total = 0;
    std::string last;
    bool more = false;
    for (auto& a : fleet_now.agents) {
        if (!selector->matches(a.labels)) continue;
        if (!state.empty() && !in_state(a, state)) continue;
        ++total;
        if (after && a.agent.name <= *after) continue;
        if (items.size() == *limit) {
            more = true;
            continue;
        }
        items.push_back(agent_json(a));
        last = a.agent.name;
    }
    return json_reply(200, {{"items", items}, {"continue", more ? json(encode_cursor(last)) : json(nullptr)},
                            {"total", total}});
}

HttpResponse get_agent(Fleet& fleet, const std::string& name) {
    const FleetState& fleet_now = fleet_view(fleet);
    auto it = std::lower_bound(fleet_now.agents.begin(), fleet_now.agents.end(), name,
                               [](const AgentState& a, const std::string& n) { return a.agent.name < n; });
    if (it == fleet_now.agents.end() || it->agent.name != name)
        return json_error(404, cat("no agent named ", drover::quoted(utf8_prefix(name, 200))));
    return json_reply(200, agent_json(*it));
}

}  // namespace drover::hub
