#pragma once
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover {

// Write to a temporary file in the same directory, fsync it, rename it over
// path and fsync the directory: readers see the old or the new file, never a
// torn one, even across power loss.
Result<void> write_file_atomic(const std::string& path, std::string_view data, unsigned mode = 0644);
// Read a whole file, refusing files larger than max_bytes.
Result<std::string> read_file(const std::string& path, size_t max_bytes = 16 << 20);
Result<void> make_dirs(const std::string& path, unsigned mode = 0755);
// The directory part of path: "a/b" -> "a", "/a" -> "/", "a" -> ".".
std::string parent_dir(const std::string& path);
// rename(2), then fsync the directory so the rename survives power loss.
Result<void> rename_durably(const std::string& from, const std::string& to);
bool path_exists(const std::string& path);

}  // namespace drover
