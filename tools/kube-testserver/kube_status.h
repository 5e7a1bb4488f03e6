#pragma once
// Kubernetes' error vocabulary: metav1.Status bodies with the reason, code
// and message wording kube-apiserver uses ("configmaps \"x\" not found"), and
// the field errors an Invalid (422) status lists as causes. Clients branch
// on reason and code and show the message; drover's applier reports the
// message verbatim, so the wording follows the real server.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace drover::kts {

using json = nlohmann::json;

// A failed API call: HTTP code plus the Status body.
struct ApiError {
    int code = 500;
    json status;
    std::string message() const { return status.value("message", ""); }
    std::string reason() const { return status.value("reason", ""); }
};

// What a request addresses, for messages: "configmaps" or "deployments.apps".
struct GroupResource {
    std::string group, resource;
    std::string qualified() const { return group.empty() ? resource : resource + "." + group; }
};

// One problem in an object, as a cause of an Invalid status.
struct FieldError {
    std::string reason;  // FieldValueRequired, FieldValueInvalid, ...
    std::string field;   // "metadata.name", "spec.template.spec.containers[0].image"
    std::string detail;  // "Required value", "Invalid value: \"X\": must be ..."
    std::string line() const { return field + ": " + detail; }
};

FieldError required(std::string field, std::string_view why = "");
// value is shown as Kubernetes shows it: strings quoted, numbers bare.
FieldError invalid_value(std::string field, const json& value, std::string_view why);
FieldError not_supported(std::string field, const json& value, const std::vector<std::string>& supported);
FieldError forbidden(std::string field, std::string_view why);
FieldError duplicate(std::string field, const json& value);

json status_body(int code, std::string_view reason, std::string_view message, json details = nullptr);
ApiError api_error(int code, std::string_view reason, std::string_view message, json details = nullptr);

ApiError not_found(const GroupResource& gr, std::string_view name);
ApiError already_exists(const GroupResource& gr, std::string_view name);
// An update against a stale resourceVersion.
ApiError conflict_modified(const GroupResource& gr, std::string_view name);
ApiError conflict(const GroupResource& gr, std::string_view name, std::string_view why);
// kind: "ConfigMap"; group: "" for core.
ApiError invalid(std::string_view kind, std::string_view group, std::string_view name,
                 const std::vector<FieldError>& errors);
ApiError bad_request(std::string_view message);
// No route: an unknown group, version or resource.
ApiError resource_not_found();
ApiError method_not_allowed(std::string_view method, std::string_view what);
ApiError unsupported_media_type(std::string_view content_type, const std::vector<std::string>& accepted);
ApiError unauthorized();
ApiError forbidden_error(const GroupResource& gr, std::string_view name, std::string_view why);
ApiError internal_error(std::string_view message);
ApiError gone(std::string_view message);
// The Status a failure-injection rule answers with for an arbitrary code.
ApiError injected(int code, std::string_view message);

}  // namespace drover::kts
