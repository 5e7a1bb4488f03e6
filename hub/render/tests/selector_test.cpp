#include "hub/render/selector.h"

#include <doctest/doctest.h>

#include "fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;

namespace {

Selector selector(std::string_view yaml) {
    auto parsed = parse_yaml(yaml);
    REQUIRE(parsed.problems.empty());
    REQUIRE(parsed.docs.size() == 1);
    Problems problems;
    auto sel = parse_selector(Where(parsed.docs[0]), problems);
    INFO(problems_text(problems.take()));
    REQUIRE(sel.has_value());
    return *sel;
}

std::string selector_problems(std::string_view yaml) {
    auto parsed = parse_yaml(yaml);
    REQUIRE(parsed.docs.size() == 1);
    Problems problems;
    auto sel = parse_selector(Where(parsed.docs[0]), problems);
    CHECK_FALSE(sel.has_value());
    return problems_text(problems.take());
}

}  // namespace

TEST_CASE("the empty selector matches every agent, with or without labels") {
    Selector s = selector("{}");
    CHECK(s.empty());
    CHECK(s.matches({}));
    CHECK(s.matches({{"role", "gateway"}}));
}

TEST_CASE("matchLabels needs every label present with the same value") {
    Selector s = selector("matchLabels: {role: gateway, size: small}");
    CHECK(s.matches({{"role", "gateway"}, {"size", "small"}, {"extra", "x"}}));
    CHECK_FALSE(s.matches({{"role", "gateway"}}));
    CHECK_FALSE(s.matches({{"role", "gateway"}, {"size", "big"}}));
    CHECK_FALSE(s.matches({}));
}

TEST_CASE("In matches only agents that have the key with a listed value") {
    Selector s = selector("matchExpressions: [{key: region, operator: In, values: [eu-west, eu-north]}]");
    CHECK(s.matches({{"region", "eu-west"}}));
    CHECK(s.matches({{"region", "eu-north"}}));
    CHECK_FALSE(s.matches({{"region", "us-east"}}));
    CHECK_FALSE(s.matches({}));
}

TEST_CASE("NotIn matches agents without the key and agents with an unlisted value") {
    Selector s = selector("matchExpressions: [{key: region, operator: NotIn, values: [eu-west]}]");
    CHECK(s.matches({}));
    CHECK(s.matches({{"region", "us-east"}}));
    CHECK_FALSE(s.matches({{"region", "eu-west"}}));
}

TEST_CASE("Exists and DoesNotExist look only at the key") {
    Selector exists = selector("matchExpressions: [{key: gpu, operator: Exists}]");
    CHECK(exists.matches({{"gpu", ""}}));
    CHECK(exists.matches({{"gpu", "a100"}}));
    CHECK_FALSE(exists.matches({{"cpu", "x"}}));
    Selector absent = selector("matchExpressions: [{key: gpu, operator: DoesNotExist, values: []}]");
    CHECK(absent.matches({}));
    CHECK_FALSE(absent.matches({{"gpu", ""}}));
}

TEST_CASE("matchLabels and every expression must all hold") {
    Selector s = selector(R"(
matchLabels: {role: gateway}
matchExpressions:
  - {key: region, operator: In, values: [eu-west]}
  - {key: decommissioned, operator: DoesNotExist}
)");
    CHECK(s.matches({{"role", "gateway"}, {"region", "eu-west"}}));
    CHECK_FALSE(s.matches({{"role", "gateway"}, {"region", "eu-west"}, {"decommissioned", "true"}}));
    CHECK_FALSE(s.matches({{"role", "db"}, {"region", "eu-west"}}));
    CHECK_FALSE(s.matches({{"role", "gateway"}}));
}

TEST_CASE("selector problems name the field, the line and what is accepted") {
    CHECK(selector_problems("matchExpressions:\n  - {key: a, operator: Inn, values: [x]}\n") ==
          "t.yaml:2: matchExpressions[0].operator: unknown operator \"Inn\" (want In, NotIn, Exists, DoesNotExist)\n");
    CHECK(selector_problems("matchExpressions: [{key: a, operator: In}]") ==
          "t.yaml:1: matchExpressions[0]: operator In needs at least one value\n");
    CHECK(selector_problems("matchExpressions: [{key: a, operator: Exists, values: [x]}]") ==
          "t.yaml:1: matchExpressions[0].values: operator Exists takes no values\n");
    CHECK(selector_problems("matchExpressions: [{operator: Exists}]") ==
          "t.yaml:1: matchExpressions[0]: key is required\n");
    CHECK(selector_problems("matchLabels: {ring: 1}") ==
          "t.yaml:1: matchLabels.ring: must be a string, got a number 1 (quote it: \"1\")\n");
    CHECK(selector_problems("matchLabels: {\"bad key!\": x}") ==
          "t.yaml:1: matchLabels[\"bad key!\"]: label key \"bad key!\": must be 1-63 characters of [A-Za-z0-9-_.], "
          "starting and ending alphanumeric\n");
    CHECK(selector_problems("matchLabel: {a: b}") ==
          "t.yaml:1: matchLabel: unknown field (want matchLabels, matchExpressions)\n");
    CHECK(selector_problems("[a]") == "t.yaml:1: must be a label selector mapping ({} matches everything), got a list\n");
}
