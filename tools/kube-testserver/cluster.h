#pragma once
// The Kubernetes REST semantics of the test server, without HTTP: objects,
// discovery, CRDs, and the verbs get, list, create, update (PUT), patch
// (server-side apply, merge, strategic merge treated as merge, JSON patch),
// delete, deletecollection and watch. Each call takes one lock; results are
// JSON bodies with the HTTP code the real API server would answer with.
//
// What is simulated on purpose: deletions are immediate (no finalizers, no
// Terminating phase) and cascade to objects that name the deleted one as
// owner (unless propagationPolicy=Orphan) and to the contents of a deleted
// Namespace or CRD; a CRD becomes Established automatically (optionally
// after a delay) or only when a test says so.
#include <chrono>
#include <condition_variable>
#include <expected>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/kube-testserver/kube_status.h"
#include "tools/kube-testserver/object_store.h"
#include "tools/kube-testserver/resource_catalog.h"

namespace drover::kts {

using json = nlohmann::json;

struct ApiReply {
    int code = 200;
    json body;
};
using ApiResult = std::expected<ApiReply, ApiError>;

enum class PatchType { apply, merge, strategic_merge, json_patch };

// `current` with a merge, strategic-merge (treated as merge, $directives
// dropped) or JSON patch applied; a patch of the wrong shape is 400, a JSON
// patch that does not apply is 422, as Kubernetes answers.
std::expected<json, ApiError> patched(json current, const json& patch, PatchType type);

struct WriteOptions {
    std::string field_manager;  // "" when the request named none
    std::string user_agent;     // names the manager of non-apply writes without one
    std::optional<bool> force;  // ?force=; only valid for apply
    bool dry_run = false;
};

struct ListOptions {
    std::string label_selector, field_selector;
    size_t limit = 0;  // 0: all
    std::string continue_token;
};

struct DeleteOptions {
    std::string propagation_policy;  // Background (default), Foreground, Orphan
    std::string precondition_uid, precondition_resource_version;
    bool dry_run = false;
};

struct CrdEstablishment {
    bool automatic = true;
    std::chrono::milliseconds delay{0};
};

struct WatchRequest {
    const ResourceType* type;
    std::optional<std::string> ns;
    ListOptions selectors;
    std::string resource_version;  // "" or "0": start with the current objects as ADDED
};

// One resource's address in a request.
struct Target {
    ResourceType type;
    std::string ns;  // "" for cluster-scoped kinds or all namespaces
    std::string name;
    std::string subresource;  // "" or "status"
};

class Cluster {
public:
    explicit Cluster(CrdEstablishment establishment = {});

    json core_versions(std::string_view server_address);
    json group_list();
    std::optional<json> group(std::string_view name);
    std::optional<json> resource_list(std::string_view group, std::string_view version);
    std::optional<ResourceType> find_type(std::string_view group, std::string_view version, std::string_view plural);

    ApiResult get(const Target& target);
    // target.ns empty on a namespaced kind: every namespace.
    ApiResult list(const Target& target, const ListOptions& options);
    ApiResult create(const Target& target, std::string_view body, const WriteOptions& options);
    ApiResult replace(const Target& target, std::string_view body, const WriteOptions& options);
    ApiResult patch(const Target& target, PatchType type, std::string_view body, const WriteOptions& options);
    ApiResult remove(const Target& target, const DeleteOptions& options);
    ApiResult remove_collection(const Target& target, const ListOptions& list, const DeleteOptions& options);
    // /scale of a Deployment, StatefulSet or ReplicaSet: GET (patch_type
    // nullopt and empty body), PUT (nullopt, a Scale) or a merge, strategic
    // or JSON patch of the Scale. Answers with the Scale.
    ApiResult scale(const Target& target, const std::string& method, std::optional<PatchType> patch_type,
                    std::string_view body, const WriteOptions& options);

    // Watch: the first batch (current objects when resource_version is ""
    // or "0"), then further batches as objects change. Each event is
    // {"type": ADDED|MODIFIED|DELETED|ERROR, "object": ...}.
    struct WatchCursor {
        uint64_t after = 0;
        bool started = false;
    };
    // Blocks until events exist, deadline passes or shutdown(); an empty
    // result with *ended = true means stop streaming.
    std::vector<json> watch_next(const Target& target, const ListOptions& selectors,
                                 const std::string& resource_version, WatchCursor& cursor,
                                 std::chrono::steady_clock::time_point deadline, bool* ended);
    // Wakes every watch; they end.
    void shutdown();

    // Test control.
    void set_crd_establishment(CrdEstablishment establishment);
    ApiResult establish_crd(const std::string& name);

private:
    ApiResult do_get(const Target& target);
    ApiResult write_new(const Target& target, json object, const WriteOptions& options, bool managed_fields_done);
    ApiResult write_existing(const Target& target, const json& old, json object, const WriteOptions& options,
                             bool managed_fields_done);
    ApiResult apply(const Target& target, const json& applied, const WriteOptions& options);
    ApiResult update_from(const Target& target, const json& old, json updated, const WriteOptions& options);
    std::expected<json, ApiError> decode_body(const Target& target, std::string_view body, bool yaml);
    std::optional<ApiError> check_identity(const Target& target, json& object, bool name_from_url);
    ApiError invalid_error(const Target& target, const json& object, const std::vector<FieldError>& errors) const;
    json present(const ResourceType& type, json object) const;
    ObjectKey key_of(const Target& target) const;
    std::string manager_for(const WriteOptions& options) const;
    std::string allocate_cluster_ip();
    void delete_cascade(const ObjectKey& key, const std::string& uid, bool orphan);
    void refresh_custom_types();
    void establish_due();

    std::mutex mutex_;
    std::condition_variable changed_;
    bool shutting_down_ = false;
    ObjectStore store_;
    ResourceCatalog catalog_;
    CrdEstablishment establishment_;
    // CRD name -> when it becomes Established.
    std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> pending_crds_;
    uint32_t next_cluster_ip_ = 10;
};

}  // namespace drover::kts
