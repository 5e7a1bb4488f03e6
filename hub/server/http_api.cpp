#include "hub/server/http_api.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/text.h"
#include "hub/server/credentials.h"
#include "hub/server/status_view.h"

namespace drover::hub {

using nlohmann::json;

namespace {

// Replace, never throw: a path or a stored message may hold bytes that are
// not UTF-8, and an exception here would reach the event loop.
HttpResponse reply(int status, const json& body) {
    return {status, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"};
}
HttpResponse error(int status, const std::string& message) { return reply(status, {{"error", message}}); }

bool authorized(Fleet& fleet, const HttpRequest& req) {
    if (!starts_with(req.authorization, "Bearer ")) return false;
    auto caller = identify(fleet, req.authorization);
    return caller && caller->admin;
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
        auto& k = body["kind"];
        if (k == "push") t.kind = TokenKind::push;
        else if (k != "registration") return error(400, "kind must be \"registration\" or \"push\"");
    }
    bool push = t.kind == TokenKind::push;
    if (push && (body.contains("labels") || body.contains("uses")))
        return error(400, "labels and uses belong to registration tokens, not push tokens");
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
    std::string secret = random_token(push ? "drv_push_" : "drv_reg_", 24);
    fleet.store().add_token(t, sha256_hex(secret));
    const char* kind = push ? "push" : "registration";
    fleet.store().add_event("token", cat(kind, " token ", t.id, " created"), t.created_ms);
    log::info(kind, " token ", t.id, " created", push ? "" : cat(" (labels ", format_labels(t.labels), ")"));
    json out = {{"id", t.id}, {"kind", kind}, {"token", secret},
                {"expires_at", t.expires_ms ? json(rfc3339(*t.expires_ms)) : json(nullptr)}};
    if (!push) {
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
    if (overrides.size() > 64) return error(400, "an agent may carry at most 64 operator labels");
    fleet.store().set_operator_labels(agent->id, overrides);
    agent->operator_labels = overrides;
    fleet.store().add_event("labels", cat("labels of ", name, " set to ", format_labels(agent->effective_labels())),
                            fleet.now_ms());
    fleet.refresh(agent->id);
    return reply(200, {{"name", agent->name}, {"labels", agent->effective_labels()}});
}

}  // namespace

HttpResponse handle_http(Fleet& fleet, const HttpRequest& req) {
    if (req.path == "/healthz") return {200, "text/plain", "ok\n"};
    if (!starts_with(req.path, "/api/v1/")) return error(404, cat("no such path: ", utf8_prefix(req.path, 200)));
    if (!authorized(fleet, req)) return error(401, "missing or wrong token (send Authorization: Bearer TOKEN)");
    if (req.body.size() > kMaxRequestBody) return error(413, "request body is too large");
    auto body = parse_body(req);
    if (!body) return error(400, body.error().message);

    std::string_view route = std::string_view(req.path).substr(std::string_view("/api/v1/").size());
    if (route == "status") {
        if (req.method != "GET") return error(405, "use GET for /api/v1/status");
        return reply(200, status_view(fleet));
    }
    if (route == "tokens") {
        if (req.method != "POST") return error(405, "use POST to create a token");
        return create_token(fleet, *body);
    }
    auto parts = split(route, '/');
    if (parts.size() == 3 && parts[0] == "agents" && parts[2] == "labels") {
        if (req.method != "PATCH") return error(405, "use PATCH to change labels");
        return patch_labels(fleet, parts[1], *body);
    }
    return error(404, cat("no such path: ", utf8_prefix(req.path, 200)));
}

}  // namespace drover::hub
