#pragma once
// droverctl status: GET /api/v1/status, everything at once. -o json prints
// the hub's JSON unchanged. (agents and bundles have their own paginated
// endpoints: agents_command.h, bundles_command.h.)
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kStatusHelp;

// The table text for a /api/v1/status answer: a revision line (and an
// ERROR line when the newest commit was refused), a headline (agents
// registered / online / offline, bundles healthy / degraded), the AGENTS
// table, PROBLEMS (bundles on agents that report a message and are not
// Ready), and the BUNDLES table: NAME, COMMIT (the commit that last changed
// the bundle, "-" when unknown), REVISION (the deployed commit of the
// repository), READY, NOT READY, STATES.
std::string format_status(const nlohmann::json& status);

int run_status(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
