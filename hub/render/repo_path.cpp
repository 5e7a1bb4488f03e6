#include "hub/render/repo_path.h"

#include <vector>

#include "common/text.h"

namespace drover::render {

std::string_view parent_dir(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

std::string_view base_name(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_below(std::string_view path, std::string_view dir) {
    if (dir.empty()) return !path.empty();
    return path.size() > dir.size() + 1 && path.starts_with(dir) && path[dir.size()] == '/';
}

std::string_view relative_to(std::string_view path, std::string_view dir) {
    return dir.empty() ? path : path.substr(dir.size() + 1);
}

std::optional<std::string> join_inside(std::string_view dir, std::string_view relative) {
    if (relative.empty() || relative.front() == '/') return std::nullopt;
    std::vector<std::string> parts;
    for (auto& part : split(relative, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (parts.empty()) return std::nullopt;
            parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    if (parts.empty()) return std::nullopt;
    std::string out(dir);
    for (auto& part : parts) {
        if (!out.empty()) out += '/';
        out += part;
    }
    return out;
}

}  // namespace drover::render
