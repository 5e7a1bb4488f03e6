#include <doctest/doctest.h>

#include "tools/kube-testserver/field_schema.h"

using namespace drover::kts;

namespace {

json deployment() {
    return json::parse(R"({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["x"]},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx", "args": ["-g", "daemon off;"],
                                         "ports": [{"containerPort": 80}],
                                         "env": [{"name": "A", "value": "1"}]}]}
            }
        }
    })");
}

}  // namespace

TEST_CASE("a built-in kind's fields: keyed containers, ports keyed with the default protocol, atomic selector") {
    FieldSet set = fields_of(deployment(), FieldSchema(true));
    json expected = json::parse(R"({
        "f:apiVersion": {}, "f:kind": {},
        "f:metadata": {"f:name": {}, "f:labels": {"f:app": {}}, "f:finalizers": {"v:\"x\"": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
                    ".": {}, "f:name": {}, "f:image": {}, "f:args": {},
                    "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}},
                    "f:env": {"k:{\"name\":\"A\"}": {".": {}, "f:name": {}, "f:value": {}}}
                }}}
            }
        }
    })");
    CHECK(set.to_fields_v1() == expected);
}

TEST_CASE("a custom resource's lists are atomic and its maps granular") {
    json widget = json::parse(R"({"spec": {"items": [{"name": "a"}], "selector": {"x": "1"}}})");
    FieldSet set = fields_of(widget, FieldSchema(false));
    CHECK(set.to_fields_v1() == json::parse(R"({"f:spec": {"f:items": {}, "f:selector": {"f:x": {}}}})"));
}

TEST_CASE("a keyed list whose items cannot be told apart is treated as atomic") {
    FieldSchema schema(true);
    json duplicate = json::parse(R"([{"name": "a"}, {"name": "a"}])");
    CHECK(schema.list({"spec", "containers"}, duplicate).shape == ListShape::atomic);
    json keyless = json::parse(R"([{"image": "a"}])");
    CHECK(schema.list({"spec", "containers"}, keyless).shape == ListShape::atomic);
    json good = json::parse(R"([{"name": "a"}, {"name": "b"}])");
    CHECK(schema.list({"spec", "containers"}, good).shape == ListShape::associative);
    CHECK(schema.list({"spec", "ports"}, json::parse(R"([{"port": 80}])")).keys ==
          std::vector<std::string>{"port", "protocol"});
    CHECK(
        fields_of(json::parse(R"({"spec": {"containers": [{"name": "a"}, {"name": "a"}]}})"), schema).to_fields_v1() ==
        json::parse(R"({"f:spec": {"f:containers": {}}})"));
}

TEST_CASE("empty maps own nothing, empty atomic lists are a field, nulls are skipped") {
    FieldSet set = fields_of(json::parse(R"({"data": {}, "spec": {"args": [], "x": null}})"), FieldSchema(true));
    CHECK(set.to_fields_v1() == json::parse(R"({"f:spec": {"f:args": {}}})"));
}
