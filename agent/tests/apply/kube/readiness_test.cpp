#include <doctest/doctest.h>

#include "agent/apply/kube/readiness.h"

using namespace drover;
using nlohmann::json;

namespace {

json object(const std::string& api_version, const std::string& kind, json spec, json status,
            int generation = 1) {
    json o = {{"apiVersion", api_version}, {"kind", kind}, {"metadata", {{"name", "x"}, {"generation", generation}}}};
    if (!spec.is_null()) o["spec"] = spec;
    if (!status.is_null()) o["status"] = status;
    return o;
}

std::string reason(const json& live) { return kube::not_ready_reason(live).value_or("READY"); }

json conditions(std::initializer_list<std::tuple<const char*, const char*, const char*, const char*>> list) {
    json out = json::array();
    for (auto& [type, status, why, message] : list)
        out.push_back({{"type", type}, {"status", status}, {"reason", why}, {"message", message}});
    return out;
}

}  // namespace

TEST_CASE("a Deployment is ready once its controller saw it and every replica is updated and available") {
    json spec = {{"replicas", 3}};
    CHECK(reason(object("apps/v1", "Deployment", spec, nullptr)) == "not yet seen by its controller");
    CHECK(reason(object("apps/v1", "Deployment", spec, {{"observedGeneration", 1}}, 2)) ==
          "waiting for its controller to see generation 2");
    CHECK(reason(object("apps/v1", "Deployment", spec,
                        {{"observedGeneration", 2}, {"replicas", 3}, {"updatedReplicas", 3}, {"availableReplicas", 1}}, 2)) ==
          "1/3 available");
    CHECK(reason(object("apps/v1", "Deployment", spec,
                        {{"observedGeneration", 1}, {"replicas", 4}, {"updatedReplicas", 1}, {"availableReplicas", 3}})) ==
          "1/3 updated");
    CHECK(reason(object("apps/v1", "Deployment", spec,
                        {{"observedGeneration", 1}, {"replicas", 4}, {"updatedReplicas", 3}, {"availableReplicas", 3}})) ==
          "1 old replicas still running");
    CHECK(reason(object("apps/v1", "Deployment", spec,
                        {{"observedGeneration", 1},
                         {"conditions", conditions({{"Progressing", "False", "ProgressDeadlineExceeded",
                                                     "ReplicaSet \"x-1\" has timed out progressing."}})}})) ==
          "rollout stuck: ProgressDeadlineExceeded: ReplicaSet \"x-1\" has timed out progressing.");
    CHECK(reason(object("apps/v1", "Deployment", spec,
                        {{"observedGeneration", 1}, {"replicas", 3}, {"updatedReplicas", 3}, {"availableReplicas", 3}})) ==
          "READY");
    // spec.replicas defaults to 1; zero replicas is ready at once.
    CHECK(reason(object("apps/v1", "Deployment", json::object(), {{"observedGeneration", 1}})) ==
          "0/1 updated, 0/1 available");
    CHECK(reason(object("apps/v1", "Deployment", {{"replicas", 0}}, {{"observedGeneration", 1}})) == "READY");
}

TEST_CASE("StatefulSet, DaemonSet and ReplicaSet readiness count their replicas") {
    CHECK(reason(object("apps/v1", "StatefulSet", {{"replicas", 2}},
                        {{"observedGeneration", 1}, {"readyReplicas", 1}, {"updatedReplicas", 2}})) == "1/2 ready");
    CHECK(reason(object("apps/v1", "StatefulSet",
                        {{"replicas", 3}, {"updateStrategy", {{"rollingUpdate", {{"partition", 2}}}}}},
                        {{"observedGeneration", 1}, {"readyReplicas", 3}, {"updatedReplicas", 1}})) == "READY");
    CHECK(reason(object("apps/v1", "StatefulSet", {{"replicas", 3}},
                        {{"observedGeneration", 1}, {"readyReplicas", 3}, {"updatedReplicas", 1}})) == "1/3 updated");
    CHECK(reason(object("apps/v1", "DaemonSet", nullptr,
                        {{"observedGeneration", 1}, {"desiredNumberScheduled", 4}, {"updatedNumberScheduled", 4},
                         {"numberAvailable", 2}})) == "2/4 available");
    CHECK(reason(object("apps/v1", "DaemonSet", nullptr,
                        {{"observedGeneration", 1}, {"desiredNumberScheduled", 4}, {"updatedNumberScheduled", 4},
                         {"numberAvailable", 4}})) == "READY");
    CHECK(reason(object("apps/v1", "ReplicaSet", {{"replicas", 2}}, {{"observedGeneration", 1}, {"availableReplicas", 2}})) ==
          "READY");
    CHECK(reason(object("apps/v1", "ReplicaSet", {{"replicas", 2}}, {{"observedGeneration", 1}})) == "0/2 available");
}

TEST_CASE("a Job is ready when Complete, and names why it failed") {
    CHECK(reason(object("batch/v1", "Job", json::object(), {{"active", 1}})) == "running: 1 active, 0/1 succeeded");
    CHECK(reason(object("batch/v1", "Job", json::object(),
                        {{"conditions", conditions({{"Complete", "True", "", ""}})}})) == "READY");
    CHECK(reason(object("batch/v1", "Job", json::object(),
                        {{"conditions", conditions({{"Failed", "True", "BackoffLimitExceeded",
                                                     "Job has reached the specified backoff limit"}})}})) ==
          "failed: BackoffLimitExceeded: Job has reached the specified backoff limit");
    CHECK(reason(object("batch/v1", "Job", {{"suspend", true}}, nullptr)) == "suspended");
}

TEST_CASE("a Pod is ready when Ready or Succeeded; otherwise its container's trouble is named") {
    json waiting = {{"phase", "Pending"},
                    {"containerStatuses",
                     {{{"name", "web"}, {"state", {{"waiting", {{"reason", "ImagePullBackOff"}, {"message", "Back-off pulling"}}}}}}}}};
    CHECK(reason(object("v1", "Pod", nullptr, waiting)) == "ImagePullBackOff");
    json config_error = {{"phase", "Pending"},
                         {"containerStatuses",
                          {{{"name", "web"},
                            {"state", {{"waiting", {{"reason", "CreateContainerConfigError"},
                                                    {"message", "secret \"db\" not found"}}}}}}}}};
    CHECK(reason(object("v1", "Pod", nullptr, config_error)) == "CreateContainerConfigError: secret \"db\" not found");
    json creating = {{"phase", "Pending"},
                     {"containerStatuses", {{{"name", "web"}, {"state", {{"waiting", {{"reason", "ContainerCreating"}}}}}}}}};
    CHECK(reason(object("v1", "Pod", nullptr, creating)) == "phase Pending");
    json unschedulable = {{"phase", "Pending"},
                          {"conditions", conditions({{"PodScheduled", "False", "Unschedulable",
                                                      "0/1 nodes are available: 1 Insufficient cpu."}})}};
    CHECK(reason(object("v1", "Pod", nullptr, unschedulable)) ==
          "Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.");
    CHECK(reason(object("v1", "Pod", nullptr, {{"phase", "Running"}, {"conditions", conditions({{"Ready", "True", "", ""}})}})) ==
          "READY");
    CHECK(reason(object("v1", "Pod", nullptr, {{"phase", "Succeeded"}})) == "READY");
    CHECK(reason(object("v1", "Pod", nullptr, {{"phase", "Failed"}, {"reason", "Evicted"}})) == "failed: Evicted");
    json crashed = {{"phase", "Running"},
                    {"initContainerStatuses",
                     {{{"name", "init"}, {"state", {{"terminated", {{"exitCode", 2}}}}}}}}};
    CHECK(reason(object("v1", "Pod", nullptr, crashed)) == "container init exited with code 2");
}

TEST_CASE("claims, load balancers, CRDs and Namespaces have their own rule") {
    CHECK(reason(object("v1", "PersistentVolumeClaim", nullptr, {{"phase", "Pending"}})) == "phase Pending");
    CHECK(reason(object("v1", "PersistentVolumeClaim", nullptr, nullptr)) == "not bound yet");
    CHECK(reason(object("v1", "PersistentVolumeClaim", nullptr, {{"phase", "Bound"}})) == "READY");
    CHECK(reason(object("v1", "Service", {{"type", "LoadBalancer"}}, json::object())) ==
          "waiting for a load balancer address");
    CHECK(reason(object("v1", "Service", {{"type", "LoadBalancer"}},
                        {{"loadBalancer", {{"ingress", {{{"ip", "192.168.1.10"}}}}}}})) == "READY");
    CHECK(reason(object("v1", "Service", {{"type", "ClusterIP"}}, nullptr)) == "READY");
    CHECK(reason(object("apiextensions.k8s.io/v1", "CustomResourceDefinition", nullptr, nullptr)) ==
          "not established yet");
    CHECK(reason(object("apiextensions.k8s.io/v1", "CustomResourceDefinition", nullptr,
                        {{"conditions", conditions({{"NamesAccepted", "False", "MultipleNamesNotAllowed", "taken"}})}})) ==
          "names not accepted: MultipleNamesNotAllowed: taken");
    CHECK(reason(object("apiextensions.k8s.io/v1", "CustomResourceDefinition", nullptr,
                        {{"conditions", conditions({{"Established", "True", "", ""}})}})) == "READY");
    CHECK(reason(object("v1", "Namespace", nullptr, {{"phase", "Terminating"}})) == "terminating");
    CHECK(reason(object("v1", "Namespace", nullptr, {{"phase", "Active"}})) == "READY");
}

TEST_CASE("any other kind is ready unless its Ready condition says otherwise; deletion is never ready") {
    CHECK(reason(object("v1", "ConfigMap", nullptr, nullptr)) == "READY");
    CHECK(reason(object("helm.cattle.io/v1", "HelmChart", nullptr,
                        {{"conditions", conditions({{"Ready", "False", "InstallFailed", "chart not found"}})}})) ==
          "Ready=False: InstallFailed: chart not found");
    CHECK(reason(object("example.com/v1", "Widget", nullptr, {{"conditions", conditions({{"Ready", "True", "", ""}})}})) ==
          "READY");
    json deleting = object("v1", "ConfigMap", nullptr, nullptr);
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
    CHECK(reason(deleting) == "being deleted");
    // A kind name alone is not enough: a Deployment of another group follows the generic rule.
    CHECK(reason(object("example.com/v1", "Deployment", {{"replicas", 3}}, nullptr)) == "READY");
}

TEST_CASE("hostile status shapes give a reason, never an exception") {
    json weird = object("apps/v1", "Deployment", {{"replicas", "three"}}, {{"observedGeneration", "x"}, {"conditions", 7}});
    CHECK_NOTHROW(kube::not_ready_reason(weird));
    CHECK(reason(json::array()) == "not an object");
    CHECK_NOTHROW(kube::pod_problem(json("pod")));
    CHECK_FALSE(kube::pod_problem(json::object()));
}

TEST_CASE("workloads name their pods by the selector's matchLabels") {
    json d = object("apps/v1", "Deployment", {{"selector", {{"matchLabels", {{"app", "web"}, {"tier", "front"}}}}}}, nullptr);
    CHECK(kube::pod_selector(d) == std::map<std::string, std::string>{{"app", "web"}, {"tier", "front"}});
    CHECK(kube::pod_selector(object("v1", "Service", {{"selector", {{"matchLabels", {{"a", "b"}}}}}}, nullptr)).empty());
}
