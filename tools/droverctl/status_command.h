#pragma once
// droverctl status | agents | bundles: GET /api/v1/status, shown whole or
// one table of it. -o json prints the hub's JSON unchanged (agents and
// bundles: just that array of it).
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kStatusHelp;
extern const char* const kAgentsHelp;
extern const char* const kBundlesHelp;

enum class StatusView { all, agents, bundles };

// The table text for a /api/v1/status answer:
//   all:     a revision line (and an ERROR line when the newest commit was
//            refused), the AGENTS table, PROBLEMS (bundles on agents that
//            report a message and are not Ready), the BUNDLES table;
//   agents:  the AGENTS table (and PROBLEMS);
//   bundles: the BUNDLES table: NAME, COMMIT (the commit that last changed
//            the bundle, "-" when unknown), REVISION (the deployed commit of
//            the repository), READY, NOT READY, STATES.
std::string format_status(const nlohmann::json& status, StatusView view);

int run_status(const Context& ctx, std::span<const std::string> args, StatusView view);

}  // namespace drover::ctl
