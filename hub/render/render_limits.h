#pragma once
// Bounds on what one fleet repository may make the hub do. A push beyond any
// of them is refused with a Problem naming the limit, before the work is done.
#include <cstddef>

namespace drover::render {

struct Limits {
    size_t max_files = 10000;              // render inputs (*.yaml, *.yml, *.json) in the repository
    size_t max_file_bytes = 8 << 20;       // one input file
    size_t max_bundles = 1000;
    size_t max_objects_per_bundle = 5000;
    size_t max_spec_bytes = 64 << 20;      // one rendered spec's canonical JSON
    size_t max_depth = 64;                 // nesting of YAML/JSON collections
};

}  // namespace drover::render
