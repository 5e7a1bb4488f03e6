#include "agent/reconcile/spec.h"

#include "agent/apply/inventory.h"
#include "common/text.h"

namespace drover::reconcile {

using nlohmann::json;

static Result<void> read_bool(const json& policy, const char* field, bool& out) {
    auto it = policy.find(field);
    if (it == policy.end() || it->is_null()) return {};
    if (!it->is_boolean()) return fail(cat("spec policy.", field, " is not a boolean"));
    out = it->get<bool>();
    return {};
}

Result<Spec> parse_spec(std::string_view text) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) return fail("spec is not valid JSON");
    if (!doc.is_object()) return fail("spec is not a JSON object");
    Spec spec;

    auto bundle = doc.find("bundle");
    if (bundle == doc.end() || !bundle->is_string() || bundle->get_ref<const std::string&>().empty())
        return fail("spec has no bundle name");
    spec.bundle = bundle->get<std::string>();
    if (auto ns = doc.find("namespace"); ns != doc.end() && !ns->is_null()) {
        if (!ns->is_string()) return fail("spec namespace is not a string");
        spec.ns = ns->get<std::string>();
    }

    auto objects = doc.find("objects");
    if (objects == doc.end() || !objects->is_array()) return fail("spec has no objects array");
    for (size_t i = 0; i < objects->size(); ++i) {
        auto& object = (*objects)[i];
        if (auto key = apply::object_key(object); !key)
            return fail(cat("spec objects[", i, "]: ", key.error().message));
        spec.objects.push_back(std::move(object));
    }

    if (auto policy = doc.find("policy"); policy != doc.end() && !policy->is_null()) {
        if (!policy->is_object()) return fail("spec policy is not an object");
        if (auto deps = policy->find("dependsOn"); deps != policy->end() && !deps->is_null()) {
            if (!deps->is_array()) return fail("spec policy.dependsOn is not a list");
            for (auto& d : *deps) {
                if (!d.is_string() || d.get_ref<const std::string&>().empty())
                    return fail("spec policy.dependsOn holds something that is not a bundle name");
                spec.policy.depends_on.push_back(d.get<std::string>());
            }
        }
        if (auto r = read_bool(*policy, "keepResources", spec.policy.keep_resources); !r) return fail(r.error().message);
        if (auto r = read_bool(*policy, "selfHeal", spec.policy.self_heal); !r) return fail(r.error().message);
    }
    return spec;
}

}  // namespace drover::reconcile
