#pragma once
// Processes holding one socket per agent (the hub, fleetsim, chaosproxy)
// need more descriptors than the usual soft limit (1024 under systemd).
#include <cstdint>

namespace drover {

// Raises the soft open-file limit to the hard one. Returns the soft limit
// now in force (0 if it cannot be read).
uint64_t raise_open_file_limit();

}  // namespace drover
