#pragma once
// fleet.yaml at the repository root (optional): `groups: {NAME: selector}`.
#include <optional>

#include "hub/render/match.h"
#include "hub/render/problem.h"
#include "hub/render/source.h"

namespace drover::render {

struct FleetConfig {
    Groups groups;     // the groups whose selectors are valid
    GroupNames names;  // every group defined, valid or not
};

// doc is nullptr when fleet.yaml is absent or empty (no groups). Adds every
// problem found. A group with a bad selector is reported here and still
// named in `names`, so bundles using it do not also get "unknown group".
FleetConfig parse_fleet_config(const SourceDoc* doc, Problems& problems);

}  // namespace drover::render
