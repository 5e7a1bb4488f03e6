#include "hub/render/yaml_json.h"

#include <doctest/doctest.h>

#include "fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;
using nlohmann::json;

namespace {

json value_of(std::string_view yaml) {
    auto parsed = parse_yaml(yaml);
    INFO(problems_text(parsed.problems));
    REQUIRE(parsed.problems.empty());
    REQUIRE(parsed.docs.size() == 1);
    return parsed.docs[0].value;
}

std::string refusal(std::string_view yaml, const ParseOptions& options = {}) {
    auto parsed = parse_yaml(yaml, options);
    CHECK(parsed.docs.empty());
    return problems_text(parsed.problems);
}

}  // namespace

TEST_CASE("plain scalars are typed by the YAML 1.2 core schema") {
    json v = value_of(R"(
null_word: null
tilde: ~
empty:
yes_word: yes
on_word: on
true_word: true
False_word: False
int: 42
neg: -7
plus: +3
octal: 0o17
hex: 0xff
float: 1.5
exp: 1e3
dot: .5
version: 1.2.3
text: hello world
leading_zero: "007"
port_like: 8080/tcp
)");
    CHECK(v["null_word"].is_null());
    CHECK(v["tilde"].is_null());
    CHECK(v["empty"].is_null());
    CHECK(v["yes_word"] == "yes");
    CHECK(v["on_word"] == "on");
    CHECK(v["true_word"] == true);
    CHECK(v["False_word"] == false);
    CHECK(v["int"] == 42);
    CHECK(v["neg"] == -7);
    CHECK(v["plus"] == 3);
    CHECK(v["octal"] == 15);
    CHECK(v["hex"] == 255);
    CHECK(v["float"] == 1.5);
    CHECK(v["exp"] == 1000.0);
    CHECK(v["dot"] == 0.5);
    CHECK(v["version"] == "1.2.3");
    CHECK(v["text"] == "hello world");
    CHECK(v["leading_zero"] == "007");
    CHECK(v["port_like"] == "8080/tcp");
}

TEST_CASE("quoted and block scalars stay strings") {
    json v = value_of("a: \"3\"\nb: 'true'\nc: \"null\"\nd: |\n  42\ne: >-\n  false\n");
    CHECK(v["a"] == "3");
    CHECK(v["b"] == "true");
    CHECK(v["c"] == "null");
    CHECK(v["d"] == "42\n");
    CHECK(v["e"] == "false");
}

TEST_CASE("standard tags convert and other tags are refused") {
    json v = value_of("a: !!str 3\nb: !!int \"7\"\nc: !!float 2\nd: !!bool true\ne: !!null ''\nf: !!map {x: 1}\ng: !!seq [1]\n");
    CHECK(v["a"] == "3");
    CHECK(v["b"] == 7);
    CHECK(v["c"].is_number_float());
    CHECK(v["c"] == 2.0);
    CHECK(v["d"] == true);
    CHECK(v["e"].is_null());
    CHECK(v["f"] == json{{"x", 1}});
    CHECK(v["g"] == json::array({1}));
    CHECK(refusal("a: !custom x\n") == "t.yaml:1: unsupported tag \"!custom\"\n");
    CHECK(refusal("a: !!int abc\n") == "t.yaml:1: \"abc\" is not a valid !!int\n");
    CHECK(refusal("a: !!binary aGk=\n") == "t.yaml:1: unsupported tag !!binary\n");
}

TEST_CASE("values JSON cannot hold are refused with their line") {
    CHECK(refusal("a: 1\nb: .inf\n") == "t.yaml:2: \".inf\" has no JSON representation\n");
    CHECK(refusal("a: .NaN\n") == "t.yaml:1: \".NaN\" has no JSON representation\n");
    CHECK(refusal("a: 99999999999999999999\n") == "t.yaml:1: integer 99999999999999999999 is out of the 64-bit range\n");
    CHECK(refusal("a: 1e999\n") == "t.yaml:1: number 1e999 is out of range\n");
    CHECK(value_of("a: 18446744073709551615\n")["a"] == 18446744073709551615ull);
    CHECK(value_of("a: -9223372036854775808\n")["a"] == INT64_MIN);
}

TEST_CASE("duplicate keys, merge keys and non-scalar keys are refused") {
    CHECK(refusal("a: 1\nb: 2\na: 3\n") == "t.yaml:3: mapping key \"a\" appears twice\n");
    CHECK(refusal("base: &b {x: 1}\nother:\n  <<: *b\n") == "t.yaml:3: merge keys (<<) are not supported\n");
    CHECK(refusal("? [a, b]\n: c\n") == "t.yaml:1: mapping keys must be scalars\n");
    CHECK(refusal("{~: x}\n") == "t.yaml:1: a mapping key must not be null\n");
    // A quoted "<<" is an ordinary key.
    CHECK(value_of("\"<<\": 1\n")["<<"] == 1);
}

TEST_CASE("aliases are expanded; an alias inside its own anchor is refused") {
    json v = value_of("env: &env [{name: A, value: \"1\"}]\nfirst: *env\nsecond: *env\n");
    CHECK(v["first"] == v["env"]);
    CHECK(v["second"][0]["value"] == "1");
    CHECK(refusal("a: &x [1, *x]\n") == "t.yaml:1: alias refers to a node that contains it\n");
}

TEST_CASE("an alias bomb is stopped by the expanded-size limit") {
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; ++c, ++prev) {
        bomb += cat(c, ": &", c, " [");
        for (int i = 0; i < 10; ++i) bomb += cat(i ? ", " : "", "*", prev);
        bomb += "]\n";
    }
    ParseOptions options;
    options.max_expanded_bytes = 1 << 20;
    auto text = refusal(bomb, options);
    CHECK(text.find("document is larger than 1048576 bytes once aliases are expanded") != std::string::npos);
}

TEST_CASE("nesting deeper than the limit is refused, in YAML and JSON") {
    ParseOptions options;
    options.max_depth = 8;
    CHECK(refusal("a: [[[[[[[[1]]]]]]]]\n", options) == "t.yaml:1: nested deeper than 8 levels\n");
    CHECK(parse_yaml("a: [[[[[[1]]]]]]\n", options).problems.empty());
    Problems problems;
    CHECK_FALSE(parse_json_document("x.json", "{\"a\":[[[[[[[[1]]]]]]]]}", options, problems).has_value());
    CHECK(problems_text(problems.take()) == "x.json:1: nested deeper than 8 levels\n");
}

TEST_CASE("text must be valid UTF-8") {
    CHECK(valid_utf8("plain ascii"));
    CHECK(valid_utf8("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x9a\x80"));
    CHECK_FALSE(valid_utf8("\xc3"));              // truncated
    CHECK_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
    CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    CHECK(refusal("a: \"\xff\"\n") == "t.yaml:1: text is not valid UTF-8\n");
}

TEST_CASE("a stream yields its non-empty documents and each document its first line") {
    auto parsed = parse_yaml("# header\n---\n---\na: 1\n---\n# only a comment\n---\n\n- x\n- y\n...\n");
    REQUIRE(parsed.problems.empty());
    REQUIRE(parsed.docs.size() == 2);
    CHECK(parsed.docs[0].value == json{{"a", 1}});
    CHECK(parsed.docs[0].line == 4);
    CHECK(parsed.docs[1].value == json::array({"x", "y"}));
    CHECK(parsed.docs[1].line == 9);
}

TEST_CASE("a bad document is left out and the others are kept") {
    auto parsed = parse_yaml("a: 1\n---\nb: 1\nb: 2\n---\nc: 1\n");
    CHECK(problems_text(parsed.problems) == "t.yaml:4: mapping key \"b\" appears twice\n");
    REQUIRE(parsed.docs.size() == 2);
    CHECK(parsed.docs[1].value == json{{"c", 1}});
}

TEST_CASE("lines are recorded per node, mapping values at their key's line") {
    auto parsed = parse_yaml("targets:\n  - selector:\n      matchLabels:\n        role: gateway\n  - group: eu\n");
    REQUIRE(parsed.docs.size() == 1);
    const SourceDoc& doc = parsed.docs[0];
    CHECK(doc.line_at("/targets") == 1);
    CHECK(doc.line_at("/targets/0") == 2);
    CHECK(doc.line_at("/targets/0/selector") == 2);
    CHECK(doc.line_at("/targets/0/selector/matchLabels/role") == 4);
    CHECK(doc.line_at("/targets/1/group") == 5);
    CHECK(doc.line_at("/targets/1/nothing/here") == 5);

    ParseOptions shallow;
    shallow.line_depth = 1;
    auto coarse = parse_yaml("a:\n  b:\n    c: 1\n", shallow);
    CHECK(coarse.docs[0].line_at("/a/b/c") == 1);
}

TEST_CASE("YAML syntax errors carry the line yaml-cpp reports") {
    auto parsed = parse_yaml("a: 1\nb: [1, 2\nc: 3\n");
    CHECK(parsed.docs.empty());
    CHECK(problems_text(parsed.problems) == "t.yaml:3: YAML syntax error: end of sequence flow not found\n");
}

TEST_CASE("JSON documents parse with the line of any syntax error") {
    Problems problems;
    ParseOptions options;
    auto doc = parse_json_document("a.json", "\n\n {\"a\": [1, 2.5, \"x\", null, true]}", options, problems);
    REQUIRE(doc.has_value());
    CHECK(doc->line == 3);
    CHECK(doc->value["a"][1] == 2.5);
    CHECK_FALSE(parse_json_document("b.json", "  \n", options, problems).has_value());
    CHECK(problems.empty());
    CHECK_FALSE(parse_json_document("c.json", "{\n  \"a\": 1,\n  \"b\": tru\n}", options, problems).has_value());
    auto text = problems_text(problems.take());
    CHECK(starts_with(text, "c.json:3: JSON syntax error: syntax error while parsing value - invalid literal"));
}
