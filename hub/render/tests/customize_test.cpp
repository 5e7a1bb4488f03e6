#include "hub/render/customize.h"

#include <doctest/doctest.h>

#include "fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;
using nlohmann::json;

namespace {

const char* kDeployment = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 3
  template:
    spec:
      initContainers:
        - {name: init, image: "busybox:1.36"}
      containers:
        - name: web
          image: nginx:1.25
          env:
            - {name: MODE, value: full}
)";

FileMap web_fleet(const std::string& customizations) {
    return {
        {"web/bundle.yaml", "namespace: web\ntargets: [{selector: {}}]\ncustomizations:\n" + customizations},
        {"web/deploy.yaml", kDeployment},
        {"web/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"},
        {"web/overlays/small.yaml", "kind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n"},
        {"web/overlays/debug.yaml", R"(
kind: Deployment
metadata: {name: web, labels: {app: null}}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25-debug
---
kind: Service
metadata: {name: web}
spec: {ports: [{port: 8080}]}
)"},
    };
}

json object(const Spec& spec, std::string_view kind) {
    json doc = spec_json(spec);
    for (auto& o : doc["objects"])
        if (o["kind"] == kind) return o;
    FAIL("no ", kind, " in spec");
    return {};
}

}  // namespace

TEST_CASE("the first matching customization wins, in the order listed, and others get the default") {
    Fleet fleet = render_ok(web_fleet(R"(
  - name: small
    selector: {matchLabels: {size: small}}
    patches: [overlays/small.yaml]
  - name: eu-small
    selector: {matchLabels: {size: small, region: eu}}
    labels: {zone: eu}
  - name: pinned
    agents: [edge-7]
    images: {nginx: "nginx:1.26"}
)"));
    const Bundle& b = fleet.bundles[0];
    REQUIRE(b.customizations.size() == 3);
    auto spec_name = [&](const Labels& labels, const char* agent) {
        const Spec* s = b.spec_for(labels, agent, fleet.groups);
        REQUIRE(s != nullptr);
        return s->customization;
    };
    CHECK(spec_name({{"size", "small"}, {"region", "eu"}}, "edge-1") == "small");
    CHECK(spec_name({{"size", "small"}}, "edge-7") == "small");
    CHECK(spec_name({}, "edge-7") == "pinned");
    CHECK(spec_name({{"region", "eu"}}, "edge-1") == "");
    CHECK(&b.specs[b.default_spec] == b.spec_for({}, "edge-1", fleet.groups));
}

TEST_CASE("patches, images and labels are applied to the customization's spec only") {
    Fleet fleet = render_ok(web_fleet(R"(
  - name: small
    selector: {matchLabels: {size: small}}
    images: {nginx: "nginx:1.27-alpine", busybox: "mirror/busybox:1.37"}
    patches: [overlays/small.yaml]
    labels: {tier: small, app: small-web}
)"));
    const Bundle& b = fleet.bundles[0];
    REQUIRE(b.specs.size() == 2);
    const Spec& small = b.specs[b.customizations[0].spec];
    json d = object(small, "Deployment");
    CHECK(d["spec"]["replicas"] == 1);
    CHECK(d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27-alpine");
    CHECK(d["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "full");
    CHECK(d["spec"]["template"]["spec"]["initContainers"][0]["image"] == "mirror/busybox:1.37");
    CHECK(d["metadata"]["labels"] == json{{"app", "small-web"}, {"tier", "small"}});
    CHECK(d["metadata"]["namespace"] == "web");
    CHECK(object(small, "Service")["metadata"]["labels"] == json{{"app", "small-web"}, {"tier", "small"}});

    json plain = object(b.specs[b.default_spec], "Deployment");
    CHECK(plain["spec"]["replicas"] == 3);
    CHECK(plain["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25");
    CHECK(plain["metadata"]["labels"] == json{{"app", "web"}});
    CHECK(small.digest != b.specs[b.default_spec].digest);
}

TEST_CASE("a multi-document patch file patches each named object; null deletes and lists are replaced") {
    Fleet fleet = render_ok(web_fleet(R"(
  - name: debug
    agents: [lab-1]
    patches: [overlays/debug.yaml]
)"));
    const Bundle& b = fleet.bundles[0];
    const Spec& debug = b.specs[b.customizations[0].spec];
    json d = object(debug, "Deployment");
    CHECK_FALSE(d["metadata"].value("labels", json::object()).contains("app"));
    json containers = d["spec"]["template"]["spec"]["containers"];
    REQUIRE(containers.size() == 1);
    CHECK(containers[0] == json{{"name", "web"}, {"image", "nginx:1.25-debug"}});
    CHECK(d["spec"]["replicas"] == 3);
    CHECK(object(debug, "Service")["spec"]["ports"][0]["port"] == 8080);
}

TEST_CASE("customizations that render the same bytes share one spec") {
    Fleet fleet = render_ok(web_fleet(R"(
  - name: one
    agents: [a]
    patches: [overlays/small.yaml]
  - name: two
    agents: [b]
    patches: ["./overlays/../overlays/small.yaml"]
  - name: noop
    agents: [c]
    images: {redis: "redis:7"}
)"));
    const Bundle& b = fleet.bundles[0];
    REQUIRE(b.customizations.size() == 3);
    CHECK(b.specs.size() == 2);
    CHECK(b.customizations[0].spec == b.customizations[1].spec);
    CHECK(b.specs[b.customizations[0].spec].customization == "one");
    CHECK(b.customizations[2].spec == b.default_spec);
}

TEST_CASE("customization patches that fail are reported at the patch file") {
    FileMap files = web_fleet(R"(
  - name: broken
    agents: [a]
    patches: [overlays/bad.yaml, overlays/nameless.yaml]
)");
    files["web/overlays/bad.yaml"] = "kind: Deployment\nmetadata: {name: web}\napiVersion: null\n";
    files["web/overlays/nameless.yaml"] = "# comment\nkind: Deployment\nspec: {replicas: 2}\n";
    CHECK(problem_lines(render_fleet(files)) ==
          std::vector<std::string>{
              "web/overlays/bad.yaml:1: after this patch Deployment \"web\" is no longer a valid object: object has no "
              "apiVersion (every object needs apiVersion, kind and metadata.name)",
              "web/overlays/nameless.yaml:2: a patch must be a mapping naming the object it changes with kind and metadata.name",
          });
}

TEST_CASE("a patch file used by several customizations is parsed and reported once") {
    FileMap files = web_fleet(R"(
  - name: one
    agents: [a]
    patches: [overlays/broken.yaml]
  - name: two
    agents: [b]
    patches: [overlays/broken.yaml]
)");
    files["web/overlays/broken.yaml"] = "kind: [\n";
    auto lines = problem_lines(render_fleet(files));
    REQUIRE(lines.size() == 1);
    CHECK(starts_with(lines[0], "web/overlays/broken.yaml:"));
}
