#include "hub/server/hub_limits.h"

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "common/text.h"

namespace drover::hub {

namespace {

constexpr size_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

struct LimitSpec {
    const char* name;
    const char* meaning;
    size_t& (*field)(HubLimits&);
    size_t min, max;
    bool bytes;
};

// Ranges: below the minimum the hub would refuse its own traffic (a Hello
// listing 1000 applied bundles is ~100 KiB); above the maximum one client
// or push could take the hub's memory, the protocol's own bound applies
// (frame-bytes: wire::kMaxFrame, which no agent frame comes near), or
// (spec-bytes) agents would refuse what the hub renders: they accept specs
// up to 128 MiB.
constexpr std::array<LimitSpec, 17> kSpecs{{
    {"frame-bytes", "largest websocket frame an agent may send",
     [](HubLimits& l) -> size_t& { return l.frame_bytes; }, 256 * KiB, 1 * MiB, true},
    {"agent-labels", "labels an agent may report", [](HubLimits& l) -> size_t& { return l.session.max_labels; }, 0,
     1024, false},
    {"agent-facts", "facts an agent may report", [](HubLimits& l) -> size_t& { return l.session.max_facts; }, 0, 1024,
     false},
    {"fact-bytes", "length of one fact's name or value",
     [](HubLimits& l) -> size_t& { return l.session.max_fact_bytes; }, 16, 64 * KiB, true},
    {"status-message-bytes", "status message kept per bundle (longer ones are cut)",
     [](HubLimits& l) -> size_t& { return l.session.max_message_bytes; }, 64, 64 * KiB, true},
    {"operator-labels", "labels set on one agent through the API",
     [](HubLimits& l) -> size_t& { return l.operator_labels; }, 0, 1024, false},
    {"request-body-bytes", "body of one API request",
     [](HubLimits& l) -> size_t& { return l.request_body_bytes; }, 4 * KiB, 64 * MiB, true},
    {"webhook-body-bytes", "body of one Git webhook delivery",
     [](HubLimits& l) -> size_t& { return l.webhook_body_bytes; }, 64 * KiB, 64 * MiB, true},
    {"registrations-per-minute", "registration attempts per source address per minute (0: no limit)",
     [](HubLimits& l) -> size_t& { return l.registrations_per_minute; }, 0, 1'000'000, false},
    {"repo-files", "YAML/JSON files in the fleet repository",
     [](HubLimits& l) -> size_t& { return l.render.max_files; }, 1, 1'000'000, false},
    {"file-bytes", "one YAML/JSON file in the fleet repository",
     [](HubLimits& l) -> size_t& { return l.render.max_file_bytes; }, 1 * KiB, 1 * GiB, true},
    {"repo-bytes", "all YAML/JSON files of the fleet repository together",
     [](HubLimits& l) -> size_t& { return l.render.max_input_bytes; }, 1 * KiB, 4 * GiB, true},
    {"bundles", "bundles in the fleet repository", [](HubLimits& l) -> size_t& { return l.render.max_bundles; }, 1,
     100'000, false},
    {"objects-per-bundle", "Kubernetes objects in one bundle",
     [](HubLimits& l) -> size_t& { return l.render.max_objects_per_bundle; }, 1, 1'000'000, false},
    {"spec-bytes", "one rendered spec (agents accept at most 128MiB)",
     [](HubLimits& l) -> size_t& { return l.render.max_spec_bytes; }, 1 * KiB, 128 * MiB, true},
    {"fleet-spec-bytes", "all rendered specs of one revision together",
     [](HubLimits& l) -> size_t& { return l.render.max_fleet_spec_bytes; }, 1 * KiB, 4 * GiB, true},
    {"yaml-depth", "nesting of YAML/JSON collections", [](HubLimits& l) -> size_t& { return l.render.max_depth; }, 4,
     256, false},
}};

std::string format_value(size_t v, bool bytes) {
    if (bytes && v != 0) {
        if (v % GiB == 0) return cat(v / GiB, "GiB");
        if (v % MiB == 0) return cat(v / MiB, "MiB");
        if (v % KiB == 0) return cat(v / KiB, "KiB");
    }
    return cat(v);
}

std::optional<size_t> parse_value(std::string_view text, bool bytes) {
    size_t unit = 1;
    if (bytes) {
        for (auto [suffix, n] : {std::pair{"KiB", KiB}, {"MiB", MiB}, {"GiB", GiB}}) {
            std::string_view s(suffix);
            if (text.size() > s.size() && text.substr(text.size() - s.size()) == s) {
                unit = n;
                text.remove_suffix(s.size());
                break;
            }
        }
    }
    auto n = parse_u64(text);
    if (!n || *n > SIZE_MAX / unit) return std::nullopt;
    return static_cast<size_t>(*n * unit);
}

std::string known_names() {
    std::string out;
    for (auto& s : kSpecs) out += cat(out.empty() ? "" : ", ", s.name);
    return out;
}

}  // namespace

Result<void> set_limit(HubLimits& limits, std::string_view assignment) {
    auto eq = assignment.find('=');
    if (eq == std::string_view::npos)
        return fail(cat("--limit ", quoted(utf8_prefix(assignment, 80)), ": expected NAME=VALUE"));
    std::string_view name = assignment.substr(0, eq), text = assignment.substr(eq + 1);
    for (auto& s : kSpecs) {
        if (name != s.name) continue;
        auto value = parse_value(text, s.bytes);
        if (!value || *value < s.min || *value > s.max)
            return fail(cat("--limit ", s.name, ": ", quoted(utf8_prefix(text, 40)), " is not ",
                            s.bytes ? "a size" : "a whole number", " from ", format_value(s.min, s.bytes), " to ",
                            format_value(s.max, s.bytes)));
        s.field(limits) = *value;
        return {};
    }
    return fail(cat("--limit: unknown limit ", quoted(utf8_prefix(name, 80)), " (known: ", known_names(), ")"));
}

std::vector<LimitDescription> describe_limits(const HubLimits& limits) {
    HubLimits copy = limits;  // the accessors take a mutable reference
    std::vector<LimitDescription> out;
    for (auto& s : kSpecs) out.push_back({s.name, format_value(s.field(copy), s.bytes), s.meaning});
    return out;
}

}  // namespace drover::hub
