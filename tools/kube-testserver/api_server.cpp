#include "tools/kube-testserver/api_server.h"

#include <chrono>
#include <thread>

#include "common/crypto.h"
#include "common/text.h"
#include "tools/kube-testserver/protobuf_body.h"
#include "tools/kube-testserver/request_document.h"
#include "tools/kube-testserver/request_route.h"
#include "tools/kube-testserver/scale_subresource.h"
#include "tools/kube-testserver/test_control.h"

namespace drover::kts {

namespace {

constexpr int kDefaultWatchSeconds = 1800;
constexpr const char* kServerVersionMinor = "32";

// The media type without parameters, lower-case.
std::string media_type(const std::string& content_type) {
    std::string out(trim(std::string_view(content_type).substr(0, content_type.find(';'))));
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

HttpResponse error_response(const ApiError& error) { return json_response(error.code, error.status); }

HttpResponse reply(const ApiResult& result) {
    if (!result) return error_response(result.error());
    return json_response(result->code, result->body);
}

json version_info() {
    return {{"major", "1"},
            {"minor", kServerVersionMinor},
            {"gitVersion", cat("v1.", kServerVersionMinor, ".0+kube-testserver")},
            {"gitCommit", "0000000000000000000000000000000000000000"},
            {"gitTreeState", "clean"},
            {"buildDate", "2025-01-01T00:00:00Z"},
            {"goVersion", "go1.23"},
            {"compiler", "gc"},
            {"platform", "linux/amd64"}};
}

HttpResponse openapi_v2(const HttpRequest& request) {
    HttpResponse r;
    // kubectl asks for protobuf. An empty message is a valid, empty
    // openapi_v2.Document: kubectl then knows no schemas and skips its
    // client-side validation instead of failing.
    if (request.header("accept").find("protobuf") != std::string::npos) {
        r.headers["Content-Type"] = "application/octet-stream";
        return r;
    }
    return json_response(200, {{"swagger", "2.0"},
                               {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
                               {"paths", json::object()},
                               {"definitions", json::object()}});
}

json root_paths() {
    return {{"paths",
             {"/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v2", "/readyz", "/testserver", "/version"}}};
}

std::expected<WriteOptions, ApiError> write_options(const HttpRequest& request) {
    WriteOptions options;
    options.field_manager = request.param("fieldManager");
    options.user_agent = request.header("user-agent");
    if (request.has_param("force")) {
        const std::string& force = request.param("force");
        if (force != "true" && force != "false")
            return std::unexpected(
                bad_request(cat("force: invalid value ", quoted(force), " (expected true or false)")));
        options.force = force == "true";
    }
    if (request.has_param("dryRun")) {
        if (request.param("dryRun") != "All")
            return std::unexpected(invalid("CreateOptions", "meta.k8s.io", "",
                                           {not_supported("dryRun", request.param("dryRun"), {"All"})}));
        options.dry_run = true;
    }
    return options;
}

std::expected<ListOptions, ApiError> list_options(const HttpRequest& request) {
    ListOptions options;
    options.label_selector = request.param("labelSelector");
    options.field_selector = request.param("fieldSelector");
    options.continue_token = request.param("continue");
    if (request.has_param("limit") && !request.param("limit").empty()) {
        auto limit = parse_u64(request.param("limit"));
        if (!limit) return std::unexpected(bad_request(cat("limit: invalid value ", quoted(request.param("limit")))));
        options.limit = static_cast<size_t>(*limit);
    }
    return options;
}

std::expected<DeleteOptions, ApiError> delete_options(const HttpRequest& request) {
    DeleteOptions options;
    options.propagation_policy = request.param("propagationPolicy");
    options.dry_run = request.param("dryRun") == "All";
    if (!trim(request.body).empty()) {
        auto body = parse_json_document(request.body);
        if (!body || !body->is_object()) return std::unexpected(bad_request("DeleteOptions must be a JSON object"));
        auto text = [&](const json& parent, const char* key) {
            auto it = parent.find(key);
            return it != parent.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        if (std::string policy = text(*body, "propagationPolicy"); !policy.empty()) options.propagation_policy = policy;
        if (body->contains("orphanDependents") && (*body)["orphanDependents"] == true)
            options.propagation_policy = "Orphan";
        if (body->contains("preconditions") && (*body)["preconditions"].is_object()) {
            options.precondition_uid = text((*body)["preconditions"], "uid");
            options.precondition_resource_version = text((*body)["preconditions"], "resourceVersion");
        }
        if (body->contains("dryRun") && (*body)["dryRun"].is_array())
            for (const auto& d : (*body)["dryRun"]) options.dry_run = options.dry_run || d == "All";
    }
    const std::string& p = options.propagation_policy;
    if (!p.empty() && p != "Background" && p != "Foreground" && p != "Orphan")
        return std::unexpected(
            invalid("DeleteOptions", "meta.k8s.io", "",
                    {not_supported("propagationPolicy", p, {"Background", "Foreground", "Orphan"})}));
    return options;
}

HttpResponse watch_response(Cluster& cluster, const Target& target, const ListOptions& selectors,
                            const HttpRequest& request) {
    int seconds = kDefaultWatchSeconds;
    if (request.has_param("timeoutSeconds")) {
        auto t = parse_u64(request.param("timeoutSeconds"));
        if (!t) return error_response(bad_request("timeoutSeconds: expected a number of seconds"));
        seconds = static_cast<int>(std::min<uint64_t>(*t, kDefaultWatchSeconds));
    }
    std::string resource_version = request.param("resourceVersion");
    HttpResponse r;
    r.headers["Content-Type"] = "application/json";
    r.headers["Cache-Control"] = "no-cache, private";
    r.stream = [&cluster, target, selectors, resource_version, seconds](const ChunkWriter& write) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        Cluster::WatchCursor cursor;
        bool ended = false;
        while (!ended) {
            for (const auto& event : cluster.watch_next(target, selectors, resource_version, cursor, deadline, &ended))
                if (!write(event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n")) return;
        }
    };
    return r;
}

// A POST or PUT body as JSON text: JSON as it came, YAML and the protobuf
// of kubectl's typed generators converted.
std::expected<std::string, ApiError> object_body(const HttpRequest& request) {
    std::string media = media_type(request.header("content-type"));
    if (media.empty() || media == "application/json" || media == "*/*") return request.body;
    if (media == "application/yaml") {
        auto doc = parse_yaml_document(request.body);
        if (!doc) return std::unexpected(bad_request(doc.error().message));
        return doc->dump();
    }
    if (media == kProtobufMediaType) {
        auto doc = decode_kubernetes_protobuf(request.body);
        if (!doc) return std::unexpected(api_error(415, "UnsupportedMediaType", doc.error().message));
        return doc->dump();
    }
    return std::unexpected(
        unsupported_media_type(media, {"application/json", "application/yaml", std::string(kProtobufMediaType)}));
}

std::expected<PatchType, ApiError> patch_type(const HttpRequest& request, const ResourceType& type) {
    std::string media = media_type(request.header("content-type"));
    if (media == "application/apply-patch+yaml") return PatchType::apply;
    if (media == "application/merge-patch+json") return PatchType::merge;
    if (media == "application/json-patch+json") return PatchType::json_patch;
    if (media == "application/strategic-merge-patch+json") {
        if (type.custom)
            return std::unexpected(api_error(415, "UnsupportedMediaType",
                                             "the body of the request was in an unknown format - accepted media types "
                                             "include: application/json-patch+json, application/merge-patch+json, "
                                             "application/apply-patch+yaml"));
        return PatchType::strategic_merge;
    }
    return std::unexpected(
        unsupported_media_type(media, {"application/json-patch+json", "application/merge-patch+json",
                                       "application/apply-patch+yaml", "application/strategic-merge-patch+json"}));
}

HttpResponse serve_resource(Cluster& cluster, const Route& route, const HttpRequest& request) {
    auto type = cluster.find_type(route.group, route.version, route.resource);
    if (!type) return error_response(resource_not_found());
    const std::string& method = request.method;
    Target target{*type, route.ns, route.name, route.subresource};
    bool collection = route.name.empty();
    if (!type->namespaced && route.namespaced_path) return error_response(resource_not_found());
    if (type->namespaced && !route.namespaced_path && !collection) return error_response(resource_not_found());
    bool status = route.subresource == "status" && type->status_subresource;
    bool scale = route.subresource == "scale" && has_scale_subresource(*type);
    if (!route.subresource.empty() && !status && !scale) return error_response(resource_not_found());

    if (collection) {
        auto list = list_options(request);
        if (!list) return error_response(list.error());
        if (method == "GET") {
            const std::string& watch = request.param("watch");
            if (watch == "true" || watch == "1") return watch_response(cluster, target, *list, request);
            return reply(cluster.list(target, *list));
        }
        if (type->namespaced && !route.namespaced_path)
            return error_response(method_not_allowed(method, cat("all-namespaces ", type->plural)));
        if (method == "POST") {
            auto options = write_options(request);
            if (!options) return error_response(options.error());
            auto body = object_body(request);
            if (!body) return error_response(body.error());
            return reply(cluster.create(target, *body, *options));
        }
        if (method == "DELETE") {
            auto options = delete_options(request);
            if (!options) return error_response(options.error());
            return reply(cluster.remove_collection(target, *list, *options));
        }
        return error_response(method_not_allowed(method, type->plural));
    }
    if (scale) {
        if (method == "GET") return reply(cluster.scale(target, method, std::nullopt, "", {}));
        if (method != "PUT" && method != "PATCH")
            return error_response(method_not_allowed(method, type->plural + "/scale"));
        auto options = write_options(request);
        if (!options) return error_response(options.error());
        std::optional<PatchType> kind;
        if (method == "PATCH") {
            auto patch = patch_type(request, *type);
            if (!patch) return error_response(patch.error());
            kind = *patch;
        }
        return reply(cluster.scale(target, method, kind, request.body, *options));
    }
    if (method == "GET") return reply(cluster.get(target));
    if (method == "PUT" || method == "PATCH") {
        auto options = write_options(request);
        if (!options) return error_response(options.error());
        if (method == "PUT") {
            auto body = object_body(request);
            if (!body) return error_response(body.error());
            return reply(cluster.replace(target, *body, *options));
        }
        auto patch = patch_type(request, *type);
        if (!patch) return error_response(patch.error());
        return reply(cluster.patch(target, *patch, request.body, *options));
    }
    if (method == "DELETE" && route.subresource.empty()) {
        auto options = delete_options(request);
        if (!options) return error_response(options.error());
        return reply(cluster.remove(target, *options));
    }
    return error_response(
        method_not_allowed(method, cat(type->plural, route.subresource.empty() ? "" : "/", route.subresource)));
}

}  // namespace

HttpResponse json_response(int code, const json& body) {
    HttpResponse r;
    r.status = code;
    r.headers["Content-Type"] = "application/json";
    r.headers["Cache-Control"] = "no-cache, private";
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
}

bool ApiServer::authenticated(const HttpRequest& request, const Peer& peer) const {
    if (!peer.client_common_name.empty()) return true;
    const std::string& authorization = request.header("authorization");
    constexpr std::string_view bearer = "Bearer ";
    if (!authorization.starts_with(bearer)) return false;
    return equal_secret(trim(std::string_view(authorization).substr(bearer.size())), token_);
}

HttpResponse ApiServer::handle(const HttpRequest& request, const Peer& peer) {
    Route route = parse_route(request.path);
    if (route.kind == Route::Kind::health) {
        HttpResponse r;
        r.headers["Content-Type"] = "text/plain; charset=utf-8";
        r.body = "ok";
        return r;
    }
    if (route.kind == Route::Kind::version) return json_response(200, version_info());
    if (!authenticated(request, peer)) return error_response(unauthorized());
    if (route.kind == Route::Kind::test_control) {
        TestControl control{cluster_, faults_, log_};
        return handle_test_control(request, route.control, control);
    }

    LoggedRequest entry{request.method,
                        request.path,
                        request.query_string,
                        request.header("content-type"),
                        request.header("user-agent"),
                        0,
                        false};
    if (auto fault = faults_.take(request.method, request.path)) {
        if (fault->delay.count() > 0) std::this_thread::sleep_for(fault->delay);
        entry.injected = true;
        if (fault->drop) {
            log_.add(std::move(entry));
            HttpResponse dropped;
            dropped.drop_connection = true;
            return dropped;
        }
        if (fault->code != 0) {
            std::string message =
                fault->message.empty() ? cat("kube-testserver injected HTTP ", fault->code) : fault->message;
            HttpResponse r = error_response(injected(fault->code, message));
            if (fault->retry_after >= 0) r.headers["Retry-After"] = std::to_string(fault->retry_after);
            entry.code = r.status;
            log_.add(std::move(entry));
            return r;
        }
    }
    HttpResponse response = serve_api(request, route);
    entry.code = response.status;
    log_.add(std::move(entry));
    return response;
}

HttpResponse ApiServer::serve_api(const HttpRequest& request, const Route& route) {
    bool read = request.method == "GET";
    switch (route.kind) {
        case Route::Kind::root: return read ? json_response(200, root_paths()) : error_response(resource_not_found());
        case Route::Kind::core_versions:
            return read ? json_response(200, cluster_.core_versions(server_address_))
                        : error_response(resource_not_found());
        case Route::Kind::group_list:
            return read ? json_response(200, cluster_.group_list()) : error_response(resource_not_found());
        case Route::Kind::group: {
            auto group = read ? cluster_.group(route.group) : std::nullopt;
            return group ? json_response(200, *group) : error_response(resource_not_found());
        }
        case Route::Kind::resource_list: {
            auto list = read ? cluster_.resource_list(route.group, route.version) : std::nullopt;
            return list ? json_response(200, *list) : error_response(resource_not_found());
        }
        case Route::Kind::resource: return serve_resource(cluster_, route, request);
        case Route::Kind::openapi_v2: return openapi_v2(request);
        default: return error_response(resource_not_found());
    }
}

}  // namespace drover::kts
