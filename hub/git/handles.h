#pragma once
// Owning handles for libgit2 objects, and GitLibrary, the guard that keeps
// libgit2 initialised while anything uses it.
#include <git2.h>

#include <memory>

namespace drover::git {

template <class T, void (*Free)(T*)>
struct GitFree {
    void operator()(T* p) const { Free(p); }
};

using RepositoryPtr = std::unique_ptr<git_repository, GitFree<git_repository, git_repository_free>>;
using ReferencePtr = std::unique_ptr<git_reference, GitFree<git_reference, git_reference_free>>;
using CommitPtr = std::unique_ptr<git_commit, GitFree<git_commit, git_commit_free>>;
using TreePtr = std::unique_ptr<git_tree, GitFree<git_tree, git_tree_free>>;
using BlobPtr = std::unique_ptr<git_blob, GitFree<git_blob, git_blob_free>>;
using ObjectPtr = std::unique_ptr<git_object, GitFree<git_object, git_object_free>>;
using RevwalkPtr = std::unique_ptr<git_revwalk, GitFree<git_revwalk, git_revwalk_free>>;
using OdbPtr = std::unique_ptr<git_odb, GitFree<git_odb, git_odb_free>>;
using IndexerPtr = std::unique_ptr<git_indexer, GitFree<git_indexer, git_indexer_free>>;
using PackbuilderPtr = std::unique_ptr<git_packbuilder, GitFree<git_packbuilder, git_packbuilder_free>>;
using ConfigPtr = std::unique_ptr<git_config, GitFree<git_config, git_config_free>>;

// One reference on libgit2's own init count (git_libgit2_init/shutdown are
// refcounted and thread-safe): create as many as you like, in any thread;
// libgit2 shuts down when the last one goes. Copies take their own
// reference. Throws std::runtime_error if libgit2 cannot initialise.
class GitLibrary {
public:
    GitLibrary();
    GitLibrary(const GitLibrary&);
    GitLibrary& operator=(const GitLibrary&) { return *this; }
    ~GitLibrary();
};

// libgit2's last error message for this thread, or "unknown libgit2 error".
const char* last_error();

}  // namespace drover::git
