#include "tools/kube-testserver/managed_fields.h"

#include "common/text.h"

namespace drover::kts {

namespace {

const char* const kIdentityFields[] = {
    "name",       "namespace",     "uid",      "resourceVersion",   "creationTimestamp",
    "generation", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"};

}  // namespace

std::string ManagedFieldsEntry::describe() const {
    std::string out = cat("\"", manager, "\"");
    if (!subresource.empty()) out += cat(" with subresource \"", subresource, "\"");
    if (operation == "Update") {
        out += cat(" using ", api_version);
        if (!time.empty()) out += cat(" at ", time);
    }
    return out;
}

Result<ManagedFields> read_managed_fields(const json& object) {
    ManagedFields out;
    if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return out;
    const json& metadata = object["metadata"];
    auto it = metadata.find("managedFields");
    if (it == metadata.end() || it->is_null()) return out;
    if (!it->is_array()) return fail("metadata.managedFields must be a list");
    for (size_t i = 0; i < it->size(); ++i) {
        const json& e = (*it)[i];
        std::string where = cat("metadata.managedFields[", i, "]");
        if (!e.is_object()) return fail(where + " must be an object");
        ManagedFieldsEntry entry;
        auto text = [&](const char* key) -> std::string {
            auto f = e.find(key);
            return f != e.end() && f->is_string() ? f->get<std::string>() : std::string();
        };
        entry.manager = text("manager");
        entry.operation = text("operation");
        entry.api_version = text("apiVersion");
        entry.time = text("time");
        entry.subresource = text("subresource");
        if (entry.operation != "Apply" && entry.operation != "Update")
            return fail(cat(where, ".operation must be Apply or Update"));
        auto fields = e.find("fieldsV1");
        if (fields != e.end()) {
            auto parsed = FieldSet::from_fields_v1(*fields);
            if (!parsed) return fail(cat(where, ": ", parsed.error().message));
            entry.fields = std::move(*parsed);
        }
        out.push_back(std::move(entry));
    }
    return out;
}

void write_managed_fields(json& object, const ManagedFields& entries) {
    json& metadata = object["metadata"];
    if (entries.empty()) {
        metadata.erase("managedFields");
        return;
    }
    json list = json::array();
    for (const auto& e : entries) {
        json j = {{"manager", e.manager}, {"operation", e.operation}, {"apiVersion", e.api_version},
                  {"time", e.time},       {"fieldsType", "FieldsV1"}, {"fieldsV1", e.fields.to_fields_v1()}};
        if (!e.subresource.empty()) j["subresource"] = e.subresource;
        list.push_back(std::move(j));
    }
    metadata["managedFields"] = std::move(list);
}

FieldSet tracked_fields(const json& object, const FieldSchema& schema, FieldScope scope) {
    FieldSet all = fields_of(object, schema);
    if (scope == FieldScope::status_only) {
        for (const auto& element : all.top_elements())
            if (element != "f:status") all.remove_subtree({element});
        return all;
    }
    all.remove_subtree({"f:apiVersion"});
    all.remove_subtree({"f:kind"});
    for (const char* f : kIdentityFields) all.remove_subtree({"f:metadata", field_element(f)});
    if (scope == FieldScope::main_without_status) all.remove_subtree({"f:status"});
    return all;
}

void record_update(ManagedFields& entries, const json* old, const json& updated, const FieldSchema& schema,
                   const UpdateWrite& write) {
    FieldSet before = old != nullptr ? tracked_fields(*old, schema, write.scope) : FieldSet{};
    FieldSet after = tracked_fields(updated, schema, write.scope);
    FieldSet changed;
    for (const auto& p : after.members()) {
        if (!before.contains(p)) {
            changed.insert(p);
            continue;
        }
        if (after.has_members_below(p)) continue;  // a list item: its fields decide
        const json* was = value_at(*old, p);
        const json* now = value_at(updated, p);
        if (was == nullptr || now == nullptr || *was != *now) changed.insert(p);
    }
    FieldSet removed = before;
    removed.subtract(after);

    ManagedFieldsEntry self{write.manager, "Update", write.api_version, write.time, write.subresource, {}};
    bool found = false;
    for (auto& e : entries) {
        e.fields.subtract(removed);
        if (e.same_owner(self)) {
            found = true;
            if (!changed.empty()) {
                e.fields.unite(changed);
                e.time = write.time;
                e.api_version = write.api_version;
            }
        } else {
            e.fields.subtract(changed);
        }
    }
    if (!found && !changed.empty()) {
        self.fields = std::move(changed);
        entries.push_back(std::move(self));
    }
    std::erase_if(entries, [](const ManagedFieldsEntry& e) { return e.fields.empty(); });
}

std::string manager_from_user_agent(std::string_view user_agent) {
    std::string_view name = user_agent.substr(0, user_agent.find('/'));
    return std::string(utf8_prefix(name, 128));
}

}  // namespace drover::kts
