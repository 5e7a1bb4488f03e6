#pragma once
// Standard base64 (RFC 4648 section 4, with padding), as Kubernetes uses it
// for Secret data and kubeconfig *-data fields.
#include <optional>
#include <string>
#include <string_view>

namespace drover::kts {

std::string base64_encode(std::string_view bytes);
// nullopt unless text is canonical padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace drover::kts
