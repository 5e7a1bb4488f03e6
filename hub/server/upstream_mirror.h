#pragma once
// Mirror mode (drover-hub serve --git-upstream URL): the hub follows a
// branch of an upstream repository instead of taking pushes. On its own
// thread it fetches (libgit2) every interval, and at once when wake() is
// called (the webhook). A new upstream commit is rendered for the fleet
// like a pushed one; a good one becomes the deploy branch's tip (the
// watcher deploys it), a bad one is reported through `report` and not
// deployed, so the last good revision keeps running.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "hub/git/upstream.h"
#include "hub/server/git_watcher.h"

namespace drover::hub {

// What the mirror saw, for the event loop: a refused commit (problems, one
// per line) or a fetch that failed (error); both empty: a good commit.
struct MirrorReport {
    std::string commit;
    std::string summary;
    std::string problems;
    std::string fetch_error;
};

class UpstreamMirror {
public:
    UpstreamMirror(std::string repo_path, git::Upstream upstream, std::string deploy_branch, const SigningKey& key,
                   std::chrono::milliseconds interval, std::function<void(GitUpdate)> offer,
                   std::function<void()> moved, std::function<void(MirrorReport)> report);
    ~UpstreamMirror();
    void start();
    void stop();
    void wake();  // fetch now (thread-safe)
    // Render within these limits (default: render::Limits{}). Call before start().
    void set_limits(const render::Limits& limits) { limits_ = limits; }

private:
    void run();
    void follow(git::Repo& repo);

    std::string repo_path_;
    git::Upstream upstream_;
    std::string deploy_branch_;
    const SigningKey& key_;
    render::Limits limits_;
    std::chrono::milliseconds interval_;
    std::function<void(GitUpdate)> offer_;
    std::function<void()> moved_;
    std::function<void(MirrorReport)> report_;
    std::optional<std::string> checked_;  // the last upstream commit validated
    std::string last_error_;              // reported once until it changes
    std::mutex mutex_;
    std::condition_variable wake_;
    bool poked_ = false;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace drover::hub
