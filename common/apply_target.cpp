#include "common/apply_target.h"

#include "common/text.h"

namespace drover {

Result<ApplyTarget> parse_apply_target(std::string_view text) {
    if (text == "kube") return ApplyTarget{ApplyTarget::Kind::kube, ""};
    if (starts_with(text, "dir:")) {
        if (text.size() == 4) return fail("dir: needs a path, as in dir:/var/lib/drover/out");
        return ApplyTarget{ApplyTarget::Kind::dir, std::string(text.substr(4))};
    }
    if (text == "k3s-manifests") return ApplyTarget{ApplyTarget::Kind::k3s_manifests, kK3sManifestsDir};
    if (starts_with(text, "k3s-manifests:")) {
        if (text.size() == 14)
            return fail(cat("k3s-manifests: needs a directory, as in k3s-manifests:", kK3sManifestsDir,
                            " (or no colon for that default)"));
        return ApplyTarget{ApplyTarget::Kind::k3s_manifests, std::string(text.substr(14))};
    }
    return fail(cat("unknown apply target ", quoted(text), " (want kube, k3s-manifests[:DIR] or dir:PATH)"));
}

}  // namespace drover
