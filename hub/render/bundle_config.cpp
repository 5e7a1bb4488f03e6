#include "hub/render/bundle_config.h"

#include <set>

#include "common/text.h"
#include "hub/render/images.h"
#include "hub/render/names.h"
#include "hub/render/repo_path.h"

namespace drover::render {

using nlohmann::json;

std::string Origin::describe(std::string_view message) const {
    return path.empty() ? std::string(message) : cat(path, ": ", message);
}

static Origin origin_of(const Where& at) { return Origin{at.file(), at.line(), at.path()}; }

std::string default_bundle_name(std::string_view dir) {
    std::string name(dir);
    for (char& c : name)
        if (c == '/') c = '-';
    return name;
}

static bool is_set(const json& map, const char* key) { return map.contains(key) && !map.at(key).is_null(); }

static std::optional<bool> read_bool(const Where& at, Problems& problems) {
    const json& v = at.value();
    if (v.is_boolean()) return v.get<bool>();
    report(problems, at, cat("must be true or false, got ", json_type_name(v), v.is_string() ? " " + drover::quoted(v.get<std::string>()) : ""));
    return std::nullopt;
}

static std::optional<std::string> read_dns_label(const Where& at, const char* what, Problems& problems) {
    const json& v = at.value();
    if (!v.is_string()) {
        report(problems, at, cat("must be a ", what, ", got ", json_type_name(v)));
        return std::nullopt;
    }
    const std::string& s = v.get_ref<const std::string&>();
    if (!is_dns_label(s)) {
        report(problems, at, cat(drover::quoted(s), " is not a valid ", what,
                                 " (1-63 characters of a-z, 0-9 and '-', starting and ending alphanumeric)"));
        return std::nullopt;
    }
    return s;
}

static std::optional<std::map<std::string, std::string>> read_images(const Where& at, Problems& problems) {
    const json& v = at.value();
    if (!v.is_object()) {
        report(problems, at, cat("must be a mapping of repository: image, got ", json_type_name(v)));
        return std::nullopt;
    }
    size_t before = problems.size();
    std::map<std::string, std::string> images;
    for (auto& [repo, image] : v.items()) {
        Where item = at.key(repo);
        if (repo.empty() || image_repository(repo) != repo) {
            report(problems, item, cat("key must be an image repository without tag or digest (e.g. nginx), got ", drover::quoted(repo)));
            continue;
        }
        if (!image.is_string() || image.get<std::string>().empty() ||
            image.get<std::string>().find_first_of(" \t\r\n") != std::string::npos) {
            report(problems, item, "must be an image reference such as \"nginx:1.27-alpine\"");
            continue;
        }
        images[repo] = image.get<std::string>();
    }
    if (problems.size() != before) return std::nullopt;
    return images;
}

static std::optional<Labels> read_labels(const Where& at, Problems& problems) {
    const json& v = at.value();
    if (!v.is_object()) {
        report(problems, at, cat("must be a mapping of labels, got ", json_type_name(v)));
        return std::nullopt;
    }
    size_t before = problems.size();
    Labels labels;
    for (auto& [k, _] : v.items()) {
        auto value = label_string(at.key(k), problems);
        if (!value) continue;
        if (auto ok = validate_label(k, *value); !ok) report(problems, at.key(k), ok.error().message);
        else labels[k] = *value;
    }
    if (problems.size() != before) return std::nullopt;
    return labels;
}

static std::optional<std::vector<PatchRef>> read_patches(const Where& at, const std::string& dir, Problems& problems) {
    const json& v = at.value();
    if (!v.is_array()) {
        report(problems, at, cat("must be a list of file paths relative to the bundle directory, got ", json_type_name(v)));
        return std::nullopt;
    }
    size_t before = problems.size();
    std::vector<PatchRef> patches;
    for (size_t i = 0; i < v.size(); ++i) {
        Where item = at.index(i);
        if (!v[i].is_string()) {
            report(problems, item, cat("must be a file path, got ", json_type_name(v[i])));
            continue;
        }
        const std::string& written = v[i].get_ref<const std::string&>();
        auto path = join_inside(dir, written);
        if (!path) {
            report(problems, item, cat(drover::quoted(written), " must be a relative path inside the bundle directory"));
            continue;
        }
        patches.push_back(PatchRef{*path, written, origin_of(item)});
    }
    if (problems.size() != before) return std::nullopt;
    return patches;
}

static std::optional<CustomizationConfig> read_customization(const Where& at, const std::string& dir, const GroupNames& groups,
                                                             Problems& problems) {
    const json& v = at.value();
    if (!v.is_object()) {
        report(problems, at, cat("must be a mapping with name and selector, group or agents, got ", json_type_name(v)));
        return std::nullopt;
    }
    size_t before = problems.size();
    CustomizationConfig c;
    for (auto& [k, _] : v.items())
        if (!is_match_field(k) && k != "name" && k != "images" && k != "patches" && k != "labels")
            report(problems, at.key(k), "unknown field (want name, selector, group, agents, images, patches, labels)");
    if (!is_set(v, "name")) report(problems, at, "name is required");
    else if (auto name = read_dns_label(at.key("name"), "customization name", problems)) c.name = *name;
    if (auto m = parse_match(at, groups, problems)) c.match = std::move(*m);
    if (is_set(v, "images"))
        if (auto images = read_images(at.key("images"), problems)) c.images = std::move(*images);
    if (is_set(v, "patches"))
        if (auto patches = read_patches(at.key("patches"), dir, problems)) c.patches = std::move(*patches);
    if (is_set(v, "labels"))
        if (auto labels = read_labels(at.key("labels"), problems)) c.labels = std::move(*labels);
    if (problems.size() != before) return std::nullopt;
    return c;
}

static const std::set<std::string, std::less<>> kBundleKeys = {
    "name", "namespace", "targets", "customizations", "dependsOn", "rollout", "paused", "keepResources", "selfHeal",
};

std::optional<BundleConfig> parse_bundle_config(const std::string& file, const SourceDoc* doc, const GroupNames& groups,
                                                Problems& problems) {
    size_t before = problems.size();
    BundleConfig b;
    b.file = file;
    b.dir = std::string(parent_dir(file));
    b.name = default_bundle_name(b.dir);
    SourceDoc empty;
    if (!doc) {
        empty.file = file;
        empty.value = json::object();
        doc = &empty;
    }
    Where root(*doc);
    const json& v = doc->value;
    if (!v.is_object()) {
        report(problems, root, cat("bundle.yaml must be a mapping, got ", json_type_name(v)));
        return std::nullopt;
    }
    for (auto& [k, _] : v.items()) {
        if (kBundleKeys.contains(k)) continue;
        std::string known;
        for (auto& key : kBundleKeys) known += known.empty() ? key : ", " + key;
        report(problems, root.key(k), cat("unknown field (want one of ", known, ")"));
    }

    if (is_set(v, "name")) {
        if (auto name = read_dns_label(root.key("name"), "bundle name", problems)) b.name = *name;
    } else if (!is_dns_label(b.name)) {
        report(problems, root, b.dir.empty() ? "name: required for a bundle at the repository root"
                                             : cat("name: not set, and the directory gives ", drover::quoted(b.name),
                                                   ", which is not a valid bundle name; set name:"));
    }
    if (is_set(v, "namespace"))
        if (auto ns = read_dns_label(root.key("namespace"), "namespace", problems)) b.ns = *ns;

    if (is_set(v, "targets")) {
        Where t = root.key("targets");
        if (!v.at("targets").is_array()) {
            report(problems, t, cat("must be a list of {selector, group, agents} entries, got ", json_type_name(v.at("targets"))));
        } else {
            for (size_t i = 0; i < v.at("targets").size(); ++i) {
                Where entry = t.index(i);
                if (entry.value().is_object())
                    for (auto& [k, _] : entry.value().items())
                        if (!is_match_field(k)) report(problems, entry.key(k), "unknown field (want selector, group, agents)");
                if (auto m = parse_match(entry, groups, problems)) b.targets.push_back(std::move(*m));
            }
        }
    }

    if (is_set(v, "customizations")) {
        Where c = root.key("customizations");
        if (!v.at("customizations").is_array()) {
            report(problems, c, cat("must be a list, got ", json_type_name(v.at("customizations"))));
        } else {
            std::map<std::string, int> seen;
            for (size_t i = 0; i < v.at("customizations").size(); ++i) {
                auto custom = read_customization(c.index(i), b.dir, groups, problems);
                if (!custom) continue;
                if (auto [it, fresh] = seen.emplace(custom->name, static_cast<int>(i)); !fresh)
                    report(problems, c.index(i).key("name"),
                           cat("customization ", drover::quoted(custom->name), " is already defined by customizations[", it->second, "]"));
                b.customizations.push_back(std::move(*custom));
            }
        }
    }

    if (is_set(v, "dependsOn")) {
        Where d = root.key("dependsOn");
        const json& list = v.at("dependsOn");
        if (!list.is_array()) {
            report(problems, d, cat("must be a list of bundle names, got ", json_type_name(list)));
        } else {
            std::set<std::string> seen;
            for (size_t i = 0; i < list.size(); ++i) {
                auto name = read_dns_label(d.index(i), "bundle name", problems);
                if (!name) continue;
                if (!seen.insert(*name).second) report(problems, d.index(i), cat(drover::quoted(*name), " is listed twice"));
                else b.depends_on.push_back(Dependency{*name, origin_of(d.index(i))});
            }
        }
    }

    if (is_set(v, "rollout")) b.rollout = parse_rollout(root.key("rollout"), groups, problems);

    if (is_set(v, "paused"))
        if (auto x = read_bool(root.key("paused"), problems)) b.paused = *x;
    if (is_set(v, "keepResources"))
        if (auto x = read_bool(root.key("keepResources"), problems)) b.keep_resources = *x;
    if (is_set(v, "selfHeal"))
        if (auto x = read_bool(root.key("selfHeal"), problems)) b.self_heal = *x;

    if (problems.size() != before) return std::nullopt;
    return b;
}

}  // namespace drover::render
