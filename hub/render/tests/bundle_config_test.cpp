#include "hub/render/bundle_config.h"

#include <doctest/doctest.h>

#include "fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;

namespace {

std::vector<std::string> bundle_problems(const std::string& yaml, FileMap extra = {}) {
    extra["app/bundle.yaml"] = yaml;
    extra["app/cm.yaml"] = kConfigMap;
    extra["fleet.yaml"] = "groups: {canary: {matchLabels: {ring: canary}}}\n";
    return problem_lines(render_fleet(extra));
}

BundleConfig config(const std::string& yaml) {
    auto parsed = parse_yaml(yaml);
    REQUIRE(parsed.problems.empty());
    Problems problems;
    auto c = parse_bundle_config("app/bundle.yaml", parsed.docs.empty() ? nullptr : &parsed.docs[0], {"canary"}, problems);
    INFO(problems_text(problems.take()));
    REQUIRE(c.has_value());
    return *c;
}

}  // namespace

TEST_CASE("bundle.yaml fields are read with their defaults") {
    BundleConfig empty = config("");
    CHECK(empty.name == "app");
    CHECK(empty.dir == "app");
    CHECK(empty.ns.empty());
    CHECK(empty.targets.empty());
    CHECK_FALSE(empty.paused);
    CHECK_FALSE(empty.keep_resources);
    CHECK(empty.self_heal);

    BundleConfig full = config(R"(
name: web-app
namespace: web
targets: [{group: canary}, {agents: [a, b]}]
customizations:
  - name: small
    group: canary
    images: {nginx: "nginx:1"}
    patches: [overlays/p.yaml]
    labels: {tier: small}
dependsOn: [infra]
rollout: {maxUnavailable: 10%}
paused: true
keepResources: true
selfHeal: false
)");
    CHECK(full.name == "web-app");
    CHECK(full.ns == "web");
    REQUIRE(full.targets.size() == 2);
    CHECK(full.targets[0].group == "canary");
    CHECK(full.targets[1].agents == std::vector<std::string>{"a", "b"});
    REQUIRE(full.customizations.size() == 1);
    CHECK(full.customizations[0].patches[0].path == "app/overlays/p.yaml");
    CHECK(full.customizations[0].patches[0].origin.line == 9);
    CHECK(full.customizations[0].labels == Labels{{"tier", "small"}});
    REQUIRE(full.depends_on.size() == 1);
    CHECK(full.depends_on[0].bundle == "infra");
    REQUIRE(full.rollout);
    CHECK(full.rollout->max_unavailable == AgentCount{10, true});
    CHECK_FALSE(empty.rollout);
    CHECK(full.paused);
    CHECK(full.keep_resources);
    CHECK_FALSE(full.self_heal);
}

TEST_CASE("a field set to null counts as not set") {
    BundleConfig c = config("name:\nnamespace: ~\ntargets:\ncustomizations: null\nselfHeal:\n");
    CHECK(c.name == "app");
    CHECK(c.ns.empty());
    CHECK(c.self_heal);
}

TEST_CASE("bad bundle.yaml values are refused with file, line and field") {
    CHECK(bundle_problems("name: Web\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: name: \"Web\" is not a valid bundle name (1-63 characters of a-z, 0-9 "
                                   "and '-', starting and ending alphanumeric)"});
    CHECK(bundle_problems("namespace: [web]\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: namespace: must be a namespace, got a list"});
    CHECK(bundle_problems("paused: 1\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: paused: must be true or false, got a number"});
    CHECK(bundle_problems("rollout: fast\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: rollout: must be a mapping (batchSize, canary, failureThreshold, "
                                   "maxUnavailable, offlineGrace, orderBy, progressDeadline), got a string"});
    CHECK(bundle_problems("targets: {selector: {}}\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: targets: must be a list of {selector, group, agents} entries, got a mapping"});
    CHECK(bundle_problems("targets:\n  - {}\n") ==
          std::vector<std::string>{"app/bundle.yaml:2: targets[0]: sets none of selector, group, agents (use selector: {} to "
                                   "match every agent)"});
    CHECK(bundle_problems("targets:\n  - selector: {}\n    agent: [x]\n") ==
          std::vector<std::string>{"app/bundle.yaml:3: targets[0].agent: unknown field (want selector, group, agents)"});
    CHECK(bundle_problems("targets:\n  - agents: [x, '', 3]\n") ==
          std::vector<std::string>{"app/bundle.yaml:2: targets[0].agents[1]: must be a non-empty agent name",
                                   "app/bundle.yaml:2: targets[0].agents[2]: must be a non-empty agent name"});
    CHECK(bundle_problems("dependsOn: [app2, app2]\n", {{"app2/bundle.yaml", ""}}) ==
          std::vector<std::string>{"app/bundle.yaml:1: dependsOn[1]: \"app2\" is listed twice"});
    CHECK(bundle_problems("dependsOn: [app]\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: dependsOn[0]: dependsOn cycle: app -> app"});
    CHECK(bundle_problems("name: x\n---\nname: y\n") ==
          std::vector<std::string>{"app/bundle.yaml:3: bundle.yaml must hold a single YAML document"});
    CHECK(bundle_problems("- name: x\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: bundle.yaml must be a mapping, got a list"});
}

TEST_CASE("bad customizations are refused with their index and field") {
    CHECK(bundle_problems("customizations:\n  - selector: {}\n") ==
          std::vector<std::string>{"app/bundle.yaml:2: customizations[0]: name is required"});
    CHECK(bundle_problems("customizations:\n  - name: a\n") ==
          std::vector<std::string>{"app/bundle.yaml:2: customizations[0]: sets none of selector, group, agents (use "
                                   "selector: {} to match every agent)"});
    CHECK(bundle_problems("customizations:\n  - {name: a, agents: [x]}\n  - {name: a, agents: [y]}\n") ==
          std::vector<std::string>{
              "app/bundle.yaml:3: customizations[1].name: customization \"a\" is already defined by customizations[0]"});
    CHECK(bundle_problems("customizations:\n  - name: a\n    agents: [x]\n    images: {\"nginx:1.25\": \"nginx:1.27\"}\n") ==
          std::vector<std::string>{"app/bundle.yaml:4: customizations[0].images[\"nginx:1.25\"]: key must be an image "
                                   "repository without tag or digest (e.g. nginx), got \"nginx:1.25\""});
    CHECK(bundle_problems("customizations:\n  - name: a\n    agents: [x]\n    images: {nginx: \"\"}\n") ==
          std::vector<std::string>{"app/bundle.yaml:4: customizations[0].images.nginx: must be an image reference such as "
                                   "\"nginx:1.27-alpine\""});
    CHECK(bundle_problems("customizations:\n  - name: a\n    agents: [x]\n    patches: [../other/p.yaml, /etc/passwd]\n") ==
          std::vector<std::string>{
              "app/bundle.yaml:4: customizations[0].patches[0]: \"../other/p.yaml\" must be a relative path inside the "
              "bundle directory",
              "app/bundle.yaml:4: customizations[0].patches[1]: \"/etc/passwd\" must be a relative path inside the bundle "
              "directory"});
    CHECK(bundle_problems("customizations:\n  - name: a\n    agents: [x]\n    labels: {tier: \"not valid!\"}\n") ==
          std::vector<std::string>{"app/bundle.yaml:4: customizations[0].labels.tier: label \"tier\" value \"not valid!\": "
                                   "must be at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric"});
    CHECK(bundle_problems("customizations:\n  - name: a\n    agents: [x]\n    replicas: 2\n") ==
          std::vector<std::string>{"app/bundle.yaml:4: customizations[0].replicas: unknown field (want name, selector, "
                                   "group, agents, images, patches, labels)"});
}

TEST_CASE("a rollout is read with its defaults: no canary, everyone at once, the first failure halts") {
    RolloutPolicy p = *config("rollout: {}\n").rollout;
    CHECK_FALSE(p.canary);
    CHECK(p.soak_ms == 0);
    CHECK_FALSE(p.batch_size);
    CHECK_FALSE(p.max_unavailable);
    CHECK(p.failure_threshold == AgentCount{0, false});
    CHECK(p.progress_deadline_ms == 600'000);
    CHECK(p.offline_grace_ms == 300'000);
    CHECK(p.order_by.empty());

    p = *config(R"(
rollout:
  canary: {group: canary, soak: 15m}
  batchSize: "25%"
  maxUnavailable: 3
  failureThreshold: 10%
  progressDeadline: 2m
  offlineGrace: 30s
  orderBy: topology.kubernetes.io/region
)").rollout;
    REQUIRE(p.canary);
    CHECK(p.canary->group == "canary");
    CHECK(p.soak_ms == 15 * 60'000);
    CHECK(p.batch_size == AgentCount{25, true});
    CHECK(p.max_unavailable == AgentCount{3, false});
    CHECK(p.failure_threshold == AgentCount{10, true});
    CHECK(p.progress_deadline_ms == 120'000);
    CHECK(p.offline_grace_ms == 30'000);
    CHECK(p.order_by == "topology.kubernetes.io/region");
}

TEST_CASE("agent counts resolve against the targeted agents, percentages rounding down to a floor") {
    CHECK(AgentCount{25, true}.of(10) == 2);
    CHECK(AgentCount{25, true}.of(3, 1) == 1);
    CHECK(AgentCount{100, true}.of(7) == 7);
    CHECK(AgentCount{4, false}.of(2) == 4);
    CHECK(AgentCount{0, true}.of(1000) == 0);
    CHECK(AgentCount{10, true}.text() == "10%");
}

TEST_CASE("bad rollout fields are refused at push with file, line and what is wanted") {
    CHECK(bundle_problems("rollout: {batchSize: 0}\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: rollout.batchSize: must be a number of agents (1 or more) or a "
                                   "percentage like \"25%\" (1-1000000), got 0"});
    CHECK(bundle_problems("rollout: {maxUnavailable: 120%}\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: rollout.maxUnavailable: must be a number of agents (1 or more) or "
                                   "a percentage like \"25%\" (1-100%), got \"120%\""});
    CHECK(bundle_problems("rollout: {failureThreshold: -1}\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: rollout.failureThreshold: must be a number of agents (0 or more) "
                                   "or a percentage like \"10%\" (0-1000000), got -1"});
    CHECK(bundle_problems("rollout: {progressDeadline: soon}\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: rollout.progressDeadline: must be a duration from 0s to 30d like "
                                   "\"10m\", got \"soon\""});
    CHECK(bundle_problems("rollout: {progressDeadline: 10ms}\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: rollout.progressDeadline: must be at least 1s"});
    CHECK(bundle_problems("rollout: {offlineGrace: 31d}\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: rollout.offlineGrace: must be a duration from 0s to 30d like "
                                   "\"10m\", got \"31d\""});
    CHECK(bundle_problems("rollout: {orderBy: 'no spaces'}\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: rollout.orderBy: must be a label key like \"region\", got \"no spaces\""});
    CHECK(bundle_problems("rollout: {batchsize: 2}\n") ==
          std::vector<std::string>{"app/bundle.yaml:1: rollout.batchsize: unknown field (want one of batchSize, canary, "
                                   "failureThreshold, maxUnavailable, offlineGrace, orderBy, progressDeadline)"});
    CHECK(bundle_problems("rollout:\n  canary: {soak: 5m}\n") ==
          std::vector<std::string>{"app/bundle.yaml:2: rollout.canary: sets none of selector, group, agents (use "
                                   "selector: {} to match every agent)"});
    CHECK(bundle_problems("rollout:\n  canary: {group: nope, soak: forever, wait: 1}\n") ==
          std::vector<std::string>{
              "app/bundle.yaml:2: rollout.canary.wait: unknown field (want selector, group, agents, soak)",
              "app/bundle.yaml:2: rollout.canary.group: unknown group \"nope\" (fleet.yaml defines canary)",
              "app/bundle.yaml:2: rollout.canary.soak: must be a duration from 0s to 30d like \"10m\", got \"forever\""});
}
