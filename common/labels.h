#pragma once
// Labels are Kubernetes-style key/value pairs; agents are targeted by them.
#include <map>
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover {

using Labels = std::map<std::string, std::string>;

// Key: optional DNS prefix "example.com/" + name of <= 63 chars
// [A-Za-z0-9] with -_. inside. Value: <= 63 chars of the same, may be empty.
Result<void> validate_label(std::string_view key, std::string_view value);
// "k=v,k2=v2" -> Labels; empty string -> {}. Duplicate keys are an error.
Result<Labels> parse_labels(std::string_view text);
std::string format_labels(const Labels& labels);  // "k=v,k2=v2"

}  // namespace drover
