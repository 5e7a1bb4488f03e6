#pragma once
// droverctl revoke AGENT: POST /api/v1/agents/AGENT/revoke. The hub ends
// the agent's session and refuses its credential from then on (a lost or
// stolen device). Exit 4 when there is no such agent.
#include <span>
#include <string>

#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kRevokeHelp;

int run_revoke(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
