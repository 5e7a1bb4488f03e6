#include "hub/render/manifests.h"

#include "common/text.h"
#include "hub/render/yaml_json.h"

namespace drover::render {

using nlohmann::json;

bool is_manifest_name(std::string_view path) {
    return path.ends_with(".yaml") || path.ends_with(".yml") || path.ends_with(".json");
}

std::vector<SourceDoc> parse_documents(const std::string& path, std::string_view bytes, const Limits& limits,
                                       size_t line_depth, Problems& problems) {
    if (bytes.size() > limits.max_file_bytes) {
        problems.add(path, 0, cat("file is ", bytes.size(), " bytes, more than the limit of ", limits.max_file_bytes,
                                " (hub limit file-bytes)"));
        return {};
    }
    ParseOptions options;
    options.max_depth = limits.max_depth;
    options.line_depth = line_depth;
    options.max_expanded_bytes = limits.max_spec_bytes;
    if (path.ends_with(".json")) {
        std::vector<SourceDoc> docs;
        if (auto doc = parse_json_document(path, bytes, options, problems)) docs.push_back(std::move(*doc));
        return docs;
    }
    return parse_yaml_stream(path, bytes, options, problems);
}

static bool nonempty_string(const json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

std::string object_shape_problem(const json& o) {
    constexpr const char* kNeed = " (every object needs apiVersion, kind and metadata.name)";
    if (!o.is_object()) return cat("must be a Kubernetes object (a mapping), got ", json_type_name(o));
    if (!o.contains("apiVersion")) return cat("object has no apiVersion", kNeed);
    if (!nonempty_string(o, "apiVersion")) return "apiVersion: must be a non-empty string";
    if (!o.contains("kind")) return cat("object has no kind", kNeed);
    if (!nonempty_string(o, "kind")) return "kind: must be a non-empty string";
    auto meta = o.find("metadata");
    if (meta == o.end() || meta->is_null()) return cat("object has no metadata", kNeed);
    if (!meta->is_object()) return cat("metadata: must be a mapping, got ", json_type_name(*meta));
    if (!meta->contains("name")) return cat("object has no metadata.name", kNeed);
    if (!nonempty_string(*meta, "name")) return "metadata.name: must be a non-empty string";
    if (meta->contains("namespace") && !meta->at("namespace").is_null() && !meta->at("namespace").is_string())
        return "metadata.namespace: must be a string";
    if (meta->contains("labels") && !meta->at("labels").is_null() && !meta->at("labels").is_object())
        return "metadata.labels: must be a mapping";
    return "";
}

// The line of the field a shape problem names, when the parser recorded it.
static int problem_line(const Where& at, const std::string& problem) {
    for (const char* field : {"apiVersion", "kind", "metadata"}) {
        if (problem.starts_with(cat(field, ":")) || problem.starts_with(cat(field, "."))) {
            Where f = at.key(field);
            if (problem.starts_with("metadata.name")) f = f.key("name");
            if (problem.starts_with("metadata.namespace")) f = f.key("namespace");
            if (problem.starts_with("metadata.labels")) f = f.key("labels");
            return f.line();
        }
    }
    return at.line();
}

static bool is_list(const json& o) {
    return o.is_object() && o.contains("kind") && o.at("kind") == "List" && o.contains("apiVersion") && o.at("apiVersion") == "v1";
}

// Checks the object at `at` (expanding Lists) and records where each good
// one is; load_manifest then moves them out of the document, so an object of
// many MiB is never copied.
static void find_objects(const Where& at, std::vector<Where>& found, Problems& problems) {
    const json& o = at.value();
    if (is_list(o)) {
        auto items = o.find("items");
        if (items == o.end() || !items->is_array()) {
            report(problems, at, "a v1 List needs an items list");
            return;
        }
        for (size_t i = 0; i < items->size(); ++i) find_objects(at.key("items").index(i), found, problems);
        return;
    }
    if (std::string p = object_shape_problem(o); !p.empty()) {
        problems.add(at.file(), problem_line(at, p), at.describe(p));
        return;
    }
    found.push_back(at);
}

std::vector<SourceObject> load_manifest(const std::string& path, std::string_view bytes, const Limits& limits,
                                        Problems& problems) {
    std::vector<SourceObject> out;
    // Lines down to items[i].metadata.name: enough for every object problem.
    for (auto& doc : parse_documents(path, bytes, limits, 4, problems)) {
        std::vector<Where> found;
        find_objects(Where(doc), found, problems);
        // Found objects never contain one another (a List is not an object).
        for (auto& at : found) {
            json& value = doc.value.at(json::json_pointer(at.pointer()));
            out.push_back(SourceObject{std::move(value), at.file(), at.line()});
        }
    }
    return out;
}

}  // namespace drover::render
