// Cluster's /scale subresource: the Scale view is edited, then its replicas
// written to the workload as an update by the requesting manager.
#include "tools/kube-testserver/cluster.h"

#include "common/text.h"
#include "tools/kube-testserver/json_access.h"
#include "tools/kube-testserver/request_document.h"
#include "tools/kube-testserver/scale_subresource.h"

namespace drover::kts {

ApiResult Cluster::scale(const Target& target, const std::string& method, std::optional<PatchType> patch_type,
                         std::string_view body, const WriteOptions& options) {
    if (patch_type == PatchType::apply)
        return std::unexpected(api_error(415, "UnsupportedMediaType",
                                         "kube-testserver does not apply to the scale subresource; use a merge patch"));
    std::optional<json> document;
    if (method != "GET") {
        auto parsed = parse_json_document(body);
        if (!parsed) return std::unexpected(bad_request(parsed.error().message));
        document = std::move(*parsed);
    }
    std::lock_guard lock(mutex_);
    establish_due();
    Target workload = target;
    workload.subresource.clear();
    const json* stored = store_.get(key_of(workload));
    if (stored == nullptr) return std::unexpected(not_found(target.type.group_resource(), target.name));
    json old = *stored;
    json current = scale_of(present(target.type, old));
    if (!document) return ApiReply{200, current};

    json wanted;
    if (!patch_type) {
        wanted = *document;
    } else {
        auto applied = patched(current, *document, *patch_type);
        if (!applied) return std::unexpected(applied.error());
        wanted = std::move(*applied);
    }
    std::string version = metadata_text(wanted, "resourceVersion");
    if (!version.empty() && version != metadata_text(old, "resourceVersion"))
        return std::unexpected(conflict_modified(target.type.group_resource(), target.name));
    auto replicas = replicas_of(wanted);
    if (!replicas) return std::unexpected(invalid("Scale", "autoscaling", target.name, {replicas.error()}));

    json updated = present(target.type, old);
    updated["spec"]["replicas"] = *replicas;
    for (const char* k : {"resourceVersion", "managedFields"}) updated["metadata"].erase(k);
    auto written = write_existing(target, old, std::move(updated), options, false);
    if (!written) return written;
    return ApiReply{200, scale_of(written->body)};
}

}  // namespace drover::kts
