#include "tools/kube-testserver/cluster.h"


#include "common/crypto.h"
#include "common/text.h"
#include "tools/kube-testserver/base64.h"
#include "tools/kube-testserver/custom_resource_definition.h"
#include "tools/kube-testserver/field_schema.h"
#include "tools/kube-testserver/json_access.h"
#include "tools/kube-testserver/label_selector.h"
#include "tools/kube-testserver/managed_fields.h"
#include "tools/kube-testserver/object_defaults.h"
#include "tools/kube-testserver/object_validation.h"
#include "tools/kube-testserver/request_document.h"
#include "tools/kube-testserver/server_side_apply.h"

namespace drover::kts {

namespace {

const char* const kServerMetadata[] = {
    "uid",           "resourceVersion", "creationTimestamp", "generation",
    "managedFields", "selfLink",        "deletionTimestamp", "deletionGracePeriodSeconds"};
const char* const kInitialNamespaces[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
const char* const kUndeletableNamespaces[] = {"default", "kube-system", "kube-public"};

std::string new_uid() {
    std::string b = random_bytes(16);
    b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0f) | 0x40);
    b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3f) | 0x80);
    std::string h = hex_encode(b);
    return cat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-", h.substr(16, 4), "-", h.substr(20));
}

std::string random_suffix() {
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string bytes = random_bytes(5), out;
    for (char c : bytes) out += alphabet[static_cast<unsigned char>(c) % (sizeof alphabet - 1)];
    return out;
}

void strip_server_metadata(json& object) {
    if (!object.contains("metadata") || !object["metadata"].is_object()) return;
    for (const char* k : kServerMetadata) object["metadata"].erase(k);
}

json without_times(json object) {
    if (object.contains("metadata") && object["metadata"].contains("managedFields"))
        for (auto& e : object["metadata"]["managedFields"]) e.erase("time");
    return object;
}

json without_metadata_and_status(json object) {
    object.erase("metadata");
    object.erase("status");
    object.erase("apiVersion");
    object.erase("kind");
    return object;
}

// Strategic-merge directives ("$patch", "$setElementOrder/...") have no
// meaning in a plain merge patch.
json without_directives(const json& patch) {
    if (!patch.is_object()) return patch;
    json out = json::object();
    for (const auto& [k, v] : patch.items())
        if (!k.starts_with("$")) out[k] = without_directives(v);
    return out;
}

}  // namespace

std::expected<json, ApiError> patched(json current, const json& patch, PatchType type) {
    if (type == PatchType::json_patch) {
        if (!patch.is_array()) return std::unexpected(bad_request("a JSON patch must be a list of operations"));
        try {
            return current.patch(patch);
        } catch (const json::exception& e) {
            return std::unexpected(api_error(
                422, "Invalid", cat("the server rejected our request due to an error in our request: ", e.what())));
        }
    }
    if (!patch.is_object()) return std::unexpected(bad_request("a merge patch must be a JSON object"));
    current.merge_patch(type == PatchType::strategic_merge ? without_directives(patch) : patch);
    return current;
}

namespace {

FieldScope scope_of(const ResourceType& type, const std::string& subresource) {
    if (subresource == "status") return FieldScope::status_only;
    return type.status_subresource ? FieldScope::main_without_status : FieldScope::whole;
}

json success_status(const ResourceType& type, const std::string& name, const std::string& uid) {
    json details = {{"name", name}, {"kind", type.plural}, {"uid", uid}};
    if (!type.group.empty()) details["group"] = type.group;
    return {{"kind", "Status"},
            {"apiVersion", "v1"},
            {"metadata", json::object()},
            {"status", "Success"},
            {"details", details}};
}

json initial_namespace(const std::string& name, uint64_t version) {
    return {{"apiVersion", "v1"},
            {"kind", "Namespace"},
            {"metadata",
             {{"name", name},
              {"uid", new_uid()},
              {"resourceVersion", std::to_string(version)},
              {"creationTimestamp", rfc3339_now()},
              {"labels", {{"kubernetes.io/metadata.name", name}}}}},
            {"spec", {{"finalizers", {"kubernetes"}}}},
            {"status", {{"phase", "Active"}}}};
}

}  // namespace

Cluster::Cluster(CrdEstablishment establishment) : establishment_(establishment) {
    for (const char* ns : kInitialNamespaces) {
        uint64_t v = store_.next_version();
        store_.put({"", "namespaces", "", ns}, initial_namespace(ns, v), v);
    }
}

// ---- discovery ---------------------------------------------------------

json Cluster::core_versions(std::string_view server_address) {
    std::lock_guard lock(mutex_);
    return catalog_.core_versions(server_address);
}

json Cluster::group_list() {
    std::lock_guard lock(mutex_);
    establish_due();
    return catalog_.group_list();
}

std::optional<json> Cluster::group(std::string_view name) {
    std::lock_guard lock(mutex_);
    establish_due();
    return catalog_.group(name);
}

std::optional<json> Cluster::resource_list(std::string_view group, std::string_view version) {
    std::lock_guard lock(mutex_);
    establish_due();
    return catalog_.resource_list(group, version);
}

std::optional<ResourceType> Cluster::find_type(std::string_view group, std::string_view version,
                                               std::string_view plural) {
    std::lock_guard lock(mutex_);
    establish_due();
    const ResourceType* t = catalog_.find(group, version, plural);
    if (t == nullptr) return std::nullopt;
    return *t;
}

// ---- helpers -----------------------------------------------------------

json Cluster::present(const ResourceType& type, json object) const {
    object["apiVersion"] = type.api_version();
    object["kind"] = type.kind;
    return object;
}

ObjectKey Cluster::key_of(const Target& target) const {
    return {target.type.group, target.type.plural, target.type.namespaced ? target.ns : "", target.name};
}

std::string Cluster::manager_for(const WriteOptions& options) const {
    if (!options.field_manager.empty()) return options.field_manager;
    std::string from_agent = manager_from_user_agent(options.user_agent);
    return from_agent.empty() ? "unknown" : from_agent;
}

std::string Cluster::allocate_cluster_ip() {
    uint32_t n = next_cluster_ip_++;
    return cat("10.43.", (n >> 8) & 0xff, ".", n & 0xff);
}

ApiError Cluster::invalid_error(const Target& target, const json& object, const std::vector<FieldError>& errors) const {
    std::string name = metadata_text(object, "name");
    return invalid(target.type.kind, target.type.group, name.empty() ? target.name : name, errors);
}

std::expected<json, ApiError> Cluster::decode_body(const Target& target, std::string_view body, bool yaml) {
    auto parsed = yaml ? parse_yaml_document(body) : parse_json_document(body);
    if (!parsed) return std::unexpected(bad_request(parsed.error().message));
    json object = without_nulls(*parsed);
    if (auto problem = type_error(target.type, object)) return std::unexpected(bad_request(*problem));
    return object;
}

// Sets apiVersion, kind and namespace; checks them and the name against the
// URL as kube-apiserver does (400 on a mismatch).
std::optional<ApiError> Cluster::check_identity(const Target& target, json& object, bool name_from_url) {
    const ResourceType& type = target.type;
    std::string api_version = text_of(object, "apiVersion"), kind = text_of(object, "kind");
    if (!api_version.empty() && api_version != type.api_version())
        return bad_request(cat("the API version in the data (", api_version,
                               ") does not match the expected API version (", type.api_version(), ")"));
    if (!kind.empty() && kind != type.kind)
        return bad_request(cat("the kind in the data (", kind, ") does not match the expected kind (", type.kind, ")"));
    object["apiVersion"] = type.api_version();
    object["kind"] = type.kind;
    json& metadata = object["metadata"];
    if (!metadata.is_object()) metadata = json::object();
    std::string ns = text_of(metadata, "namespace");
    if (!type.namespaced) {
        metadata.erase("namespace");
    } else if (ns.empty()) {
        metadata["namespace"] = target.ns;
    } else if (ns != target.ns) {
        return bad_request("the namespace of the provided object does not match the namespace sent on the request");
    }
    if (name_from_url) {
        std::string name = text_of(metadata, "name");
        if (name != target.name)
            return bad_request(
                cat("the name of the object (", name, ") does not match the name on the URL (", target.name, ")"));
    }
    return std::nullopt;
}

// ---- reads -------------------------------------------------------------

ApiResult Cluster::get(const Target& target) {
    std::lock_guard lock(mutex_);
    establish_due();
    return do_get(target);
}

ApiResult Cluster::do_get(const Target& target) {
    const json* object = store_.get(key_of(target));
    if (object == nullptr) return std::unexpected(not_found(target.type.group_resource(), target.name));
    return ApiReply{200, present(target.type, *object)};
}

ApiResult Cluster::list(const Target& target, const ListOptions& options) {
    auto labels = LabelSelector::parse(options.label_selector);
    if (!labels) return std::unexpected(bad_request(labels.error().message));
    auto fields = FieldSelector::parse(options.field_selector);
    if (!fields) return std::unexpected(bad_request(fields.error().message));
    // A continue token is the (namespace, name) of the last item returned.
    std::optional<std::pair<std::string, std::string>> after;
    if (!options.continue_token.empty()) {
        auto decoded = base64_decode(options.continue_token);
        json position = decoded ? json::parse(*decoded, nullptr, false) : json();
        if (!position.is_array() || position.size() != 2 || !position[0].is_string() || !position[1].is_string())
            return std::unexpected(bad_request("the provided continue parameter is invalid"));
        after = std::make_pair(position[0].get<std::string>(), position[1].get<std::string>());
    }

    std::lock_guard lock(mutex_);
    establish_due();
    const ResourceType& type = target.type;
    std::optional<std::string> ns;
    if (type.namespaced && !target.ns.empty()) ns = target.ns;
    json items = json::array();
    std::string continue_token;
    size_t remaining = 0;
    for (const auto& [key, object] : store_.list(type.group, type.plural, ns)) {
        auto position = std::make_pair(key.ns, key.name);
        if (after && position <= *after) continue;
        if (!labels->matches_object(*object) || !fields->matches_object(*object)) continue;
        if (options.limit != 0 && items.size() == options.limit) {
            ++remaining;
            continue;
        }
        json item = present(type, *object);
        if (!type.custom) {
            item.erase("apiVersion");
            item.erase("kind");
        }
        items.push_back(std::move(item));
        if (options.limit != 0 && items.size() == options.limit)
            continue_token = base64_encode(json::array({key.ns, key.name}).dump());
    }
    json list_meta = {{"resourceVersion", std::to_string(store_.version())}};
    if (remaining > 0) {
        list_meta["continue"] = continue_token;
        list_meta["remainingItemCount"] = remaining;
    }
    return ApiReply{200,
                    {{"kind", type.list_kind},
                     {"apiVersion", type.api_version()},
                     {"metadata", list_meta},
                     {"items", std::move(items)}}};
}

// ---- writes ------------------------------------------------------------

ApiResult Cluster::create(const Target& target, std::string_view body, const WriteOptions& options) {
    auto object = decode_body(target, body, false);
    if (!object) return std::unexpected(object.error());
    if (auto error = check_identity(target, *object, false)) return std::unexpected(*error);
    json& metadata = (*object)["metadata"];
    if (text_of(metadata, "name").empty() && !text_of(metadata, "generateName").empty())
        metadata["name"] = text_of(metadata, "generateName") + random_suffix();
    strip_server_metadata(*object);
    Target named = target;
    named.name = text_of(metadata, "name");
    std::lock_guard lock(mutex_);
    establish_due();
    return write_new(named, std::move(*object), options, false);
}

ApiResult Cluster::write_new(const Target& target, json object, const WriteOptions& options, bool managed_fields_done) {
    const ResourceType& type = target.type;
    if (type.status_subresource) object.erase("status");
    DefaultsContext defaults{nullptr, [this] { return allocate_cluster_ip(); }};
    if (auto problem = apply_defaults(type, object, defaults)) return std::unexpected(bad_request(*problem));
    std::vector<FieldError> errors = validate_object(type, object);
    bool is_crd = type.group == kCrdGroup && type.plural == kCrdResource;
    if (is_crd) {
        auto crd_errors = validate_crd(object, catalog_);
        errors.insert(errors.end(), crd_errors.begin(), crd_errors.end());
    }
    if (!errors.empty()) return std::unexpected(invalid_error(target, object, errors));
    if (type.namespaced && store_.get({"", "namespaces", "", target.ns}) == nullptr)
        return std::unexpected(not_found({"", "namespaces"}, target.ns));
    ObjectKey key = key_of(target);
    if (store_.get(key) != nullptr) return std::unexpected(already_exists(type.group_resource(), target.name));

    std::string time = rfc3339_now();
    json& metadata = object["metadata"];
    metadata["uid"] = new_uid();
    metadata["creationTimestamp"] = time;
    if (type.has_generation) metadata["generation"] = 1;
    if (!managed_fields_done) {
        ManagedFields entries;
        record_update(entries, nullptr, object, FieldSchema(!type.custom),
                      {manager_for(options), "", type.api_version(), time, scope_of(type, "")});
        write_managed_fields(object, entries);
    }
    if (is_crd) {
        default_crd(object);
        bool now = establishment_.automatic && establishment_.delay.count() == 0;
        set_crd_status(object, now, time);
        if (establishment_.automatic && !now && !options.dry_run)
            pending_crds_.emplace_back(target.name, std::chrono::steady_clock::now() + establishment_.delay);
    }
    if (options.dry_run) return ApiReply{201, present(type, std::move(object))};
    uint64_t version = store_.next_version();
    metadata["resourceVersion"] = std::to_string(version);
    store_.put(key, object, version);
    if (is_crd) refresh_custom_types();
    changed_.notify_all();
    return ApiReply{201, present(type, std::move(object))};
}

ApiResult Cluster::write_existing(const Target& target, const json& old, json object, const WriteOptions& options,
                                  bool managed_fields_done) {
    const ResourceType& type = target.type;
    bool status_write = target.subresource == "status";
    if (status_write) {
        json merged = old;
        if (object.contains("status"))
            merged["status"] = object["status"];
        else
            merged.erase("status");
        if (managed_fields_done && object["metadata"].contains("managedFields"))
            merged["metadata"]["managedFields"] = object["metadata"]["managedFields"];
        else
            merged["metadata"].erase("managedFields");
        object = std::move(merged);
    } else if (type.status_subresource) {
        if (old.contains("status"))
            object["status"] = old["status"];
        else
            object.erase("status");
    }
    json& metadata = object["metadata"];
    for (const char* k : {"uid", "creationTimestamp", "generation", "name", "namespace"}) {
        if (old["metadata"].contains(k))
            metadata[k] = old["metadata"][k];
        else
            metadata.erase(k);
    }
    DefaultsContext defaults{&old, [this] { return allocate_cluster_ip(); }};
    if (auto problem = apply_defaults(type, object, defaults)) return std::unexpected(bad_request(*problem));
    std::vector<FieldError> errors = validate_object(type, object);
    bool is_crd = type.group == kCrdGroup && type.plural == kCrdResource;
    if (is_crd && !status_write) {
        auto crd_errors = validate_crd(object, catalog_);
        errors.insert(errors.end(), crd_errors.begin(), crd_errors.end());
    }
    if (!errors.empty()) return std::unexpected(invalid_error(target, object, errors));

    std::string time = rfc3339_now();
    if (type.has_generation && without_metadata_and_status(old) != without_metadata_and_status(object))
        metadata["generation"] = old["metadata"].value("generation", 0) + 1;
    if (!managed_fields_done) {
        auto entries = read_managed_fields(old);
        ManagedFields current = entries ? std::move(*entries) : ManagedFields{};
        record_update(
            current, &old, object, FieldSchema(!type.custom),
            {manager_for(options), target.subresource, type.api_version(), time, scope_of(type, target.subresource)});
        write_managed_fields(object, current);
    }
    if (is_crd && !status_write) {
        default_crd(object);
        set_crd_status(object, crd_established(old), time);
    }
    metadata["resourceVersion"] = old["metadata"]["resourceVersion"];
    if (without_times(present(type, old)) == without_times(present(type, object)))
        return ApiReply{200, present(type, old)};
    if (options.dry_run) return ApiReply{200, present(type, std::move(object))};
    uint64_t version = store_.next_version();
    metadata["resourceVersion"] = std::to_string(version);
    store_.put(key_of(target), object, version);
    if (is_crd) refresh_custom_types();
    changed_.notify_all();
    return ApiReply{200, present(type, std::move(object))};
}

ApiResult Cluster::update_from(const Target& target, const json& old, json updated, const WriteOptions& options) {
    std::string wanted = metadata_text(updated, "resourceVersion");
    if (!wanted.empty() && wanted != metadata_text(old, "resourceVersion"))
        return std::unexpected(conflict_modified(target.type.group_resource(), target.name));
    strip_server_metadata(updated);
    return write_existing(target, old, std::move(updated), options, false);
}

ApiResult Cluster::replace(const Target& target, std::string_view body, const WriteOptions& options) {
    auto object = decode_body(target, body, false);
    if (!object) return std::unexpected(object.error());
    if (auto error = check_identity(target, *object, true)) return std::unexpected(*error);
    std::lock_guard lock(mutex_);
    establish_due();
    const json* old = store_.get(key_of(target));
    if (old == nullptr) return std::unexpected(not_found(target.type.group_resource(), target.name));
    json previous = *old;
    return update_from(target, previous, std::move(*object), options);
}

ApiResult Cluster::patch(const Target& target, PatchType patch_type, std::string_view body,
                         const WriteOptions& options) {
    if (patch_type == PatchType::apply) {
        auto applied = decode_body(target, body, true);
        if (!applied) return std::unexpected(applied.error());
        std::lock_guard lock(mutex_);
        establish_due();
        return apply(target, *applied, options);
    }
    if (options.force)
        return std::unexpected(invalid("PatchOptions", "meta.k8s.io", "",
                                       {forbidden("force", "may not be specified for non-apply patch")}));
    auto document = parse_json_document(body);
    if (!document) return std::unexpected(bad_request(document.error().message));

    std::lock_guard lock(mutex_);
    establish_due();
    const json* stored = store_.get(key_of(target));
    if (stored == nullptr) return std::unexpected(not_found(target.type.group_resource(), target.name));
    json old = *stored;
    json current = present(target.type, old);
    auto applied = patched(std::move(current), *document, patch_type);
    if (!applied) return std::unexpected(applied.error());
    current = std::move(*applied);
    current = without_nulls(current);
    if (auto problem = type_error(target.type, current)) return std::unexpected(bad_request(*problem));
    if (auto error = check_identity(target, current, true)) return std::unexpected(*error);
    return update_from(target, old, std::move(current), options);
}

ApiResult Cluster::apply(const Target& target, const json& applied_in, const WriteOptions& options) {
    const ResourceType& type = target.type;
    if (options.field_manager.empty())
        return std::unexpected(
            invalid("PatchOptions", "meta.k8s.io", "", {required("fieldManager", "is required for apply patch")}));
    json applied = applied_in;
    std::string api_version = text_of(applied, "apiVersion");
    if (api_version != type.api_version())
        return std::unexpected(bad_request(cat("Incorrect version specified in apply patch. Specified patch version: ",
                                               api_version, ", expected: ", type.api_version())));
    std::string kind = text_of(applied, "kind");
    if (kind != type.kind)
        return std::unexpected(bad_request(
            cat("Incorrect kind specified in apply patch. Specified patch kind: ", kind, ", expected: ", type.kind)));
    const json* stored = store_.get(key_of(target));
    if (stored == nullptr && target.subresource == "status")
        return std::unexpected(not_found(type.group_resource(), target.name));
    json& metadata = applied["metadata"];
    if (!metadata.is_object()) metadata = json::object();
    if (text_of(metadata, "name").empty() && stored != nullptr) metadata["name"] = target.name;
    if (auto error = check_identity(target, applied, true)) return std::unexpected(*error);
    std::string wanted = text_of(applied["metadata"], "resourceVersion");
    if (!wanted.empty() && stored != nullptr && wanted != metadata_text(*stored, "resourceVersion"))
        return std::unexpected(conflict_modified(type.group_resource(), target.name));
    strip_server_metadata(applied);

    FieldScope scope = scope_of(type, target.subresource);
    if (scope == FieldScope::main_without_status) {
        applied.erase("status");
    } else if (scope == FieldScope::status_only) {
        json reduced = {{"apiVersion", applied["apiVersion"]}, {"kind", applied["kind"]}, {"metadata", json::object()}};
        for (const char* k : {"name", "namespace"})
            if (applied["metadata"].contains(k)) reduced["metadata"][k] = applied["metadata"][k];
        if (applied.contains("status")) reduced["status"] = applied["status"];
        applied = std::move(reduced);
    }

    std::optional<json> old;
    if (stored != nullptr) old = *stored;
    json live = old ? present(type, *old) : json();
    ApplyOptions apply_options{options.field_manager, options.force.value_or(false),
                               target.subresource,    type.api_version(),
                               rfc3339_now(),         scope};
    auto result = server_side_apply(old ? &live : nullptr, applied, FieldSchema(!type.custom), apply_options);
    if (!result) {
        return std::unexpected(
            api_error(409, "Conflict", result.error().message(), json{{"causes", result.error().causes()}}));
    }
    if (!old) return write_new(target, std::move(*result), options, true);
    return write_existing(target, *old, std::move(*result), options, true);
}

// ---- deletes -----------------------------------------------------------

ApiResult Cluster::remove(const Target& target, const DeleteOptions& options) {
    std::lock_guard lock(mutex_);
    establish_due();
    const ResourceType& type = target.type;
    ObjectKey key = key_of(target);
    const json* stored = store_.get(key);
    if (stored == nullptr) return std::unexpected(not_found(type.group_resource(), target.name));
    std::string uid = metadata_text(*stored, "uid");
    if (!options.precondition_uid.empty() && options.precondition_uid != uid)
        return std::unexpected(conflict(type.group_resource(), target.name,
                                        cat("Precondition failed: UID in precondition: ", options.precondition_uid,
                                            ", UID in object meta: ", uid)));
    std::string version = metadata_text(*stored, "resourceVersion");
    if (!options.precondition_resource_version.empty() && options.precondition_resource_version != version)
        return std::unexpected(conflict(
            type.group_resource(), target.name,
            cat("Precondition failed: ResourceVersion in precondition: ", options.precondition_resource_version,
                ", ResourceVersion in object meta: ", version)));
    if (type.group.empty() && type.plural == "namespaces")
        for (const char* protected_ns : kUndeletableNamespaces)
            if (target.name == protected_ns)
                return std::unexpected(
                    forbidden_error(type.group_resource(), target.name, "this namespace may not be deleted"));
    if (options.dry_run)
        return ApiReply{200, type.custom ? present(type, *stored) : success_status(type, target.name, uid)};
    auto removed = store_.erase(key);
    delete_cascade(key, uid, options.propagation_policy == "Orphan");
    if (type.group == kCrdGroup && type.plural == kCrdResource) refresh_custom_types();
    changed_.notify_all();
    if (type.custom) return ApiReply{200, present(type, std::move(*removed))};
    return ApiReply{200, success_status(type, target.name, uid)};
}

void Cluster::delete_cascade(const ObjectKey& key, const std::string& uid, bool orphan) {
    std::vector<ObjectKey> doomed;
    if (key.group.empty() && key.resource == "namespaces") doomed = store_.keys_in_namespace(key.name);
    if (key.group == kCrdGroup && key.resource == kCrdResource) {
        // The CRD is gone already; its name is plural.group.
        size_t dot = key.name.find('.');
        if (dot != std::string::npos) doomed = store_.keys_of(key.name.substr(dot + 1), key.name.substr(0, dot));
    }
    if (!orphan) {
        auto dependents = store_.dependents_of(uid);
        doomed.insert(doomed.end(), dependents.begin(), dependents.end());
    }
    for (const auto& k : doomed) {
        const json* object = store_.get(k);
        if (object == nullptr) continue;
        std::string child_uid = metadata_text(*object, "uid");
        store_.erase(k);
        delete_cascade(k, child_uid, false);
    }
}

ApiResult Cluster::remove_collection(const Target& target, const ListOptions& list_options,
                                     const DeleteOptions& options) {
    auto listed = list(target, list_options);
    if (!listed) return listed;
    json items = json::array();
    for (const auto& item : listed->body["items"]) {
        Target one = target;
        one.name = metadata_text(item, "name");
        one.ns = metadata_text(item, "namespace");
        auto removed = remove(one, options);
        if (removed && target.type.custom) items.push_back(removed->body);
    }
    json& body = listed->body;
    body["items"] = items;
    if (!target.type.custom)
        body = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Success"}};
    return listed;
}

}  // namespace drover::kts
