#pragma once
// Readiness of live Kubernetes objects, judged from their JSON alone (no
// API calls; the kube applier fetches what is judged). Rules, per kind:
//   any kind     being deleted (metadata.deletionTimestamp) is not ready
//   Deployment   the controller saw this generation; updated and available
//                replicas reach spec.replicas; no ProgressDeadlineExceeded
//   StatefulSet  ready replicas reach spec.replicas; updated ones too under
//                RollingUpdate (minus the partition)
//   DaemonSet    updated and available reach desiredNumberScheduled
//   ReplicaSet   available replicas reach spec.replicas
//   Job          condition Complete; Failed or still running is not ready
//   Pod          phase Succeeded, or condition Ready=True
//   PersistentVolumeClaim  phase Bound
//   Service      type LoadBalancer needs an ingress address; others are ready
//   CustomResourceDefinition  condition Established=True
//   Namespace    not Terminating
//   anything else  ready unless it has a Ready condition that is not True
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace drover::kube {

// nullopt: ready. Otherwise why not, without the object's name:
// "1/3 available", "failed: BackoffLimitExceeded".
std::optional<std::string> not_ready_reason(const nlohmann::json& live);

// What is wrong with a pod, without its name: "ImagePullBackOff",
// "CreateContainerConfigError: secret \"db\" not found",
// "Unschedulable: 0/1 nodes are available". nullopt when nothing is (a pod
// that is merely starting included).
std::optional<std::string> pod_problem(const nlohmann::json& pod);

// The pods that explain a workload (Deployment, StatefulSet, DaemonSet,
// ReplicaSet, Job): its spec.selector.matchLabels. Empty for other kinds
// and for selectors without matchLabels.
std::map<std::string, std::string> pod_selector(const nlohmann::json& live);

}  // namespace drover::kube
