#include "tools/kube-testserver/request_route.h"

#include <vector>

#include "common/text.h"

namespace drover::kts {

namespace {

Route resource_route(std::string group, std::string version, const std::vector<std::string>& s, size_t at) {
    Route r;
    r.group = std::move(group);
    r.version = std::move(version);
    size_t n = s.size() - at;
    if (n == 0) {
        r.kind = Route::Kind::resource_list;
        return r;
    }
    // /namespaces/NS/R... names a namespace; /namespaces/NS[/status] is the
    // Namespace object itself.
    bool core = r.group.empty();
    if (s[at] == "namespaces" && n >= 3 && !(core && n == 3 && (s[at + 2] == "status" || s[at + 2] == "finalize"))) {
        r.ns = s[at + 1];
        r.namespaced_path = true;
        at += 2;
        n -= 2;
    }
    if (n > 3) return Route{};
    r.kind = Route::Kind::resource;
    r.resource = s[at];
    if (n >= 2) r.name = s[at + 1];
    if (n == 3) r.subresource = s[at + 2];
    return r;
}

}  // namespace

Route parse_route(std::string_view path) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    Route r;
    if (path == "/" || path.empty()) {
        r.kind = Route::Kind::root;
        return r;
    }
    std::vector<std::string> s = split(path.substr(1), '/');
    for (const auto& part : s)
        if (part.empty()) return r;
    if (s[0] == "version" && s.size() == 1)
        r.kind = Route::Kind::version;
    else if (s[0] == "healthz" || s[0] == "readyz" || s[0] == "livez")
        r.kind = Route::Kind::health;
    else if (s[0] == "openapi" && s.size() == 2 && s[1] == "v2")
        r.kind = Route::Kind::openapi_v2;
    else if (s[0] == "openapi" && s.size() >= 2 && s[1] == "v3")
        r.kind = Route::Kind::openapi_v3;
    else if (s[0] == "testserver") {
        r.kind = Route::Kind::test_control;
        r.control = std::string(path.substr(std::string_view("/testserver").size()));
        if (!r.control.empty()) r.control.erase(0, 1);
    } else if (s[0] == "api") {
        if (s.size() == 1)
            r.kind = Route::Kind::core_versions;
        else
            return resource_route("", s[1], s, 2);
    } else if (s[0] == "apis") {
        if (s.size() == 1)
            r.kind = Route::Kind::group_list;
        else if (s.size() == 2) {
            r.kind = Route::Kind::group;
            r.group = s[1];
        } else {
            return resource_route(s[1], s[2], s, 3);
        }
    }
    return r;
}

}  // namespace drover::kts
