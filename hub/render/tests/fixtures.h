#pragma once
// Small shared pieces of the renderer tests.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hub/render/render.h"
#include "common/text.h"
#include "hub/render/yaml_json.h"

// Failed CHECKs on problem lists print the lists.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& lines) {
        std::string out = "{";
        for (auto& line : lines) out += "\n  \"" + line + "\"";
        out += lines.empty() ? "}" : "\n}";
        return String(out.c_str());
    }
};
}  // namespace doctest

namespace drover::render::testing {

// The problems of a failed render as "file:line: message" lines; a render
// that unexpectedly succeeded gives {"(rendered)"}.
inline std::vector<std::string> problem_lines(const std::expected<Fleet, std::vector<Problem>>& result) {
    if (result) return {"(rendered)"};
    std::vector<std::string> out;
    for (auto& p : result.error()) out.push_back(p.to_string());
    return out;
}

inline std::string first_problem(const std::expected<Fleet, std::vector<Problem>>& result) {
    auto lines = problem_lines(result);
    return lines.empty() ? "" : lines.front();
}

// Renders or fails the test with every problem listed.
inline Fleet render_ok(const FileMap& files, const Limits& limits = {}) {
    auto result = render_fleet(files, limits);
    if (!result)
        for (auto& p : result.error()) FAIL_CHECK(p.to_string());
    REQUIRE(result.has_value());
    return std::move(*result);
}

// The single YAML document of text (file name "t.yaml").
struct ParsedYaml {
    std::vector<SourceDoc> docs;
    std::vector<Problem> problems;
};
inline ParsedYaml parse_yaml(std::string_view text, const ParseOptions& options = {}) {
    Problems problems;
    ParsedYaml out;
    out.docs = parse_yaml_stream("t.yaml", text, options, problems);
    out.problems = problems.take();
    return out;
}

inline std::string problems_text(const std::vector<Problem>& problems) {
    std::string out;
    for (auto& p : problems) out += p.to_string() + "\n";
    return out;
}

inline nlohmann::json spec_json(const Spec& spec) { return nlohmann::json::parse(spec.json); }

// A bundle directory's minimal bundle.yaml plus one ConfigMap.
inline const char* kConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n";

}  // namespace drover::render::testing
