#include "tools/kube-testserver/custom_resource_definition.h"

#include <cctype>

#include "common/text.h"
#include "tools/kube-testserver/json_access.h"
#include "tools/kube-testserver/object_validation.h"

namespace drover::kts {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

json condition(const std::string& type, bool status, const std::string& reason, const std::string& message,
               const std::string& time, const json& previous) {
    std::string s = status ? "True" : "False";
    std::string since = time;
    for (const auto& c : list_of(previous, "conditions"))
        if (text_of(c, "type") == type && text_of(c, "status") == s && !text_of(c, "lastTransitionTime").empty())
            since = text_of(c, "lastTransitionTime");
    return {{"type", type}, {"status", s}, {"reason", reason}, {"message", message}, {"lastTransitionTime", since}};
}

}  // namespace

std::vector<FieldError> validate_crd(const json& crd, const ResourceCatalog& catalog) {
    std::vector<FieldError> errors;
    json spec = object_of(crd, "spec");
    std::string group = text_of(spec, "group");
    if (group.empty())
        errors.push_back(required("spec.group"));
    else if (group.find('.') == std::string::npos)
        errors.push_back(invalid_value("spec.group", group, "should be a domain with at least one dot"));
    else if (!name_problems(NameRule::subdomain, group).empty())
        errors.push_back(invalid_value("spec.group", group, name_problems(NameRule::subdomain, group).front()));
    else if (catalog.is_builtin_group(group))
        errors.push_back(invalid_value("spec.group", group, "is a built-in API group"));

    json names = object_of(spec, "names");
    std::string plural = text_of(names, "plural"), kind = text_of(names, "kind");
    if (plural.empty())
        errors.push_back(required("spec.names.plural"));
    else if (!name_problems(NameRule::label, plural).empty())
        errors.push_back(invalid_value("spec.names.plural", plural, name_problems(NameRule::label, plural).front()));
    if (kind.empty()) errors.push_back(required("spec.names.kind"));
    std::string singular = text_of(names, "singular");
    if (!singular.empty() && !name_problems(NameRule::label, singular).empty())
        errors.push_back(
            invalid_value("spec.names.singular", singular, name_problems(NameRule::label, singular).front()));

    std::string scope = text_of(spec, "scope");
    if (scope.empty())
        errors.push_back(required("spec.scope"));
    else if (scope != "Namespaced" && scope != "Cluster")
        errors.push_back(not_supported("spec.scope", scope, {"Cluster", "Namespaced"}));

    json versions = list_of(spec, "versions");
    if (versions.empty())
        errors.push_back(required("spec.versions", "must have exactly one version marked as storage version"));
    int storage = 0;
    for (size_t i = 0; i < versions.size(); ++i) {
        const json& v = versions[i];
        std::string at = cat("spec.versions[", i, "]");
        std::string name = text_of(v, "name");
        if (name.empty())
            errors.push_back(required(at + ".name"));
        else if (!name_problems(NameRule::dns1035, name).empty())
            errors.push_back(invalid_value(at + ".name", name, name_problems(NameRule::dns1035, name).front()));
        if (!v.is_object() || !v.contains("served") || !v["served"].is_boolean())
            errors.push_back(required(at + ".served"));
        if (!v.is_object() || !v.contains("storage") || !v["storage"].is_boolean())
            errors.push_back(required(at + ".storage"));
        else if (v["storage"].get<bool>())
            ++storage;
        if (object_of(object_of(v, "schema"), "openAPIV3Schema").empty())
            errors.push_back(required(at + ".schema.openAPIV3Schema", "schemas are required"));
    }
    if (!versions.empty() && storage != 1)
        errors.push_back(
            invalid_value("spec.versions", versions, "must have exactly one version marked as storage version"));

    std::string name = text_of(object_of(crd, "metadata"), "name");
    if (!plural.empty() && !group.empty() && name != plural + "." + group)
        errors.push_back(invalid_value("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"));
    return errors;
}

void default_crd(json& crd) {
    json& names = crd["spec"]["names"];
    std::string kind = text_of(names, "kind");
    if (text_of(names, "singular").empty()) names["singular"] = lower(kind);
    if (text_of(names, "listKind").empty()) names["listKind"] = kind + "List";
}

void set_crd_status(json& crd, bool established, const std::string& time) {
    json previous = object_of(crd, "status");
    json spec = object_of(crd, "spec");
    json conditions = json::array();
    conditions.push_back(condition("NamesAccepted", true, "NoConflicts", "no conflicts found", time, previous));
    conditions.push_back(established ? condition("Established", true, "InitialNamesAccepted",
                                                 "the initial names have been accepted", time, previous)
                                     : condition("Established", false, "Installing",
                                                 "the initial names have been accepted", time, previous));
    json stored = list_of(previous, "storedVersions");
    for (const auto& v : list_of(spec, "versions")) {
        if (!v.value("storage", false)) continue;
        std::string name = text_of(v, "name");
        bool seen = false;
        for (const auto& s : stored) seen = seen || s == name;
        if (!seen) stored.push_back(name);
    }
    crd["status"] = {
        {"conditions", conditions}, {"acceptedNames", object_of(spec, "names")}, {"storedVersions", stored}};
}

bool crd_established(const json& crd) {
    for (const auto& c : list_of(object_of(crd, "status"), "conditions"))
        if (text_of(c, "type") == "Established") return text_of(c, "status") == "True";
    return false;
}

std::vector<ResourceType> served_types(const json& crd) {
    std::vector<ResourceType> out;
    if (!crd_established(crd)) return out;
    json spec = object_of(crd, "spec");
    json names = object_of(spec, "names");
    for (const auto& v : list_of(spec, "versions")) {
        if (!v.is_object() || !v.value("served", false)) continue;
        ResourceType t;
        t.group = text_of(spec, "group");
        t.version = text_of(v, "name");
        t.kind = text_of(names, "kind");
        t.plural = text_of(names, "plural");
        t.singular = text_of(names, "singular").empty() ? lower(t.kind) : text_of(names, "singular");
        t.list_kind = text_of(names, "listKind").empty() ? t.kind + "List" : text_of(names, "listKind");
        t.namespaced = text_of(spec, "scope") != "Cluster";
        for (const auto& s : list_of(names, "shortNames"))
            if (s.is_string()) t.short_names.push_back(s.get<std::string>());
        for (const auto& c : list_of(names, "categories"))
            if (c.is_string()) t.categories.push_back(c.get<std::string>());
        t.status_subresource = object_of(v, "subresources").contains("status");
        t.has_generation = true;
        t.custom = true;
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace drover::kts
