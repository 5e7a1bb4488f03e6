#pragma once
#include <map>
#include <string>

namespace drover::render {

// A fleet repository's files: repository-relative path ('/'-separated, as in
// a Git tree) -> contents.
using FileMap = std::map<std::string, std::string>;

}  // namespace drover::render
