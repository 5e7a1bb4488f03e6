#pragma once
// Kubernetes' protobuf encoding ("k8s\0" + runtime.Unknown wrapping the
// object), which kubectl's typed generators (kubectl create namespace,
// configmap, secret, serviceaccount) send instead of JSON. Only those four
// kinds are decoded, into the JSON the same object would have; anything
// else is an error asking for JSON. Untrusted input: every length is
// checked, nothing is trusted to be well formed.
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace drover::kts {

using json = nlohmann::json;

constexpr std::string_view kProtobufMediaType = "application/vnd.kubernetes.protobuf";

Result<json> decode_kubernetes_protobuf(std::string_view body);

}  // namespace drover::kts
