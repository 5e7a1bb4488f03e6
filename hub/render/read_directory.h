#pragma once
// For `droverctl lint PATH` and tests: a working tree as a FileMap.
#include <string>

#include "common/error.h"
#include "hub/render/file_map.h"
#include "hub/render/render_limits.h"

namespace drover::render {

// Reads the render inputs (*.yaml, *.yml, *.json) below root, as a Git tree
// would hold them: regular files only (symlinks are skipped, as Git stores
// them as links), `.git` skipped. Fails, naming the file, when a render input
// is larger than limits.max_file_bytes, there are more than limits.max_files
// of them, or together they hold more than limits.max_input_bytes.
Result<FileMap> read_directory(const std::string& root, const Limits& limits = {});

}  // namespace drover::render
