#pragma once
// Which agents a `targets` entry or a customization applies to.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "hub/render/problem.h"
#include "hub/render/selector.h"
#include "hub/render/source.h"

namespace drover::render {

// Named selectors from fleet.yaml.
using Groups = std::map<std::string, Selector>;
using GroupNames = std::set<std::string, std::less<>>;

// AND of the fields that are set. An entry with no field set is refused when
// parsed (it would otherwise silently match everybody or nobody).
struct Match {
    std::optional<Selector> selector;
    std::optional<std::string> group;                // a key of Groups
    std::optional<std::vector<std::string>> agents;  // agent names

    // A group missing from groups matches nobody (parse_match refuses it).
    bool matches(const Labels& labels, std::string_view agent_name, const Groups& groups) const;
};

// The matcher fields (selector, group, agents) of the mapping at `at`; the
// caller checks the mapping's other keys. Adds a problem and returns nullopt
// when a field is bad, a group is not one of `groups`, or no field is set.
std::optional<Match> parse_match(const Where& at, const GroupNames& groups, Problems& problems);

bool is_match_field(std::string_view key);

}  // namespace drover::render
