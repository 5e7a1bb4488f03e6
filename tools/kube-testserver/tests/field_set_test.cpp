#include <doctest/doctest.h>

#include "tools/kube-testserver/field_set.h"

using namespace drover::kts;

TEST_CASE("fieldsV1 marks a member that also has members below it with a dot entry") {
    FieldSet set;
    set.insert({"f:data", "f:a"});
    set.insert({"f:spec", "f:containers", R"(k:{"name":"nginx"})"});
    set.insert({"f:spec", "f:containers", R"(k:{"name":"nginx"})", "f:image"});
    json expected = json::parse(R"({
        "f:data": {"f:a": {}},
        "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}}}}
    })");
    CHECK(set.to_fields_v1() == expected);
    auto parsed = FieldSet::from_fields_v1(expected);
    REQUIRE(parsed);
    CHECK(*parsed == set);
    CHECK(parsed->contains({"f:spec", "f:containers", R"(k:{"name":"nginx"})"}));
    CHECK_FALSE(parsed->contains({"f:spec", "f:containers"}));
    CHECK(parsed->touches({"f:spec", "f:containers"}));
}

TEST_CASE("fieldsV1 that is not a field set is refused, naming the element") {
    for (const char* bad : {R"({"data": {}})", R"({"f:a": 1})", R"({"k:notjson": {}})", R"({".": {"x": {}}})", R"([])",
                            R"({"k:[1]": {}})"}) {
        auto parsed = FieldSet::from_fields_v1(json::parse(bad));
        CHECK_MESSAGE(!parsed, bad);
    }
    auto named = FieldSet::from_fields_v1(json::parse(R"({"f:data": {"bogus": {}}})"));
    REQUIRE_FALSE(named);
    CHECK(named.error().message.find("\"bogus\"") != std::string::npos);
}

TEST_CASE("subtracting and intersecting sets works member by member") {
    FieldSet a, b;
    a.insert({"f:data", "f:a"});
    a.insert({"f:data", "f:b"});
    a.insert({"f:metadata", "f:labels", "f:x"});
    b.insert({"f:data", "f:b"});
    b.insert({"f:data", "f:c"});

    FieldSet both = a.intersection(b);
    CHECK(both.members() == std::vector<FieldPath>{{"f:data", "f:b"}});

    FieldSet rest = a;
    rest.subtract(b);
    CHECK(rest.members() == std::vector<FieldPath>{{"f:data", "f:a"}, {"f:metadata", "f:labels", "f:x"}});

    rest.subtract(a);
    CHECK(rest.empty());
    CHECK(rest.to_fields_v1() == json::object());
}

TEST_CASE("a subtree is removed whole, with parents it leaves empty") {
    FieldSet set;
    set.insert({"f:status", "f:phase"});
    set.insert({"f:status", "f:conditions", R"(k:{"type":"Ready"})"});
    set.insert({"f:data", "f:a"});
    set.remove_subtree({"f:status"});
    CHECK(set.members() == std::vector<FieldPath>{{"f:data", "f:a"}});
    set.remove_subtree({"f:data", "f:a"});
    CHECK(set.empty());
}

TEST_CASE("paths print as Kubernetes prints them in conflict messages") {
    CHECK(path_string({"f:data", "f:a"}) == ".data.a");
    CHECK(path_string({"f:spec", "f:template", "f:spec", "f:containers", R"(k:{"name":"nginx"})", "f:image"}) ==
          R"(.spec.template.spec.containers[name="nginx"].image)");
    CHECK(path_string({"f:spec", "f:ports", R"(k:{"port":80,"protocol":"TCP"})"}) ==
          R"(.spec.ports[port=80,protocol="TCP"])");
    CHECK(path_string({"f:metadata", "f:finalizers", R"(v:"a/b")"}) == R"(.metadata.finalizers[="a/b"])");
    CHECK(path_string({"f:spec", "f:args", "i:2"}) == ".spec.args[2]");
}

TEST_CASE("values are found by field, by item key (with defaulted key fields) and by set value") {
    json object = json::parse(R"({
        "spec": {"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 80}]},
                                {"name": "b", "image": "y"}]},
        "metadata": {"finalizers": ["one", "two"]}
    })");
    const json& o = object;
    REQUIRE(value_at(o, {"f:spec", "f:containers", R"(k:{"name":"b"})", "f:image"}) != nullptr);
    CHECK(*value_at(o, {"f:spec", "f:containers", R"(k:{"name":"b"})", "f:image"}) == "y");
    const json* port = value_at(
        o, {"f:spec", "f:containers", R"(k:{"name":"a"})", "f:ports", R"(k:{"containerPort":80,"protocol":"TCP"})"});
    REQUIRE(port != nullptr);
    CHECK((*port)["containerPort"] == 80);
    CHECK(value_at(o, {"f:spec", "f:containers", R"(k:{"name":"c"})"}) == nullptr);
    CHECK(value_at(o, {"f:metadata", "f:finalizers", R"(v:"two")"}) != nullptr);
    CHECK(value_at(o, {"f:metadata", "f:finalizers", R"(v:"three")"}) == nullptr);
    CHECK(value_at(o, {"f:spec", "f:containers", "f:name"}) == nullptr);  // a list has no fields
}

TEST_CASE("removing a value drops the maps it leaves empty but keeps lists and items") {
    json object = json::parse(R"({"metadata": {"name": "x", "labels": {"a": "1"}},
                                  "spec": {"containers": [{"name": "a", "env": [{"name": "E", "value": "1"}]}]}})");
    CHECK(remove_at(object, {"f:metadata", "f:labels", "f:a"}));
    CHECK(object["metadata"] == json::parse(R"({"name": "x"})"));
    CHECK(remove_at(object, {"f:spec", "f:containers", R"(k:{"name":"a"})", "f:env", R"(k:{"name":"E"})"}));
    CHECK(object["spec"]["containers"][0]["env"] == json::array());
    CHECK_FALSE(remove_at(object, {"f:spec", "f:missing"}));
    CHECK_FALSE(remove_at(object, {}));
}
