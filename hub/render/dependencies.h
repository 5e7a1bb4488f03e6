#pragma once
// dependsOn between bundles: every name must be a bundle of the fleet, and
// the graph must be acyclic (a cycle would leave every bundle on it
// WaitingForDependency forever).
#include <vector>

#include "hub/render/bundle_config.h"
#include "hub/render/problem.h"

namespace drover::render {

// Reports unknown bundle names and each cycle, named in full
// ("dependsOn cycle: a -> b -> a"), at the dependsOn entry that closes it.
void check_dependencies(const std::vector<BundleConfig>& bundles, Problems& problems);

}  // namespace drover::render
