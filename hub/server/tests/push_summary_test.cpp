#include "hub/server/push_summary.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/text.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;

namespace {

using Lines = std::vector<std::string>;

const SigningKey& key() {
    static const SigningKey k = *SigningKey::from_pem(generate_p256_key_pem());
    return k;
}

// A bundle of one ConfigMap; `extra` goes into bundle.yaml after targets.
void add_bundle(render::FileMap& files, const std::string& name, const std::string& targets,
                const std::string& data = "a: '1'", const std::string& extra = "") {
    files[name + "/bundle.yaml"] = cat("namespace: ", name, "\ntargets: ", targets, "\n", extra);
    files[name + "/cm.yaml"] = cat("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ", name, "}\ndata: {", data, "}\n");
}

std::shared_ptr<const Deployment> deployment(const render::FileMap& files, const std::string& commit) {
    auto d = build_deployment(commit, files, key());
    REQUIRE_MESSAGE(d.has_value(), (d ? std::string() : d.error().front().to_string()));
    return *d;
}

const std::string kGateways = "[{selector: {matchLabels: {role: gw}}}]";
std::string small_labels(const std::string& tier) {
    return cat("customizations:\n  - name: small\n    selector: {matchLabels: {size: small}}\n    labels: {tier: ", tier,
               "}\n");
}

const std::vector<AgentTarget> kAgents = {
    {"a1", {{"role", "gw"}, {"size", "small"}}},
    {"a2", {{"role", "gw"}, {"size", "small"}}},
    {"a3", {{"role", "gw"}}},
    {"other", {{"role", "db"}}},
};

}  // namespace

TEST_CASE("the first push lists every bundle as new with the agents it reaches") {
    render::FileMap files;
    add_bundle(files, "web", kGateways);
    add_bundle(files, "lonely", "[{agents: [a3]}]");
    add_bundle(files, "nobody", "[]");
    auto next = deployment(files, "c1");
    CHECK(push_summary(nullptr, *next, kAgents) == Lines{
                                                       "lonely: new bundle, 1 agent to update, 0 unchanged",
                                                       "nobody: new bundle, 0 agents to update, 0 unchanged",
                                                       "web: new bundle, 3 agents to update, 0 unchanged",
                                                   });
}

TEST_CASE("a push names what changes per bundle: new, updated, no longer targeted, removed, unchanged") {
    render::FileMap before, after;
    add_bundle(before, "web", kGateways, "a: '1'", small_labels("small"));
    add_bundle(after, "web", kGateways, "a: '1'", small_labels("tiny"));  // only the small agents' spec changes
    add_bundle(before, "same", kGateways);
    add_bundle(after, "same", kGateways);
    add_bundle(before, "old", "[{agents: [a3]}]");
    add_bundle(after, "fresh", kGateways);
    add_bundle(before, "narrow", kGateways);
    add_bundle(after, "narrow", "[{selector: {matchLabels: {size: small}}}]");
    auto current = deployment(before, "c1");
    auto next = deployment(after, "c2");

    CHECK(push_summary(current.get(), *next, kAgents) == Lines{
                                                              "fresh: new bundle, 3 agents to update, 0 unchanged",
                                                              "narrow: 0 agents to update, 2 unchanged, 1 no longer targeted",
                                                              "web: 2 agents to update, 1 unchanged",
                                                              "old: removed, 1 agent to clean up",
                                                              "1 bundle unchanged",
                                                          });
}

TEST_CASE("a push that changes nothing for anyone only counts the unchanged bundles") {
    render::FileMap files;
    add_bundle(files, "web", kGateways);
    add_bundle(files, "db", "[{selector: {matchLabels: {role: db}}}]");
    auto current = deployment(files, "c1");
    auto next = deployment(files, "c2");  // a new commit with the same content
    CHECK(push_summary(current.get(), *next, kAgents) == Lines{"2 bundles unchanged"});
}

TEST_CASE("a changed bundle that targets no registered agent counts as unchanged") {
    render::FileMap before, after;
    add_bundle(before, "web", "[{selector: {matchLabels: {role: edge}}}]", "a: '1'");
    add_bundle(after, "web", "[{selector: {matchLabels: {role: edge}}}]", "a: '2'");
    CHECK(push_summary(deployment(before, "c1").get(), *deployment(after, "c2"), kAgents) == Lines{"1 bundle unchanged"});
}

TEST_CASE("a changed spec is an update for every agent it reaches") {
    render::FileMap before, after;
    add_bundle(before, "web", kGateways, "a: '1'");
    add_bundle(after, "web", kGateways, "a: '2'");
    CHECK(push_summary(deployment(before, "c1").get(), *deployment(after, "c2"), kAgents) ==
          Lines{"web: 3 agents to update, 0 unchanged"});
}

TEST_CASE("without agents a push still lists its new and removed bundles") {
    render::FileMap before, after;
    add_bundle(before, "old", kGateways);
    add_bundle(after, "new", kGateways);
    CHECK(push_summary(deployment(before, "c1").get(), *deployment(after, "c2"), {}) ==
          Lines{"new: new bundle, 0 agents to update, 0 unchanged", "old: removed, 0 agents to clean up"});
}

TEST_CASE("bundle lines beyond max_lines are counted in one line") {
    render::FileMap before, after;
    for (int i = 0; i < 3; ++i) add_bundle(before, cat("gone", i), kGateways);
    for (int i = 0; i < 4; ++i) add_bundle(after, cat("b", i), kGateways);
    add_bundle(before, "same", kGateways);
    add_bundle(after, "same", kGateways);
    auto lines = push_summary(deployment(before, "c1").get(), *deployment(after, "c2"), kAgents, 2);
    CHECK(lines == Lines{
                       "b0: new bundle, 3 agents to update, 0 unchanged",
                       "b1: new bundle, 3 agents to update, 0 unchanged",
                       "... and 5 more bundles changed",
                       "1 bundle unchanged",
                   });
}

TEST_CASE("a push says when a bundle's agents get the revision by its rollout, not at once") {
    render::FileMap before, after;
    for (auto* f : {&before, &after}) add_bundle(*f, "plain", kGateways, f == &before ? "a: '1'" : "a: '2'");
    add_bundle(before, "canary", kGateways);
    add_bundle(after, "canary", kGateways, "a: '2'",
               "rollout: {canary: {selector: {matchLabels: {size: small}}}}\n");
    add_bundle(after, "batched", kGateways, "a: '1'", "rollout: {batchSize: 25%}\n");
    add_bundle(before, "held", kGateways);
    add_bundle(after, "held", kGateways, "a: '2'", "paused: true\n");
    CHECK(push_summary(deployment(before, "c1").get(), *deployment(after, "c2"), kAgents) ==
          Lines{
              "batched: new bundle, 3 agents to update (rollout: batches of 25%), 0 unchanged",
              "canary: 3 agents to update (rollout: canary first), 0 unchanged",
              "held: 3 agents to update (paused: until droverctl rollout resume), 0 unchanged",
              "plain: 3 agents to update, 0 unchanged",
          });
}
