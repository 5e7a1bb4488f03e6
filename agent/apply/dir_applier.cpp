#include "agent/apply/dir_applier.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "common/fs.h"
#include "common/text.h"

namespace drover::apply {

namespace {

// NAME_MAX on every Linux file system drover runs on.
constexpr size_t kMaxFileName = 255;

// Lower-cases A-Z, keeps [a-z0-9-] (and '.' when dots_allowed), escapes every
// other byte as "_xx".
std::string sanitise(std::string_view s, bool dots_allowed) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (c == '.' && dots_allowed)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('_');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

Result<void> remove_file(const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return fail(cat("cannot remove ", path, ": ", std::strerror(errno)));
    return {};
}

// write_file_atomic writes FILE through "FILE.tmp-<hex>" and renames it. A
// temporary whose writer was killed before the rename stays behind; it is
// removed here for the object files named in `files`, and nothing else is
// touched (files other software put in the directory stay).
Result<void> remove_interrupted_writes(const std::string& dir, const std::set<std::string>& files) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) {
        if (errno == ENOENT) return {};
        return fail(cat("cannot list ", dir, ": ", std::strerror(errno)));
    }
    std::vector<std::string> stale;
    while (auto* entry = ::readdir(d.get())) {
        std::string_view name = entry->d_name;
        size_t at = name.rfind(".tmp-");
        if (at == std::string_view::npos || at + 5 == name.size()) continue;
        std::string_view suffix = name.substr(at + 5);
        if (suffix.find_first_not_of("0123456789abcdef") != std::string_view::npos) continue;
        if (files.count(std::string(name.substr(0, at)))) stale.emplace_back(name);
    }
    d.reset();
    for (auto& name : stale)
        if (auto removed = remove_file(cat(dir, "/", name)); !removed) return removed;
    return {};
}

std::set<std::string> file_names(const Inventory& inventory) {
    std::set<std::string> out;
    for (auto& key : inventory)
        if (auto file = DirApplier::file_name(key)) out.insert(*file);
    return out;
}

}  // namespace

std::string render_object_file(const nlohmann::json& object) {
    return object.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

DirApplier::DirApplier(std::string root) : root_(std::move(root)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

Result<std::string> DirApplier::bundle_dir(std::string_view bundle) const {
    if (bundle.empty()) return fail("bundle name is empty");
    std::string dir = sanitise(bundle, false);
    if (dir.size() > kMaxFileName) return fail(cat("bundle name ", quoted(bundle), " is too long for a directory name"));
    return cat(root_, "/", dir);
}

Result<std::string> DirApplier::file_name(const ObjectKey& key) {
    if (key.kind.empty() || key.name.empty()) return fail("object has no kind or name");
    std::string name = cat(sanitise(key.kind, false), ".", key.ns.empty() ? "_cluster" : sanitise(key.ns, false), ".",
                           sanitise(key.name, true), ".json");
    if (name.size() > kMaxFileName) return fail(cat(describe(key), ": name is too long for a file name"));
    return name;
}

ApplyResult DirApplier::apply(std::string_view bundle, const std::vector<nlohmann::json>& objects,
                              const Inventory& previous) {
    ApplyResult result;
    result.inventory = previous;
    auto dir = bundle_dir(bundle);
    if (!dir) {
        result.error = dir.error().message;
        return result;
    }

    // Resolve every object to its file first: nothing is written for a
    // bundle whose objects cannot all be placed.
    std::vector<ObjectKey> keys;
    std::map<std::string, ObjectKey> by_file;
    for (auto& object : objects) {
        auto key = object_key(object);
        if (!key) {
            result.error = key.error().message;
            return result;
        }
        auto file = file_name(*key);
        if (!file) {
            result.error = file.error().message;
            return result;
        }
        auto [it, inserted] = by_file.emplace(*file, *key);
        if (!inserted) {
            result.error = cat(describe(it->second), " and ", describe(*key), " would both be written to ", *file);
            return result;
        }
        keys.push_back(*key);
    }
    Inventory next = make_inventory(keys);
    // From here on the attempt may leave any of these files behind.
    result.inventory = merge(previous, next);

    if (auto made = make_dirs(*dir, 0755); !made) {
        result.error = made.error().message;
        return result;
    }
    std::set<std::string> known = file_names(previous);
    for (auto& [file, key] : by_file) known.insert(file);
    if (auto cleaned = remove_interrupted_writes(*dir, known); !cleaned) {
        result.error = cleaned.error().message;
        return result;
    }
    for (size_t i = 0; i < objects.size(); ++i) {
        std::string path = cat(*dir, "/", *file_name(keys[i]));
        std::string content = render_object_file(objects[i]);
        if (auto current = read_file(path, content.size() + 1); current && *current == content) continue;
        if (auto written = write_file_atomic(path, content); !written) {
            result.error = written.error().message;
            return result;
        }
    }
    for (auto& old : previous) {
        auto file = file_name(old);
        if (!file || by_file.count(*file)) continue;
        if (auto removed = remove_file(cat(*dir, "/", *file)); !removed) {
            result.error = removed.error().message;
            return result;
        }
    }
    result.inventory = std::move(next);
    return result;
}

Result<void> DirApplier::prune(std::string_view bundle, const Inventory& inventory) {
    auto dir = bundle_dir(bundle);
    if (!dir) return fail(dir.error().message);
    for (auto& key : inventory) {
        auto file = file_name(key);
        if (!file) continue;  // never written, so nothing to remove
        if (auto removed = remove_file(cat(*dir, "/", *file)); !removed) return removed;
    }
    if (auto cleaned = remove_interrupted_writes(*dir, file_names(inventory)); !cleaned) return cleaned;
    // Only an empty directory goes: files someone else put there stay.
    if (::rmdir(dir->c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
        return fail(cat("cannot remove ", *dir, ": ", std::strerror(errno)));
    return {};
}

Result<std::vector<Difference>> DirApplier::drift(std::string_view bundle, const Inventory&,
                                                  const std::vector<nlohmann::json>& objects) {
    auto dir = bundle_dir(bundle);
    if (!dir) return fail(dir.error().message);
    std::vector<Difference> out;
    for (auto& object : objects) {
        auto key = object_key(object);
        if (!key) return fail(key.error().message);
        auto file = file_name(*key);
        if (!file) return fail(file.error().message);
        std::string path = cat(*dir, "/", *file);
        std::string expected = render_object_file(object);
        if (::access(path.c_str(), F_OK) != 0) {
            out.push_back({*key, "missing"});
            continue;
        }
        auto current = read_file(path, expected.size() + 1);
        if (!current || *current != expected) out.push_back({*key, "differs"});
    }
    return out;
}

}  // namespace drover::apply
