#pragma once
// Watches the deploy branch of the hub's bare repository on its own thread.
// A new commit is read, rendered, signed and compressed there (never on the
// event loop) and the result handed to `deliver`, which the caller makes run
// on the loop. Polling a ref is one small file read, so a short interval
// (250 ms) notices a `git push` well within a second.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "hub/git/repository.h"
#include "hub/server/deployment.h"
#include "hub/server/rollouts.h"
#include "hub/server/metrics.h"

namespace drover::hub {

struct GitUpdate {
    std::string commit;
    std::string summary;  // first line of the commit message
    DeploymentResult result;
    bool startup = false;  // the revision the hub had deployed before it restarted
    // With startup: the older commits its rollouts keep agents on, rendered
    // again (a commit that failed to render is missing).
    Revisions referenced;
};

class GitWatcher {
public:
    GitWatcher(std::string repo_path, std::string branch, const SigningKey& key,
               std::function<void(GitUpdate)> deliver,
               std::chrono::milliseconds interval = std::chrono::milliseconds(250));
    ~GitWatcher();
    // Time each revision this watcher renders into `seconds`. Call before start().
    void observe_renders(Histogram& seconds) { render_seconds_ = &seconds; }
    // Render within these limits (default: render::Limits{}). Call before start().
    void set_limits(const render::Limits& limits) { limits_ = limits; }
    // Render `deployed` first (the last good revision, if any) with the
    // older commits its rollouts reference, then follow the branch.
    void start(std::optional<std::string> deployed, std::set<std::string> referenced = {});
    void stop();
    // A revision already rendered (by a push, or the mirror) that the branch
    // is about to point at: used instead of rendering it again. Thread-safe.
    void offer(GitUpdate update);
    // The branch moved: look at it now rather than at the next poll. Thread-safe.
    void poke();

private:
    void run(std::optional<std::string> deployed, const std::set<std::string>& referenced);
    GitUpdate render(git::Repo& repo, const std::string& commit);

    std::string repo_path_;
    std::string branch_;
    const SigningKey& key_;
    render::Limits limits_;
    std::function<void(GitUpdate)> deliver_;
    std::chrono::milliseconds interval_;
    Histogram* render_seconds_ = nullptr;
    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<GitUpdate> offered_;
    bool poke_ = false;
    std::thread thread_;
};

}  // namespace drover::hub
