// Big inputs: what a bundle carrying tens of MiB (a ConfigMap full of data,
// a big CRD) needs from the renderer, and the limits that keep a push from
// taking the hub's memory. Sizes here stay small enough for a fast unit
// test; tests/e2e/big_spec_test.sh pushes a spec of more than 50 MiB.
#include <doctest/doctest.h>

#include <set>

#include "common/crypto.h"
#include "hub/render/tests/fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;

namespace {

constexpr const char* kBundle = "namespace: big\ntargets: [{selector: {}}]\n";

// Text like base64 data: not compressible to nothing, and valid in a YAML
// block scalar (no leading spaces, no ': ').
std::string data_line(size_t i) {
    std::string hex = hex_encode(sha256(std::to_string(i)));
    return hex + hex.substr(0, 12);  // 76 characters, as base64 -w 76 writes
}

}  // namespace

TEST_CASE("a ConfigMap of more than 8 MiB in one YAML file renders with its data intact") {
    // 9 MiB of data in a literal block scalar, the usual way to embed a file.
    std::string yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: |\n";
    std::string expected;
    for (size_t i = 0; expected.size() < (9u << 20); ++i) {
        std::string line = data_line(i);
        yaml += "    " + line + "\n";
        expected += line + "\n";
    }
    Fleet fleet = render_ok({{"big/bundle.yaml", kBundle}, {"big/data.yaml", yaml}});

    REQUIRE(fleet.bundles.size() == 1);
    const Spec& spec = fleet.bundles[0].specs.at(0);
    CHECK(spec.objects == 1);
    CHECK(spec.digest == sha256(spec.json));
    auto doc = nlohmann::json::parse(spec.json);
    CHECK(doc["objects"][0]["metadata"]["namespace"] == "big");
    CHECK(doc["objects"][0]["data"]["blob"].get_ref<const std::string&>() == expected);
}

TEST_CASE("many objects over many files add up to one spec, each object once") {
    FileMap files = {{"big/bundle.yaml", kBundle}};
    std::string payload(8 << 10, 'p');
    for (int f = 0; f < 20; ++f) {
        std::string yaml;
        for (int k = 0; k < 8; ++k)
            yaml += cat("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-", f, "-", k, "}\ndata: {payload: ", payload,
                        "}\n");
        files[cat("big/cm", f, ".yaml")] = yaml;
    }
    Fleet fleet = render_ok(files);
    const Spec& spec = fleet.bundles[0].specs.at(0);
    CHECK(spec.objects == 160);
    // Every payload once, plus a little JSON around each object.
    CHECK(spec.json.size() > 160 * payload.size());
    CHECK(spec.json.size() < 160 * (payload.size() + 256));
    auto doc = nlohmann::json::parse(spec.json);
    std::set<std::string> names;
    for (auto& o : doc["objects"]) names.insert(o["metadata"]["name"].get<std::string>());
    CHECK(names.size() == 160);
}

TEST_CASE("a repository whose YAML/JSON files add up past the limit is refused before anything is parsed") {
    FileMap files = {{"a/bundle.yaml", kBundle}, {"a/cm.yaml", "this: [is not even parsed"}};
    Limits limits;
    limits.max_input_bytes = files["a/bundle.yaml"].size() + files["a/cm.yaml"].size() - 1;
    CHECK(problem_lines(render_fleet(files, limits)) ==
          std::vector<std::string>{cat("repository's YAML/JSON files hold ", limits.max_input_bytes + 1,
                                       " bytes, more than the limit of ", limits.max_input_bytes,
                                       " (hub limit repo-bytes)")});
    files["a/README.md"] = std::string(1000, 'x');  // not a render input: not counted
    limits.max_input_bytes += 1;
    CHECK(first_problem(render_fleet(files, limits)).find("YAML syntax error") != std::string::npos);
}

TEST_CASE("rendered specs adding up past the fleet limit are refused, counting shared specs once") {
    std::string cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {x: " + std::string(1000, 'x') + "}\n";
    // Two customizations rendering the same bytes as the default share its spec.
    std::string same = kBundle + std::string("customizations:\n  - {name: s1, selector: {}}\n  - {name: s2, selector: {}}\n");
    FileMap files = {{"a/bundle.yaml", same}, {"a/cm.yaml", cm}, {"b/bundle.yaml", kBundle}, {"b/cm.yaml", cm}};
    Fleet fleet = render_ok(files);
    size_t one = fleet.bundles[0].specs.at(0).json.size();
    REQUIRE(fleet.bundles[0].specs.size() == 1);

    Limits limits;
    limits.max_fleet_spec_bytes = 2 * one + 10;  // a's spec (once) and b's fit
    render_ok(files, limits);
    limits.max_fleet_spec_bytes = 2 * one - 10;
    CHECK(problem_lines(render_fleet(files, limits)) ==
          std::vector<std::string>{cat("b/bundle.yaml: rendered specs of the repository add up to more than the limit of ",
                                       limits.max_fleet_spec_bytes, " bytes (hub limit fleet-spec-bytes)")});
}
