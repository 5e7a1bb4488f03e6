#include "hub/render/canonical.h"

#include <algorithm>
#include <tuple>

#include "common/crypto.h"
#include "hub/render/kinds.h"

namespace drover::render {

using nlohmann::json;

static std::string_view text_at(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>()) : std::string_view{};
}

static auto sort_key(const json& o) {
    std::string_view kind = text_at(o, "kind");
    std::string_view ns, name;
    if (auto meta = o.find("metadata"); meta != o.end() && meta->is_object()) {
        ns = text_at(*meta, "namespace");
        name = text_at(*meta, "name");
    }
    return std::make_tuple(apply_rank(kind), kind, ns, name, text_at(o, "apiVersion"));
}

void sort_for_apply(std::vector<json>& objects) {
    std::stable_sort(objects.begin(), objects.end(),
                     [](const json& a, const json& b) { return sort_key(a) < sort_key(b); });
}

Spec make_spec(std::string_view customization, std::string_view bundle, std::string_view ns,
               std::vector<json> objects, Policy policy) {
    sort_for_apply(objects);
    std::sort(policy.depends_on.begin(), policy.depends_on.end());
    policy.depends_on.erase(std::unique(policy.depends_on.begin(), policy.depends_on.end()), policy.depends_on.end());
    Spec spec;
    spec.customization = customization;
    spec.objects = objects.size();
    json doc = {
        {"bundle", std::string(bundle)},
        {"namespace", std::string(ns)},
        {"objects", std::move(objects)},
        {"policy", {{"dependsOn", policy.depends_on}, {"keepResources", policy.keep_resources}, {"selfHeal", policy.self_heal}}},
    };
    spec.json = doc.dump();
    spec.digest = sha256(spec.json);
    return spec;
}

}  // namespace drover::render
