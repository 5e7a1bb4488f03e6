#pragma once
// What the renderer knows about Kubernetes kinds without asking a cluster:
// which built-in kinds are cluster-scoped, and the order to apply kinds in.
#include <string>
#include <string_view>

namespace drover::render {

// Built-in cluster-scoped kinds, by kind name alone: Namespace, Node,
// PersistentVolume, CustomResourceDefinition, APIService, ClusterRole,
// ClusterRoleBinding, StorageClass, CSIDriver, CSINode, VolumeAttachment,
// PriorityClass, RuntimeClass, IngressClass, MutatingWebhookConfiguration,
// ValidatingWebhookConfiguration, ValidatingAdmissionPolicy(Binding),
// CertificateSigningRequest, FlowSchema, PriorityLevelConfiguration,
// PodSecurityPolicy, ComponentStatus, IPAddress, ServiceCIDR, and the
// snapshot CRD VolumeSnapshotClass.
// Every other kind (custom resources included) is namespaced unless the
// bundle itself defines it with a CustomResourceDefinition of scope Cluster.
bool builtin_cluster_scoped(std::string_view kind);

// Apply order, lowest first: Namespace and CustomResourceDefinition, then
// Helm's install order (policies, ServiceAccount, Secret, ConfigMap,
// storage, RBAC, Service, workloads, Ingress, webhooks), then K3s's
// HelmChart (it installs charts that may need all of the above); kinds not listed
// (custom resources) come last with rank kUnknownKindRank.
constexpr int kUnknownKindRank = 1000;
int apply_rank(std::string_view kind);

// "apps/v1" -> "apps"; "v1" -> "" (the core group).
std::string_view api_group(std::string_view api_version);

}  // namespace drover::render
