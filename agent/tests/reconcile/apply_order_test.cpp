#include <doctest/doctest.h>

#include "agent/reconcile/apply_order.h"
#include "agent/reconcile/spec.h"

using namespace drover::reconcile;
using Order = std::vector<std::string>;

TEST_CASE("apply order puts dependencies first and otherwise sorts by name") {
    CHECK(apply_order({{"web", {"infra"}}, {"infra", {}}, {"alpha", {}}}) == Order{"alpha", "infra", "web"});
    CHECK(apply_order({{"c", {"b"}}, {"b", {"a"}}, {"a", {}}}) == Order{"a", "b", "c"});
    CHECK(apply_order({{"z", {}}, {"m", {"z"}}, {"a", {"m", "z"}}}) == Order{"z", "m", "a"});
}

TEST_CASE("apply order ignores dependencies outside the set and self-references") {
    CHECK(apply_order({{"web", {"missing"}}, {"app", {"app"}}}) == Order{"app", "web"});
}

TEST_CASE("bundles in a dependency cycle come last, by name") {
    CHECK(apply_order({{"x", {"y"}}, {"y", {"x"}}, {"b", {}}, {"a", {"b"}}}) == Order{"b", "a", "x", "y"});
}

TEST_CASE("a spec is parsed with its objects and policy") {
    auto spec = parse_spec(R"({"bundle":"web","namespace":"web","objects":[
        {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web"}}],
        "policy":{"dependsOn":["infra"],"keepResources":true,"selfHeal":false}})");
    REQUIRE(spec);
    CHECK(spec->bundle == "web");
    CHECK(spec->ns == "web");
    CHECK(spec->objects.size() == 1);
    CHECK(spec->policy.depends_on == Order{"infra"});
    CHECK(spec->policy.keep_resources);
    CHECK_FALSE(spec->policy.self_heal);
}

TEST_CASE("a spec without policy gets the defaults: no dependencies, prune on removal, self-heal") {
    auto spec = parse_spec(R"({"bundle":"web","objects":[]})");
    REQUIRE(spec);
    CHECK(spec->policy.depends_on.empty());
    CHECK_FALSE(spec->policy.keep_resources);
    CHECK(spec->policy.self_heal);
}

TEST_CASE("malformed specs are refused with the reason") {
    CHECK(parse_spec("not json").error().message == "spec is not valid JSON");
    CHECK(parse_spec("[]").error().message == "spec is not a JSON object");
    CHECK(parse_spec(R"({"objects":[]})").error().message == "spec has no bundle name");
    CHECK(parse_spec(R"({"bundle":"w"})").error().message == "spec has no objects array");
    CHECK(parse_spec(R"({"bundle":"w","objects":[],"policy":{"selfHeal":"yes"}})").error().message ==
          "spec policy.selfHeal is not a boolean");
    CHECK(parse_spec(R"({"bundle":"w","objects":[],"policy":{"dependsOn":[1]}})").error().message ==
          "spec policy.dependsOn holds something that is not a bundle name");
    CHECK(parse_spec(R"({"bundle":"w","objects":[{"apiVersion":"v1","kind":"X","metadata":{}}]})").error().message ==
          "spec objects[0]: X has no metadata.name");
}
