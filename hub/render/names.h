#pragma once
#include <string_view>

namespace drover::render {

// RFC 1123 label as Kubernetes uses it for namespaces: 1-63 characters of
// [a-z0-9-], starting and ending alphanumeric. Bundle names, namespaces,
// group and customization names are all such labels.
bool is_dns_label(std::string_view s);

}  // namespace drover::render
