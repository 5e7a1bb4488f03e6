#pragma once
// The bundle renderer: a fleet repository's files -> every bundle's specs,
// or the list of problems that refuses the push. Pure logic: no I/O beyond
// the FileMap it is given (read_directory.h and hub/git produce FileMaps),
// no shared state: safe to run on any worker thread.
//
// Repository format (bundles/README.md is the user documentation):
//  - fleet.yaml at the root (optional): groups of agents by label selector.
//  - Any directory with a bundle.yaml is a bundle; bundles do not nest.
//  - The bundle's *.yaml, *.yml and *.json files below its directory are its
//    manifests, except bundle.yaml, everything under overlays/, and files or
//    directories whose name starts with '.'.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "hub/render/canonical.h"
#include "hub/render/file_map.h"
#include "hub/render/render_limits.h"
#include "hub/render/match.h"
#include "hub/render/problem.h"
#include "hub/render/read_directory.h"
#include "hub/render/rollout_config.h"
#include "hub/render/selector.h"

namespace drover::render {

struct Bundle {
    std::string name;
    std::string path;  // bundle directory in the repository, "" for the root
    std::string ns;    // forced namespace, "" when not set
    std::vector<Match> targets;  // OR of entries; empty: targets nobody

    struct Customization {
        std::string name;
        Match match;
        size_t spec = 0;  // index into specs
    };
    std::vector<Customization> customizations;  // first match wins
    size_t default_spec = 0;                      // index into specs
    // The default spec and one per customization; customizations that render
    // to the same bytes share one entry (named after the first of them).
    std::vector<Spec> specs;

    std::vector<std::string> depends_on;  // sorted
    bool keep_resources = false;
    bool self_heal = true;
    // Hub-side only (not in any spec): how a new revision spreads, and
    // whether it spreads at all.
    std::optional<RolloutPolicy> rollout;
    bool paused = false;

    bool targets_agent(const Labels& labels, std::string_view agent_name, const Groups& groups) const;
    // nullptr when this agent is not targeted; otherwise the spec of the
    // first matching customization, else the default spec.
    const Spec* spec_for(const Labels& labels, std::string_view agent_name, const Groups& groups) const;
};

struct Fleet {
    Groups groups;
    std::vector<Bundle> bundles;  // sorted by name

    const Bundle* find(std::string_view name) const;
};

// Never throws and never crashes on any input; every problem found (up to
// Problems::kDefaultCap) is returned, ordered by file and line.
std::expected<Fleet, std::vector<Problem>> render_fleet(const FileMap& files, const Limits& limits = {});

// Whether the renderer may read a file at this path (*.yaml, *.yml, *.json).
// Readers of working trees and Git commits load only these.
bool is_render_input(std::string_view path);

}  // namespace drover::render
