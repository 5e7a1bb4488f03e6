#include "hub/render/render.h"

#include <algorithm>
#include <map>

#include "common/text.h"
#include "hub/render/bundle_config.h"
#include "hub/render/customize.h"
#include "hub/render/dependencies.h"
#include "hub/render/fleet_config.h"
#include "hub/render/manifests.h"
#include "hub/render/object_scope.h"
#include "hub/render/repo_path.h"

namespace drover::render {

using nlohmann::json;

bool Bundle::targets_agent(const Labels& labels, std::string_view agent_name, const Groups& groups) const {
    for (auto& t : targets)
        if (t.matches(labels, agent_name, groups)) return true;
    return false;
}

const Spec* Bundle::spec_for(const Labels& labels, std::string_view agent_name, const Groups& groups) const {
    if (!targets_agent(labels, agent_name, groups)) return nullptr;
    for (auto& c : customizations)
        if (c.match.matches(labels, agent_name, groups)) return &specs[c.spec];
    return &specs[default_spec];
}

const Bundle* Fleet::find(std::string_view name) const {
    auto it = std::lower_bound(bundles.begin(), bundles.end(), name,
                               [](const Bundle& b, std::string_view n) { return b.name < n; });
    return it != bundles.end() && it->name == name ? &*it : nullptr;
}

bool is_render_input(std::string_view path) { return is_manifest_name(path); }

namespace {

bool hidden(std::string_view relative_path) {
    for (auto& part : split(relative_path, '/'))
        if (part.starts_with('.')) return true;
    return false;
}

bool is_bundle_file(std::string_view path) { return base_name(path) == "bundle.yaml" && !hidden(path); }

// A config file (fleet.yaml, bundle.yaml) holds at most one document; past
// the problem, the first is still read so that its own problems show too.
const SourceDoc* single_document(const std::string& path, const std::vector<SourceDoc>& docs, Problems& problems) {
    if (docs.size() > 1) problems.add(path, docs[1].line, cat(base_name(path), " must hold a single YAML document"));
    return docs.empty() ? nullptr : &docs.front();
}

class FleetRenderer {
public:
    FleetRenderer(const FileMap& files, const Limits& limits) : files_(files), limits_(limits), patch_files_(files, limits) {}

    std::expected<Fleet, std::vector<Problem>> run() {
        size_t inputs = 0, input_bytes = 0;
        for (auto& [path, bytes] : files_) {
            if (!is_render_input(path)) continue;
            ++inputs;
            input_bytes += bytes.size();
        }
        if (inputs > limits_.max_files) {
            problems_.add("", 0, cat("repository has ", inputs, " YAML/JSON files, more than the limit of ", limits_.max_files,
                                     " (hub limit repo-files)"));
            return std::unexpected(problems_.take());
        }
        if (input_bytes > limits_.max_input_bytes) {
            problems_.add("", 0, cat("repository's YAML/JSON files hold ", input_bytes, " bytes, more than the limit of ",
                                     limits_.max_input_bytes, " (hub limit repo-bytes)"));
            return std::unexpected(problems_.take());
        }
        read_fleet_config();
        auto dirs = bundle_files();
        if (dirs.size() > limits_.max_bundles) {
            problems_.add("", 0, cat("repository has ", dirs.size(), " bundles, more than the limit of ", limits_.max_bundles,
                                     " (hub limit bundles)"));
            return std::unexpected(problems_.take());
        }
        std::vector<BundleConfig> configs;
        std::vector<std::vector<SourceObject>> objects;
        for (auto& file : dirs) {
            auto config = read_bundle_config(file);
            auto objs = read_manifests(std::string(parent_dir(file)), file);
            if (!config) continue;
            configs.push_back(std::move(*config));
            objects.push_back(std::move(objs));
        }
        check_names(configs);
        check_dependencies(configs, problems_);

        Fleet fleet;
        fleet.groups = fleet_config_.groups;
        for (size_t i = 0; i < configs.size(); ++i) {
            // Past the fleet's spec budget the push is refused anyway:
            // rendering more would only take more memory.
            if (fleet_spec_reported_) break;
            if (auto b = render_bundle(configs[i], std::move(objects[i]))) fleet.bundles.push_back(std::move(*b));
        }
        if (!problems_.empty()) return std::unexpected(problems_.take());
        std::sort(fleet.bundles.begin(), fleet.bundles.end(), [](auto& a, auto& b) { return a.name < b.name; });
        return fleet;
    }

private:
    void read_fleet_config() {
        auto it = files_.find("fleet.yaml");
        if (it == files_.end()) return;
        auto docs = parse_documents(it->first, it->second, limits_, limits_.max_depth, problems_);
        fleet_config_ = parse_fleet_config(single_document(it->first, docs, problems_), problems_);
    }

    // The bundle.yaml files of bundles that are not inside another bundle.
    std::vector<std::string> bundle_files() {
        std::vector<std::string> all;
        for (auto& [path, _] : files_)
            if (is_bundle_file(path)) all.push_back(path);
        std::vector<std::string> top;
        for (auto& file : all) {
            std::string_view dir = parent_dir(file);
            auto outer = std::find_if(all.begin(), all.end(),
                                      [&](const std::string& other) { return is_below(dir, parent_dir(other)); });
            if (outer != all.end()) {
                problems_.add(file, 0, cat("bundles do not nest: this directory is inside the bundle defined by ", *outer));
                continue;
            }
            top.push_back(file);
        }
        return top;
    }

    std::optional<BundleConfig> read_bundle_config(const std::string& file) {
        size_t before = problems_.size();
        auto docs = parse_documents(file, files_.at(file), limits_, limits_.max_depth, problems_);
        const SourceDoc* doc = single_document(file, docs, problems_);
        if (docs.empty() && problems_.size() != before) return std::nullopt;  // did not parse
        auto config = parse_bundle_config(file, doc, fleet_config_.names, problems_);
        if (problems_.size() != before) return std::nullopt;
        return config;
    }

    std::vector<SourceObject> read_manifests(const std::string& dir, const std::string& bundle_file) {
        std::vector<SourceObject> out;
        auto it = dir.empty() ? files_.begin() : files_.lower_bound(dir + "/");
        for (; it != files_.end() && (dir.empty() || is_below(it->first, dir)); ++it) {
            const std::string& path = it->first;
            std::string_view rel = relative_to(path, dir);
            if (path == bundle_file || !is_manifest_name(path) || hidden(rel) || rel.starts_with("overlays/")) continue;
            if (dir.empty() && path == "fleet.yaml") continue;
            if (is_bundle_file(path)) continue;  // a nested bundle, reported by bundle_files()
            auto objects = load_manifest(path, it->second, limits_, problems_);
            for (auto& o : objects) out.push_back(std::move(o));
            if (out.size() > limits_.max_objects_per_bundle) {
                problems_.add(bundle_file, 0, cat("bundle has more than ", limits_.max_objects_per_bundle,
                                                           " objects (hub limit objects-per-bundle)"));
                return {};
            }
        }
        return out;
    }

    void check_names(const std::vector<BundleConfig>& configs) {
        std::map<std::string, const BundleConfig*> seen;
        for (auto& c : configs)
            if (auto [it, fresh] = seen.emplace(c.name, &c); !fresh)
                problems_.add(c.file, 0, cat("bundle name ", drover::quoted(c.name), " is already used by ", it->second->file));
    }

    // Namespace forcing, duplicate check and the canonical spec of one
    // variant of the bundle's objects; nullopt after a problem.
    std::optional<Spec> finish(const BundleConfig& config, std::vector<SourceObject> objects, const Scope& scope,
                               const std::string& customization) {
        size_t before = problems_.size();
        place_in_namespaces(objects, config.ns, scope);
        report_duplicates(objects, scope, customization.empty() ? "" : cat("(customization ", drover::quoted(customization), ")"),
                          problems_);
        if (problems_.size() != before) return std::nullopt;
        std::vector<json> values;
        values.reserve(objects.size());
        for (auto& o : objects) values.push_back(std::move(o.value));
        Policy policy;
        for (auto& d : config.depends_on) policy.depends_on.push_back(d.bundle);
        policy.keep_resources = config.keep_resources;
        policy.self_heal = config.self_heal;
        Spec spec = make_spec(customization, config.name, config.ns, std::move(values), std::move(policy));
        if (spec.json.size() > limits_.max_spec_bytes) {
            problems_.add(config.file, 0, cat(customization.empty() ? "rendered spec" : cat("customization ", drover::quoted(customization)),
                                              " is ", spec.json.size(), " bytes, more than the limit of ", limits_.max_spec_bytes,
                                              " (hub limit spec-bytes)"));
            return std::nullopt;
        }
        return spec;
    }

    std::optional<Bundle> render_bundle(const BundleConfig& config, std::vector<SourceObject> objects) {
        size_t before = problems_.size();
        Scope scope(objects);
        Bundle b;
        b.name = config.name;
        b.path = config.dir;
        b.ns = config.ns;
        b.targets = config.targets;
        for (auto& d : config.depends_on) b.depends_on.push_back(d.bundle);
        std::sort(b.depends_on.begin(), b.depends_on.end());
        b.keep_resources = config.keep_resources;
        b.self_heal = config.self_heal;
        b.paused = config.paused;
        b.rollout = config.rollout;

        std::map<std::string, size_t> by_digest;
        auto add_spec = [&](Spec spec) {
            auto [it, fresh] = by_digest.emplace(spec.digest, b.specs.size());
            if (fresh) {
                count_fleet_spec(config, spec);
                b.specs.push_back(std::move(spec));
            }
            return it->second;
        };
        // The default variant takes the objects themselves when no
        // customization needs them afterwards: no copy of a big bundle.
        std::vector<SourceObject> base = config.customizations.empty() ? std::move(objects) : objects;
        if (auto spec = finish(config, std::move(base), scope, "")) b.default_spec = add_spec(std::move(*spec));
        for (auto& c : config.customizations) {
            std::vector<SourceObject> variant = objects;
            size_t at_start = problems_.size();
            customize(variant, c, patch_files_, problems_);
            if (problems_.size() != at_start) continue;
            if (auto spec = finish(config, std::move(variant), scope, c.name))
                b.customizations.push_back(Bundle::Customization{c.name, c.match, add_spec(std::move(*spec))});
        }
        if (problems_.size() != before) return std::nullopt;
        return b;
    }

    // Distinct specs are counted once (customizations that render the same
    // bytes share a spec); the first one past the limit is reported.
    void count_fleet_spec(const BundleConfig& config, const Spec& spec) {
        fleet_spec_bytes_ += spec.json.size();
        if (fleet_spec_bytes_ <= limits_.max_fleet_spec_bytes || fleet_spec_reported_) return;
        fleet_spec_reported_ = true;
        problems_.add(config.file, 0, cat("rendered specs of the repository add up to more than the limit of ",
                                          limits_.max_fleet_spec_bytes, " bytes (hub limit fleet-spec-bytes)"));
    }

    const FileMap& files_;
    const Limits& limits_;
    size_t fleet_spec_bytes_ = 0;
    bool fleet_spec_reported_ = false;
    Problems problems_;
    FleetConfig fleet_config_;
    PatchFiles patch_files_;
};

}  // namespace

std::expected<Fleet, std::vector<Problem>> render_fleet(const FileMap& files, const Limits& limits) {
    // Bad input is reported as problems; this catch is the last line for
    // bugs and resource exhaustion, so a push is refused rather than the hub
    // brought down.
    try {
        return FleetRenderer(files, limits).run();
    } catch (const std::exception& e) {
        return std::unexpected(std::vector<Problem>{Problem{"", 0, cat("internal error while rendering: ", e.what())}});
    }
}

}  // namespace drover::render
