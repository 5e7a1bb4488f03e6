#pragma once
// Customizations: per-target variations of a bundle's objects. Applied in
// this order: patches (in the order listed), image rewrites, labels. The
// bundle namespace is forced afterwards, so a patch cannot move an object out
// of it.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hub/render/bundle_config.h"
#include "hub/render/file_map.h"
#include "hub/render/render_limits.h"
#include "hub/render/manifests.h"
#include "hub/render/problem.h"

namespace drover::render {

// The patch files of one render, each parsed once however many
// customizations use it; a file that failed to parse is reported once.
class PatchFiles {
public:
    PatchFiles(const FileMap& files, const Limits& limits) : files_(files), limits_(limits) {}
    // nullptr when the file is missing (reported at ref) or did not parse.
    const std::vector<SourceDoc>* get(const PatchRef& ref, Problems& problems);

private:
    const FileMap& files_;
    const Limits& limits_;
    std::map<std::string, std::optional<std::vector<SourceDoc>>> parsed_;
};

// Each patch document is an RFC 7386 merge patch applied to every object with
// the same kind and metadata.name; a patch matching no object, and a patch
// that leaves an object without apiVersion, kind or metadata.name, is a
// problem. `images` rewrites container images (images.h); `labels` are set on
// every object's metadata.labels, replacing values already there.
void customize(std::vector<SourceObject>& objects, const CustomizationConfig& customization, PatchFiles& patch_files,
               Problems& problems);

}  // namespace drover::render
