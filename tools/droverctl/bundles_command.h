#pragma once
// droverctl bundles
//   GET /api/v1/bundles: each deployed bundle's last changing commit, the
//   deployed revision, and how many targeted agents are in each state.
// droverctl bundle NAME [--state STATE]
//   GET /api/v1/bundles/NAME: the same counts and which agents are in which
//   state; with --state, only that state's agent names, one per line. Exit 4
//   when no such bundle is deployed.
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kBundlesHelp;
extern const char* const kBundleHelp;

// The BUNDLES table: NAME, COMMIT, REVISION, READY (ready/targeted), then
// one column per other state and OFFLINE.
std::string format_bundles(const nlohmann::json& bundles);
// One bundle's detail: commit, revision, counts, and per state the number
// of agents and the first of their names.
std::string format_bundle(const nlohmann::json& bundle);

int run_bundles(const Context& ctx, std::span<const std::string> args);
int run_bundle(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
