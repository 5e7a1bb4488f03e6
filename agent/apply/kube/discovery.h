#pragma once
// apiVersion + kind -> resource (plural) and scope, from the API server's
// discovery documents (/api/v1, /apis/GROUP/VERSION). Each group version is
// fetched once and cached; a kind missing from a cached list fetches that
// list again once (a CRD may have been installed since), and invalidate()
// drops everything (after a bundle applied a CRD).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/apply/kube/api_error.h"
#include "agent/apply/kube/kube_api.h"
#include "agent/apply/kube/resource.h"

namespace drover::kube {

class Discovery {
public:
    explicit Discovery(KubeApi& api) : api_(api) {}

    // A kind the cluster does not serve is an ApiError with status 404 and
    // reason "NotFound"; other errors are the API's (or the transport's).
    ApiResult<Resource> resolve(std::string_view api_version, std::string_view kind);
    void invalidate() { cache_.clear(); }

private:
    ApiResult<std::vector<Resource>> fetch(std::string_view api_version);

    KubeApi& api_;
    std::map<std::string, std::vector<Resource>, std::less<>> cache_;  // by apiVersion
};

// The resources of an APIResourceList body (subresources left out).
std::vector<Resource> parse_resource_list(const nlohmann::json& list, std::string_view api_version);

}  // namespace drover::kube
