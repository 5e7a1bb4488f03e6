#pragma once
// The hub's bare Git repository: creating it, reading branch heads, and
// reading a commit's files for the renderer.
#include <optional>
#include <string>

#include "common/error.h"
#include "hub/git/handles.h"
#include "hub/render/file_map.h"
#include "hub/render/render_limits.h"

namespace drover::git {

// An open repository. Movable; keeps libgit2 initialised while it lives.
// Like a git_repository, one Repo must not be used by two threads at once.
class Repo {
public:
    git_repository* get() const { return repo_.get(); }
    const std::string& path() const { return path_; }
    // A repository handle made some other way (e.g. over a custom object
    // database); `path` names it in messages.
    static Repo adopt(RepositoryPtr repo, std::string path);

private:
    friend Result<Repo> open(const std::string& path);
    Repo() = default;
    GitLibrary library_;  // declared first: released last
    RepositoryPtr repo_;
    std::string path_;
};

// Creates a bare repository at path (parent directories included) whose HEAD
// is refs/heads/<branch>, so `git push URL <branch>` and `git clone URL`
// work against it. Refuses a path that already holds a repository.
Result<void> init_bare(const std::string& path, const std::string& branch = "main");

Result<Repo> open(const std::string& path);

// The commit id (40 hex) refs/heads/<branch> points at, or nullopt when the
// branch does not exist yet (an empty repository).
Result<std::optional<std::string>> branch_head(Repo& repo, const std::string& branch);

// The render inputs (render::is_render_input: *.yaml, *.yml, *.json) of the
// commit's tree, by repository-relative path. Regular and executable blobs
// only: symlinks and submodules are skipped. Fails, naming the path, when an
// input is larger than limits.max_file_bytes, there are more than
// limits.max_files inputs or they hold more than limits.max_input_bytes
// together, a path is longer than 4096 bytes, a tree entry
// has an invalid name, or the tree has more than kMaxTreeEntries entries
// in all. Sizes are checked from object headers before blobs are loaded.
constexpr size_t kMaxTreeEntries = 1 << 20;
Result<render::FileMap> read_commit_files(Repo& repo, const std::string& commit_hex, const render::Limits& limits);

// The first line of the commit message, for logs.
Result<std::string> commit_summary(Repo& repo, const std::string& commit_hex);

}  // namespace drover::git
