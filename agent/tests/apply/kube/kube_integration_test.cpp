// The kube applier against a Kubernetes API server: kube-testserver (real
// HTTPS, server-side apply with managedFields, discovery of CRDs, status
// subresources, injected faults), or the cluster DROVER_TEST_KUBECONFIG
// names. Tests that need the test server's controls skip on a real cluster.
#include <doctest/doctest.h>

#include <algorithm>

#include "agent/apply/kube/kube_applier.h"
#include "agent/reconcile/reconciler.h"
#include "agent/tests/apply/kube/test_cluster.h"
#include "agent/tests/apply/kube/yaml_objects.h"
#include "proto/desired_set.h"
#include "proto/spec_signature.h"
#include "proto/states.h"

using namespace drover;
using nlohmann::json;
using drover::testing::TestCluster;

namespace {

kube::KubeApplierOptions quick() {
    kube::KubeApplierOptions o;
    o.retry = {3, std::chrono::milliseconds(20), std::chrono::milliseconds(100)};
    o.crd_wait = std::chrono::seconds(5);
    o.crd_poll = std::chrono::milliseconds(50);
    return o;
}

json namespace_object(const std::string& name) {
    return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

json config_map(const std::string& ns, const std::string& name, const std::string& value = "1") {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", ns}}},
            {"data", {{"k", value}}}};
}

std::string cm_path(const std::string& ns, const std::string& name) {
    return cat("/api/v1/namespaces/", ns, "/configmaps/", name);
}

bool managed_by(const json& live, const std::string& manager) {
    for (auto& entry : live["metadata"].value("managedFields", json::array()))
        if (entry.value("manager", "") == manager && entry.value("operation", "") == "Apply") return true;
    return false;
}

// The test's start: a cluster, or a skip.
#define START_CLUSTER(var, ...)                        \
    auto var = TestCluster::start(__VA_ARGS__);       \
    if (!var) return

#define REQUIRE_TEST_SERVER(cluster)                                              \
    if (!(cluster)->test_server()) {                                              \
        MESSAGE("skipped on a real cluster: needs kube-testserver's controls"); \
        return;                                                                   \
    }

}  // namespace

TEST_CASE("kube: objects are created, updated and pruned with server-side apply as field manager drover") {
    START_CLUSTER(cluster);
    std::string ns = cluster->fresh_namespace("drover-it");
    kube::KubeApplier applier(cluster->client(), quick());
    auto first = applier.apply("web", {namespace_object(ns), config_map(ns, "a"), config_map(ns, "b")}, {});
    INFO(cluster->log());
    REQUIRE_MESSAGE(!first.error, first.error.value_or(""));
    CHECK_FALSE(first.not_ready);
    CHECK(first.inventory.size() == 3);
    json a = cluster->get(cm_path(ns, "a"));
    CHECK(a["data"]["k"] == "1");
    CHECK(a["metadata"]["labels"]["drover.dev/bundle"] == "web");
    CHECK(managed_by(a, "drover"));

    auto second = applier.apply("web", {namespace_object(ns), config_map(ns, "a", "2")}, first.inventory);
    REQUIRE_MESSAGE(!second.error, second.error.value_or(""));
    CHECK(cluster->get(cm_path(ns, "a"))["data"]["k"] == "2");
    CHECK(cluster->get(cm_path(ns, "b")).is_null());
    CHECK(second.inventory.size() == 2);

    REQUIRE(applier.prune("web", second.inventory));
    json gone = cluster->get(cm_path(ns, "a"));
    CHECK((gone.is_null() || gone["metadata"].contains("deletionTimestamp")));
}

TEST_CASE("kube: fields drover stops applying are removed; fields of other managers stay") {
    START_CLUSTER(cluster);
    std::string ns = cluster->fresh_namespace("drover-it");
    kube::KubeApplier applier(cluster->client(), quick());
    json both = config_map(ns, "a");
    both["data"]["extra"] = "x";
    auto first = applier.apply("web", {namespace_object(ns), both}, {});
    REQUIRE_MESSAGE(!first.error, first.error.value_or(""));
    cluster->apply_as("operator", cm_path(ns, "a"),
                      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "a"}, {"namespace", ns}}},
                       {"data", {{"theirs", "y"}}}});
    auto second = applier.apply("web", {namespace_object(ns), config_map(ns, "a")}, first.inventory);
    REQUIRE_MESSAGE(!second.error, second.error.value_or(""));
    json live = cluster->get(cm_path(ns, "a"));
    CHECK_FALSE(live["data"].contains("extra"));
    CHECK(live["data"]["theirs"] == "y");
    auto drift = applier.drift("web", second.inventory, {namespace_object(ns), config_map(ns, "a")});
    REQUIRE(drift);
    CHECK(drift->empty());
}

TEST_CASE("kube: custom resources wait for their CRD to be Established, whatever the spec's order") {
    START_CLUSTER(cluster);
    if (cluster->test_server()) cluster->control("crd-establishment?mode=auto&delay_ms=300");
    std::string ns = cluster->fresh_namespace("drover-it");
    std::string group = cat("g", hex_encode(random_bytes(3)), ".drover.test");
    json crd = {{"apiVersion", "apiextensions.k8s.io/v1"},
                {"kind", "CustomResourceDefinition"},
                {"metadata", {{"name", "widgets." + group}}},
                {"spec",
                 {{"group", group},
                  {"scope", "Namespaced"},
                  {"names", {{"kind", "Widget"}, {"plural", "widgets"}, {"singular", "widget"}, {"listKind", "WidgetList"}}},
                  {"versions",
                   {{{"name", "v1"},
                     {"served", true},
                     {"storage", true},
                     {"schema",
                      {{"openAPIV3Schema",
                        {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}};
    json widget = {{"apiVersion", group + "/v1"},
                   {"kind", "Widget"},
                   {"metadata", {{"name", "w1"}, {"namespace", ns}}},
                   {"spec", {{"size", 3}}}};
    kube::KubeApplier applier(cluster->client(), quick());
    auto result = applier.apply("widgets", {widget, config_map(ns, "a"), crd, namespace_object(ns)}, {});
    INFO(cluster->log());
    REQUIRE_MESSAGE(!result.error, result.error.value_or(""));
    json live = cluster->get(cat("/apis/", group, "/v1/namespaces/", ns, "/widgets/w1"));
    REQUIRE(live.is_object());
    CHECK(live["spec"]["size"] == 3);
    CHECK(result.inventory.size() == 4);
    REQUIRE(applier.prune("widgets", result.inventory));
}

TEST_CASE("kube: a CRD that never becomes Established fails the bundle, naming it") {
    START_CLUSTER(cluster);
    REQUIRE_TEST_SERVER(cluster);
    cluster->control("crd-establishment?mode=manual");
    json crd = {{"apiVersion", "apiextensions.k8s.io/v1"},
                {"kind", "CustomResourceDefinition"},
                {"metadata", {{"name", "gadgets.stuck.test"}}},
                {"spec",
                 {{"group", "stuck.test"},
                  {"scope", "Cluster"},
                  {"names", {{"kind", "Gadget"}, {"plural", "gadgets"}}},
                  {"versions", {{{"name", "v1"}, {"served", true}, {"storage", true},
                                 {"schema", {{"openAPIV3Schema", {{"type", "object"}}}}}}}}}}};
    json gadget = {{"apiVersion", "stuck.test/v1"}, {"kind", "Gadget"}, {"metadata", {{"name", "g"}}}};
    auto options = quick();
    options.crd_wait = std::chrono::milliseconds(300);
    kube::KubeApplier applier(cluster->client(), options);
    auto result = applier.apply("gadgets", {crd, gadget}, {});
    REQUIRE(result.error);
    CHECK(result.error->find("CustomResourceDefinition gadgets.stuck.test: not established yet after 300ms") == 0);
}

TEST_CASE("kube: readiness follows status, naming the object and its pods' problem") {
    START_CLUSTER(cluster);
    REQUIRE_TEST_SERVER(cluster);
    std::string ns = cluster->fresh_namespace("drover-it");
    json deployment = {{"apiVersion", "apps/v1"},
                       {"kind", "Deployment"},
                       {"metadata", {{"name", "nginx"}, {"namespace", ns}}},
                       {"spec",
                        {{"replicas", 3},
                         {"selector", {{"matchLabels", {{"app", "nginx"}}}}},
                         {"template",
                          {{"metadata", {{"labels", {{"app", "nginx"}}}}},
                           {"spec", {{"containers", {{{"name", "web"}, {"image", "nginx:nope"}}}}}}}}}}};
    kube::KubeApplier applier(cluster->client(), quick());
    auto result = applier.apply("web", {namespace_object(ns), deployment}, {});
    REQUIRE_MESSAGE(!result.error, result.error.value_or(""));
    REQUIRE(result.not_ready);
    CHECK(*result.not_ready == cat("Deployment ", ns, "/nginx: not yet seen by its controller"));

    // What a ReplicaSet controller and kubelet would have made.
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", "nginx-7d9"}, {"namespace", ns}, {"labels", {{"app", "nginx"}}}}},
                {"spec", {{"containers", {{{"name", "web"}, {"image", "nginx:nope"}}}}}}};
    std::string pod_path = cat("/api/v1/namespaces/", ns, "/pods/nginx-7d9");
    cluster->apply_as("kube-controller-manager", pod_path, pod);
    cluster->set_status(pod_path, {{"phase", "Pending"},
                                   {"containerStatuses",
                                    {{{"name", "web"},
                                      {"ready", false},
                                      {"state", {{"waiting", {{"reason", "ImagePullBackOff"},
                                                              {"message", "Back-off pulling image"}}}}}}}}});
    std::string deploy_path = cat("/apis/apps/v1/namespaces/", ns, "/deployments/nginx");
    cluster->set_status(deploy_path, {{"observedGeneration", 1}, {"replicas", 3}, {"updatedReplicas", 3},
                                      {"readyReplicas", 1}, {"availableReplicas", 1}});
    auto waiting = applier.readiness("web", result.inventory);
    REQUIRE(waiting);
    CHECK(waiting->value_or("READY") == cat("Deployment ", ns, "/nginx: 1/3 available; pod nginx-7d9: ImagePullBackOff"));

    cluster->set_status(deploy_path, {{"observedGeneration", 1}, {"replicas", 3}, {"updatedReplicas", 3},
                                      {"readyReplicas", 3}, {"availableReplicas", 3}});
    auto ready = applier.readiness("web", result.inventory);
    REQUIRE(ready);
    CHECK_FALSE(*ready);
}

TEST_CASE("kube: every API failure ends the attempt with the API's message; transient ones are retried") {
    START_CLUSTER(cluster);
    REQUIRE_TEST_SERVER(cluster);
    std::string ns = cluster->fresh_namespace("drover-it");
    kube::KubeApplier applier(cluster->client(), quick());
    REQUIRE_FALSE(applier.apply("web", {namespace_object(ns)}, {}).error);
    std::string on_patch = cat("path=/api/v1/namespaces/", ns, "/configmaps&method=PATCH");

    for (int code : {401, 403, 409, 422}) {
        CAPTURE(code);
        cluster->control(cat("faults?", on_patch, "&code=", code, "&times=1&message=refused+by+test"));
        auto result = applier.apply("web", {config_map(ns, "a")}, {});
        REQUIRE(result.error);
        CHECK(result.error->find(cat("ConfigMap ", ns, "/a: refused by test (HTTP ", code)) == 0);
        CHECK(result.inventory == apply::Inventory{{"v1", "ConfigMap", ns, "a"}});
    }

    cluster->control(cat("faults?", on_patch, "&code=503&times=2"));
    auto recovered = applier.apply("web", {config_map(ns, "a")}, {});
    CHECK_MESSAGE(!recovered.error, recovered.error.value_or(""));

    cluster->control(cat("faults?", on_patch, "&code=500&times=-1&message=etcd+down"));
    auto down = applier.apply("web", {config_map(ns, "a")}, {});
    REQUIRE(down.error);
    CHECK(down.error->find(cat("ConfigMap ", ns, "/a: etcd down (HTTP 500")) == 0);
    auto del = cluster->client().send({"DELETE", "/testserver/faults", "", ""});
    REQUIRE(del);

    cluster->control(cat("faults?", on_patch, "&code=429&retry_after=1&times=1"));
    CHECK_FALSE(applier.apply("web", {config_map(ns, "a")}, {}).error);
    cluster->control(cat("faults?", on_patch, "&drop=true&times=1"));
    CHECK_FALSE(applier.apply("web", {config_map(ns, "a")}, {}).error);

    // Timeouts: an answer later than the client waits.
    kube::RestOptions impatient;
    impatient.request_timeout = std::chrono::milliseconds(400);
    auto client = kube::RestClient::create(cluster->config(), impatient);
    REQUIRE(client);
    kube::KubeApplier hurried(**client, quick());
    cluster->control(cat("faults?", on_patch, "&delay_ms=1500&times=1"));
    auto slow_once = hurried.apply("web", {config_map(ns, "a")}, {});
    CHECK_MESSAGE(!slow_once.error, slow_once.error.value_or(""));
    cluster->control(cat("faults?", on_patch, "&delay_ms=1500&times=3"));
    auto slow = hurried.apply("web", {config_map(ns, "a")}, {});
    REQUIRE(slow.error);
    CHECK(slow.error->find("timed out") != std::string::npos);
}

TEST_CASE("kube: invalid objects, missing namespaces and unknown kinds fail with the API's own words") {
    START_CLUSTER(cluster);
    std::string ns = cluster->fresh_namespace("drover-it");
    kube::KubeApplier applier(cluster->client(), quick());
    auto invalid = applier.apply("web", {namespace_object(ns), config_map(ns, "Bad_Name")}, {});
    REQUIRE(invalid.error);
    CHECK(invalid.error->find(cat("ConfigMap ", ns, "/Bad_Name: ConfigMap \"Bad_Name\" is invalid: metadata.name")) == 0);
    CHECK(invalid.error->find("(HTTP 422 Invalid)") != std::string::npos);

    auto no_namespace = applier.apply("web", {config_map(ns + "-absent", "a")}, {});
    REQUIRE(no_namespace.error);
    CHECK(*no_namespace.error ==
          cat("ConfigMap ", ns, "-absent/a: namespaces \"", ns, "-absent\" not found (HTTP 404 NotFound)"));

    json unknown = {{"apiVersion", "nowhere.invalid/v1"}, {"kind", "Thing"}, {"metadata", {{"name", "t"}, {"namespace", ns}}}};
    auto unknown_kind = applier.apply("web", {unknown}, {});
    REQUIRE(unknown_kind.error);
    CHECK(*unknown_kind.error ==
          cat("Thing ", ns, "/t: the cluster does not serve kind Thing in apiVersion nowhere.invalid/v1"));
}

TEST_CASE("kube: bad credentials, a closed port and an untrusted certificate are reported, not retried forever") {
    START_CLUSTER(cluster);
    REQUIRE_TEST_SERVER(cluster);
    auto wrong_token = cluster->config();
    wrong_token.token = "not-the-token";
    auto client = kube::RestClient::create(wrong_token);
    REQUIRE(client);
    kube::KubeApplier unauthorized(**client, quick());
    auto denied = unauthorized.apply("web", {config_map("default", "a")}, {});
    REQUIRE(denied.error);
    CHECK(denied.error->find("(HTTP 401 Unauthorized)") != std::string::npos);

    auto closed = cluster->config();
    closed.server = "https://127.0.0.1:1";
    auto refused_client = kube::RestClient::create(closed);
    REQUIRE(refused_client);
    kube::KubeApplier refused(**refused_client, quick());
    auto r = refused.apply("web", {config_map("default", "a")}, {});
    REQUIRE(r.error);
    CHECK(r.error->find("ConfigMap default/a: GET https://127.0.0.1:1/api/v1: ") == 0);
    CHECK(r.error->find("onnect") != std::string::npos);

    auto untrusted = cluster->config();
    untrusted.ca_pem.clear();  // the system's CAs know nothing of the test CA
    auto untrusted_client = kube::RestClient::create(untrusted);
    REQUIRE(untrusted_client);
    kube::KubeApplier tls(**untrusted_client, quick());
    auto t = tls.apply("web", {config_map("default", "a")}, {});
    REQUIRE(t.error);
    CHECK(t.error->find("certificate") != std::string::npos);
}

TEST_CASE("kube: a client certificate from the kubeconfig authenticates") {
    START_CLUSTER(cluster, {"--auth", "cert"});
    REQUIRE_TEST_SERVER(cluster);
    CHECK(cluster->config().token.empty());
    CHECK_FALSE(cluster->config().client_key_pem.empty());
    kube::KubeApplier applier(cluster->client(), quick());
    auto result = applier.apply("web", {config_map("default", "by-cert")}, {});
    CHECK_MESSAGE(!result.error, result.error.value_or(""));
    CHECK(cluster->get(cm_path("default", "by-cert")).is_object());
}

TEST_CASE("kube: the manifests in deploy/k3s apply cleanly") {
    START_CLUSTER(cluster);
    REQUIRE_TEST_SERVER(cluster);
    for (auto file : {"agent.yaml", "agent-namespaced-rbac.yaml"}) {
        CAPTURE(file);
        auto text = read_file(testing::source_root() + "/deploy/k3s/" + file);
        REQUIRE_MESSAGE(text, (text ? std::string() : text.error().message));
        auto objects = testing::yaml_objects(*text);
        REQUIRE_FALSE(objects.empty());
        kube::KubeApplier applier(cluster->client(), quick());
        auto result = applier.apply("drover-agent", objects, {});
        CHECK_MESSAGE(!result.error, result.error.value_or(""));
    }
}

namespace {

// A reconciler over the kube applier, with a cache and a pinned hub key:
// what drover-agent runs, minus the link.
struct Agent {
    testing::TempDir dir;
    std::unique_ptr<cache::Cache> cache;
    SigningKey key = *SigningKey::from_pem(generate_p256_key_pem());

    Agent() {
        auto c = cache::Cache::open(dir / "cache.db", sql::Durability::normal);
        REQUIRE(c);
        cache = std::move(*c);
        cache->identity().save({"agt_1", "edge-1", "cred", key.public_pem(), "wss://hub"});
    }

    std::string key_id() const { return VerifyKey::from_pem(key.public_pem())->fingerprint(); }

    void desire(const std::string& bundle, const std::vector<json>& objects, bool self_heal) {
        json spec = {{"bundle", bundle},
                     {"namespace", ""},
                     {"objects", objects},
                     {"policy", {{"dependsOn", json::array()}, {"keepResources", false}, {"selfHeal", self_heal}}}};
        std::string text = spec.dump();
        std::string digest = sha256(text);
        cache->content().complete(digest, text);
        cache::Deployment d{bundle, "rev1", digest, key.sign(spec_signing_message(bundle, "rev1", digest)), text.size()};
        std::vector<DesiredEntry> entries = {{bundle, "rev1", digest}};
        cache->desired().replace({desired_set_hash(entries, key_id()), {d}});
    }

    std::vector<std::string> trail(const std::string& bundle) {
        std::vector<std::string> out;
        for (auto& s : cache->outbox().pending(0, 10000))
            if (s.bundle == bundle) out.push_back(cat(state_name(s.state), s.message.empty() ? "" : ": ", s.message));
        return out;
    }
};

}  // namespace

TEST_CASE("kube: the reconciler reports drift as Modified and self-heals it") {
    START_CLUSTER(cluster);
    std::string ns = cluster->fresh_namespace("drover-it");
    kube::KubeApplier applier(cluster->client(), quick());
    Agent agent;
    reconcile::Reconciler r(*agent.cache, applier, [] {});
    std::vector<json> objects = {namespace_object(ns), config_map(ns, "a")};
    agent.desire("web", objects, true);
    r.reconcile(true);
    REQUIRE(agent.trail("web") == std::vector<std::string>{"Applying", "Ready"});

    // Someone edits the object with kubectl.
    cluster->apply_as("kubectl", cm_path(ns, "a"), config_map(ns, "a", "hacked"));
    r.reconcile(true);
    CHECK(agent.trail("web") == std::vector<std::string>{
                                    "Applying", "Ready",
                                    cat("Modified: 1 object drifted: ConfigMap ", ns, "/a differs: .data.k"),
                                    "Applying", "Ready"});
    CHECK(cluster->get(cm_path(ns, "a"))["data"]["k"] == "1");

    // Deleted: missing, and re-created.
    REQUIRE(cluster->client().send({"DELETE", cm_path(ns, "a"), "", ""}));
    r.reconcile(true);
    CHECK(agent.trail("web").at(5) == cat("Modified: 1 object drifted: ConfigMap ", ns, "/a missing"));
    CHECK(cluster->get(cm_path(ns, "a")).is_object());

    // Removed from the desired set: pruned.
    agent.cache->desired().replace({desired_set_hash({}, agent.key_id()), {}});
    r.reconcile(false);
    CHECK(agent.trail("web").back() == "Removed");
    json gone = cluster->get(cm_path(ns, "a"));
    CHECK((gone.is_null() || gone["metadata"].contains("deletionTimestamp")));
}

TEST_CASE("kube: without selfHeal drift stays Modified until fixed by hand") {
    START_CLUSTER(cluster);
    std::string ns = cluster->fresh_namespace("drover-it");
    kube::KubeApplier applier(cluster->client(), quick());
    Agent agent;
    reconcile::Reconciler r(*agent.cache, applier, [] {});
    agent.desire("web", {namespace_object(ns), config_map(ns, "a")}, false);
    r.reconcile(true);
    cluster->apply_as("kubectl", cm_path(ns, "a"), config_map(ns, "a", "hacked"));
    r.reconcile(true);
    r.reconcile(true);
    CHECK(cluster->get(cm_path(ns, "a"))["data"]["k"] == "hacked");
    CHECK(agent.trail("web").back() == cat("Modified: 1 object drifted: ConfigMap ", ns, "/a differs: .data.k"));
    cluster->apply_as("kubectl", cm_path(ns, "a"), config_map(ns, "a", "1"));
    r.reconcile(true);
    CHECK(agent.trail("web").back() == "Ready");
}
