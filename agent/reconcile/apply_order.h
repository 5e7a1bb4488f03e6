#pragma once
// The order bundles are reconciled in: every bundle after the bundles it
// depends on, ties broken by name. Dependencies on bundles outside the set
// are ignored here (the reconciler reports WaitingForDependency for them).
// Bundles caught in a cycle cannot be ordered; they come last, by name, and
// their dependencies will never be Ready first.
#include <map>
#include <string>
#include <vector>

namespace drover::reconcile {

// bundle -> its dependsOn
std::vector<std::string> apply_order(const std::map<std::string, std::vector<std::string>>& depends_on);

}  // namespace drover::reconcile
