#include "hub/server/upstream_mirror.h"

#include "common/log.h"
#include "common/text.h"

namespace drover::hub {

UpstreamMirror::UpstreamMirror(std::string repo_path, git::Upstream upstream, std::string deploy_branch,
                               const SigningKey& key, std::chrono::milliseconds interval,
                               std::function<void(GitUpdate)> offer, std::function<void()> moved,
                               std::function<void(MirrorReport)> report)
    : repo_path_(std::move(repo_path)),
      upstream_(std::move(upstream)),
      deploy_branch_(std::move(deploy_branch)),
      key_(key),
      interval_(interval),
      offer_(std::move(offer)),
      moved_(std::move(moved)),
      report_(std::move(report)) {}

UpstreamMirror::~UpstreamMirror() { stop(); }

void UpstreamMirror::start() {
    thread_ = std::thread([this] { run(); });
}

void UpstreamMirror::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_.store(true);
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void UpstreamMirror::wake() {
    {
        std::lock_guard lock(mutex_);
        poked_ = true;
    }
    wake_.notify_all();
}

void UpstreamMirror::run() {
    while (!stopping_.load()) {
        auto repo = git::open(repo_path_);
        if (!repo) log::error("mirror: ", repo.error().message);
        else follow(*repo);
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, interval_, [this] { return poked_ || stopping_.load(); });
        poked_ = false;
    }
}

void UpstreamMirror::follow(git::Repo& repo) {
    auto commit = git::fetch_upstream(repo, upstream_);
    if (!commit) {
        if (commit.error().message != last_error_) {
            last_error_ = commit.error().message;
            log::error("mirror: ", last_error_);
            report_(MirrorReport{"", "", "", last_error_});
        }
        return;
    }
    last_error_.clear();
    auto head = git::branch_head(repo, deploy_branch_);
    if (head && *head == *commit) {
        checked_ = *commit;
        return;
    }
    if (checked_ == *commit) return;  // refused before: wait for a new upstream commit
    checked_ = *commit;
    std::string summary = git::commit_summary(repo, *commit).value_or("");
    std::string problems;
    auto files = git::read_commit_files(repo, *commit, limits_);
    std::shared_ptr<const Deployment> deployment;
    if (!files) {
        problems = files.error().message;
    } else if (auto built = build_deployment(*commit, *files, key_, limits_)) {
        deployment = *built;
    } else {
        for (auto& p : built.error()) problems += p.to_string() + "\n";
    }
    if (!deployment) {
        log::error("mirror: upstream commit ", commit->substr(0, 12), " (", summary, ") has invalid bundles; not deployed");
        report_(MirrorReport{*commit, summary, problems, ""});
        return;
    }
    offer_(GitUpdate{*commit, summary, deployment, false});
    git_oid oid;
    git_oid_fromstr(&oid, commit->c_str());
    git_reference* ref = nullptr;
    std::string name = "refs/heads/" + deploy_branch_;
    std::string message = cat("mirror of ", git::redacted_url(upstream_.url));
    // Forced: the upstream is the truth, rewritten history included.
    if (git_reference_create(&ref, repo.get(), name.c_str(), &oid, 1, message.c_str()) < 0) {
        log::error("mirror: cannot move ", name, ": ", git::last_error());
        checked_.reset();  // try again next time
        return;
    }
    git_reference_free(ref);
    moved_();
    log::info("mirror: ", deploy_branch_, " follows upstream at ", commit->substr(0, 12), " (", summary, ")");
}

}  // namespace drover::hub
