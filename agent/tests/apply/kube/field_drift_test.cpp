#include <doctest/doctest.h>

#include "agent/apply/kube/field_drift.h"

using namespace drover;
using nlohmann::json;
using Paths = std::vector<std::string>;

namespace {

json pod_template(json container) {
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "web"}, {"namespace", "web"}, {"labels", {{"drover.dev/bundle", "web"}}}}},
            {"spec", {{"replicas", 2}, {"template", {{"spec", {{"containers", {container}}}}}}}}};
}

}  // namespace

TEST_CASE("a freshly applied object with server defaults, status and metadata shows no drift") {
    json applied = pod_template({{"name", "web"},
                                 {"image", "nginx"},
                                 {"resources", {{"limits", {{"cpu", "0.5"}, {"memory", "1024Mi"}}}}},
                                 {"env", json::array()}});
    applied["metadata"]["creationTimestamp"] = nullptr;
    applied["status"] = {{"replicas", 9}};
    json live = applied;
    live["metadata"]["uid"] = "u";
    live["metadata"]["resourceVersion"] = "12";
    live["metadata"]["managedFields"] = json::array();
    live["metadata"]["labels"]["pod-template-hash"] = "abc";
    live["status"] = {{"replicas", 2}};
    auto& c = live["spec"]["template"]["spec"]["containers"][0];
    c["resources"]["limits"] = {{"cpu", "500m"}, {"memory", "1Gi"}};  // canonical forms
    c["imagePullPolicy"] = "Always";
    c.erase("env");  // the server drops empty lists
    live["spec"]["template"]["spec"]["containers"].push_back({{"name", "sidecar"}, {"image", "istio"}});
    CHECK(kube::drifted_fields(applied, live) == Paths{});
}

TEST_CASE("drift names every applied field that changed or went away") {
    json applied = pod_template({{"name", "web"}, {"image", "nginx:1.27"}, {"ports", {{{"containerPort", 80}}}}});
    json live = applied;
    live["spec"]["replicas"] = 5;
    live["metadata"]["labels"].erase("drover.dev/bundle");
    auto& c = live["spec"]["template"]["spec"]["containers"][0];
    c["image"] = "nginx:latest";
    c["ports"].push_back({{"containerPort", 81}});
    CHECK(kube::drifted_fields(applied, live) ==
          Paths{".metadata.labels.drover.dev/bundle", ".spec.replicas",
                ".spec.template.spec.containers[name=web].image", ".spec.template.spec.containers[name=web].ports"});
    live["spec"]["template"]["spec"]["containers"][0]["name"] = "renamed";
    CHECK(kube::drifted_fields(applied, live).back() == ".spec.template.spec.containers[name=web]");
    CHECK(kube::drifted_fields(applied, json::object()) == Paths{".apiVersion", ".kind", ".metadata", ".spec"});
}

TEST_CASE("Secret stringData is compared with the base64 data the server keeps") {
    json applied = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}, {"stringData", {{"password", "hunter2"}}}};
    json live = {{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}, {"data", {{"password", "aHVudGVyMg=="}}}};
    CHECK(kube::drifted_fields(applied, live) == Paths{});
    live["data"]["password"] = "b3RoZXI=";
    CHECK(kube::drifted_fields(applied, live) == Paths{".data.password"});
}

TEST_CASE("quantities compare by value, other strings exactly") {
    CHECK(static_cast<double>(*kube::parse_quantity("500m")) == doctest::Approx(0.5));
    CHECK(static_cast<double>(*kube::parse_quantity("1Gi")) == doctest::Approx(1073741824.0));
    CHECK(static_cast<double>(*kube::parse_quantity("1e3")) == doctest::Approx(1000.0));
    CHECK(static_cast<double>(*kube::parse_quantity("2.5k")) == doctest::Approx(2500.0));
    CHECK_FALSE(kube::parse_quantity("nginx"));
    CHECK_FALSE(kube::parse_quantity("1Gb"));
    CHECK_FALSE(kube::parse_quantity(""));
    CHECK_FALSE(kube::parse_quantity("."));
    json applied = {{"spec", {{"cpu", 1}, {"mem", "1024Mi"}, {"name", "a"}}}};
    json live = {{"spec", {{"cpu", "1"}, {"mem", "1Gi"}, {"name", "A"}}}};
    CHECK(kube::drifted_fields(applied, live) == Paths{".spec.name"});
}

TEST_CASE("unnamed lists compare element by element and must keep their length") {
    json applied = {{"spec", {{"args", {"a", "b"}}}}};
    CHECK(kube::drifted_fields(applied, {{"spec", {{"args", {"a", "b"}}}}}) == Paths{});
    CHECK(kube::drifted_fields(applied, {{"spec", {{"args", {"a", "c"}}}}}) == Paths{".spec.args[1]"});
    CHECK(kube::drifted_fields(applied, {{"spec", {{"args", {"a", "b", "c"}}}}}) == Paths{".spec.args"});
    CHECK(kube::drifted_fields(applied, {{"spec", {{"args", "a b"}}}}) == Paths{".spec.args"});
}
