#include "tools/kube-testserver/kube_status.h"

#include "common/text.h"

namespace drover::kts {

namespace {

std::string shown(const json& value) {
    if (value.is_string()) return cat("\"", value.get<std::string>(), "\"");
    return value.dump();
}

json group_resource_details(const GroupResource& gr, std::string_view name) {
    json d = {{"name", name}, {"kind", gr.resource}};
    if (!gr.group.empty()) d["group"] = gr.group;
    return d;
}

}  // namespace

FieldError required(std::string field, std::string_view why) {
    std::string detail = "Required value";
    if (!why.empty()) detail += cat(": ", why);
    return {"FieldValueRequired", std::move(field), std::move(detail)};
}

FieldError invalid_value(std::string field, const json& value, std::string_view why) {
    return {"FieldValueInvalid", std::move(field), cat("Invalid value: ", shown(value), ": ", why)};
}

FieldError not_supported(std::string field, const json& value, const std::vector<std::string>& supported) {
    std::string list;
    for (const auto& s : supported) list += cat(list.empty() ? "" : ", ", "\"", s, "\"");
    return {"FieldValueNotSupported", std::move(field),
            cat("Unsupported value: ", shown(value), ": supported values: ", list)};
}

FieldError forbidden(std::string field, std::string_view why) {
    return {"FieldValueForbidden", std::move(field), cat("Forbidden: ", why)};
}

FieldError duplicate(std::string field, const json& value) {
    return {"FieldValueDuplicate", std::move(field), cat("Duplicate value: ", shown(value))};
}

json status_body(int code, std::string_view reason, std::string_view message, json details) {
    json body = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
                 {"status", "Failure"}, {"message", message}, {"reason", reason},
                 {"code", code}};
    if (!details.is_null()) body["details"] = std::move(details);
    return body;
}

ApiError api_error(int code, std::string_view reason, std::string_view message, json details) {
    return {code, status_body(code, reason, message, std::move(details))};
}

ApiError not_found(const GroupResource& gr, std::string_view name) {
    return api_error(404, "NotFound", cat(gr.qualified(), " \"", name, "\" not found"),
                     group_resource_details(gr, name));
}

ApiError already_exists(const GroupResource& gr, std::string_view name) {
    return api_error(409, "AlreadyExists", cat(gr.qualified(), " \"", name, "\" already exists"),
                     group_resource_details(gr, name));
}

ApiError conflict_modified(const GroupResource& gr, std::string_view name) {
    return conflict(gr, name,
                    "the object has been modified; please apply your changes to the latest version and try again");
}

ApiError conflict(const GroupResource& gr, std::string_view name, std::string_view why) {
    return api_error(409, "Conflict",
                     cat("Operation cannot be fulfilled on ", gr.qualified(), " \"", name, "\": ", why),
                     group_resource_details(gr, name));
}

ApiError invalid(std::string_view kind, std::string_view group, std::string_view name,
                 const std::vector<FieldError>& errors) {
    std::string qualified_kind = group.empty() ? std::string(kind) : cat(kind, ".", group);
    std::string message = cat(qualified_kind, " \"", name, "\" is invalid: ");
    json causes = json::array();
    if (errors.size() == 1) {
        message += errors[0].line();
    } else {
        message += "[";
        for (size_t i = 0; i < errors.size(); ++i) message += cat(i == 0 ? "" : ", ", errors[i].line());
        message += "]";
    }
    for (const auto& e : errors) causes.push_back({{"reason", e.reason}, {"message", e.detail}, {"field", e.field}});
    json details = {{"name", name}, {"kind", kind}, {"causes", causes}};
    if (!group.empty()) details["group"] = group;
    return api_error(422, "Invalid", message, std::move(details));
}

ApiError bad_request(std::string_view message) { return api_error(400, "BadRequest", message); }

ApiError resource_not_found() {
    return api_error(404, "NotFound", "the server could not find the requested resource", json::object());
}

ApiError method_not_allowed(std::string_view method, std::string_view what) {
    return api_error(405, "MethodNotAllowed", cat(method, " is not supported on ", what), json::object());
}

ApiError unsupported_media_type(std::string_view content_type, const std::vector<std::string>& accepted) {
    std::string list;
    for (const auto& a : accepted) list += cat(list.empty() ? "" : ", ", a);
    return api_error(415, "UnsupportedMediaType",
                     cat("the body of the request was in an unknown format (", content_type,
                         ") - accepted media types include: ", list));
}

ApiError unauthorized() { return api_error(401, "Unauthorized", "Unauthorized"); }

ApiError forbidden_error(const GroupResource& gr, std::string_view name, std::string_view why) {
    return api_error(403, "Forbidden", cat(gr.qualified(), " \"", name, "\" is forbidden: ", why),
                     group_resource_details(gr, name));
}

ApiError internal_error(std::string_view message) {
    return api_error(500, "InternalError", cat("Internal error occurred: ", message));
}

ApiError gone(std::string_view message) { return api_error(410, "Expired", message); }

ApiError injected(int code, std::string_view message) {
    std::string_view reason = "InternalError";
    switch (code) {
        case 400: reason = "BadRequest"; break;
        case 401: reason = "Unauthorized"; break;
        case 403: reason = "Forbidden"; break;
        case 404: reason = "NotFound"; break;
        case 409: reason = "Conflict"; break;
        case 410: reason = "Expired"; break;
        case 422: reason = "Invalid"; break;
        case 429: reason = "TooManyRequests"; break;
        case 503: reason = "ServiceUnavailable"; break;
        case 504: reason = "Timeout"; break;
        default: break;
    }
    return api_error(code, reason, message);
}

}  // namespace drover::kts
