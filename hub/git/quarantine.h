#pragma once
// A pushed pack is indexed into a quarantine directory inside the
// repository's object store (objects/incoming-XXXXXX/pack/), where the rest
// of the hub cannot see it. The push handler validates the new commits
// through view(), which sees the quarantined objects and the repository's
// own. Only accept() makes them part of the repository (the .pack moved
// first, then the .idx that makes it visible); anything else — refusal,
// error, crash — leaves the repository as it was, and the directory is
// removed when the Quarantine goes (or, after a crash, by sweep_quarantines).
#include <functional>
#include <string>

#include "common/error.h"
#include "hub/git/handles.h"
#include "hub/git/repository.h"

namespace drover::git {

struct PackStats {
    size_t objects = 0;        // in the pack as indexed (thin bases added)
    size_t received_bytes = 0;
};

class Quarantine {
public:
    // Makes objects/incoming-XXXXXX/pack in repo.
    static Result<Quarantine> create(Repo& repo);
    Quarantine(Quarantine&&) noexcept;
    Quarantine& operator=(Quarantine&&) = delete;
    ~Quarantine();

    // Reads a whole pack from `read` (which fills up to n bytes of buf and
    // returns how many, 0 at the end) into the quarantine. A thin pack is
    // completed from the repository's objects, and every object a commit,
    // tree or tag of the pack names must be in the pack or the repository:
    // a corrupt, truncated or incomplete pack is an error carrying libgit2's
    // reason, which the client is shown.
    using Reader = std::function<Result<size_t>(char* buf, size_t n)>;
    Result<PackStats> index(const Reader& read);

    // The repository as it will be once this push is accepted.
    Result<Repo> view();

    // Moves the pack into objects/pack. After this, the objects belong to
    // the repository for good (refs may point at them).
    Result<void> accept();

    const std::string& dir() const { return dir_; }

private:
    Quarantine(std::string repo_path, std::string dir) : repo_path_(std::move(repo_path)), dir_(std::move(dir)) {}
    GitLibrary library_;
    std::string repo_path_;
    std::string dir_;        // objects/incoming-XXXXXX; "" once moved from
    std::string pack_name_;  // "pack-<hex>", once indexed with objects
};

// Removes quarantine directories a crashed hub left behind. Call at start-up,
// before pushes are served.
void sweep_quarantines(const std::string& repo_path);

}  // namespace drover::git
