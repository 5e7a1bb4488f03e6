#include "tools/fleetsim/memory_applier.h"

#include "common/crypto.h"

namespace drover::fleetsim {

apply::ApplyResult MemoryApplier::apply(std::string_view bundle, const std::vector<nlohmann::json>& objects,
                                        const apply::Inventory& previous) {
    std::map<apply::ObjectKey, std::string> next;
    std::vector<apply::ObjectKey> keys;
    for (auto& o : objects) {
        auto key = apply::object_key(o);
        if (!key) return {previous, key.error().message};
        keys.push_back(*key);
        next[*key] = sha256(o.dump());
    }
    live_[std::string(bundle)] = std::move(next);
    return {apply::make_inventory(keys), std::nullopt};
}

Result<void> MemoryApplier::prune(std::string_view bundle, const apply::Inventory& inventory) {
    auto it = live_.find(bundle);
    if (it == live_.end()) return {};
    for (auto& key : inventory) it->second.erase(key);
    if (it->second.empty()) live_.erase(it);
    return {};
}

Result<std::vector<apply::Difference>> MemoryApplier::drift(std::string_view bundle, const apply::Inventory&,
                                                            const std::vector<nlohmann::json>& objects) {
    std::vector<apply::Difference> out;
    auto it = live_.find(bundle);
    for (auto& o : objects) {
        auto key = apply::object_key(o);
        if (!key) return fail(key.error().message);
        if (it == live_.end() || !it->second.count(*key)) out.push_back({*key, "missing"});
        else if (it->second.at(*key) != sha256(o.dump())) out.push_back({*key, "differs"});
    }
    return out;
}

size_t MemoryApplier::live_objects() const {
    size_t n = 0;
    for (auto& [bundle, objects] : live_) n += objects.size();
    return n;
}

}  // namespace drover::fleetsim
