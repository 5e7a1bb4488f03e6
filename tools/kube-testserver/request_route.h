#pragma once
// What a request path addresses on a Kubernetes API server:
//   /api, /apis, /apis/G                         discovery
//   /api/v1, /apis/G/V                           resource lists
//   /api/v1/R[/NAME[/SUB]]                       cluster-scoped (or all namespaces)
//   /api/v1/namespaces/NS/R[/NAME[/SUB]]         namespaced
//   /apis/G/V/...                                the same for groups
//   /version /healthz /readyz /livez /openapi/v2 /openapi/v3 /testserver/...
#include <string>
#include <string_view>

namespace drover::kts {

struct Route {
    enum class Kind {
        root,
        version,
        health,
        core_versions,  // /api
        group_list,     // /apis
        group,          // /apis/G
        resource_list,  // /api/v1, /apis/G/V
        resource,
        openapi_v2,
        openapi_v3,
        test_control,
        unknown,
    };
    Kind kind = Kind::unknown;
    std::string group, version;
    std::string ns;  // "" when the path names none
    bool namespaced_path = false;
    std::string resource, name, subresource;
    std::string control;  // path below /testserver/
};

Route parse_route(std::string_view path);

}  // namespace drover::kts
