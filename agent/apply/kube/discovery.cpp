#include "agent/apply/kube/discovery.h"

#include "common/text.h"

namespace drover::kube {

using nlohmann::json;

namespace {

ApiError not_served(std::string message) {
    ApiError e;
    e.status = 404;
    e.reason = "NotFound";
    e.message = std::move(message);
    return e;
}

}  // namespace

std::vector<Resource> parse_resource_list(const json& list, std::string_view api_version) {
    std::vector<Resource> out;
    auto resources = list.find("resources");
    if (resources == list.end() || !resources->is_array()) return out;
    for (auto& r : *resources) {
        if (!r.is_object()) continue;
        auto name = r.find("name");
        auto kind = r.find("kind");
        auto namespaced = r.find("namespaced");
        if (name == r.end() || !name->is_string() || kind == r.end() || !kind->is_string()) continue;
        const auto& plural = name->get_ref<const std::string&>();
        if (plural.empty() || plural.find('/') != std::string::npos) continue;  // a subresource
        Resource res;
        res.group = std::string(group_of(api_version));
        res.version = std::string(version_of(api_version));
        res.kind = kind->get<std::string>();
        res.plural = plural;
        res.namespaced = namespaced != r.end() && namespaced->is_boolean() && namespaced->get<bool>();
        out.push_back(std::move(res));
    }
    return out;
}

ApiResult<std::vector<Resource>> Discovery::fetch(std::string_view api_version) {
    std::string group(group_of(api_version));
    std::string version(version_of(api_version));
    if (version.empty() || (api_version.find('/') != std::string_view::npos && group.empty()))
        return std::unexpected(not_served(cat("apiVersion ", quoted(api_version), " is malformed")));
    std::string path = group.empty()
                           ? cat("/api/", path_segment(version))
                           : cat("/apis/", path_segment(group), "/", path_segment(version));
    auto list = api_.get(path);
    if (!list) {
        if (list.error().status == 404)
            return std::unexpected(not_served(cat("the cluster does not serve apiVersion ", api_version)));
        return std::unexpected(std::move(list.error()));
    }
    return parse_resource_list(*list, api_version);
}

ApiResult<Resource> Discovery::resolve(std::string_view api_version, std::string_view kind) {
    auto find = [&](const std::vector<Resource>& list) -> const Resource* {
        for (auto& r : list)
            if (r.kind == kind) return &r;
        return nullptr;
    };
    auto cached = cache_.find(api_version);
    if (cached != cache_.end())
        if (const Resource* r = find(cached->second)) return *r;
    auto fresh = fetch(api_version);
    if (!fresh) return std::unexpected(std::move(fresh.error()));
    auto& list = cache_[std::string(api_version)] = std::move(*fresh);
    if (const Resource* r = find(list)) return *r;
    return std::unexpected(not_served(cat("the cluster does not serve kind ", kind, " in apiVersion ", api_version)));
}

}  // namespace drover::kube
