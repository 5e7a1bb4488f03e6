#include "agent/apply/k3s_manifests_applier.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/apply/yaml_text.h"
#include "common/fs.h"
#include "common/text.h"

namespace drover::apply {

using nlohmann::json;

namespace {

constexpr const char* kBundleLabel = "drover.dev/bundle";
constexpr const char* kSeparator = "---\n";
constexpr size_t kMaxBundleName = 63;

bool dns_label(std::string_view s) {
    if (s.empty() || s.size() > kMaxBundleName || s.front() == '-' || s.back() == '-') return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

json labelled(const json& object, std::string_view bundle) {
    json out = object;
    json& meta = out["metadata"];
    if (!meta.is_object()) meta = json::object();
    json& labels = meta["labels"];
    if (!labels.is_object()) labels = json::object();
    labels[kBundleLabel] = std::string(bundle);
    return out;
}

// The documents of a file as render_manifest_file writes them.
std::vector<std::string> documents(std::string_view text) {
    std::vector<std::string> out;
    size_t at = text.find(kSeparator);
    while (at != std::string_view::npos) {
        size_t start = at + std::strlen(kSeparator);
        size_t next = text.find(cat("\n", kSeparator), start);
        size_t end = next == std::string_view::npos ? text.size() : next + 1;
        out.emplace_back(text.substr(start, end - start));
        at = next == std::string_view::npos ? next : next + 1;
    }
    return out;
}

}  // namespace

std::string render_manifest_file(std::string_view bundle, const std::vector<json>& objects) {
    std::string out = cat("# Written by drover-agent for bundle ", bundle,
                          ". Do not edit: drover rewrites this file.\n");
    for (auto& object : objects) out += cat(kSeparator, yaml_document(labelled(object, bundle)));
    return out;
}

K3sManifestsApplier::K3sManifestsApplier(std::string dir) : dir_(std::move(dir)) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

Result<std::string> K3sManifestsApplier::file_path(std::string_view bundle) const {
    if (!dns_label(bundle))
        return fail(cat("bundle name ", quoted(bundle),
                        " cannot name a K3s manifest (1-63 of a-z, 0-9 and '-', not starting or ending with '-')"));
    return cat(dir_, "/drover-", bundle, ".yaml");
}

ApplyResult K3sManifestsApplier::apply(std::string_view bundle, const std::vector<json>& objects,
                                       const Inventory& previous) {
    ApplyResult result;
    result.inventory = previous;
    auto path = file_path(bundle);
    if (!path) {
        result.error = path.error().message;
        return result;
    }
    std::vector<ObjectKey> keys;
    for (size_t i = 0; i < objects.size(); ++i) {
        auto key = object_key(objects[i]);
        if (!key) {
            result.error = cat("objects[", i, "]: ", key.error().message);
            return result;
        }
        keys.push_back(*key);
    }
    Inventory next = make_inventory(std::move(keys));
    // The file replaces the previous one whole: K3s may have applied either.
    result.inventory = merge(previous, next);
    std::string content = render_manifest_file(bundle, objects);
    if (auto current = read_file(*path, content.size() + 1); !current || *current != content) {
        if (auto written = write_file_atomic(*path, content); !written) {
            result.error = written.error().message;
            return result;
        }
    }
    result.inventory = std::move(next);
    return result;
}

Result<void> K3sManifestsApplier::prune(std::string_view bundle, const Inventory&) {
    auto path = file_path(bundle);
    if (!path) return {};  // such a bundle never had a file
    if (::unlink(path->c_str()) != 0 && errno != ENOENT)
        return fail(cat("cannot remove ", *path, ": ", std::strerror(errno)));
    return {};
}

Result<std::vector<Difference>> K3sManifestsApplier::drift(std::string_view bundle, const Inventory&,
                                                           const std::vector<json>& objects) {
    auto path = file_path(bundle);
    if (!path) return fail(path.error().message);
    std::string expected = render_manifest_file(bundle, objects);
    std::vector<Difference> out;
    std::vector<ObjectKey> keys;
    for (auto& object : objects) {
        auto key = object_key(object);
        if (!key) return fail(key.error().message);
        keys.push_back(*key);
    }
    if (::access(path->c_str(), F_OK) != 0) {
        for (auto& key : keys) out.push_back({key, cat("missing (", *path, " is gone)")});
        return out;
    }
    auto current = read_file(*path, expected.size() * 2 + (1 << 20));
    if (!current) return fail(current.error().message);
    if (*current == expected) return out;
    auto present = documents(*current);
    for (size_t i = 0; i < objects.size(); ++i) {
        std::string doc = yaml_document(labelled(objects[i], bundle));
        bool found = false;
        for (auto& d : present) found = found || d == doc;
        if (!found) out.push_back({keys[i], cat("differs (", *path, " was edited)")});
    }
    // Every object is there, yet the file is not what drover wrote:
    // something was added to it, which K3s applies as well.
    if (out.empty() && !keys.empty()) out.push_back({keys[0], cat("differs (", *path, " holds more than the bundle)")});
    return out;
}

}  // namespace drover::apply
