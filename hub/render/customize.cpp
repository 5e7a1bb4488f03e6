#include "hub/render/customize.h"

#include "common/text.h"
#include "hub/render/images.h"
#include "hub/render/merge_patch.h"

namespace drover::render {

using nlohmann::json;

const std::vector<SourceDoc>* PatchFiles::get(const PatchRef& ref, Problems& problems) {
    auto file = files_.find(ref.path);
    if (file == files_.end()) {
        problems.add(ref.origin.file, ref.origin.line, ref.origin.describe(cat("file ", drover::quoted(ref.written), " not found")));
        return nullptr;
    }
    auto cached = parsed_.find(ref.path);
    if (cached == parsed_.end()) {
        size_t before = problems.size();
        auto docs = parse_documents(ref.path, file->second, limits_, limits_.max_depth, problems);
        std::optional<std::vector<SourceDoc>> entry;
        if (problems.size() == before) entry = std::move(docs);
        cached = parsed_.emplace(ref.path, std::move(entry)).first;
    }
    return cached->second ? &*cached->second : nullptr;
}

static std::string name_of(const json& o) {
    auto meta = o.find("metadata");
    if (meta == o.end() || !meta->is_object()) return "";
    auto name = meta->find("name");
    return name != meta->end() && name->is_string() ? name->get<std::string>() : "";
}

static void apply_patch(std::vector<SourceObject>& objects, const SourceDoc& patch, std::string_view customization,
                        Problems& problems) {
    const json& p = patch.value;
    std::string kind = p.is_object() && p.contains("kind") && p.at("kind").is_string() ? p.at("kind").get<std::string>() : "";
    std::string name = p.is_object() ? name_of(p) : "";
    if (kind.empty() || name.empty()) {
        problems.add(patch.file, patch.line,
                     "a patch must be a mapping naming the object it changes with kind and metadata.name");
        return;
    }
    size_t matched = 0;
    for (auto& o : objects) {
        if (!o.value.contains("kind") || o.value.at("kind") != kind || name_of(o.value) != name) continue;
        merge_patch(o.value, p);
        ++matched;
        if (std::string bad = object_shape_problem(o.value); !bad.empty())
            problems.add(patch.file, patch.line,
                         cat("after this patch ", kind, " ", drover::quoted(name), " is no longer a valid object: ", bad));
    }
    if (matched == 0)
        problems.add(patch.file, patch.line,
                     cat("patch for ", kind, " ", drover::quoted(name), " (customization ", drover::quoted(customization),
                         ") matches no object in the bundle"));
}

void customize(std::vector<SourceObject>& objects, const CustomizationConfig& c, PatchFiles& patch_files,
               Problems& problems) {
    for (auto& ref : c.patches)
        if (auto docs = patch_files.get(ref, problems))
            for (auto& doc : *docs) apply_patch(objects, doc, c.name, problems);
    if (!c.images.empty())
        for (auto& o : objects) rewrite_images(o.value, c.images);
    if (!c.labels.empty()) {
        for (auto& o : objects) {
            // A patch that broke metadata has been reported; leave the object be.
            auto meta = o.value.find("metadata");
            if (meta == o.value.end() || !meta->is_object()) continue;
            json& labels = (*meta)["labels"];
            if (labels.is_null()) labels = json::object();
            if (!labels.is_object()) continue;
            for (auto& [k, v] : c.labels) labels[k] = v;
        }
    }
}

}  // namespace drover::render
