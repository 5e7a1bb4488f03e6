#include "hub/git/handles.h"

#include <stdexcept>

namespace drover::git {

static void init_or_throw() {
    if (git_libgit2_init() < 0) throw std::runtime_error(std::string("cannot initialise libgit2: ") + last_error());
}

GitLibrary::GitLibrary() { init_or_throw(); }
GitLibrary::GitLibrary(const GitLibrary&) { init_or_throw(); }
GitLibrary::~GitLibrary() { git_libgit2_shutdown(); }

const char* last_error() {
    const git_error* e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

}  // namespace drover::git
