#pragma once
// droverctl as a function: arguments in, text out, exit code back. main()
// passes argv, std::cout/std::cerr and getenv; tests pass their own.
#include <iosfwd>
#include <string>
#include <vector>

#include "tools/droverctl/command_line.h"

namespace drover::ctl {

// args excludes the program name. Returns the exit code (see context.h).
int run_droverctl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const EnvLookup& env);

}  // namespace drover::ctl
