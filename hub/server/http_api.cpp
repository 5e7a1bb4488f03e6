#include "hub/server/http_api.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/text.h"
#include "hub/server/api_agents.h"
#include "hub/server/api_bundles.h"
#include "hub/server/api_query.h"
#include "hub/server/api_reply.h"
#include "hub/server/api_rollouts.h"
#include "hub/server/credentials.h"
#include "hub/server/event_feed.h"
#include "hub/server/static_assets.h"
#include "hub/server/status_view.h"

namespace drover::hub {

using nlohmann::json;

namespace {

HttpResponse reply(int status, const json& body) { return json_reply(status, body); }
HttpResponse error(int status, const std::string& message) { return json_error(status, message); }

enum class Access { none, read, admin };

// The admin token may do anything; a viewer token may only GET. A push
// token is for git, not for this API.
Result<Access> access_of(Fleet& fleet, const HttpRequest& req) {
    constexpr const char* kHow = "missing or wrong token (send Authorization: Bearer TOKEN)";
    if (!starts_with(req.authorization, "Bearer ")) return fail(kHow);
    auto token = presented_token(req.authorization);
    if (!token) return fail(kHow);
    auto caller = identify(fleet, req.authorization);
    if (caller) return caller->admin ? Access::admin : Access::none;
    auto viewer = fleet.store().viewer_token(sha256_hex(*token), fleet.now_ms());
    if (viewer) return Access::read;
    // Say why a token this hub gave out is refused (revoked, expired);
    // never echo the secret.
    if (starts_with(*token, "drv_viewer_")) return fail(viewer.error().message);
    if (starts_with(*token, "drv_push_")) return fail(caller.error().message);
    return fail(kHow);
}

// Why this request's credential may not do what it asks (401 or 403), or
// nullopt: the one check every route, /metrics and the live stream share.
struct Refusal {
    int status;
    std::string message;
};
std::optional<Refusal> refusal(Fleet& fleet, const HttpRequest& req) {
    auto access = access_of(fleet, req);
    if (!access) return Refusal{401, access.error().message};
    if (*access == Access::none) return Refusal{403, "push tokens are for git; the API takes the admin or a viewer token"};
    if (*access == Access::read && req.method != "GET")
        return Refusal{403, cat("a viewer token may only read (GET), not ", utf8_prefix(req.method, 20))};
    return std::nullopt;
}

json token_json(const TokenRecord& t) {
    json out = {{"id", t.id},
                {"kind", token_kind_name(t.kind)},
                {"created_at", rfc3339(t.created_ms)},
                {"expires_at", t.expires_ms ? json(rfc3339(*t.expires_ms)) : json(nullptr)},
                {"revoked", t.revoked}};
    if (t.kind == TokenKind::registration) {
        out["labels"] = t.labels;
        out["uses_left"] = t.uses_left ? json(*t.uses_left) : json(nullptr);
    }
    return out;
}


Result<json> parse_body(const HttpRequest& req) {
    if (req.body.empty()) return json::object();
    auto j = json::parse(req.body, nullptr, false);
    if (j.is_discarded()) return fail("request body is not valid JSON");
    if (!j.is_object()) return fail("request body must be a JSON object");
    return j;
}

Result<Labels> labels_from(const json& j, const char* field) {
    Labels out;
    if (!j.contains(field)) return out;
    if (!j[field].is_object()) return fail(cat(field, " must be an object of strings"));
    for (auto& [k, v] : j[field].items()) {
        if (!v.is_string()) return fail(cat(field, ".", k, " must be a string"));
        if (auto ok = validate_label(k, v.get<std::string>()); !ok) return std::unexpected(ok.error());
        out[k] = v.get<std::string>();
    }
    return out;
}

HttpResponse create_token(Fleet& fleet, const json& body) {
    TokenRecord t;
    if (body.contains("kind")) {
        auto kind = body["kind"].is_string() ? token_kind_from(body["kind"].get<std::string>()) : std::nullopt;
        if (!kind) return error(400, "kind must be \"registration\", \"push\" or \"viewer\"");
        t.kind = *kind;
    }
    bool registration = t.kind == TokenKind::registration;
    if (!registration && (body.contains("labels") || body.contains("uses")))
        return error(400, cat("labels and uses belong to registration tokens, not ", token_kind_name(t.kind), " tokens"));
    auto labels = labels_from(body, "labels");
    if (!labels) return error(400, labels.error().message);
    t.labels = *labels;
    t.created_ms = fleet.now_ms();
    if (body.contains("uses")) {
        auto& u = body["uses"];
        if (!u.is_number_integer() || u.get<int64_t>() < 1 || u.get<int64_t>() > 1'000'000)
            return error(400, "uses must be a whole number from 1 to 1000000");
        t.uses_left = u.get<int64_t>();
    }
    if (body.contains("ttl")) {
        auto ms = body["ttl"].is_string() ? parse_duration_ms(body["ttl"].get<std::string>()) : std::nullopt;
        if (!ms || *ms <= 0) return error(400, "ttl must be a duration like 30d, 12h, 15m or 45s");
        t.expires_ms = t.created_ms + *ms;
    }
    t.id = random_token("tok_", 6);
    const char* kind = token_kind_name(t.kind);
    std::string secret = random_token(cat("drv_", t.kind == TokenKind::registration ? "reg" : kind, "_"), 24);
    fleet.store().add_token(t, sha256_hex(secret));
    fleet.store().add_event("token", cat(kind, " token ", t.id, " created"), t.created_ms);
    log::info(kind, " token ", t.id, " created",
              registration ? cat(" (labels ", format_labels(t.labels), ")") : std::string());
    json out = {{"id", t.id}, {"kind", kind}, {"token", secret},
                {"expires_at", t.expires_ms ? json(rfc3339(*t.expires_ms)) : json(nullptr)}};
    if (registration) {
        out["labels"] = t.labels;
        out["uses"] = t.uses_left ? json(*t.uses_left) : json(nullptr);
    }
    return reply(201, out);
}

HttpResponse patch_labels(Fleet& fleet, const std::string& name, const json& body) {
    auto agent = fleet.store().agent_by_name(name);
    if (!agent) return error(404, cat("no agent named ", quoted(name)));
    auto set = labels_from(body, "set");
    if (!set) return error(400, set.error().message);
    auto overrides = agent->operator_labels;
    for (auto& [k, v] : *set) overrides[k] = v;
    if (body.contains("remove")) {
        if (!body["remove"].is_array()) return error(400, "remove must be an array of label keys");
        for (auto& k : body["remove"]) {
            if (!k.is_string() || !validate_label(k.get<std::string>(), ""))
                return error(400, "remove must be an array of valid label keys");
            overrides[k.get<std::string>()] = std::nullopt;
        }
    }
    if (size_t limit = fleet.limits().operator_labels; overrides.size() > limit)
        return error(400, cat("an agent may carry at most ", limit, " operator labels (hub limit operator-labels)"));
    fleet.relabel(agent->id, overrides);
    agent->operator_labels = overrides;
    fleet.store().add_event("labels", cat("labels of ", name, " set to ", format_labels(agent->effective_labels())),
                            fleet.now_ms());
    return reply(200, {{"name", agent->name}, {"labels", agent->effective_labels()}});
}

HttpResponse revoke_agent(Fleet& fleet, const std::string& name) {
    auto agent = fleet.store().agent_by_name(name);
    auto revoked = agent ? fleet.revoke(agent->id) : std::nullopt;
    if (!revoked) return error(404, cat("no agent named ", quoted(utf8_prefix(name, 200))));
    log::info("agent ", name, " revoked");
    return reply(200, {{"name", name}, {"revoked", true}, {"revoked_at", rfc3339(*revoked)}});
}

HttpResponse rotate_credential(Fleet& fleet, const std::string& name) {
    auto agent = fleet.store().agent_by_name(name);
    if (!agent) return error(404, cat("no agent named ", quoted(utf8_prefix(name, 200))));
    if (!fleet.rotate_credential(agent->id)) return error(409, cat("agent ", name, " is revoked"));
    bool online = fleet.online(agent->id);
    log::info("agent ", name, ": credential rotation asked for");
    return reply(202, {{"name", name}, {"rotation", online ? "started" : "at its next connection"}});
}

HttpResponse revoke_token(Fleet& fleet, const std::string& id) {
    if (!fleet.store().revoke_token(id)) return error(404, cat("no token with id ", drover::quoted(utf8_prefix(id, 200))));
    fleet.store().add_event("revoked", cat("token ", id, " revoked"), fleet.now_ms());
    log::info("token ", id, " revoked");
    return reply(200, {{"id", id}, {"revoked", true}});
}

HttpResponse list_events(Fleet& fleet, const HttpRequest& req) {
    auto query = parse_query(req.query, "limit,kind");
    if (!query) return error(400, query.error().message);
    auto limit = parse_limit(*query, 100, 1000);
    if (!limit) return error(400, limit.error().message);
    auto events = query->contains("kind") ? fleet.store().events_of_kind(query->at("kind"), *limit)
                                          : fleet.store().events(*limit);
    json out = json::array();
    for (auto& e : events) out.push_back(event_json(e));
    return reply(200, out);
}

HttpResponse list_tokens(Fleet& fleet) {
    json out = json::array();
    for (auto& t : fleet.store().tokens()) out.push_back(token_json(t));
    return reply(200, out);
}

// What a device image needs to trust this hub: its CA certificate and its
// spec-signing public key (both public). "ca" is "" on a hub without TLS.
HttpResponse trust(Fleet& fleet) {
    return reply(200, json{{"ca", fleet.ca_pem()}, {"signing_key", fleet.signing_key_pem()}});
}

HttpResponse route(Fleet& fleet, const HttpRequest& req, const json& body) {
    std::string_view rest = std::string_view(req.path).substr(std::string_view("/api/v1/").size());
    const std::string& m = req.method;
    auto wrong_method = [&](const char* allowed) {
        return error(405, cat("use ", allowed, " for ", utf8_prefix(req.path, 200)));
    };
    if (rest == "status") return m == "GET" ? reply(200, status_view(fleet)) : wrong_method("GET");
    if (rest == "summary") return m == "GET" ? reply(200, summary_view(fleet)) : wrong_method("GET");
    if (rest == "agents") return m == "GET" ? list_agents(fleet, req) : wrong_method("GET");
    if (rest == "bundles") return m == "GET" ? list_bundles(fleet) : wrong_method("GET");
    if (rest == "events") return m == "GET" ? list_events(fleet, req) : wrong_method("GET");
    if (rest == "rollouts") return m == "GET" ? list_rollouts(fleet) : wrong_method("GET");
    if (rest == "trust") return m == "GET" ? trust(fleet) : wrong_method("GET");
    if (rest == "tokens") {
        if (m == "GET") return list_tokens(fleet);
        if (m == "POST") return create_token(fleet, body);
        return wrong_method("GET or POST");
    }
    auto parts = split(rest, '/');
    if (parts.size() == 2 && parts[0] == "agents" && !parts[1].empty())
        return m == "GET" ? get_agent(fleet, parts[1]) : wrong_method("GET");
    if (parts.size() == 2 && parts[0] == "bundles" && !parts[1].empty())
        return m == "GET" ? get_bundle(fleet, parts[1]) : wrong_method("GET");
    if (parts.size() == 2 && parts[0] == "rollouts" && !parts[1].empty())
        return m == "GET" ? get_rollout(fleet, parts[1]) : wrong_method("GET");
    if (parts.size() == 3 && parts[0] == "rollouts" && !parts[1].empty())
        return m == "POST" ? control_rollout(fleet, parts[1], parts[2], "the admin") : wrong_method("POST");
    if (parts.size() == 2 && parts[0] == "tokens" && !parts[1].empty())
        return m == "DELETE" ? revoke_token(fleet, parts[1]) : wrong_method("DELETE");
    if (parts.size() == 3 && parts[0] == "agents" && parts[2] == "labels")
        return m == "PATCH" ? patch_labels(fleet, parts[1], body) : wrong_method("PATCH");
    if (parts.size() == 3 && parts[0] == "agents" && parts[2] == "revoke")
        return m == "POST" ? revoke_agent(fleet, parts[1]) : wrong_method("POST");
    if (parts.size() == 3 && parts[0] == "agents" && parts[2] == "rotate-credential")
        return m == "POST" ? rotate_credential(fleet, parts[1]) : wrong_method("POST");
    return error(404, cat("no such path: ", utf8_prefix(req.path, 200)));
}

// GET /metrics: Prometheus text format; the admin or a viewer token.
HttpResponse metrics_reply(Fleet& fleet, const HttpRequest& req) {
    if (req.method != "GET") return error(405, "use GET for /metrics");
    if (auto refused = refusal(fleet, req)) return error(refused->status, refused->message);
    return {200, "text/plain; version=0.0.4; charset=utf-8", fleet.metrics().registry.render(), {}};
}

// GET /readyz: ready once agents can get their desired state (the deployed
// revision is loaded) and the store answers.
HttpResponse readiness(Fleet& fleet) {
    auto not_ready = [](const std::string& why) {
        return HttpResponse{503, "text/plain", "not ready: " + why + "\n", {}};
    };
    if (fleet.deployment_pending()) return not_ready("the deployed revision is not loaded yet");
    try {
        fleet.store().setting("deployed_commit");
    } catch (const std::exception& e) {
        return not_ready(cat("the store does not answer: ", e.what()));
    }
    return {200, "text/plain", "ready\n", {}};
}

}  // namespace

bool wants_event_stream(const HttpRequest& req) {
    return req.path == "/api/v1/events" && req.method == "GET" &&
           req.accept.find("text/event-stream") != std::string::npos;
}

std::expected<StreamOptions, HttpResponse> event_stream_options(Fleet& fleet, const HttpRequest& req) {
    if (auto refused = refusal(fleet, req)) return std::unexpected(error(refused->status, refused->message));
    auto query = parse_query(req.query, "kind,since");
    if (!query) return std::unexpected(error(400, query.error().message));
    StreamOptions options;
    // A stream outlives its request: its token is checked again as it runs,
    // so revoking or expiring it ends the stream too.
    options.refused = [&fleet, authorization = req.authorization]() -> std::optional<std::string> {
        auto refused = refusal(fleet, {.method = "GET", .authorization = authorization});
        return refused ? std::optional(refused->message) : std::nullopt;
    };
    if (query->contains("kind")) options.kind = query->at("kind");
    std::string since = query->contains("since") ? query->at("since") : req.last_event_id;
    if (!since.empty()) {
        auto id = parse_u64(since);
        if (!id || *id > static_cast<uint64_t>(INT64_MAX))
            return std::unexpected(error(400, "since (or Last-Event-ID) must be an event id (a whole number)"));
        options.since = static_cast<int64_t>(*id);
    }
    return options;
}

HttpResponse handle_http(Fleet& fleet, const HttpRequest& req) {
    if (req.path == "/healthz") return {200, "text/plain", "ok\n"};
    if (req.path == "/readyz") return readiness(fleet);
    if (req.path == "/metrics") return metrics_reply(fleet, req);
    if (auto asset = serve_static(req, dashboard_assets())) return *asset;
    if (!starts_with(req.path, "/api/v1/")) return error(404, cat("no such path: ", utf8_prefix(req.path, 200)));
    if (auto refused = refusal(fleet, req)) return error(refused->status, refused->message);
    if (size_t limit = fleet.limits().request_body_bytes; req.body.size() > limit)
        return error(413, cat("request body is larger than the limit of ", limit, " bytes (hub limit request-body-bytes)"));
    auto body = parse_body(req);
    if (!body) return error(400, body.error().message);
    return route(fleet, req, *body);
}

}  // namespace drover::hub
