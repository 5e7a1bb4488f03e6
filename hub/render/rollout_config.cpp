#include "hub/render/rollout_config.h"

#include <algorithm>
#include <set>

#include "common/labels.h"
#include "common/text.h"

namespace drover::render {

using nlohmann::json;

size_t AgentCount::of(size_t total, size_t floor) const {
    size_t n = percent ? total * static_cast<size_t>(value) / 100 : static_cast<size_t>(value);
    return std::max(n, floor);
}

std::string AgentCount::text() const { return percent ? cat(value, "%") : cat(value); }

namespace {

bool is_set(const json& map, const char* key) { return map.contains(key) && !map.at(key).is_null(); }

// 3, "3" or "25%".
std::optional<AgentCount> read_count(const Where& at, bool allow_zero, Problems& problems) {
    const json& v = at.value();
    const char* want = allow_zero ? "a number of agents (0 or more) or a percentage like \"10%\""
                                  : "a number of agents (1 or more) or a percentage like \"25%\"";
    AgentCount c;
    std::optional<uint64_t> n;
    if (v.is_number_integer()) {
        if (v.get<int64_t>() >= 0) n = static_cast<uint64_t>(v.get<int64_t>());
    } else if (v.is_string()) {
        std::string_view s = v.get_ref<const std::string&>();
        if (s.ends_with('%')) {
            c.percent = true;
            s.remove_suffix(1);
        }
        n = parse_u64(s);
    }
    int64_t lowest = allow_zero ? 0 : 1;
    int64_t highest = c.percent ? 100 : kMaxAgentCount;
    if (!n || *n < static_cast<uint64_t>(lowest) || *n > static_cast<uint64_t>(highest)) {
        std::string got = v.is_string() ? drover::quoted(v.get<std::string>()) : v.is_number() ? v.dump() : json_type_name(v);
        std::string range = c.percent ? cat(lowest, "-100%") : cat(lowest, "-", highest);
        report(problems, at, cat("must be ", want, " (", range, "), got ", got));
        return std::nullopt;
    }
    c.value = static_cast<int64_t>(*n);
    return c;
}

std::optional<int64_t> read_duration(const Where& at, Problems& problems) {
    const json& v = at.value();
    std::optional<int64_t> ms;
    if (v.is_string()) ms = parse_duration_ms(v.get_ref<const std::string&>());
    if (!ms || *ms < 0 || *ms > kMaxRolloutDurationMs) {
        std::string got = v.is_string() ? drover::quoted(v.get<std::string>()) : json_type_name(v);
        report(problems, at, cat("must be a duration from 0s to 30d like \"10m\", got ", got));
        return std::nullopt;
    }
    return ms;
}

const std::set<std::string, std::less<>> kRolloutKeys = {
    "canary", "batchSize", "maxUnavailable", "failureThreshold", "progressDeadline", "offlineGrace", "orderBy",
};

std::string known(const std::set<std::string, std::less<>>& keys) {
    std::string out;
    for (auto& k : keys) out += out.empty() ? k : ", " + k;
    return out;
}

void read_canary(const Where& at, const GroupNames& groups, RolloutPolicy& policy, Problems& problems) {
    const json& v = at.value();
    if (!v.is_object()) {
        report(problems, at, cat("must be a mapping of selector, group or agents, and soak; got ", json_type_name(v)));
        return;
    }
    for (auto& [k, _] : v.items())
        if (!is_match_field(k) && k != "soak") report(problems, at.key(k), "unknown field (want selector, group, agents, soak)");
    // parse_match reads the matcher fields only.
    if (auto m = parse_match(at, groups, problems)) policy.canary = std::move(*m);
    if (is_set(v, "soak"))
        if (auto ms = read_duration(at.key("soak"), problems)) policy.soak_ms = *ms;
}

}  // namespace

std::optional<RolloutPolicy> parse_rollout(const Where& at, const GroupNames& groups, Problems& problems) {
    size_t before = problems.size();
    const json& v = at.value();
    if (!v.is_object()) {
        report(problems, at, cat("must be a mapping (", known(kRolloutKeys), "), got ", json_type_name(v)));
        return std::nullopt;
    }
    for (auto& [k, _] : v.items())
        if (!kRolloutKeys.contains(k)) report(problems, at.key(k), cat("unknown field (want one of ", known(kRolloutKeys), ")"));
    RolloutPolicy p;
    if (is_set(v, "canary")) read_canary(at.key("canary"), groups, p, problems);
    if (is_set(v, "batchSize"))
        if (auto c = read_count(at.key("batchSize"), false, problems)) p.batch_size = *c;
    if (is_set(v, "maxUnavailable"))
        if (auto c = read_count(at.key("maxUnavailable"), false, problems)) p.max_unavailable = *c;
    if (is_set(v, "failureThreshold"))
        if (auto c = read_count(at.key("failureThreshold"), true, problems)) p.failure_threshold = *c;
    if (is_set(v, "progressDeadline"))
        if (auto ms = read_duration(at.key("progressDeadline"), problems)) {
            if (*ms < 1000) report(problems, at.key("progressDeadline"), "must be at least 1s");
            else p.progress_deadline_ms = *ms;
        }
    if (is_set(v, "offlineGrace"))
        if (auto ms = read_duration(at.key("offlineGrace"), problems)) p.offline_grace_ms = *ms;
    if (is_set(v, "orderBy")) {
        const json& o = v.at("orderBy");
        if (!o.is_string() || !validate_label(o.get<std::string>(), "")) {
            std::string got = o.is_string() ? drover::quoted(o.get<std::string>()) : json_type_name(o);
            report(problems, at.key("orderBy"), cat("must be a label key like \"region\", got ", got));
        } else {
            p.order_by = o.get<std::string>();
        }
    }
    if (problems.size() != before) return std::nullopt;
    return p;
}

}  // namespace drover::render
