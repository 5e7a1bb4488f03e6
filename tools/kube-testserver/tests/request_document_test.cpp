#include <doctest/doctest.h>

#include <cmath>

#include "tools/kube-testserver/request_document.h"

using namespace drover::kts;

TEST_CASE("YAML scalars resolve as kube-apiserver's YAML 1.1 decoder resolves them") {
    auto doc = parse_yaml_document(R"(
a: yes
b: off
c: "yes"
d: 0x1F
e: 0755
f: 1_000
g: 1.5e3
h: ~
i: '12'
j: 1.20
k: -7
l: v1
m: 18446744073709551615
)");
    REQUIRE(doc);
    const json& d = *doc;
    CHECK(d["a"] == true);
    CHECK(d["b"] == false);
    CHECK(d["c"] == "yes");
    CHECK(d["d"] == 31);
    CHECK(d["e"] == 493);
    CHECK(d["f"] == 1000);
    CHECK(d["g"] == 1500.0);
    CHECK(d["h"].is_null());
    CHECK(d["i"] == "12");
    CHECK(d["j"] == 1.2);
    CHECK(d["k"] == -7);
    CHECK(d["l"] == "v1");
    CHECK(d["m"].is_number_unsigned());
}

TEST_CASE("JSON bodies are read exactly; flow-style YAML still works") {
    auto j = parse_yaml_document(R"({"a": "1", "b": [1, 2.5, true, null]})");
    REQUIRE(j);
    CHECK(*j == json::parse(R"({"a": "1", "b": [1, 2.5, true, null]})"));
    auto flow = parse_yaml_document("{a: b, c: [d]}");
    REQUIRE(flow);
    CHECK(*flow == json::parse(R"({"a": "b", "c": ["d"]})"));
}

TEST_CASE("bad documents are errors: several documents, broken syntax, deep nesting") {
    CHECK_FALSE(parse_yaml_document("a: 1\n---\nb: 2\n"));
    CHECK_FALSE(parse_yaml_document("a: [b"));
    CHECK_FALSE(parse_yaml_document("? [a]\n: b\n"));  // a sequence as a key
    CHECK_FALSE(parse_yaml_document(std::string(1000, '[')));
    CHECK_FALSE(parse_json_document(std::string(300, '[') + std::string(300, ']')));
    CHECK_FALSE(parse_json_document("{\"a\": }"));
    std::string indented;
    for (int i = 0; i < 300; ++i) indented += std::string(static_cast<size_t>(i), ' ') + "k:\n";
    CHECK_FALSE(parse_yaml_document(indented));
}

TEST_CASE("nesting depth and null stripping") {
    CHECK(nesting_depth(json(1)) == 0);
    CHECK(nesting_depth(json::parse(R"({"a": [{"b": {}}]})")) == 4);
    CHECK(without_nulls(json::parse(R"({"a": null, "b": {"c": null, "d": 1}, "e": [null]})")) ==
          json::parse(R"({"b": {"d": 1}, "e": [null]})"));
}
