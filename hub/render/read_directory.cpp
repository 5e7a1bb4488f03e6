#include "hub/render/read_directory.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/fs.h"
#include "common/text.h"
#include "hub/render/render.h"

namespace drover::render {

namespace {

struct DirClose {
    void operator()(DIR* d) const { ::closedir(d); }
};
using DirHandle = std::unique_ptr<DIR, DirClose>;

// Depth-first over directories; recursion depth is the tree's depth, which
// the kernel bounds by PATH_MAX.
Result<void> walk(const std::string& root, const std::string& rel, const Limits& limits, FileMap& out,
                  size_t& total_bytes) {
    std::string dir_path = rel.empty() ? root : root + "/" + rel;
    DirHandle dir(::opendir(dir_path.c_str()));
    if (!dir) return fail(cat("cannot read directory ", dir_path, ": ", std::strerror(errno)));
    while (dirent* entry = ::readdir(dir.get())) {
        std::string name = entry->d_name;
        if (name == "." || name == ".." || name == ".git") continue;
        std::string child_rel = rel.empty() ? name : rel + "/" + name;
        std::string child_path = root + "/" + child_rel;
        struct stat st {};
        if (::lstat(child_path.c_str(), &st) != 0) return fail(cat("cannot stat ", child_path, ": ", std::strerror(errno)));
        if (S_ISDIR(st.st_mode)) {
            if (auto ok = walk(root, child_rel, limits, out, total_bytes); !ok) return ok;
            continue;
        }
        if (!S_ISREG(st.st_mode) || !is_render_input(child_rel)) continue;
        if (out.size() >= limits.max_files)
            return fail(cat(root, " has more than ", limits.max_files, " YAML/JSON files"));
        if (static_cast<size_t>(st.st_size) > limits.max_file_bytes)
            return fail(cat(child_path, " is ", st.st_size, " bytes, more than the limit of ", limits.max_file_bytes));
        total_bytes += static_cast<size_t>(st.st_size);
        if (total_bytes > limits.max_input_bytes)
            return fail(cat(root, ": its YAML/JSON files hold more than the limit of ", limits.max_input_bytes, " bytes"));
        auto bytes = read_file(child_path, limits.max_file_bytes);
        if (!bytes) return std::unexpected(bytes.error());
        out.emplace(child_rel, std::move(*bytes));
    }
    return {};
}

}  // namespace

Result<FileMap> read_directory(const std::string& root, const Limits& limits) {
    std::string base = root;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    struct stat st {};
    if (::stat(base.c_str(), &st) != 0) return fail(cat("cannot read ", base, ": ", std::strerror(errno)));
    if (!S_ISDIR(st.st_mode)) return fail(cat(base, " is not a directory"));
    FileMap files;
    size_t total_bytes = 0;
    if (auto ok = walk(base, "", limits, files, total_bytes); !ok) return std::unexpected(ok.error());
    return files;
}

}  // namespace drover::render
