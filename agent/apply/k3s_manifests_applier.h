#pragma once
// `--apply k3s-manifests[:DIR]` (default /var/lib/rancher/k3s/server/manifests):
// each bundle becomes one file DIR/drover-<bundle>.yaml holding its objects
// as YAML documents separated by "---", written atomically
// (write_file_atomic) and only when its content changes. K3s's deploy
// controller (server nodes only) applies a file when its modification time
// changes, as the AddOn kube-system/drover-<bundle>, and prunes objects that
// left the file. Every object carries the label drover.dev/bundle: <bundle>.
//
// What this applier cannot do, by construction (it never talks to the API):
//  - readiness: a bundle is Ready as soon as its file is written; whether
//    K3s applied it shows only on the AddOn (kubectl describe addon -n
//    kube-system drover-<bundle>) or with --apply kube;
//  - deletion: prune removes the file, and K3s does not delete the objects
//    of a removed file (kubectl delete -A -l drover.dev/bundle=<bundle> does);
//  - drift in the cluster: drift() compares the file with what was written
//    (edited or missing file), and a re-apply rewrites it, which makes K3s
//    apply it again.
//
// Bundle names must be RFC 1123 labels (the hub enforces it): K3s names the
// AddOn after the file name up to its first '.', so a dot would make two
// bundles share an AddOn.
#include <string>

#include "agent/apply/applier.h"

namespace drover::apply {

class K3sManifestsApplier final : public Applier {
public:
    explicit K3sManifestsApplier(std::string dir);

    ApplyResult apply(std::string_view bundle, const std::vector<nlohmann::json>& objects,
                      const Inventory& previous) override;
    Result<void> prune(std::string_view bundle, const Inventory& inventory) override;
    Result<std::vector<Difference>> drift(std::string_view bundle, const Inventory& inventory,
                                          const std::vector<nlohmann::json>& objects) override;

    Result<std::string> file_path(std::string_view bundle) const;

private:
    std::string dir_;
};

// The file's content: a comment naming the bundle, then one "---" and YAML
// document per object, each labelled drover.dev/bundle: <bundle>.
std::string render_manifest_file(std::string_view bundle, const std::vector<nlohmann::json>& objects);

}  // namespace drover::apply
