#include "tools/kube-testserver/server_side_apply.h"

#include <algorithm>
#include <map>

#include "common/log.h"
#include "common/text.h"
#include "tools/kube-testserver/request_document.h"

namespace drover::kts {

namespace {

json merge_value(const json& live, const json& applied, const FieldSchema& schema, std::vector<std::string>& names);

json merge_list(const json& live, const json& applied, const FieldSchema& schema, std::vector<std::string>& names) {
    ListSchema ls = schema.list(names, applied);
    if (ls.shape == ListShape::atomic || schema.list(names, live).shape != ls.shape) return applied;
    std::map<std::string, size_t> applied_index;
    for (size_t i = 0; i < applied.size(); ++i) applied_index.emplace(*item_element(applied[i], ls), i);
    json out = json::array();
    std::vector<bool> used(applied.size(), false);
    for (const auto& item : live) {
        auto it = applied_index.find(*item_element(item, ls));
        if (it == applied_index.end()) {
            out.push_back(item);
            continue;
        }
        used[it->second] = true;
        out.push_back(ls.shape == ListShape::associative ? merge_value(item, applied[it->second], schema, names)
                                                         : applied[it->second]);
    }
    for (size_t i = 0; i < applied.size(); ++i)
        if (!used[i]) out.push_back(applied[i]);
    return out;
}

json merge_value(const json& live, const json& applied, const FieldSchema& schema, std::vector<std::string>& names) {
    if (live.is_object() && applied.is_object() && (names.empty() || !schema.atomic_map(names))) {
        json out = live;
        for (const auto& [key, value] : applied.items()) {
            if (value.is_null()) continue;
            names.push_back(key);
            auto it = live.find(key);
            out[key] = it == live.end() ? value : merge_value(*it, value, schema, names);
            names.pop_back();
        }
        return out;
    }
    if (live.is_array() && applied.is_array()) return merge_list(live, applied, schema, names);
    return applied;
}

// Removes what the manager stopped applying: every member of previous
// that is not in applied_now and that nobody in keep owns, at or below it.
void prune(json& object, const FieldSet& previous, const FieldSet& applied_now, const FieldSet& keep) {
    for (const auto& path : previous.members()) {
        if (path.empty() || applied_now.contains(path) || keep.touches(path)) continue;
        remove_at(object, path);
    }
}

}  // namespace

std::string ApplyConflicts::message() const {
    if (conflicts.size() == 1)
        return cat("Apply failed with 1 conflict: conflict with ", conflicts[0].manager, ": ", conflicts[0].path);
    std::map<std::string, std::vector<std::string>> by_manager;
    for (const auto& c : conflicts) by_manager[c.manager].push_back(c.path);
    std::string lines;
    for (const auto& [manager, paths] : by_manager) {
        lines += cat(lines.empty() ? "" : "\n", "conflicts with ", manager, ":");
        for (const auto& p : paths) lines += cat("\n- ", p);
    }
    return cat("Apply failed with ", conflicts.size(), " conflicts: ", lines);
}

json ApplyConflicts::causes() const {
    json out = json::array();
    for (const auto& c : conflicts)
        out.push_back({{"type", "FieldManagerConflict"}, {"message", "conflict with " + c.manager}, {"field", c.path}});
    return out;
}

json merge_applied(const json& live, const json& applied, const FieldSchema& schema) {
    std::vector<std::string> names;
    return merge_value(live, without_nulls(applied), schema, names);
}

std::expected<json, ApplyConflicts> server_side_apply(const json* live, const json& applied_in,
                                                      const FieldSchema& schema, const ApplyOptions& options) {
    json applied = without_nulls(applied_in);
    ManagedFields entries;
    if (live != nullptr) {
        auto read = read_managed_fields(*live);
        // Kubernetes resets ownership it cannot read rather than failing.
        if (read)
            entries = std::move(*read);
        else
            log::warn("resetting unreadable managedFields: ", read.error().message);
    }
    FieldSet applied_set = tracked_fields(applied, schema, options.scope);
    ManagedFieldsEntry self{options.manager, "Apply", options.api_version, options.time, options.subresource, {}};

    FieldSet previous;
    for (const auto& e : entries)
        if (e.same_owner(self)) previous = e.fields;

    if (live != nullptr) {
        ApplyConflicts found;
        std::vector<std::pair<size_t, FieldPath>> taken;
        for (size_t i = 0; i < entries.size(); ++i) {
            if (entries[i].same_owner(self)) continue;
            for (const auto& path : applied_set.intersection(entries[i].fields).members()) {
                if (applied_set.has_members_below(path)) continue;  // a list item: its fields decide
                const json* now = value_at(*live, path);
                const json* wanted = value_at(applied, path);
                if (now == nullptr || wanted == nullptr || *now == *wanted) continue;
                found.conflicts.push_back({entries[i].describe(), path_string(path)});
                taken.emplace_back(i, path);
            }
        }
        if (!found.conflicts.empty() && !options.force) return std::unexpected(std::move(found));
        for (const auto& [i, path] : taken) {
            FieldSet one;
            one.insert(path);
            entries[i].fields.subtract(one);
        }
    }

    json result = live != nullptr ? merge_applied(*live, applied, schema) : applied;
    FieldSet keep = applied_set;
    for (const auto& e : entries)
        if (!e.same_owner(self)) keep.unite(e.fields);
    prune(result, previous, applied_set, keep);

    std::erase_if(entries, [&](const ManagedFieldsEntry& e) { return e.same_owner(self) || e.fields.empty(); });
    if (!applied_set.empty()) {
        self.fields = std::move(applied_set);
        entries.push_back(std::move(self));
    }
    write_managed_fields(result, entries);
    return result;
}

}  // namespace drover::kts
