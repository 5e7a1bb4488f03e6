#include "tools/kube-testserver/object_validation.h"

#include <regex>

#include "common/labels.h"
#include "common/text.h"
#include "tools/kube-testserver/json_access.h"

namespace drover::kts {

namespace {

const std::regex kSubdomain(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)");
const std::regex kLabel1123(R"([a-z0-9]([-a-z0-9]*[a-z0-9])?)");
const std::regex kLabel1035(R"([a-z]([-a-z0-9]*[a-z0-9])?)");
const std::regex kLabelName(R"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])");
const std::regex kConfigKey(R"([-._a-zA-Z0-9]+)");

const char* const kSubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const char* const kLabel1123Message =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const char* const kLabel1035Message =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const char* const kLabelValueMessage =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const char* const kQualifiedNameMessage =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr size_t kMaxAnnotationBytes = 256 * 1024;

std::optional<std::string> string_map_error(const json& parent, const char* key, const std::string& where) {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return std::nullopt;
    if (!it->is_object()) return cat(where, " must be a map of strings, not ", it->type_name());
    for (const auto& [k, v] : it->items())
        if (!v.is_string()) return cat(where, ".", k, " must be a string, not ", v.type_name());
    return std::nullopt;
}

// Problems of a qualified name (label or annotation key): "prefix/name".
std::vector<std::string> qualified_name_problems(const std::string& key) {
    std::vector<std::string> out;
    std::string name = key;
    size_t slash = key.find('/');
    if (slash != std::string::npos) {
        std::string prefix = key.substr(0, slash);
        name = key.substr(slash + 1);
        if (prefix.empty())
            out.push_back("prefix part must be non-empty");
        else if (prefix.size() > 253 || !std::regex_match(prefix, kSubdomain))
            out.push_back(cat("prefix part ", kSubdomainMessage));
    }
    if (name.empty())
        out.push_back("name part must be non-empty");
    else if (name.size() > 63)
        out.push_back("name part must be no more than 63 characters");
    else if (!std::regex_match(name, kLabelName))
        out.push_back(kQualifiedNameMessage);
    return out;
}

void check_metadata(const ResourceType& type, const json& metadata, std::vector<FieldError>& errors) {
    std::string name = text_of(metadata, "name");
    if (name.empty()) {
        errors.push_back(required("metadata.name", "name or generateName is required"));
    } else {
        for (const auto& p : name_problems(type.name_rule, name))
            errors.push_back(invalid_value("metadata.name", name, p));
    }
    if (auto labels = metadata.find("labels"); labels != metadata.end() && labels->is_object()) {
        for (const auto& [k, v] : labels->items()) {
            for (const auto& p : qualified_name_problems(k)) errors.push_back(invalid_value("metadata.labels", k, p));
            std::string value = v.is_string() ? v.get<std::string>() : "";
            if (value.size() > 63)
                errors.push_back(invalid_value("metadata.labels", value, "must be no more than 63 characters"));
            else if (!value.empty() && !std::regex_match(value, kLabelName))
                errors.push_back(invalid_value("metadata.labels", value, kLabelValueMessage));
        }
    }
    if (auto annotations = metadata.find("annotations"); annotations != metadata.end() && annotations->is_object()) {
        size_t total = 0;
        for (const auto& [k, v] : annotations->items()) {
            for (const auto& p : qualified_name_problems(k))
                errors.push_back(invalid_value("metadata.annotations", k, p));
            total += k.size() + (v.is_string() ? v.get_ref<const std::string&>().size() : 0);
        }
        if (total > kMaxAnnotationBytes)
            errors.push_back({"FieldValueTooLong", "metadata.annotations",
                              cat("Too long: must have at most ", kMaxAnnotationBytes, " bytes")});
    }
}

void check_containers(const json& pod_spec, const std::string& where, std::vector<FieldError>& errors) {
    auto containers = pod_spec.find("containers");
    if (containers == pod_spec.end() || !containers->is_array() || containers->empty()) {
        errors.push_back(required(where + ".containers"));
        return;
    }
    for (size_t i = 0; i < containers->size(); ++i) {
        const json& c = (*containers)[i];
        std::string at = cat(where, ".containers[", i, "]");
        if (!c.is_object()) {
            errors.push_back(invalid_value(at, c, "must be an object"));
            continue;
        }
        std::string name = text_of(c, "name");
        if (name.empty())
            errors.push_back(required(at + ".name"));
        else if (name.size() > 63 || !std::regex_match(name, kLabel1123))
            errors.push_back(invalid_value(at + ".name", name, kLabel1123Message));
        if (text_of(c, "image").empty()) errors.push_back(required(at + ".image"));
    }
}

void check_replicas(const json& spec, std::vector<FieldError>& errors) {
    auto replicas = spec.find("replicas");
    if (replicas == spec.end() || replicas->is_null()) return;
    if (replicas->is_number_integer() && replicas->get<int64_t>() < 0)
        errors.push_back(invalid_value("spec.replicas", *replicas, "must be greater than or equal to 0"));
}

void check_workload(const ResourceType& type, const json& object, std::vector<FieldError>& errors) {
    const json spec = object_of(object, "spec");
    bool has_selector = type.kind != "Job" && type.kind != "CronJob";
    const json* template_spec = nullptr;
    json job_template;
    std::string template_path = "spec.template";
    if (type.kind == "CronJob") {
        if (text_of(spec, "schedule").empty()) errors.push_back(required("spec.schedule"));
        job_template = object_of(object_of(spec, "jobTemplate"), "spec");
        template_spec = &job_template;
        template_path = "spec.jobTemplate.spec.template";
    } else {
        template_spec = &spec;
    }
    if (has_selector) {
        check_replicas(spec, errors);
        auto selector = spec.find("selector");
        if (selector == spec.end() || !selector->is_object() || selector->empty()) {
            errors.push_back(required("spec.selector"));
        } else {
            json labels = object_of(object_of(object_of(spec, "template"), "metadata"), "labels");
            const json match_labels = object_of(*selector, "matchLabels");
            for (const auto& [k, v] : match_labels.items()) {
                if (!labels.contains(k) || labels[k] != v) {
                    errors.push_back(invalid_value("spec.template.metadata.labels", labels,
                                                   "`selector` does not match template `labels`"));
                    break;
                }
            }
        }
    }
    auto tmpl = template_spec->find("template");
    if (tmpl == template_spec->end() || !tmpl->is_object()) {
        errors.push_back(required(template_path));
        return;
    }
    json pod_spec = object_of(*tmpl, "spec");
    check_containers(pod_spec, template_path + ".spec", errors);
    if (type.kind == "Job" || type.kind == "CronJob") {
        std::string policy = text_of(pod_spec, "restartPolicy", "Always");
        if (policy != "OnFailure" && policy != "Never")
            errors.push_back(not_supported(template_path + ".spec.restartPolicy", policy, {"OnFailure", "Never"}));
    }
}

void check_service(const json& object, std::vector<FieldError>& errors) {
    const json spec = object_of(object, "spec");
    std::string type = text_of(spec, "type", "ClusterIP");
    if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" && type != "ExternalName")
        errors.push_back(not_supported("spec.type", type, {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}));
    auto ports = spec.find("ports");
    if (ports == spec.end() || !ports->is_array()) return;
    for (size_t i = 0; i < ports->size(); ++i) {
        const json& p = (*ports)[i];
        json port = p.is_object() && p.contains("port") ? p["port"] : json();
        if (!port.is_number_integer() || port.get<int64_t>() < 1 || port.get<int64_t>() > 65535)
            errors.push_back(
                invalid_value(cat("spec.ports[", i, "].port"), port, "must be between 1 and 65535, inclusive"));
    }
}

void check_config_keys(const json& object, const char* field, std::vector<FieldError>& errors) {
    auto data = object.find(field);
    if (data == object.end() || !data->is_object()) return;
    for (const auto& [k, v] : data->items())
        if (k.size() > 253 || !std::regex_match(k, kConfigKey))
            errors.push_back(invalid_value(cat(field, "[", k, "]"), k,
                                           "a valid config key must consist of alphanumeric characters, '-', '_' "
                                           "or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used "
                                           "for validation is '[-._a-zA-Z0-9]+')"));
}

void check_role_binding(const json& object, std::vector<FieldError>& errors) {
    const json ref = object_of(object, "roleRef");
    if (text_of(ref, "kind").empty()) errors.push_back(required("roleRef.kind"));
    if (text_of(ref, "name").empty()) errors.push_back(required("roleRef.name"));
}

}  // namespace

std::vector<std::string> name_problems(NameRule rule, const std::string& name) {
    switch (rule) {
        case NameRule::subdomain:
            if (name.size() > 253) return {"must be no more than 253 characters"};
            if (!std::regex_match(name, kSubdomain)) return {kSubdomainMessage};
            return {};
        case NameRule::label:
            if (name.size() > 63) return {"must be no more than 63 characters"};
            if (!std::regex_match(name, kLabel1123)) return {kLabel1123Message};
            return {};
        case NameRule::dns1035:
            if (name.size() > 63) return {"must be no more than 63 characters"};
            if (!std::regex_match(name, kLabel1035)) return {kLabel1035Message};
            return {};
        case NameRule::path_segment: {
            std::vector<std::string> out;
            if (name == "." || name == "..") out.push_back(cat("may not be '", name, "'"));
            if (name.find('/') != std::string::npos) out.push_back("may not contain '/'");
            if (name.find('%') != std::string::npos) out.push_back("may not contain '%'");
            return out;
        }
    }
    return {};
}

std::optional<std::string> type_error(const ResourceType& type, const json& object) {
    if (!object.is_object()) return cat("the request body must be an object, not ", object.type_name());
    for (const char* key : {"apiVersion", "kind"})
        if (object.contains(key) && !object[key].is_string()) return cat(key, " must be a string");
    auto metadata = object.find("metadata");
    if (metadata != object.end() && !metadata->is_null()) {
        if (!metadata->is_object()) return "metadata must be an object";
        for (const char* key : {"name", "namespace", "generateName", "resourceVersion", "uid"})
            if (metadata->contains(key) && !(*metadata)[key].is_string() && !(*metadata)[key].is_null())
                return cat("metadata.", key, " must be a string");
        for (const char* key : {"labels", "annotations"})
            if (auto e = string_map_error(*metadata, key, cat("metadata.", key))) return e;
        if (metadata->contains("finalizers") && !(*metadata)["finalizers"].is_array() &&
            !(*metadata)["finalizers"].is_null())
            return "metadata.finalizers must be a list";
    }
    if (type.custom) return std::nullopt;
    for (const char* key : {"spec", "status"})
        if (object.contains(key) && !object[key].is_object() && !object[key].is_null())
            return cat(key, " must be an object");
    if (type.kind == "ConfigMap") {
        if (auto e = string_map_error(object, "data", "data")) return e;
        if (auto e = string_map_error(object, "binaryData", "binaryData")) return e;
    }
    if (type.kind == "Secret") {
        if (auto e = string_map_error(object, "data", "data")) return e;
        if (auto e = string_map_error(object, "stringData", "stringData")) return e;
    }
    if (object.contains("spec") && object["spec"].is_object() && object["spec"].contains("replicas")) {
        const json& r = object["spec"]["replicas"];
        if (!r.is_null() && !r.is_number_integer()) return "spec.replicas must be an integer";
    }
    return std::nullopt;
}

std::vector<FieldError> validate_object(const ResourceType& type, const json& object) {
    std::vector<FieldError> errors;
    check_metadata(type, object_of(object, "metadata"), errors);
    if (type.custom) return errors;
    if (type.group == "apps" || type.group == "batch")
        check_workload(type, object, errors);
    else if (type.kind == "Pod")
        check_containers(object_of(object, "spec"), "spec", errors);
    else if (type.kind == "Service")
        check_service(object, errors);
    else if (type.kind == "ConfigMap") {
        check_config_keys(object, "data", errors);
        check_config_keys(object, "binaryData", errors);
    } else if (type.kind == "Secret") {
        check_config_keys(object, "data", errors);
    } else if (type.kind == "RoleBinding" || type.kind == "ClusterRoleBinding") {
        check_role_binding(object, errors);
    }
    return errors;
}

}  // namespace drover::kts
