#include "hub/git/repository.h"

#include <vector>

#include "common/text.h"
#include "hub/render/render.h"

namespace drover::git {

namespace {

constexpr size_t kMaxPathBytes = 4096;

Result<void> check_branch(const std::string& branch) {
    int valid = 0;
    std::string ref = "refs/heads/" + branch;
    if (branch.empty() || git_reference_name_is_valid(&valid, ref.c_str()) < 0 || !valid)
        return fail(cat("invalid branch name ", drover::quoted(branch)));
    return {};
}

Result<git_oid> parse_commit_id(const std::string& hex) {
    git_oid oid;
    if (hex.size() != GIT_OID_HEXSZ || git_oid_fromstrn(&oid, hex.data(), hex.size()) < 0)
        return fail(cat("invalid commit id ", drover::quoted(hex), " (want 40 hex characters)"));
    return oid;
}

Result<CommitPtr> lookup_commit(Repo& repo, const std::string& hex) {
    auto oid = parse_commit_id(hex);
    if (!oid) return std::unexpected(oid.error());
    git_commit* commit = nullptr;
    if (git_commit_lookup(&commit, repo.get(), &*oid) < 0)
        return fail(cat("commit ", hex, " not found in ", repo.path(), ": ", last_error()));
    return CommitPtr(commit);
}

bool valid_entry_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

}  // namespace

Result<void> init_bare(const std::string& path, const std::string& branch) {
    GitLibrary library;
    if (auto ok = check_branch(branch); !ok) return ok;
    git_repository_init_options options = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    options.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
    options.initial_head = branch.c_str();
    git_repository* raw = nullptr;
    if (git_repository_init_ext(&raw, path.c_str(), &options) < 0)
        return fail(cat("cannot create a bare repository at ", path, ": ", last_error()));
    RepositoryPtr repo(raw);
    return {};
}

Result<Repo> open(const std::string& path) {
    Repo repo;
    git_repository* raw = nullptr;
    if (git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) < 0)
        return fail(cat("cannot open Git repository ", path, ": ", last_error()));
    repo.repo_.reset(raw);
    repo.path_ = path;
    return repo;
}

Repo Repo::adopt(RepositoryPtr repo, std::string path) {
    Repo r;
    r.repo_ = std::move(repo);
    r.path_ = std::move(path);
    return r;
}

Result<std::optional<std::string>> branch_head(Repo& repo, const std::string& branch) {
    if (auto ok = check_branch(branch); !ok) return std::unexpected(ok.error());
    git_oid oid;
    std::string ref = "refs/heads/" + branch;
    int rc = git_reference_name_to_id(&oid, repo.get(), ref.c_str());
    if (rc == GIT_ENOTFOUND) return std::optional<std::string>();
    if (rc < 0) return fail(cat("cannot read ", ref, " in ", repo.path(), ": ", last_error()));
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &oid);
    return std::optional<std::string>(hex);
}

Result<render::FileMap> read_commit_files(Repo& repo, const std::string& commit_hex, const render::Limits& limits) {
    auto commit = lookup_commit(repo, commit_hex);
    if (!commit) return std::unexpected(commit.error());
    git_odb* raw_odb = nullptr;
    if (git_repository_odb(&raw_odb, repo.get()) < 0)
        return fail(cat("cannot open the object database of ", repo.path(), ": ", last_error()));
    OdbPtr odb(raw_odb);

    // Depth-first with an explicit stack of pending trees, so a maliciously
    // deep tree cannot exhaust the call stack.
    struct Pending {
        git_oid tree;
        std::string prefix;  // "" or "dir/sub/"
    };
    std::vector<Pending> pending{{*git_commit_tree_id(commit->get()), ""}};
    size_t entries_seen = 0;
    size_t input_bytes = 0;
    render::FileMap files;
    while (!pending.empty()) {
        Pending next = std::move(pending.back());
        pending.pop_back();
        git_tree* raw_tree = nullptr;
        if (git_tree_lookup(&raw_tree, repo.get(), &next.tree) < 0)
            return fail(cat("cannot read tree ", next.prefix.empty() ? "/" : next.prefix, " of commit ", commit_hex, ": ",
                            last_error()));
        TreePtr tree(raw_tree);
        size_t count = git_tree_entrycount(tree.get());
        entries_seen += count;
        if (entries_seen > kMaxTreeEntries)
            return fail(cat("commit ", commit_hex, " has more than ", kMaxTreeEntries, " files and directories"));
        for (size_t i = 0; i < count; ++i) {
            const git_tree_entry* entry = git_tree_entry_byindex(tree.get(), i);
            std::string_view name = git_tree_entry_name(entry);
            if (!valid_entry_name(name))
                return fail(cat("commit ", commit_hex, " has an invalid file name ", drover::quoted(name), " in ",
                                next.prefix.empty() ? "/" : next.prefix));
            std::string path = cat(next.prefix, name);
            if (path.size() > kMaxPathBytes)
                return fail(cat("commit ", commit_hex, " has a path longer than ", kMaxPathBytes, " bytes"));
            git_filemode_t mode = git_tree_entry_filemode(entry);
            if (mode == GIT_FILEMODE_TREE) {
                pending.push_back(Pending{*git_tree_entry_id(entry), path + "/"});
                continue;
            }
            if ((mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) || !render::is_render_input(path))
                continue;  // symlinks, submodules (commits), and files the renderer never reads
            if (files.size() >= limits.max_files)
                return fail(cat("commit ", commit_hex, " has more than ", limits.max_files,
                                " YAML/JSON files (hub limit repo-files)"));
            size_t size = 0;
            git_object_t type = GIT_OBJECT_INVALID;
            if (git_odb_read_header(&size, &type, odb.get(), git_tree_entry_id(entry)) < 0 || type != GIT_OBJECT_BLOB)
                return fail(cat("cannot read ", path, " of commit ", commit_hex, ": ", last_error()));
            if (size > limits.max_file_bytes)
                return fail(cat(path, " is ", size, " bytes, more than the limit of ", limits.max_file_bytes,
                                " (hub limit file-bytes)"));
            input_bytes += size;
            if (input_bytes > limits.max_input_bytes)
                return fail(cat("commit ", commit_hex, ": its YAML/JSON files hold more than the limit of ",
                                limits.max_input_bytes, " bytes (hub limit repo-bytes)"));
            git_blob* raw_blob = nullptr;
            if (git_blob_lookup(&raw_blob, repo.get(), git_tree_entry_id(entry)) < 0)
                return fail(cat("cannot read ", path, " of commit ", commit_hex, ": ", last_error()));
            BlobPtr blob(raw_blob);
            const char* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
            files.emplace(std::move(path), std::string(data, static_cast<size_t>(git_blob_rawsize(blob.get()))));
        }
    }
    return files;
}

Result<std::string> commit_summary(Repo& repo, const std::string& commit_hex) {
    auto commit = lookup_commit(repo, commit_hex);
    if (!commit) return std::unexpected(commit.error());
    const char* summary = git_commit_summary(commit->get());
    if (!summary) return fail(cat("cannot read the message of commit ", commit_hex, ": ", last_error()));
    return std::string(summary);
}

}  // namespace drover::git
