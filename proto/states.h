#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "drover.pb.h"

namespace drover {

// "Ready", "NotReady", "WaitingForDependency", ... as users see them.
const char* state_name(v1::State state);
std::optional<v1::State> parse_state(std::string_view name);

}  // namespace drover
