#pragma once
// Paths inside a fleet repository: relative, '/'-separated, as in a Git tree
// ("web/overlays/small/replicas.yaml"); the root directory is "".
#include <optional>
#include <string>
#include <string_view>

namespace drover::render {

// "web/bundle.yaml" -> "web"; "bundle.yaml" -> "".
std::string_view parent_dir(std::string_view path);
// "web/bundle.yaml" -> "bundle.yaml".
std::string_view base_name(std::string_view path);
// True when path lies below dir ("" holds everything); dir itself is not below.
bool is_below(std::string_view path, std::string_view dir);
// The path below dir, without the "dir/" prefix (path must be below dir).
std::string_view relative_to(std::string_view path, std::string_view dir);
// dir + "/" + relative with "." and ".." resolved; nullopt when relative is
// absolute, empty, or climbs out of dir.
std::optional<std::string> join_inside(std::string_view dir, std::string_view relative);

}  // namespace drover::render
