#include "hub/server/git_watcher.h"

#include <utility>

#include "common/log.h"
#include "hub/git/repository.h"

namespace drover::hub {

GitWatcher::GitWatcher(std::string repo_path, std::string branch, const SigningKey& key,
                       std::function<void(GitUpdate)> deliver, std::chrono::milliseconds interval)
    : repo_path_(std::move(repo_path)),
      branch_(std::move(branch)),
      key_(key),
      deliver_(std::move(deliver)),
      interval_(interval) {}

GitWatcher::~GitWatcher() { stop(); }

void GitWatcher::start(std::optional<std::string> deployed, std::set<std::string> referenced) {
    thread_ = std::thread([this, deployed, referenced = std::move(referenced)] { run(deployed, referenced); });
}

void GitWatcher::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_.store(true);
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void GitWatcher::offer(GitUpdate update) {
    std::lock_guard lock(mutex_);
    offered_ = std::move(update);
}

void GitWatcher::poke() {
    {
        std::lock_guard lock(mutex_);
        poke_ = true;
    }
    wake_.notify_all();
}

GitUpdate GitWatcher::render(git::Repo& repo, const std::string& commit) {
    GitUpdate update;
    update.commit = commit;
    update.summary = git::commit_summary(repo, commit).value_or("");
    auto files = git::read_commit_files(repo, commit, limits_);
    if (!files) {
        update.result = std::unexpected(std::vector<render::Problem>{{"", 0, files.error().message}});
        return update;
    }
    ScopedTimer timer(render_seconds_);
    update.result = build_deployment(commit, *files, key_, limits_);
    return update;
}

void GitWatcher::run(std::optional<std::string> deployed, const std::set<std::string>& referenced) {
    // One open repository for the watcher's life: libgit2 reads the ref from
    // disk on every lookup, so pushes are seen without reopening.
    std::optional<git::Repo> repo;
    std::optional<std::string> seen;
    bool reported = false;  // log a broken repository once, not every poll
    while (!stopping_.load()) {
        if (!repo) {
            auto opened = git::open(repo_path_);
            if (opened) {
                repo = std::move(*opened);
                reported = false;
            } else if (!reported) {
                log::error("git: ", opened.error().message);
                reported = true;
            }
        }
        if (repo && deployed) {
            GitUpdate update = render(*repo, *deployed);
            update.startup = true;
            for (auto& commit : referenced) {
                GitUpdate older = render(*repo, commit);
                if (older.result) update.referenced.emplace(commit, *older.result);
                else log::error("git: commit ", commit.substr(0, 12), ", which a rollout keeps agents on, does not render: ",
                                older.result.error().front().to_string());
            }
            deliver_(std::move(update));
            seen = std::exchange(deployed, std::nullopt);
        }
        if (repo) {
            auto head = git::branch_head(*repo, branch_);
            if (!head) {
                log::error("git: ", head.error().message);
            } else if (*head && *head != seen) {
                seen = *head;
                std::optional<GitUpdate> offered;
                {
                    std::lock_guard lock(mutex_);
                    if (offered_ && offered_->commit == **head) offered = std::exchange(offered_, std::nullopt);
                }
                deliver_(offered ? std::move(*offered) : render(*repo, **head));
            }
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, interval_, [this] { return poke_ || stopping_.load(); });
        poke_ = false;
    }
}

}  // namespace drover::hub
