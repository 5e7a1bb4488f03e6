#include <doctest/doctest.h>

#include <algorithm>

#include "agent/apply/kube/kube_applier.h"
#include "agent/tests/apply/kube/fake_cluster.h"

using namespace drover;
using nlohmann::json;
using drover::testing::FakeCluster;

namespace {

json config_map(const std::string& ns, const std::string& name, const std::string& value = "1") {
    json meta = {{"name", name}};
    if (!ns.empty()) meta["namespace"] = ns;
    return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", meta}, {"data", {{"k", value}}}};
}

json namespace_object(const std::string& name) {
    return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

json widget_crd() {
    return {{"apiVersion", "apiextensions.k8s.io/v1"},
            {"kind", "CustomResourceDefinition"},
            {"metadata", {{"name", "widgets.example.com"}}},
            {"spec",
             {{"group", "example.com"},
              {"scope", "Namespaced"},
              {"names", {{"kind", "Widget"}, {"plural", "widgets"}}},
              {"versions", {{{"name", "v1"}, {"served", true}, {"storage", true}}}}}}};
}

json widget(const std::string& name) {
    return {{"apiVersion", "example.com/v1"},
            {"kind", "Widget"},
            {"metadata", {{"name", name}, {"namespace", "web"}}},
            {"spec", {{"size", 3}}}};
}

json deployment(const std::string& name, int replicas) {
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", name}, {"namespace", "web"}}},
            {"spec",
             {{"replicas", replicas},
              {"selector", {{"matchLabels", {{"app", name}}}}},
              {"template",
               {{"metadata", {{"labels", {{"app", name}}}}},
                {"spec", {{"containers", {{{"name", "web"}, {"image", "nginx:1.27"}}}}}}}}}}};
}

// Retries are instant and counted.
struct Harness {
    FakeCluster cluster;
    std::vector<std::chrono::milliseconds> sleeps;
    kube::KubeApplier applier;

    Harness() : applier(cluster, options()) {}

    kube::KubeApplierOptions options() {
        kube::KubeApplierOptions o;
        o.retry = {3, std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
        o.crd_wait = std::chrono::milliseconds(1000);
        o.crd_poll = std::chrono::milliseconds(100);
        o.sleep = [this](std::chrono::milliseconds d) { sleeps.push_back(d); };
        return o;
    }
};

const std::string kCm = "/api/v1/namespaces/web/configmaps/";

}  // namespace

TEST_CASE("kube applier sends each object by server-side apply with field manager drover and the bundle label") {
    Harness h;
    auto result = h.applier.apply("web", {namespace_object("web"), config_map("web", "a")}, {});
    REQUIRE_FALSE(result.error);
    CHECK_FALSE(result.not_ready);
    CHECK(result.inventory.size() == 2);
    auto patches = h.cluster.log("PATCH");
    CHECK(patches == std::vector<std::string>{"PATCH /api/v1/namespaces/web?fieldManager=drover&force=true",
                                              "PATCH " + kCm + "a?fieldManager=drover&force=true"});
    auto& request = h.cluster.requests.back();
    CHECK(request.content_type == "application/apply-patch+yaml");
    auto live = h.cluster.find(kCm + "a");
    REQUIRE(live);
    CHECK((*live)["metadata"]["labels"]["drover.dev/bundle"] == "web");
    CHECK((*live)["data"]["k"] == "1");
}

TEST_CASE("kube applier applies Namespaces and CRDs first, and custom resources once their CRD is Established") {
    Harness h;
    h.cluster.crd_established_after_gets = 2;
    // Deliberately out of order: the applier must not depend on the hub's sort.
    auto result = h.applier.apply("web", {widget("w1"), config_map("web", "a"), widget_crd(), namespace_object("web")}, {});
    REQUIRE_FALSE(result.error);
    CHECK(h.cluster.paths("PATCH") ==
          std::vector<std::string>{"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
                                   "/api/v1/namespaces/web", kCm + "a",
                                   "/apis/example.com/v1/namespaces/web/widgets/w1"});
    // Polled until Established: two GETs say no, the third yes.
    auto gets = h.cluster.paths("GET");
    auto crd_gets =
        std::count(gets.begin(), gets.end(), "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
    CHECK(crd_gets == 3);
    CHECK(h.sleeps.size() == 2);
    CHECK(result.inventory.size() == 4);
    CHECK_FALSE(result.not_ready);  // the CRD is judged as it was once Established
}

TEST_CASE("custom resources whose CRD never becomes Established fail the bundle, and are not applied") {
    Harness h;
    h.cluster.crds_never_establish = true;
    auto result = h.applier.apply("web", {widget_crd(), widget("w1")}, {});
    REQUIRE(result.error);
    CHECK(*result.error ==
          "CustomResourceDefinition widgets.example.com: not established yet after 1s; its custom resources were not applied");
    CHECK(h.cluster.paths("PATCH").size() == 1);
    CHECK(h.sleeps.size() == 9);  // 10 polls, 100ms apart, in the 1s bound
    // The inventory still names the custom resource: the attempt may have made it.
    CHECK(std::any_of(result.inventory.begin(), result.inventory.end(),
                      [](auto& k) { return k.kind == "Widget" && k.name == "w1"; }));
}

TEST_CASE("a kind the cluster does not serve fails the bundle before anything is sent") {
    Harness h;
    auto result = h.applier.apply("web", {config_map("web", "a"), widget("w1")}, {});
    REQUIRE(result.error);
    CHECK(*result.error == "Widget web/w1: the cluster does not serve kind Widget in apiVersion example.com/v1");
    CHECK(h.cluster.paths("PATCH").empty());
    CHECK(result.inventory.empty());
}

TEST_CASE("an object without apiVersion, kind or name fails the bundle before anything is sent") {
    Harness h;
    json nameless = config_map("web", "a");
    nameless["metadata"].erase("name");
    auto result = h.applier.apply("web", {config_map("web", "b"), nameless}, {});
    REQUIRE(result.error);
    CHECK(*result.error == "objects[1]: ConfigMap has no metadata.name");
    json kindless = config_map("web", "a");
    kindless.erase("kind");
    result = h.applier.apply("web", {kindless}, {});
    CHECK(*result.error == "objects[0]: object has no kind");
    CHECK(h.cluster.paths("PATCH").empty());
}

TEST_CASE("namespaced objects without a namespace go to default; cluster-scoped ones lose a stray namespace") {
    Harness h;
    json ns_object = namespace_object("web");
    ns_object["metadata"]["namespace"] = "web";  // the hub forced the bundle namespace onto it
    auto result = h.applier.apply("web", {ns_object, config_map("", "a")}, {});
    REQUIRE_FALSE(result.error);
    CHECK(h.cluster.paths("PATCH") ==
          std::vector<std::string>{"/api/v1/namespaces/web", "/api/v1/namespaces/default/configmaps/a"});
    CHECK_FALSE(h.cluster.find("/api/v1/namespaces/web")->at("metadata").contains("namespace"));
    // The inventory names the objects where they are.
    CHECK(result.inventory == apply::Inventory{{"v1", "ConfigMap", "default", "a"}, {"v1", "Namespace", "", "web"}});
}

TEST_CASE("objects that left the bundle are deleted with background propagation, and only those") {
    Harness h;
    auto first = h.applier.apply("web", {config_map("web", "a"), config_map("web", "b")}, {});
    REQUIRE_FALSE(first.error);
    auto second = h.applier.apply("web", {config_map("web", "a", "2")}, first.inventory);
    REQUIRE_FALSE(second.error);
    CHECK(second.inventory == apply::Inventory{{"v1", "ConfigMap", "web", "a"}});
    CHECK(h.cluster.find(kCm + "a"));
    CHECK_FALSE(h.cluster.find(kCm + "b"));
    auto deletes = h.cluster.log("DELETE");
    REQUIRE(deletes.size() == 1);
    CHECK(deletes[0] == "DELETE " + kCm + "b?propagationPolicy=Background");
    auto body = json::parse(h.cluster.requests.back().body);
    CHECK(body["propagationPolicy"] == "Background");
    CHECK(body["preconditions"]["uid"] == "uid-2");
}

TEST_CASE("prune leaves an object that another bundle has taken over") {
    Harness h;
    auto web = h.applier.apply("web", {config_map("web", "shared"), config_map("web", "own")}, {});
    REQUIRE_FALSE(web.error);
    auto other = h.applier.apply("other", {config_map("web", "shared")}, {});
    REQUIRE_FALSE(other.error);
    REQUIRE(h.applier.prune("web", web.inventory));
    CHECK(h.cluster.find(kCm + "shared"));
    CHECK_FALSE(h.cluster.find(kCm + "own"));
}

TEST_CASE("an object whose apiVersion changes is updated in place, not pruned") {
    Harness h;
    h.cluster.kinds.push_back({"apps/v1beta2", "Deployment", "deployments", true});
    json old = deployment("nginx", 1);
    old["apiVersion"] = "apps/v1beta2";
    auto first = h.applier.apply("web", {old}, {});
    REQUIRE_FALSE(first.error);
    auto second = h.applier.apply("web", {deployment("nginx", 1)}, first.inventory);
    REQUIRE_FALSE(second.error);
    CHECK(h.cluster.log("DELETE").empty());
    CHECK(second.inventory.size() == 1);
    CHECK(second.inventory[0].api_version == "apps/v1");
}

TEST_CASE("API errors fail the bundle with the API's own message") {
    struct Case {
        long status;
        std::string message;
    };
    for (auto c : {Case{401, "Unauthorized"},
                   Case{403, "configmaps \"a\" is forbidden: User \"x\" cannot patch resource \"configmaps\""},
                   Case{404, "namespaces \"web\" not found"}, Case{409, "Operation cannot be fulfilled"},
                   Case{422, "ConfigMap \"a\" is invalid: metadata.name: Invalid value"}}) {
        CAPTURE(c.status);
        Harness h;
        h.cluster.faults.push_back({"PATCH", kCm, c.status, true, c.message, "", 1});
        auto result = h.applier.apply("web", {config_map("web", "a")}, {});
        REQUIRE(result.error);
        CHECK(*result.error == cat("ConfigMap web/a: ", c.message, " (HTTP ", c.status, " Injected)"));
        CHECK(h.sleeps.empty());  // not retried
        CHECK(result.inventory == apply::Inventory{{"v1", "ConfigMap", "web", "a"}});
    }
}

TEST_CASE("transient API failures are retried with growing delays, a bounded number of times") {
    SUBCASE("5xx then success") {
        Harness h;
        h.cluster.faults.push_back({"PATCH", kCm, 503, true, "etcd is slow", "", 2});
        auto result = h.applier.apply("web", {config_map("web", "a")}, {});
        CHECK_FALSE(result.error);
        CHECK(h.sleeps == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100),
                                                                 std::chrono::milliseconds(200)});
    }
    SUBCASE("5xx every time") {
        Harness h;
        h.cluster.faults.push_back({"PATCH", kCm, 500, true, "internal error", "", -1});
        auto result = h.applier.apply("web", {config_map("web", "a")}, {});
        REQUIRE(result.error);
        CHECK(*result.error == "ConfigMap web/a: internal error (HTTP 500 Injected)");
        CHECK(h.cluster.paths("PATCH").size() == 3);
    }
    SUBCASE("429 honours Retry-After, up to the cap") {
        Harness h;
        h.cluster.faults.push_back({"PATCH", kCm, 429, true, "slow down", "1", 1});
        h.cluster.faults.push_back({"PATCH", kCm, 429, true, "slow down", "30", 1});
        auto result = h.applier.apply("web", {config_map("web", "a")}, {});
        CHECK_FALSE(result.error);
        CHECK(h.sleeps == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(1000),
                                                                 std::chrono::milliseconds(1000)});
    }
    SUBCASE("connection refused, then timeout, then an answer") {
        Harness h;
        h.cluster.faults.push_back({"", "", 0, true, "Failed to connect to 127.0.0.1 port 6443: Connection refused", "", 1});
        h.cluster.faults.push_back({"", "", 0, true, "Operation timed out after 30000 milliseconds", "", 1});
        auto result = h.applier.apply("web", {config_map("web", "a")}, {});
        CHECK_FALSE(result.error);
        CHECK(h.sleeps.size() == 2);
    }
    SUBCASE("a TLS verification failure is not retried") {
        Harness h;
        h.cluster.faults.push_back({"", "", 0, false, "SSL certificate problem: unable to get local issuer certificate", "", -1});
        auto result = h.applier.apply("web", {config_map("web", "a")}, {});
        REQUIRE(result.error);
        CHECK(*result.error == "ConfigMap web/a: SSL certificate problem: unable to get local issuer certificate");
        CHECK(h.sleeps.empty());
    }
}

TEST_CASE("a failed apply reports every object that may exist; a failed prune keeps what is left") {
    Harness h;
    auto first = h.applier.apply("web", {config_map("web", "a"), config_map("web", "b")}, {});
    REQUIRE_FALSE(first.error);
    // b is to go, but its deletion is refused.
    h.cluster.faults.push_back({"DELETE", kCm + "b", 403, true, "forbidden", "", -1});
    auto second = h.applier.apply("web", {config_map("web", "a"), config_map("web", "c")}, first.inventory);
    REQUIRE(second.error);
    CHECK(*second.error == "cannot delete ConfigMap web/b: forbidden (HTTP 403 Injected)");
    CHECK(second.inventory == apply::Inventory{{"v1", "ConfigMap", "web", "a"},
                                               {"v1", "ConfigMap", "web", "b"},
                                               {"v1", "ConfigMap", "web", "c"}});
    h.cluster.faults.clear();
    auto third = h.applier.apply("web", {config_map("web", "a"), config_map("web", "c")}, second.inventory);
    REQUIRE_FALSE(third.error);
    CHECK_FALSE(h.cluster.find(kCm + "b"));
}

TEST_CASE("drift names the fields that no longer hold, and objects that are gone") {
    Harness h;
    std::vector<json> objects = {config_map("web", "a"), config_map("web", "b"), deployment("nginx", 3)};
    // The server adds defaults and status; none of that is drift.
    h.cluster.on_apply = [](json& o) {
        if (o["kind"] == "Deployment") {
            o["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent";
            o["status"] = {{"replicas", 3}};
        }
        o["metadata"]["resourceVersion"] = "7";
    };
    auto result = h.applier.apply("web", objects, {});
    REQUIRE_FALSE(result.error);
    auto none = h.applier.drift("web", result.inventory, objects);
    REQUIRE(none);
    CHECK(none->empty());

    (*h.cluster.find(kCm + "a"))["data"]["k"] = "changed";
    h.cluster.objects.erase(kCm + "b");
    (*h.cluster.find("/apis/apps/v1/namespaces/web/deployments/nginx"))["spec"]["replicas"] = 1;
    (*h.cluster.find("/apis/apps/v1/namespaces/web/deployments/nginx"))["metadata"]["labels"].erase("drover.dev/bundle");
    auto diffs = h.applier.drift("web", result.inventory, objects);
    REQUIRE(diffs);
    REQUIRE(diffs->size() == 3);
    CHECK((*diffs)[0].what == "differs: .data.k");
    CHECK((*diffs)[1].what == "missing");
    CHECK((*diffs)[2].what == "differs: .metadata.labels.drover.dev/bundle, .spec.replicas");
}

TEST_CASE("drift cannot be told when the API fails, which is not drift") {
    Harness h;
    auto result = h.applier.apply("web", {config_map("web", "a")}, {});
    REQUIRE_FALSE(result.error);
    h.cluster.faults.push_back({"GET", kCm, 403, true, "forbidden", "", -1});
    auto diffs = h.applier.drift("web", result.inventory, {config_map("web", "a")});
    REQUIRE_FALSE(diffs);
    CHECK(diffs.error().message == "ConfigMap web/a: forbidden (HTTP 403 Injected)");
}

TEST_CASE("a Deployment that is not available is NotReady, naming the pod's problem, until it is") {
    Harness h;
    auto result = h.applier.apply("web", {deployment("nginx", 3)}, {});
    REQUIRE_FALSE(result.error);
    REQUIRE(result.not_ready);
    CHECK(*result.not_ready == "Deployment web/nginx: not yet seen by its controller");

    auto& live = *h.cluster.find("/apis/apps/v1/namespaces/web/deployments/nginx");
    live["status"] = {{"observedGeneration", 1}, {"replicas", 3}, {"updatedReplicas", 3}, {"availableReplicas", 1}};
    h.cluster.objects["/api/v1/namespaces/web/pods/nginx-7d9"] = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", "nginx-7d9"}, {"namespace", "web"}, {"labels", {{"app", "nginx"}}}}},
        {"status",
         {{"phase", "Pending"},
          {"containerStatuses",
           {{{"name", "web"}, {"state", {{"waiting", {{"reason", "ImagePullBackOff"}, {"message", "Back-off"}}}}}}}}}}};
    h.cluster.objects["/api/v1/namespaces/web/pods/other"] = {
        {"metadata", {{"name", "other"}, {"labels", {{"app", "other"}}}}},
        {"status", {{"phase", "Failed"}}}};
    auto waiting = h.applier.readiness("web", result.inventory);
    REQUIRE(waiting);
    REQUIRE(*waiting);
    CHECK(**waiting == "Deployment web/nginx: 1/3 available; pod nginx-7d9: ImagePullBackOff");
    CHECK(h.cluster.log("GET").back() == "GET /api/v1/namespaces/web/pods?labelSelector=app%3Dnginx&limit=50");

    live["status"]["availableReplicas"] = 3;
    auto ready = h.applier.readiness("web", result.inventory);
    REQUIRE(ready);
    CHECK_FALSE(*ready);
}

TEST_CASE("readiness reports an object that vanished, and fails when the API cannot tell") {
    Harness h;
    auto result = h.applier.apply("web", {config_map("web", "a")}, {});
    h.cluster.objects.clear();
    auto missing = h.applier.readiness("web", result.inventory);
    REQUIRE(missing);
    CHECK(missing->value_or("") == "ConfigMap web/a: missing");
    h.cluster.faults.push_back({"GET", kCm, 401, true, "Unauthorized", "", -1});
    auto unknown = h.applier.readiness("web", result.inventory);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "ConfigMap web/a: Unauthorized (HTTP 401 Injected)");
}

TEST_CASE("prune of a whole bundle deletes its objects in reverse order: contents, CRDs, then Namespaces") {
    Harness h;
    auto result = h.applier.apply("web", {namespace_object("web"), widget_crd(), config_map("web", "a"), widget("w")}, {});
    REQUIRE_FALSE(result.error);
    REQUIRE(h.applier.prune("web", result.inventory));
    auto deleted = h.cluster.paths("DELETE");
    REQUIRE(deleted.size() == 4);
    CHECK(deleted[2] == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com");
    CHECK(deleted[3] == "/api/v1/namespaces/web");
    CHECK(h.cluster.objects.empty());
    // Gone already: pruning again is fine.
    CHECK(h.applier.prune("web", result.inventory));
}

TEST_CASE("object names cannot climb out of their resource path") {
    Harness h;
    auto result = h.applier.apply("web", {config_map("web", ".."), config_map("web", "a/b")}, {});
    REQUIRE_FALSE(result.error);
    CHECK(h.cluster.paths("PATCH") == std::vector<std::string>{kCm + "%2E%2E", kCm + "a%2Fb"});
}

TEST_CASE("the same object twice in a bundle is refused") {
    Harness h;
    auto result = h.applier.apply("web", {config_map("web", "a"), config_map("web", "a", "2")}, {});
    REQUIRE(result.error);
    CHECK(*result.error == "ConfigMap web/a is in the bundle twice");
}
