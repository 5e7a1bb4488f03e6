#pragma once
// An in-memory applier for reconciler tests: "live" objects per bundle, a
// call log, and switches to make apply or prune fail.
#include <map>
#include <string>
#include <vector>

#include "agent/apply/applier.h"

namespace drover::testing {

class FakeApplier final : public apply::Applier {
public:
    std::vector<std::string> calls;  // "apply web", "prune web", "drift web", "readiness web"
    std::map<std::string, std::map<apply::ObjectKey, nlohmann::json>> live;
    std::map<std::string, std::string> fail_apply;  // bundle -> error
    std::map<std::string, std::string> fail_prune;
    // bundle -> why it is not ready (applied, then NotReady until erased)
    std::map<std::string, std::string> not_ready;
    std::map<std::string, std::string> fail_readiness;  // bundle -> error

    apply::ApplyResult apply(std::string_view bundle, const std::vector<nlohmann::json>& objects,
                             const apply::Inventory& previous) override {
        std::string b(bundle);
        calls.push_back("apply " + b);
        std::vector<apply::ObjectKey> keys;
        for (auto& o : objects) keys.push_back(*apply::object_key(o));
        if (fail_apply.count(b)) return {apply::merge(previous, apply::make_inventory(keys)), fail_apply[b]};
        auto& objs = live[b];
        objs.clear();
        for (size_t i = 0; i < objects.size(); ++i) objs[keys[i]] = objects[i];
        std::optional<std::string> waiting;
        if (not_ready.count(b)) waiting = not_ready[b];
        return {apply::make_inventory(keys), std::nullopt, waiting};
    }

    Result<std::optional<std::string>> readiness(std::string_view bundle, const apply::Inventory&) override {
        std::string b(bundle);
        calls.push_back("readiness " + b);
        if (fail_readiness.count(b)) return fail(fail_readiness[b]);
        if (not_ready.count(b)) return std::optional<std::string>(not_ready[b]);
        return std::optional<std::string>{};
    }

    Result<void> prune(std::string_view bundle, const apply::Inventory& inventory) override {
        std::string b(bundle);
        calls.push_back("prune " + b);
        if (fail_prune.count(b)) return fail(fail_prune[b]);
        for (auto& k : inventory) live[b].erase(k);
        if (live[b].empty()) live.erase(b);
        return {};
    }

    Result<std::vector<apply::Difference>> drift(std::string_view bundle, const apply::Inventory&,
                                                 const std::vector<nlohmann::json>& objects) override {
        std::string b(bundle);
        calls.push_back("drift " + b);
        std::vector<apply::Difference> out;
        for (auto& o : objects) {
            auto key = *apply::object_key(o);
            auto it = live[b].find(key);
            if (it == live[b].end())
                out.push_back({key, "missing"});
            else if (it->second != o)
                out.push_back({key, "differs"});
        }
        return out;
    }
};

}  // namespace drover::testing
