#pragma once
// A `git push` to the hub (POST /git/fleet.git/git-receive-pack), handled
// end to end on a worker thread: the pack goes into a quarantine; every new
// commit on the deploy branch is rendered for the current fleet; only when
// all of them render does the pack join the repository and the branch move
// (compare-and-swap against the old id the client saw). The client hears
// why a push was refused, file and line, and what a good one changes.
//
// Pushes are validated and applied one at a time. A push whose old id is
// no longer the branch's (another push won) is refused at once: "ref moved".
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hub/server/body_spool.h"
#include "hub/server/deployment.h"
#include "hub/server/git_watcher.h"
#include "hub/server/http_message.h"
#include "hub/server/metrics.h"
#include "hub/server/push_summary.h"

namespace drover::hub {

struct PushSettings {
    std::string repo_path;
    std::string branch = "main";  // the deploy branch
    bool allow_non_fast_forward = false;
    std::string agent = "drover";  // our agent= capability
    // Commits validated per push: the newest this many new commits on the
    // deploy branch. A push bringing in a longer history (the first push of
    // an existing repository) has its older commits skipped, and says so.
    size_t max_validated_commits = 100;
    render::Limits limits;  // what each validated commit must render within
    // Where push counts and timings go (Fleet::metrics()); none when null.
    HubMetrics* metrics = nullptr;
};

// Taken on the event loop when the request body is complete.
struct PushContext {
    std::vector<AgentTarget> agents;
    std::shared_ptr<const Deployment> current;
    std::string pusher;  // "admin" or a push token's id, for events
};

struct PushOutcome {
    HttpResponse response;
    std::vector<std::pair<std::string, std::string>> events;  // kind, message: for the store
};

class PushHandler {
public:
    // `offer` receives the rendered revision just before the deploy branch
    // moves to it, so the watcher deploys it without rendering it again
    // (an offer whose move then fails is never used: the branch never
    // points at it, or points at it with the same content); `moved` is
    // called once it has moved.
    PushHandler(PushSettings settings, const SigningKey& key, std::function<void(GitUpdate)> offer,
                std::function<void()> moved = {})
        : settings_(std::move(settings)), key_(key), offer_(std::move(offer)), moved_(std::move(moved)) {}
    const PushSettings& settings() const { return settings_; }
    PushOutcome handle(const BodySpool& body, const PushContext& context);

private:
    PushSettings settings_;
    const SigningKey& key_;
    std::function<void(GitUpdate)> offer_;
    std::function<void()> moved_;
    std::mutex mutex_;
};

}  // namespace drover::hub
