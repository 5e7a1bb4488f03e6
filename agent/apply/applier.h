#pragma once
// The seam between the reconciler and the place objects go live. One
// implementation per --apply target: `dir`, `kube` and `k3s-manifests`.
// Appliers run on the reconciler thread only and may be slow (a
// Kubernetes API round trip per object); they are never called concurrently.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/apply/inventory.h"
#include "common/error.h"

namespace drover::apply {

struct ApplyResult {
    // On success: exactly the objects now live for the bundle. On failure:
    // everything that may now exist for the bundle (what was there before
    // plus what this attempt may have created), so a later prune misses
    // nothing.
    Inventory inventory;
    std::optional<std::string> error;  // one line for the Failed status
    // Applied, but not ready yet (state NotReady with this message; the
    // reconciler asks readiness() again until it is). Unset with error.
    std::optional<std::string> not_ready;
};

struct Difference {
    ObjectKey object;
    std::string what;  // "missing", "differs", "differs: .spec.replicas"
};

class Applier {
public:
    virtual ~Applier() = default;

    // Make `objects` (the spec's objects, in apply order) live for `bundle`,
    // and remove the objects of `previous` that are no longer among them.
    virtual ApplyResult apply(std::string_view bundle, const std::vector<nlohmann::json>& objects,
                              const Inventory& previous) = 0;
    // Remove what the bundle created, and nothing else.
    virtual Result<void> prune(std::string_view bundle, const Inventory& inventory) = 0;
    // Compare what is live with `objects` as applied. Empty: no drift. An
    // error means drift could not be determined (not that there is drift).
    virtual Result<std::vector<Difference>> drift(std::string_view bundle, const Inventory& inventory,
                                                  const std::vector<nlohmann::json>& objects) = 0;
    // Whether the bundle's live objects are ready: nullopt when they are,
    // else why not ("Deployment web/nginx: 1/3 available"). An error means
    // readiness could not be determined. Appliers that cannot observe
    // readiness (dir, k3s-manifests) keep this default: always ready.
    virtual Result<std::optional<std::string>> readiness(std::string_view bundle, const Inventory& inventory) {
        (void)bundle;
        (void)inventory;
        return std::optional<std::string>{};
    }
};

}  // namespace drover::apply
