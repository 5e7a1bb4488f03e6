#include "agent/apply/kube/resource.h"

#include "agent/apply/kube/kube_api.h"
#include "common/text.h"

namespace drover::kube {

std::string_view group_of(std::string_view api_version) {
    size_t slash = api_version.find('/');
    return slash == std::string_view::npos ? std::string_view{} : api_version.substr(0, slash);
}

std::string_view version_of(std::string_view api_version) {
    size_t slash = api_version.find('/');
    return slash == std::string_view::npos ? api_version : api_version.substr(slash + 1);
}

std::string path_segment(std::string_view s) {
    std::string out = url_escape(s);
    if (out == ".") return "%2E";
    if (out == "..") return "%2E%2E";
    return out;
}

std::string Resource::api_version() const { return group.empty() ? version : cat(group, "/", version); }

std::string Resource::collection_path(std::string_view ns) const {
    std::string root = group.empty() ? cat("/api/", path_segment(version))
                                     : cat("/apis/", path_segment(group), "/", path_segment(version));
    if (namespaced && !ns.empty()) root += cat("/namespaces/", path_segment(ns));
    return cat(root, "/", path_segment(plural));
}

std::string Resource::object_path(std::string_view ns, std::string_view name) const {
    return cat(collection_path(ns), "/", path_segment(name));
}

}  // namespace drover::kube
