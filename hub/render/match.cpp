#include "hub/render/match.h"

#include <algorithm>

#include "common/text.h"

namespace drover::render {

using nlohmann::json;

bool Match::matches(const Labels& labels, std::string_view agent_name, const Groups& groups) const {
    if (selector && !selector->matches(labels)) return false;
    if (group) {
        auto it = groups.find(*group);
        if (it == groups.end() || !it->second.matches(labels)) return false;
    }
    if (agents && std::find(agents->begin(), agents->end(), agent_name) == agents->end()) return false;
    return true;
}

bool is_match_field(std::string_view key) { return key == "selector" || key == "group" || key == "agents"; }

std::optional<Match> parse_match(const Where& at, const GroupNames& groups, Problems& problems) {
    const json& v = at.value();
    if (!v.is_object()) {
        report(problems, at, cat("must be a mapping with selector, group or agents, got ", json_type_name(v)));
        return std::nullopt;
    }
    size_t before = problems.size();
    Match m;
    if (v.contains("selector") && !v.at("selector").is_null()) m.selector = parse_selector(at.key("selector"), problems);
    if (v.contains("group") && !v.at("group").is_null()) {
        Where g = at.key("group");
        if (!v.at("group").is_string()) {
            report(problems, g, cat("must be a group name, got ", json_type_name(v.at("group"))));
        } else {
            std::string name = v.at("group").get<std::string>();
            if (!groups.contains(name)) {
                std::string known;
                for (auto& k : groups) known += known.empty() ? k : ", " + k;
                report(problems, g, cat("unknown group ", drover::quoted(name),
                                        groups.empty() ? " (fleet.yaml defines no groups)"
                                                       : cat(" (fleet.yaml defines ", known, ")")));
            }
            m.group = name;
        }
    }
    if (v.contains("agents") && !v.at("agents").is_null()) {
        Where a = at.key("agents");
        const json& list = v.at("agents");
        if (!list.is_array()) {
            report(problems, a, cat("must be a list of agent names, got ", json_type_name(list)));
        } else {
            m.agents.emplace();
            for (size_t i = 0; i < list.size(); ++i) {
                if (!list[i].is_string() || list[i].get<std::string>().empty())
                    report(problems, a.index(i), "must be a non-empty agent name");
                else m.agents->push_back(list[i].get<std::string>());
            }
        }
    }
    if (problems.size() != before) return std::nullopt;
    if (!m.selector && !m.group && !m.agents) {
        report(problems, at, "sets none of selector, group, agents (use selector: {} to match every agent)");
        return std::nullopt;
    }
    return m;
}

}  // namespace drover::render
