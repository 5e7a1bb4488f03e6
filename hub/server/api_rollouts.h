#pragma once
// The staged rollouts API (hub/server/rollouts.h):
//   GET  /api/v1/rollouts                 every bundle's rollout, newest revision's
//   GET  /api/v1/rollouts/NAME            one, with each targeted agent
//   POST /api/v1/rollouts/NAME/pause      hold it where it is
//   POST /api/v1/rollouts/NAME/resume     go on
//   POST /api/v1/rollouts/NAME/abort      give every updated agent the previous revision back
// A rollout: bundle, target and from commits, phase (canary, soaking,
// batches, complete, halted, aborted), paused, reason (why it halted or was
// aborted), started_at, and progress counted now: targeted, updated, ready,
// failed (not Ready past progressDeadline; once complete, reporting Failed),
// waiting, offline_skipped.
#include "hub/server/fleet.h"
#include "hub/server/http_message.h"

namespace drover::hub {

HttpResponse list_rollouts(Fleet& fleet);
HttpResponse get_rollout(Fleet& fleet, const std::string& bundle);
// action: "pause", "resume" or "abort"; `who` names the caller in the event.
HttpResponse control_rollout(Fleet& fleet, const std::string& bundle, const std::string& action, const std::string& who);

}  // namespace drover::hub
