#pragma once
// What an operator does to an agent's credential:
//   droverctl revoke AGENT             POST /api/v1/agents/AGENT/revoke: the hub
//       ends the agent's session and refuses its credential from then on (a
//       lost or stolen device).
//   droverctl rotate-credential AGENT  POST /api/v1/agents/AGENT/rotate-credential:
//       the hub hands the agent a new credential (now, or at its next session)
//       and forgets the old one once the agent has stored it.
// Exit 4 when there is no such agent.
#include <span>
#include <string>

#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kRevokeHelp;
extern const char* const kRotateCredentialHelp;

int run_revoke(const Context& ctx, std::span<const std::string> args);
int run_rotate_credential(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
