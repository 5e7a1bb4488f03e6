#include "hub/render/canonical.h"

#include <doctest/doctest.h>

#include "common/crypto.h"
#include "fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;
using nlohmann::json;

namespace {

json object(const char* api, const char* kind, const char* name, const char* ns = nullptr) {
    json o = {{"apiVersion", api}, {"kind", kind}, {"metadata", {{"name", name}}}};
    if (ns) o["metadata"]["namespace"] = ns;
    return o;
}

std::vector<std::string> kinds_and_names(const std::vector<json>& objects) {
    std::vector<std::string> out;
    for (auto& o : objects) {
        std::string ns = o["metadata"].value("namespace", "");
        out.push_back(cat(o["kind"].get<std::string>(), " ", ns.empty() ? "" : ns + "/", o["metadata"]["name"].get<std::string>()));
    }
    return out;
}

}  // namespace

TEST_CASE("objects sort into apply order: namespaces and CRDs first, custom resources last") {
    std::vector<json> objects = {
        object("example.com/v1", "Widget", "w", "b"),
        object("apps/v1", "Deployment", "web", "b"),
        object("v1", "Service", "web", "b"),
        object("example.com/v1", "Gadget", "g", "a"),
        object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com"),
        object("v1", "ConfigMap", "z", "a"),
        object("v1", "ConfigMap", "a", "b"),
        object("v1", "ConfigMap", "b", "a"),
        object("v1", "Namespace", "b"),
        object("v1", "Namespace", "a"),
        object("helm.cattle.io/v1", "HelmChart", "traefik", "kube-system"),
        object("v1", "ServiceAccount", "runner", "a"),
    };
    sort_for_apply(objects);
    CHECK(kinds_and_names(objects) == std::vector<std::string>{
                                          "Namespace a",
                                          "Namespace b",
                                          "CustomResourceDefinition widgets.example.com",
                                          "ServiceAccount a/runner",
                                          "ConfigMap a/b",
                                          "ConfigMap a/z",
                                          "ConfigMap b/a",
                                          "Service b/web",
                                          "Deployment b/web",
                                          "HelmChart kube-system/traefik",
                                          "Gadget a/g",
                                          "Widget b/w",
                                      });
}

TEST_CASE("the same name in two API versions is ordered by apiVersion") {
    std::vector<json> objects = {object("b.example.com/v1", "Thing", "x", "n"), object("a.example.com/v1", "Thing", "x", "n")};
    sort_for_apply(objects);
    CHECK(objects[0]["apiVersion"] == "a.example.com/v1");
}

TEST_CASE("a spec is compact JSON with sorted keys, and its digest is SHA-256 of exactly those bytes") {
    json cm = json::parse(R"({"metadata": {"name": "s", "namespace": "web"}, "kind": "ConfigMap", "data": {"b": "2", "a": "1"}, "apiVersion": "v1"})");
    Policy policy;
    policy.depends_on = {"zeta", "alpha", "zeta"};
    policy.keep_resources = true;
    policy.self_heal = false;
    Spec spec = make_spec("small", "web", "web", {cm}, policy);
    CHECK(spec.json ==
          R"({"bundle":"web","namespace":"web","objects":[{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap",)"
          R"("metadata":{"name":"s","namespace":"web"}}],"policy":{"dependsOn":["alpha","zeta"],"keepResources":true,"selfHeal":false}})");
    CHECK(spec.digest == sha256(spec.json));
    CHECK(spec.digest.size() == 32);
    CHECK(spec.customization == "small");
    CHECK(spec.objects == 1);
}

TEST_CASE("strings and numbers have one canonical spelling") {
    json o = object("v1", "ConfigMap", "s", "n");
    o["data"] = {{"quote", "a\"b"}, {"unicode", "gr\xc3\xbc\xc3\x9f"}, {"ctrl", "\x01\n"}};
    o["num"] = {1.0, 0.1, 1e21, -0.0, 12345678901234567890ull};
    Spec spec = make_spec("", "b", "", {o}, {});
    CHECK(spec.json.find(R"("ctrl":"\u0001\n","quote":"a\"b","unicode":"grüß")") != std::string::npos);
    CHECK(spec.json.find(R"("num":[1.0,0.1,1e+21,-0.0,12345678901234567890])") != std::string::npos);
}
