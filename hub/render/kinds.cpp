#include "hub/render/kinds.h"

#include <array>

namespace drover::render {

static constexpr std::array<std::string_view, 26> kClusterScoped = {
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CustomResourceDefinition",
    "FlowSchema",
    "IPAddress",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "ServiceCIDR",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeSnapshotClass",
};

// Namespaces and CRDs first (everything else may live in or be one of
// them), then Helm's InstallOrder (pkg/releaseutil/kind_sorter.go).
static constexpr std::array<std::string_view, 35> kApplyOrder = {
    "Namespace",
    "CustomResourceDefinition",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "PriorityClass",
    "RuntimeClass",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "HelmChart",
};

bool builtin_cluster_scoped(std::string_view kind) {
    for (auto k : kClusterScoped)
        if (k == kind) return true;
    return false;
}

int apply_rank(std::string_view kind) {
    for (size_t i = 0; i < kApplyOrder.size(); ++i)
        if (kApplyOrder[i] == kind) return static_cast<int>(i);
    return kUnknownKindRank;
}

std::string_view api_group(std::string_view api_version) {
    auto slash = api_version.find('/');
    return slash == std::string_view::npos ? std::string_view{} : api_version.substr(0, slash);
}

}  // namespace drover::render
