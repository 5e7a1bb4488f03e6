#include "hub/git/quarantine.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/text.h"

namespace drover::git {

namespace {

constexpr const char* kPrefix = "incoming-";

void remove_tree(const std::string& path) {
    nftw(path.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
         FTW_DEPTH | FTW_PHYS);
}

Result<void> fsync_dir(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return fail(cat("cannot open ", path, ": ", std::strerror(errno)));
    int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return fail(cat("cannot sync ", path, ": ", std::strerror(errno)));
    return {};
}

// rename(2) that keeps an existing target: a pack with the same name has
// the same contents (its name is its checksum).
Result<void> move_keeping(const std::string& from, const std::string& to) {
    struct stat st;
    if (::stat(to.c_str(), &st) == 0) return {};
    if (::rename(from.c_str(), to.c_str()) != 0)
        return fail(cat("cannot move ", from, " to ", to, ": ", std::strerror(errno)));
    return {};
}

}  // namespace

Result<Quarantine> Quarantine::create(Repo& repo) {
    std::string objects = cat(git_repository_path(repo.get()), "objects");
    std::string pattern = cat(objects, "/", kPrefix, "XXXXXX");
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (!::mkdtemp(name.data())) return fail(cat("cannot create a quarantine in ", objects, ": ", std::strerror(errno)));
    Quarantine q(repo.path(), name.data());
    if (::mkdir((q.dir_ + "/pack").c_str(), 0755) != 0)
        return fail(cat("cannot create ", q.dir_, "/pack: ", std::strerror(errno)));
    return q;
}

Quarantine::Quarantine(Quarantine&& other) noexcept
    : repo_path_(std::move(other.repo_path_)),
      dir_(std::exchange(other.dir_, std::string())),
      pack_name_(std::move(other.pack_name_)) {}

Quarantine::~Quarantine() {
    if (!dir_.empty()) remove_tree(dir_);
}

Result<PackStats> Quarantine::index(const Reader& read) {
    auto repo = git::open(repo_path_);
    if (!repo) return std::unexpected(repo.error());
    git_odb* raw_odb = nullptr;
    if (git_repository_odb(&raw_odb, repo->get()) < 0) return fail(cat("cannot open the object database: ", last_error()));
    OdbPtr odb(raw_odb);
    git_indexer_options options = GIT_INDEXER_OPTIONS_INIT;
    options.verify = 1;  // every object referenced must exist: a connectivity check
    git_indexer* raw = nullptr;
    std::string pack_dir = dir_ + "/pack";
    if (git_indexer_new(&raw, pack_dir.c_str(), 0, odb.get(), &options) < 0)
        return fail(cat("cannot start indexing: ", last_error()));
    IndexerPtr indexer(raw);
    git_indexer_progress progress{};
    PackStats stats;
    std::vector<char> buf(256 * 1024);
    while (true) {
        auto n = read(buf.data(), buf.size());
        if (!n) return std::unexpected(n.error());
        if (*n == 0) break;
        stats.received_bytes += *n;
        if (git_indexer_append(indexer.get(), buf.data(), *n, &progress) < 0)
            return fail(cat("bad pack: ", last_error()));
    }
    if (git_indexer_commit(indexer.get(), &progress) < 0) return fail(cat("bad pack: ", last_error()));
    stats.objects = progress.indexed_objects;
    if (stats.objects > 0) pack_name_ = cat("pack-", git_indexer_name(indexer.get()));
    return stats;
}

Result<Repo> Quarantine::view() {
    git_odb* raw = nullptr;
    if (git_odb_open(&raw, dir_.c_str()) < 0) return fail(cat("cannot open the quarantine: ", last_error()));
    OdbPtr odb(raw);
    std::string objects = repo_path_ + "/objects";
    if (git_odb_add_disk_alternate(odb.get(), objects.c_str()) < 0)
        return fail(cat("cannot open ", objects, ": ", last_error()));
    git_repository* repo = nullptr;
    if (git_repository_wrap_odb(&repo, odb.get()) < 0) return fail(cat("cannot open the quarantine: ", last_error()));
    return Repo::adopt(RepositoryPtr(repo), repo_path_ + " (with the pushed objects)");
}

Result<void> Quarantine::accept() {
    if (pack_name_.empty()) return {};  // nothing new: every object was already here
    std::string from = dir_ + "/pack/" + pack_name_;
    std::string to_dir = repo_path_ + "/objects/pack";
    std::string to = to_dir + "/" + pack_name_;
    if (auto ok = move_keeping(from + ".pack", to + ".pack"); !ok) return ok;
    if (auto ok = move_keeping(from + ".idx", to + ".idx"); !ok) return ok;
    return fsync_dir(to_dir);
}

void sweep_quarantines(const std::string& repo_path) {
    std::string objects = repo_path + "/objects";
    DIR* d = ::opendir(objects.c_str());
    if (!d) return;
    std::vector<std::string> stale;
    while (auto* e = ::readdir(d))
        if (starts_with(e->d_name, kPrefix)) stale.push_back(objects + "/" + e->d_name);
    ::closedir(d);
    for (auto& path : stale) remove_tree(path);
}

}  // namespace drover::git
