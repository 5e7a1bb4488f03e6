#pragma once
// CustomResourceDefinitions (apiextensions.k8s.io/v1): their validation,
// defaults, status conditions, and the resource types an established CRD
// adds to the catalog. A CRD is served (in discovery, its custom resources
// accepted) once its Established condition is True, as with kube-apiserver.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/kube-testserver/kube_status.h"
#include "tools/kube-testserver/resource_catalog.h"

namespace drover::kts {

using json = nlohmann::json;

constexpr const char* kCrdGroup = "apiextensions.k8s.io";
constexpr const char* kCrdResource = "customresourcedefinitions";

std::vector<FieldError> validate_crd(const json& crd, const ResourceCatalog& catalog);
// spec.names.singular (lower-case kind) and spec.names.listKind (kind+"List").
void default_crd(json& crd);
// status.conditions NamesAccepted=True and Established=True (or False with
// reason Installing), acceptedNames and storedVersions. Keeps a
// condition's lastTransitionTime while its status does not change.
void set_crd_status(json& crd, bool established, const std::string& time);
bool crd_established(const json& crd);
// One type per served version; none until established.
std::vector<ResourceType> served_types(const json& crd);

}  // namespace drover::kts
