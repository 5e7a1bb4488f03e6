#pragma once
// `--apply kube`: bundles go live through the Kubernetes API.
//
// apply: every object is checked and its kind resolved through discovery
// before anything is sent (objects lacking apiVersion, kind or name, and
// kinds the cluster does not serve, fail the bundle with nothing applied),
// except custom resources whose CustomResourceDefinition is in the same
// bundle. Then, in order: Namespaces and CRDs, every other object, and
// last the custom resources of the bundle's CRDs once those are
// Established (polled, at most crd_wait). Each object is sent with
// server-side apply (field manager `drover`, force) in its applied_form().
// Objects of the previous inventory that left the bundle are deleted
// afterwards (background propagation), but only while they still carry
// drover.dev/bundle=<bundle>: an object another bundle has taken over, or
// someone relabelled, is left alone. The result is NotReady when the
// applied objects are not ready yet (readiness.h).
//
// Transient API failures are retried (KubeApi); any other failure ends the
// attempt with the API's message, and the inventory returned names every
// object that may now exist (ApplyResult's contract).
//
// Objects are identified by API group, kind, namespace and name, so an
// object whose apiVersion changes between specs (apps/v1beta2 -> apps/v1)
// is updated, not deleted and re-created.
#include <chrono>
#include <optional>
#include <string>

#include "agent/apply/applier.h"
#include "agent/apply/kube/discovery.h"
#include "agent/apply/kube/kube_api.h"

namespace drover::kube {

struct KubeApplierOptions {
    std::string field_manager = "drover";
    RetryPolicy retry;
    std::chrono::milliseconds crd_wait{60'000};  // custom resources wait this long for their CRD
    std::chrono::milliseconds crd_poll{500};
    Sleep sleep;  // default: really sleep (tests make waiting instant)
    int max_pods_listed = 50;  // per workload, for "pod x: ImagePullBackOff"
};

class KubeApplier final : public apply::Applier {
public:
    explicit KubeApplier(Transport& transport, KubeApplierOptions options = {});

    apply::ApplyResult apply(std::string_view bundle, const std::vector<nlohmann::json>& objects,
                             const apply::Inventory& previous) override;
    Result<void> prune(std::string_view bundle, const apply::Inventory& inventory) override;
    Result<std::vector<apply::Difference>> drift(std::string_view bundle, const apply::Inventory& inventory,
                                                 const std::vector<nlohmann::json>& objects) override;
    Result<std::optional<std::string>> readiness(std::string_view bundle, const apply::Inventory& inventory) override;

private:
    struct Planned;
    struct Located;
    ApiResult<std::optional<Located>> locate(const apply::ObjectKey& key);
    // The CRD as it is once Established.
    Result<nlohmann::json> wait_established(const std::string& crd_name);
    std::optional<std::string> not_ready(const apply::ObjectKey& key, const nlohmann::json& live);
    // Deletes what `doomed` names (reverse apply order); returns the keys it
    // could not delete and the first error.
    std::pair<apply::Inventory, std::optional<std::string>> remove_objects(std::string_view bundle,
                                                                          const apply::Inventory& doomed);

    KubeApplierOptions options_;
    KubeApi api_;
    Discovery discovery_;
};

// "Deployment web/nginx: 1/3 available; Job web/migrate: running: ..." for
// up to three objects, "and N more" after.
std::string describe_not_ready(const std::vector<std::string>& objects);

}  // namespace drover::kube
