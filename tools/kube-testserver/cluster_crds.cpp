// Cluster's CRD lifecycle: the served custom types follow the stored CRDs;
// establishment is immediate, delayed (applied lazily on the next call once
// due) or left to a test.
#include "tools/kube-testserver/cluster.h"

#include "tools/kube-testserver/custom_resource_definition.h"
#include "tools/kube-testserver/json_access.h"

namespace drover::kts {

void Cluster::refresh_custom_types() {
    std::vector<ResourceType> types;
    for (const auto& [key, crd] : store_.list(kCrdGroup, kCrdResource, std::nullopt)) {
        auto served = served_types(*crd);
        types.insert(types.end(), served.begin(), served.end());
    }
    catalog_.set_custom_types(std::move(types));
}

void Cluster::establish_due() {
    auto now = std::chrono::steady_clock::now();
    bool any = false;
    for (auto it = pending_crds_.begin(); it != pending_crds_.end();) {
        if (it->second > now) {
            ++it;
            continue;
        }
        ObjectKey key{kCrdGroup, kCrdResource, "", it->first};
        it = pending_crds_.erase(it);
        const json* stored = store_.get(key);
        if (stored == nullptr || crd_established(*stored)) continue;
        json crd = *stored;
        set_crd_status(crd, true, rfc3339_now());
        uint64_t version = store_.next_version();
        crd["metadata"]["resourceVersion"] = std::to_string(version);
        store_.put(key, std::move(crd), version);
        any = true;
    }
    if (any) {
        refresh_custom_types();
        changed_.notify_all();
    }
}

void Cluster::set_crd_establishment(CrdEstablishment establishment) {
    std::lock_guard lock(mutex_);
    establishment_ = establishment;
}

ApiResult Cluster::establish_crd(const std::string& name) {
    std::lock_guard lock(mutex_);
    establish_due();
    ObjectKey key{kCrdGroup, kCrdResource, "", name};
    const json* stored = store_.get(key);
    const ResourceType* type = catalog_.find(kCrdGroup, "v1", kCrdResource);
    if (stored == nullptr) return std::unexpected(not_found(type->group_resource(), name));
    std::erase_if(pending_crds_, [&](const auto& p) { return p.first == name; });
    json crd = *stored;
    if (!crd_established(crd)) {
        set_crd_status(crd, true, rfc3339_now());
        uint64_t version = store_.next_version();
        crd["metadata"]["resourceVersion"] = std::to_string(version);
        store_.put(key, crd, version);
        refresh_custom_types();
        changed_.notify_all();
    }
    return ApiReply{200, present(*type, crd)};
}

}  // namespace drover::kts
