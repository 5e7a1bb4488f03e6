#pragma once
// Label selectors in query strings, Kubernetes' string syntax:
//   role=gateway,region!=eu,tier in (a,b),zone notin (x),gpu,!legacy
// Requirements are ANDed. "k=v" and "k==v" are equality; "k!=v" and "notin"
// match agents without the key too (as in Kubernetes). The result is a
// render::Selector, so matching is exactly what bundle targets do.
#include <string_view>

#include "common/error.h"
#include "hub/render/selector.h"

namespace drover::hub {

// An empty string selects everything. Errors name the position and what
// was expected there.
Result<render::Selector> parse_label_selector(std::string_view text);

}  // namespace drover::hub
