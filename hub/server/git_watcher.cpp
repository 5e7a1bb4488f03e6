#include "hub/server/git_watcher.h"

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

void GitWatcher::start(std::optional<std::string> deployed) {
    thread_ = std::thread([this, deployed] { run(deployed); });
}

void GitWatcher::stop() {
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
}

std::optional<GitUpdate> GitWatcher::render(const std::string& commit) {
    auto repo = git::open(repo_path_);
    if (!repo) {
        log::error("git: ", repo.error().message);
        return std::nullopt;
    }
    GitUpdate update;
    update.commit = commit;
    update.summary = git::commit_summary(*repo, commit).value_or("");
    auto files = git::read_commit_files(*repo, commit, render::Limits{});
    if (!files) {
        update.result = std::unexpected(std::vector<render::Problem>{{"", 0, files.error().message}});
        return update;
    }
    update.result = build_deployment(commit, *files, key_);
    return update;
}

void GitWatcher::run(std::optional<std::string> deployed) {
    std::optional<std::string> seen;
    if (deployed) {
        if (auto update = render(*deployed)) {
            update->startup = true;
            deliver_(std::move(*update));
            seen = deployed;
        }
    }
    while (!stopping_.load()) {
        if (auto repo = git::open(repo_path_)) {
            auto head = git::branch_head(*repo, branch_);
            if (!head) {
                log::error("git: ", head.error().message);
            } else if (*head && *head != seen) {
                seen = *head;
                if (auto update = render(**head)) deliver_(std::move(*update));
            }
        } else {
            log::error("git: ", repo.error().message);
        }
        std::this_thread::sleep_for(interval_);
    }
}

}  // namespace drover::hub
