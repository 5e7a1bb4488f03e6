#pragma once
// The simulated device: "live" objects are a digest per object key in
// memory. Cheap enough for thousands of agents in one process, and real in
// what the reconciler sees: apply replaces a bundle's objects, prune removes
// exactly the inventory, drift compares what is live with the spec.
#include <map>
#include <string>

#include "agent/apply/applier.h"

namespace drover::fleetsim {

class MemoryApplier final : public apply::Applier {
public:
    apply::ApplyResult apply(std::string_view bundle, const std::vector<nlohmann::json>& objects,
                             const apply::Inventory& previous) override;
    Result<void> prune(std::string_view bundle, const apply::Inventory& inventory) override;
    Result<std::vector<apply::Difference>> drift(std::string_view bundle, const apply::Inventory& inventory,
                                                 const std::vector<nlohmann::json>& objects) override;

    size_t live_objects() const;

private:
    std::map<std::string, std::map<apply::ObjectKey, std::string>, std::less<>> live_;  // bundle -> key -> sha256
};

}  // namespace drover::fleetsim
