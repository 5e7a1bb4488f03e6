#pragma once
// Manifest files: the Kubernetes objects a bundle deploys. `*.yaml` and
// `*.yml` files are multi-document YAML (empty documents skipped); `*.json`
// files hold one object. A `kind: List` (apiVersion v1) is expanded into its
// items, as kubectl does (Lists inside Lists too, up to the nesting limit). Every object must be a mapping with string
// apiVersion, kind and metadata.name; metadata.namespace and metadata.labels,
// when present, must be a string and a mapping.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "hub/render/render_limits.h"
#include "hub/render/problem.h"
#include "hub/render/source.h"

namespace drover::render {

struct SourceObject {
    nlohmann::json value;
    std::string file;
    int line = 0;
};

// *.yaml, *.yml, *.json: the files the renderer reads.
bool is_manifest_name(std::string_view path);

// Parses one YAML (multi-document) or JSON file by its extension, with the
// nesting and size limits applied. Problems carry file and line.
std::vector<SourceDoc> parse_documents(const std::string& path, std::string_view bytes, const Limits& limits,
                                       size_t line_depth, Problems& problems);

// The objects of one manifest file; objects that break the rules above are
// reported and left out.
std::vector<SourceObject> load_manifest(const std::string& path, std::string_view bytes, const Limits& limits,
                                        Problems& problems);

// Checks the rules above on an object, e.g. after a patch changed it.
// Returns the first broken rule as "path: reason", or "" when it holds.
std::string object_shape_problem(const nlohmann::json& object);

}  // namespace drover::render
