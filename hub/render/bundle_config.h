#pragma once
// bundle.yaml: what a bundle is called, where it goes, and how it varies.
// Unknown keys are refused (a typo such as `taregts` must not silently
// deploy to nobody). A key set to null counts as not set.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/labels.h"
#include "hub/render/match.h"
#include "hub/render/problem.h"
#include "hub/render/rollout_config.h"
#include "hub/render/source.h"

namespace drover::render {

// Where a value was written, for problems found later (missing files,
// unknown bundle names, cycles).
struct Origin {
    std::string file;
    int line = 0;
    std::string path;  // "customizations[0].patches[1]"

    std::string describe(std::string_view message) const;
};

struct PatchRef {
    std::string path;  // repository-relative, resolved against the bundle directory
    std::string written;  // as written in bundle.yaml
    Origin origin;
};

struct CustomizationConfig {
    std::string name;
    Match match;
    std::map<std::string, std::string> images;  // repository -> replacement image
    std::vector<PatchRef> patches;
    Labels labels;
};

struct Dependency {
    std::string bundle;
    Origin origin;
};

struct BundleConfig {
    std::string file;  // ".../bundle.yaml"
    std::string dir;   // the bundle directory, "" for the repository root
    std::string name;
    std::string ns;    // "" when not set
    std::vector<Match> targets;
    std::vector<CustomizationConfig> customizations;
    std::vector<Dependency> depends_on;
    std::optional<RolloutPolicy> rollout;
    bool paused = false;
    bool keep_resources = false;
    bool self_heal = true;
};

// The name a bundle gets without `name:`: its directory with '/' -> '-'.
std::string default_bundle_name(std::string_view dir);

// doc is nullptr for an empty bundle.yaml (a bundle that targets nobody).
// Adds every problem found; nullopt if there was any.
std::optional<BundleConfig> parse_bundle_config(const std::string& file, const SourceDoc* doc,
                                                const GroupNames& groups, Problems& problems);

}  // namespace drover::render
