#pragma once
// droverctl rollouts
//   GET /api/v1/rollouts: every bundle's rollout, its phase and progress.
// droverctl rollout status BUNDLE [--follow]
//   GET /api/v1/rollouts/BUNDLE: phase, progress, why it halted, and each
//   agent's revision and state. --follow polls once a second, prints a line
//   whenever the progress changes, and ends when the rollout does: exit 0
//   complete, 1 halted or aborted.
// droverctl rollout pause|resume|abort BUNDLE
//   POST /api/v1/rollouts/BUNDLE/ACTION. Exit 1 when the hub refuses
//   (nothing to pause in a complete rollout, a halted one only aborts), 4
//   when the bundle has no rollout.
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kRolloutsHelp;
extern const char* const kRolloutHelp;

// "batches: 6/10 updated, 5 Ready, 0 failed, 4 waiting (1 offline, skipped)"
std::string rollout_progress_line(const nlohmann::json& rollout);
// One rollout in full: commits, phase, reason, progress, its agents.
std::string format_rollout(const nlohmann::json& rollout);
std::string format_rollouts(const nlohmann::json& rollouts);

int run_rollouts(const Context& ctx, std::span<const std::string> args);
int run_rollout(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
