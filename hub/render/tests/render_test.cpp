#include "hub/render/render.h"

#include <doctest/doctest.h>

#include "fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;
using nlohmann::json;

namespace {

const Bundle& bundle(const Fleet& fleet, std::string_view name) {
    const Bundle* b = fleet.find(name);
    REQUIRE(b != nullptr);
    return *b;
}

json objects_of(const Bundle& b) { return spec_json(b.specs[b.default_spec])["objects"]; }

}  // namespace

TEST_CASE("targets are an OR of entries and each entry an AND of its fields") {
    FileMap files = {
        {"fleet.yaml", "groups:\n  eu: {matchExpressions: [{key: region, operator: In, values: [eu-west, eu-north]}]}\n"},
        {"app/bundle.yaml", R"(
targets:
  - selector: {matchLabels: {role: gateway}}
    group: eu
  - agents: [edge-0042, edge-0043]
)"},
        {"app/cm.yaml", kConfigMap},
    };
    Fleet fleet = render_ok(files);
    const Bundle& b = bundle(fleet, "app");
    CHECK(b.spec_for({{"role", "gateway"}, {"region", "eu-west"}}, "x", fleet.groups) != nullptr);
    CHECK(b.spec_for({{"role", "gateway"}, {"region", "us-east"}}, "x", fleet.groups) == nullptr);
    CHECK(b.spec_for({{"region", "eu-north"}}, "x", fleet.groups) == nullptr);
    CHECK(b.spec_for({}, "edge-0042", fleet.groups) != nullptr);
    CHECK(b.spec_for({}, "edge-0044", fleet.groups) == nullptr);
}

TEST_CASE("a group target follows the group's selector from fleet.yaml") {
    FileMap files = {
        {"fleet.yaml", "groups:\n  canary: {matchLabels: {ring: canary}}\n  rest: {matchExpressions: [{key: ring, operator: NotIn, values: [canary]}]}\n"},
        {"a/bundle.yaml", "targets: [{group: canary}]\n"},
        {"a/cm.yaml", kConfigMap},
        {"b/bundle.yaml", "targets: [{group: rest}]\n"},
        {"b/cm.yaml", kConfigMap},
    };
    Fleet fleet = render_ok(files);
    CHECK(fleet.groups.size() == 2);
    CHECK(bundle(fleet, "a").targets_agent({{"ring", "canary"}}, "n", fleet.groups));
    CHECK_FALSE(bundle(fleet, "a").targets_agent({}, "n", fleet.groups));
    CHECK(bundle(fleet, "b").targets_agent({}, "n", fleet.groups));
    CHECK_FALSE(bundle(fleet, "b").targets_agent({{"ring", "canary"}}, "n", fleet.groups));
}

TEST_CASE("a bundle without targets goes to nobody") {
    Fleet fleet = render_ok({{"quiet/bundle.yaml", ""}, {"quiet/cm.yaml", kConfigMap}});
    const Bundle& b = bundle(fleet, "quiet");
    CHECK(b.targets.empty());
    CHECK(b.spec_for({}, "any", fleet.groups) == nullptr);
    CHECK(b.specs.size() == 1);
}

TEST_CASE("the bundle namespace is forced onto namespaced objects and cluster-scoped kinds are untouched") {
    FileMap files = {
        {"web/bundle.yaml", "namespace: web\ntargets: [{selector: {}}]\n"},
        {"web/objects.yaml", R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: elsewhere}
---
apiVersion: v1
kind: Secret
metadata: {name: b}
---
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
)"},
    };
    Fleet fleet = render_ok(files);
    json objects = objects_of(bundle(fleet, "web"));
    REQUIRE(objects.size() == 5);
    CHECK(objects[0]["kind"] == "Namespace");
    CHECK_FALSE(objects[0]["metadata"].contains("namespace"));
    CHECK(objects[1]["kind"] == "Secret");
    CHECK(objects[1]["metadata"]["namespace"] == "web");
    CHECK(objects[2]["kind"] == "ConfigMap");
    CHECK(objects[2]["metadata"]["namespace"] == "web");
    CHECK(objects[3]["kind"] == "ClusterRole");
    CHECK_FALSE(objects[3]["metadata"].contains("namespace"));
    CHECK(objects[4]["kind"] == "Widget");
    CHECK(objects[4]["metadata"]["namespace"] == "web");
}

TEST_CASE("without a bundle namespace objects keep theirs and the rest go to default") {
    FileMap files = {
        {"app/bundle.yaml", "targets: [{selector: {}}]\n"},
        {"app/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: tools}\n"},
        {"app/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"},
        {"app/pv.yaml", "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: disk}\n"},
    };
    Fleet fleet = render_ok(files);
    const Bundle& b = bundle(fleet, "app");
    json objects = objects_of(b);
    CHECK(b.ns.empty());
    CHECK(spec_json(b.specs[0])["namespace"] == "");
    REQUIRE(objects.size() == 3);
    CHECK(objects[0]["metadata"]["namespace"] == "default");
    CHECK(objects[1]["metadata"]["namespace"] == "tools");
    CHECK_FALSE(objects[2]["metadata"].contains("namespace"));
}

TEST_CASE("custom resources of a cluster-scoped CRD in the bundle keep no namespace") {
    FileMap files = {
        {"ops/bundle.yaml", "namespace: ops\ntargets: [{selector: {}}]\n"},
        {"ops/crd.yaml", R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusterpolicies.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {kind: ClusterPolicy, plural: clusterpolicies}
)"},
        {"ops/policy.yaml", "apiVersion: example.com/v1\nkind: ClusterPolicy\nmetadata: {name: strict}\n"},
    };
    Fleet fleet = render_ok(files);
    json objects = objects_of(bundle(fleet, "ops"));
    REQUIRE(objects.size() == 2);
    CHECK(objects[1]["kind"] == "ClusterPolicy");
    CHECK_FALSE(objects[1]["metadata"].contains("namespace"));
}

TEST_CASE("manifests are every YAML and JSON file below the bundle except bundle.yaml, overlays/ and hidden files") {
    FileMap files = {
        {"fleet.yaml", "groups: {}\n"},
        {"notes.yaml", "not: part of any bundle\n"},
        {"apps/web/bundle.yaml", "targets: [{selector: {}}]\n"},
        {"apps/web/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"},
        {"apps/web/deep/er/b.yml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n"},
        {"apps/web/c.json", R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})"},
        {"apps/web/overlays/p.yaml", "kind: ConfigMap\nmetadata: {name: a}\n"},
        {"apps/web/.hidden.yaml", "garbage: [\n"},
        {"apps/web/.github/workflows/ci.yaml", "on: push\n"},
        {"apps/web/README.md", "# not a manifest\n"},
        {"apps/web/list.yaml", R"(
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: d}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: e}}
)"},
    };
    Fleet fleet = render_ok(files);
    REQUIRE(fleet.bundles.size() == 1);
    const Bundle& b = fleet.bundles[0];
    CHECK(b.name == "apps-web");
    CHECK(b.path == "apps/web");
    std::vector<std::string> names;
    for (auto& o : objects_of(b)) names.push_back(o["metadata"]["name"]);
    CHECK(names == std::vector<std::string>{"a", "b", "c", "d", "e"});
}

TEST_CASE("a bundle at the repository root needs a name and does not read fleet.yaml as a manifest") {
    FileMap files = {
        {"fleet.yaml", "groups: {all: {}}\n"},
        {"bundle.yaml", "name: everything\ntargets: [{group: all}]\n"},
        {"cm.yaml", kConfigMap},
    };
    Fleet fleet = render_ok(files);
    CHECK(bundle(fleet, "everything").path == "");
    CHECK(objects_of(bundle(fleet, "everything")).size() == 1);
    files["bundle.yaml"] = "targets: [{group: all}]\n";
    CHECK(problem_lines(render_fleet(files)) ==
          std::vector<std::string>{"bundle.yaml:1: name: required for a bundle at the repository root"});
}

TEST_CASE("bundles are sorted by name and dependsOn reaches the spec policy sorted") {
    FileMap files = {
        {"z/bundle.yaml", "name: alpha\ntargets: [{selector: {}}]\n"},
        {"z/cm.yaml", kConfigMap},
        {"a/bundle.yaml", "name: omega\ntargets: [{selector: {}}]\ndependsOn: [beta, alpha]\nkeepResources: true\nselfHeal: false\npaused: true\n"},
        {"a/cm.yaml", kConfigMap},
        {"m/bundle.yaml", "name: beta\n"},
    };
    Fleet fleet = render_ok(files);
    REQUIRE(fleet.bundles.size() == 3);
    CHECK(fleet.bundles[0].name == "alpha");
    CHECK(fleet.bundles[1].name == "beta");
    CHECK(fleet.bundles[2].name == "omega");
    const Bundle& omega = fleet.bundles[2];
    CHECK(omega.depends_on == std::vector<std::string>{"alpha", "beta"});
    CHECK(omega.paused);
    CHECK(spec_json(omega.specs[0])["policy"] ==
          json::parse(R"({"dependsOn": ["alpha", "beta"], "keepResources": true, "selfHeal": false})"));
    CHECK(fleet.bundles[1].specs[0].objects == 0);
}

TEST_CASE("the same content gives the same bytes and digest whatever the file layout and key order") {
    FileMap one = {
        {"web/bundle.yaml", "namespace: web\ntargets: [{selector: {}}]\ndependsOn: [base, infra]\n"},
        {"web/all.yaml", R"(
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data: {x: "1", y: "2"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, labels: {app: d}}
spec: {replicas: 1}
)"},
        {"base/bundle.yaml", ""},
        {"infra/bundle.yaml", ""},
    };
    FileMap two = {
        {"web/bundle.yaml", "dependsOn: [infra, base]\ntargets:\n  - selector: {}\nnamespace: web\n"},
        {"web/1-deploy.json",
         R"({"spec": {"replicas": 1}, "metadata": {"labels": {"app": "d"}, "name": "d"}, "kind": "Deployment", "apiVersion": "apps/v1"})"},
        {"web/2/cm.yaml", "data:\n  y: \"2\"\n  x: \"1\"\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ignored\napiVersion: v1\n"},
        {"base/bundle.yaml", ""},
        {"infra/bundle.yaml", ""},
    };
    Spec a = bundle(render_ok(one), "web").specs[0];
    Spec b = bundle(render_ok(two), "web").specs[0];
    CHECK(a.json == b.json);
    CHECK(a.digest == b.digest);

    FileMap three = one;
    three["web/all.yaml"].replace(three["web/all.yaml"].find("\"2\""), 3, "\"3\"");
    Spec c = bundle(render_ok(three), "web").specs[0];
    CHECK(c.json.size() == a.json.size());
    CHECK(c.digest != a.digest);
}

TEST_CASE("problems are collected across files and bundles, ordered by file and line") {
    FileMap files = {
        {"b/bundle.yaml", "targets: [{selector: {matchLabels: {a: 1}}}]\nbogus: 1\n"},
        {"a/bundle.yaml", "targets: [{group: nope}]\n"},
        {"a/x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n"},
        {"c/bundle.yaml", "name: a\n"},
    };
    CHECK(problem_lines(render_fleet(files)) ==
          std::vector<std::string>{
              "a/bundle.yaml:1: targets[0].group: unknown group \"nope\" (fleet.yaml defines no groups)",
              "a/x.yaml:1: object has no metadata.name (every object needs apiVersion, kind and metadata.name)",
              "b/bundle.yaml:1: targets[0].selector.matchLabels.a: must be a string, got a number 1 (quote it: \"1\")",
              "b/bundle.yaml:2: bogus: unknown field (want one of customizations, dependsOn, keepResources, name, namespace, "
              "paused, rollout, selfHeal, targets)",
          });
}

TEST_CASE("two bundles with the same name are refused") {
    FileMap files = {{"x/bundle.yaml", "name: same\n"}, {"y/bundle.yaml", "name: same\n"}};
    CHECK(problem_lines(render_fleet(files)) ==
          std::vector<std::string>{"y/bundle.yaml: bundle name \"same\" is already used by x/bundle.yaml"});
}

TEST_CASE("a directory name that is not a DNS label needs an explicit name") {
    FileMap files = {{"Apps/My_Web/bundle.yaml", "targets: []\n"}};
    CHECK(problem_lines(render_fleet(files)) ==
          std::vector<std::string>{"Apps/My_Web/bundle.yaml:1: name: not set, and the directory gives \"Apps-My_Web\", "
                                   "which is not a valid bundle name; set name:"});
    files["Apps/My_Web/bundle.yaml"] = "name: my-web\ntargets: []\n";
    CHECK(render_ok(files).bundles[0].name == "my-web");
}

TEST_CASE("limits refuse oversized repositories, files, bundles and specs") {
    FileMap files = {{"a/bundle.yaml", "targets: [{selector: {}}]\n"}, {"a/cm.yaml", kConfigMap}, {"b/bundle.yaml", ""}};
    Limits limits;
    limits.max_files = 2;
    CHECK(problem_lines(render_fleet(files, limits)) ==
          std::vector<std::string>{"repository has 3 YAML/JSON files, more than the limit of 2 (hub limit repo-files)"});
    limits = {};
    limits.max_bundles = 1;
    CHECK(problem_lines(render_fleet(files, limits)) ==
          std::vector<std::string>{"repository has 2 bundles, more than the limit of 1 (hub limit bundles)"});
    limits = {};
    limits.max_file_bytes = 40;
    CHECK(problem_lines(render_fleet(files, limits)) ==
          std::vector<std::string>{"a/cm.yaml: file is 58 bytes, more than the limit of 40 (hub limit file-bytes)"});
    limits = {};
    limits.max_objects_per_bundle = 0;
    CHECK(problem_lines(render_fleet(files, limits)) ==
          std::vector<std::string>{"a/bundle.yaml: bundle has more than 0 objects (hub limit objects-per-bundle)"});
    // Each document fits the limit; together they do not.
    std::string data = "data: {x: " + std::string(100, 'x') + "}\n";
    files["a/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n" + data + "---\n" +
                         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n" + data;
    limits = {};
    limits.max_spec_bytes = 400;
    CHECK(problem_lines(render_fleet(files, limits)) ==
          std::vector<std::string>{"a/bundle.yaml: rendered spec is 507 bytes, more than the limit of 400 (hub limit spec-bytes)"});
}

TEST_CASE("no more than the cap of problems is listed, with a count of the rest") {
    std::string yaml = "targets:\n";
    for (int i = 0; i < 60; ++i) yaml += "  - {group: g" + std::to_string(i) + "}\n";
    auto lines = problem_lines(render_fleet({{"a/bundle.yaml", yaml}}));
    REQUIRE(lines.size() == Problems::kDefaultCap + 1);
    CHECK(lines.back() == "... and 10 more problems");
    CHECK(lines.front() == "a/bundle.yaml:2: targets[0].group: unknown group \"g0\" (fleet.yaml defines no groups)");
}

TEST_CASE("fleet.yaml problems are reported once, without cascading into the bundles that use the group") {
    FileMap files = {
        {"fleet.yaml", "groups:\n  eu: {matchLabels: {region: 7}}\n  Bad_Name: {}\nextra: 1\n"},
        {"a/bundle.yaml", "targets: [{group: eu}]\n"},
    };
    CHECK(problem_lines(render_fleet(files)) ==
          std::vector<std::string>{
              "fleet.yaml:2: groups.eu.matchLabels.region: must be a string, got a number 7 (quote it: \"7\")",
              "fleet.yaml:3: groups.Bad_Name: group name \"Bad_Name\" must be 1-63 characters of a-z, 0-9 and '-', "
              "starting and ending alphanumeric",
              "fleet.yaml:4: extra: unknown field (want groups)",
          });
}
