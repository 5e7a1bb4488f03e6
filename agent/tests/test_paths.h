#pragma once
// Where the build and source trees are, for tests that run other binaries
// or read files kept in the repository. Derived from DROVER_AGENT_BINARY
// (BUILD/agent/drover-agent, set by agent/meson.build) and from this
// header's own path (relative to BUILD when the compiler was given relative
// paths, as meson does).
#include <string>

namespace drover::testing {

inline std::string build_root() {
    std::string bin = DROVER_AGENT_BINARY;
    return bin.substr(0, bin.rfind("/agent/"));
}

inline std::string source_root() {
    std::string file = __FILE__;
    std::string dir = file.substr(0, file.rfind("/agent/tests/"));
    return dir.starts_with("/") ? dir : build_root() + "/" + dir;
}

}  // namespace drover::testing
