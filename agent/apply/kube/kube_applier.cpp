#include "agent/apply/kube/kube_applier.h"

#include <algorithm>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "agent/apply/kube/applied_form.h"
#include "agent/apply/kube/field_drift.h"
#include "agent/apply/kube/readiness.h"
#include "common/log.h"
#include "common/text.h"

namespace drover::kube {

using apply::ObjectKey;
using nlohmann::json;

namespace {

constexpr size_t kNotReadyNamed = 3;
constexpr size_t kDriftFieldsNamed = 3;
constexpr std::string_view kCrdGroup = "apiextensions.k8s.io";

// Which object a key means, whatever apiVersion it was written with.
using Identity = std::tuple<std::string, std::string, std::string, std::string>;
Identity identity(const ObjectKey& k) { return {std::string(group_of(k.api_version)), k.kind, k.ns, k.name}; }

bool is_crd(const ObjectKey& k) { return k.kind == "CustomResourceDefinition" && group_of(k.api_version) == kCrdGroup; }
bool is_namespace(const ObjectKey& k) { return k.kind == "Namespace" && group_of(k.api_version).empty(); }
bool goes_first(const ObjectKey& k) { return is_crd(k) || is_namespace(k); }
// Deletion runs backwards: what lives in a Namespace or is a CRD's
// instance goes before it.
int delete_phase(const ObjectKey& k) { return is_namespace(k) ? 2 : is_crd(k) ? 1 : 0; }

std::string string_at(const json& j, std::initializer_list<const char*> path) {
    const json* cur = &j;
    for (const char* key : path) {
        if (!cur->is_object()) return {};
        auto it = cur->find(key);
        if (it == cur->end()) return {};
        cur = &*it;
    }
    return cur->is_string() ? cur->get<std::string>() : std::string();
}

std::string duration_text(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) return cat(d.count() / 1000, "s");
    return cat(d.count(), "ms");
}

// The (group, kind) -> CRD name of every CRD in the bundle.
std::map<std::pair<std::string, std::string>, std::string> bundle_crds(const std::vector<json>& objects) {
    std::map<std::pair<std::string, std::string>, std::string> out;
    for (auto& o : objects) {
        if (string_at(o, {"kind"}) != "CustomResourceDefinition" || group_of(string_at(o, {"apiVersion"})) != kCrdGroup)
            continue;
        std::string group = string_at(o, {"spec", "group"});
        std::string kind = string_at(o, {"spec", "names", "kind"});
        std::string name = string_at(o, {"metadata", "name"});
        if (!group.empty() && !kind.empty() && !name.empty()) out[{group, kind}] = name;
    }
    return out;
}

bool labels_match(const json& pod, const std::map<std::string, std::string>& selector) {
    const json* labels = nullptr;
    if (auto m = pod.find("metadata"); m != pod.end() && m->is_object())
        if (auto l = m->find("labels"); l != m->end() && l->is_object()) labels = &*l;
    if (!labels) return false;
    for (auto& [k, v] : selector) {
        auto it = labels->find(k);
        if (it == labels->end() || !it->is_string() || it->get_ref<const std::string&>() != v) return false;
    }
    return true;
}

}  // namespace

std::string describe_not_ready(const std::vector<std::string>& objects) {
    std::string out;
    for (size_t i = 0; i < objects.size() && i < kNotReadyNamed; ++i) out += cat(i ? "; " : "", objects[i]);
    if (objects.size() > kNotReadyNamed) out += cat("; and ", objects.size() - kNotReadyNamed, " more not ready");
    return out;
}

struct KubeApplier::Located {
    Resource resource;
    ObjectKey key;  // namespace as applied: defaulted, or cleared for cluster-scoped kinds
    std::string path() const { return resource.object_path(key.ns, key.name); }
};

struct KubeApplier::Planned {
    const json* object;
    ObjectKey key;
    std::optional<Located> located;  // unset: a custom resource waiting for its CRD in this bundle
};

KubeApplier::KubeApplier(Transport& transport, KubeApplierOptions options)
    : options_(std::move(options)), api_(transport, options_.retry, options_.sleep), discovery_(api_) {
    if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    if (options_.crd_poll.count() <= 0) options_.crd_poll = std::chrono::milliseconds(1);
}

ApiResult<std::optional<KubeApplier::Located>> KubeApplier::locate(const ObjectKey& key) {
    auto resource = discovery_.resolve(key.api_version, key.kind);
    if (!resource) {
        if (resource.error().status == 404) return std::optional<Located>{};
        return std::unexpected(std::move(resource.error()));
    }
    Located out{*resource, key};
    if (!resource->namespaced)
        out.key.ns.clear();
    else if (out.key.ns.empty())
        out.key.ns = kDefaultNamespace;
    return std::optional<Located>(std::move(out));
}

Result<json> KubeApplier::wait_established(const std::string& crd_name) {
    std::string path = cat("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/", path_segment(crd_name));
    int64_t polls = std::max<int64_t>(1, options_.crd_wait.count() / options_.crd_poll.count());
    std::string why;
    for (int64_t i = 0; i < polls; ++i) {
        auto crd = api_.get(path);
        if (!crd) return fail(cat("CustomResourceDefinition ", crd_name, ": ", crd.error().describe()));
        auto reason = not_ready_reason(*crd);
        if (!reason) return std::move(*crd);
        why = *reason;
        if (i + 1 < polls) options_.sleep(options_.crd_poll);
    }
    return fail(cat("CustomResourceDefinition ", crd_name, ": ", why, " after ", duration_text(options_.crd_wait),
                    "; its custom resources were not applied"));
}

std::optional<std::string> KubeApplier::not_ready(const ObjectKey& key, const json& live) {
    auto reason = not_ready_reason(live);
    if (!reason) return std::nullopt;
    std::string out = cat(apply::describe(key), ": ", *reason);
    auto selector = pod_selector(live);
    if (selector.empty() || key.ns.empty()) return out;
    std::string expr;
    for (auto& [k, v] : selector) expr += cat(expr.empty() ? "" : ",", k, "=", v);
    // The pods are a hint; when they cannot be listed the reason stands alone.
    auto pods = api_.get(cat("/api/v1/namespaces/", path_segment(key.ns), "/pods?labelSelector=", url_escape(expr),
                             "&limit=", options_.max_pods_listed));
    if (!pods) return out;
    auto items = pods->find("items");
    if (items == pods->end() || !items->is_array()) return out;
    for (auto& pod : *items) {
        if (!labels_match(pod, selector)) continue;
        if (auto problem = pod_problem(pod)) return cat(out, "; pod ", string_at(pod, {"metadata", "name"}), ": ", *problem);
    }
    return out;
}

std::pair<apply::Inventory, std::optional<std::string>> KubeApplier::remove_objects(std::string_view bundle,
                                                                                   const apply::Inventory& doomed) {
    std::vector<ObjectKey> order(doomed.begin(), doomed.end());
    std::stable_sort(order.begin(), order.end(),
                     [](const ObjectKey& a, const ObjectKey& b) { return delete_phase(a) < delete_phase(b); });
    std::vector<ObjectKey> left;
    std::optional<std::string> first_error;
    size_t failures = 0;
    bool removed_crd = false;
    auto failed = [&](const ObjectKey& key, const ApiError& e) {
        left.push_back(key);
        if (!first_error) first_error = cat("cannot delete ", apply::describe(key), ": ", e.describe());
        ++failures;
    };
    for (auto& key : order) {
        auto loc = locate(key);
        if (!loc) {
            failed(key, loc.error());
            continue;
        }
        if (!*loc) continue;  // its kind is gone, and every object of it
        auto live = api_.get((*loc)->path());
        if (!live) {
            if (live.error().status != 404) failed(key, live.error());
            continue;
        }
        std::string owner = string_at(*live, {"metadata", "labels", kBundleLabel});
        if (owner != bundle) {
            log::info("bundle ", bundle, ": leaving ", apply::describe((*loc)->key), " in place: it is ",
                      owner.empty() ? std::string("no longer labelled ") + kBundleLabel : cat("now labelled for bundle ", owner));
            continue;
        }
        auto removed = api_.remove((*loc)->path(), string_at(*live, {"metadata", "uid"}));
        if (!removed) {
            // 409: the uid precondition failed, the object was re-created
            // since: not the one this bundle made.
            if (removed.error().status != 409) failed(key, removed.error());
            continue;
        }
        log::debug("bundle ", bundle, ": deleted ", apply::describe((*loc)->key));
        removed_crd = removed_crd || is_crd(key);
    }
    if (removed_crd) discovery_.invalidate();
    if (failures > 1) *first_error += cat(" (and ", failures - 1, " more could not be deleted)");
    return {apply::make_inventory(std::move(left)), first_error};
}

apply::ApplyResult KubeApplier::apply(std::string_view bundle, const std::vector<json>& objects,
                                      const apply::Inventory& previous) {
    apply::ApplyResult result;
    result.inventory = previous;
    auto failed = [&result](std::string message) {
        result.error = std::move(message);
        result.not_ready.reset();
        return result;
    };

    // Check and resolve everything before anything is sent.
    auto crds = bundle_crds(objects);
    std::vector<Planned> plan;
    std::set<Identity> seen;
    for (size_t i = 0; i < objects.size(); ++i) {
        auto key = apply::object_key(objects[i]);
        if (!key) return failed(cat("objects[", i, "]: ", key.error().message));
        auto loc = locate(*key);
        if (!loc) return failed(cat(apply::describe(*key), ": ", loc.error().describe()));
        if (!*loc && !crds.count({std::string(group_of(key->api_version)), key->kind}))
            return failed(cat(apply::describe(*key), ": the cluster does not serve kind ", key->kind,
                              " in apiVersion ", key->api_version));
        Planned p{&objects[i], *loc ? (*loc)->key : *key, *loc};
        if (!seen.insert(identity(p.key)).second) return failed(cat(apply::describe(p.key), " is in the bundle twice"));
        plan.push_back(std::move(p));
    }
    auto planned_keys = [&plan] {
        std::vector<ObjectKey> keys;
        for (auto& p : plan) keys.push_back(p.key);
        return apply::make_inventory(std::move(keys));
    };
    // From here on the attempt may create any of them.
    result.inventory = apply::merge(previous, planned_keys());

    std::vector<Planned*> order;
    for (auto& p : plan)
        if (p.located && goes_first(p.key)) order.push_back(&p);
    for (auto& p : plan)
        if (p.located && !goes_first(p.key)) order.push_back(&p);
    std::vector<std::pair<const Planned*, json>> applied;
    bool applied_crd = false;
    auto send = [&](Planned& p) -> Result<void> {
        json body = applied_form(*p.object, bundle, p.located->resource.namespaced);
        auto live = api_.apply(p.located->path(), body, options_.field_manager);
        if (!live) return fail(cat(apply::describe(p.key), ": ", live.error().describe()));
        log::debug("bundle ", bundle, ": applied ", apply::describe(p.key));
        applied_crd = applied_crd || is_crd(p.key);
        applied.emplace_back(&p, std::move(*live));
        return {};
    };
    for (Planned* p : order)
        if (auto sent = send(*p); !sent) return failed(sent.error().message);

    // Custom resources of this bundle's CRDs: once the CRDs serve them.
    std::set<std::string> awaited;
    for (auto& p : plan)
        if (!p.located) awaited.insert(crds.at({std::string(group_of(p.key.api_version)), p.key.kind}));
    for (auto& crd : awaited) {
        auto established = wait_established(crd);
        if (!established) return failed(established.error().message);
        // Readiness below judges the CRD as it is now, not as applied.
        for (auto& [p, live] : applied)
            if (is_crd(p->key) && p->key.name == crd) live = *established;
    }
    if (applied_crd) discovery_.invalidate();
    for (auto& p : plan) {
        if (p.located) continue;
        auto loc = locate(p.key);
        if (!loc) return failed(cat(apply::describe(p.key), ": ", loc.error().describe()));
        if (!*loc)
            return failed(cat(apply::describe(p.key), ": the cluster does not serve kind ", p.key.kind,
                              " in apiVersion ", p.key.api_version, " although its CustomResourceDefinition is Established"));
        p.located = *loc;
        p.key = (*loc)->key;
        result.inventory = apply::merge(result.inventory, {p.key});
        if (auto sent = send(p); !sent) return failed(sent.error().message);
    }

    // Prune what left the bundle.
    std::set<Identity> wanted;
    for (auto& p : plan) wanted.insert(identity(p.key));
    std::vector<ObjectKey> doomed;
    for (auto& old : previous) {
        auto loc = locate(old);
        if (!loc) return failed(cat("cannot check ", apply::describe(old), ": ", loc.error().describe()));
        if (!*loc) continue;  // its kind is no longer served: nothing of it exists
        if (!wanted.count(identity((*loc)->key))) doomed.push_back(old);
    }
    apply::Inventory next = planned_keys();
    auto [left, error] = remove_objects(bundle, apply::make_inventory(std::move(doomed)));
    if (error) {
        result.inventory = apply::merge(next, left);
        return failed(*error);
    }
    result.inventory = std::move(next);

    std::vector<std::string> waiting;
    for (auto& [p, live] : applied)
        if (auto why = not_ready(p->key, live)) waiting.push_back(*why);
    if (!waiting.empty()) result.not_ready = describe_not_ready(waiting);
    return result;
}

Result<void> KubeApplier::prune(std::string_view bundle, const apply::Inventory& inventory) {
    auto [left, error] = remove_objects(bundle, inventory);
    if (error) return fail(*error);
    return {};
}

Result<std::vector<apply::Difference>> KubeApplier::drift(std::string_view bundle, const apply::Inventory&,
                                                          const std::vector<json>& objects) {
    std::vector<apply::Difference> out;
    for (auto& object : objects) {
        auto key = apply::object_key(object);
        if (!key) return fail(key.error().message);
        auto loc = locate(*key);
        if (!loc) return fail(cat(apply::describe(*key), ": ", loc.error().describe()));
        if (!*loc) {
            out.push_back({*key, "missing"});
            continue;
        }
        auto live = api_.get((*loc)->path());
        if (!live) {
            if (live.error().status != 404) return fail(cat(apply::describe((*loc)->key), ": ", live.error().describe()));
            out.push_back({(*loc)->key, "missing"});
            continue;
        }
        auto fields = drifted_fields(applied_form(object, bundle, (*loc)->resource.namespaced), *live);
        if (fields.empty()) continue;
        std::string what = "differs: ";
        for (size_t i = 0; i < fields.size() && i < kDriftFieldsNamed; ++i) what += cat(i ? ", " : "", fields[i]);
        if (fields.size() > kDriftFieldsNamed) what += cat(" and ", fields.size() - kDriftFieldsNamed, " more");
        out.push_back({(*loc)->key, what});
    }
    return out;
}

Result<std::optional<std::string>> KubeApplier::readiness(std::string_view, const apply::Inventory& inventory) {
    std::vector<std::string> waiting;
    for (auto& key : inventory) {
        auto loc = locate(key);
        if (!loc) return fail(cat(apply::describe(key), ": ", loc.error().describe()));
        if (!*loc) {
            waiting.push_back(cat(apply::describe(key), ": missing (the cluster does not serve its kind)"));
            continue;
        }
        auto live = api_.get((*loc)->path());
        if (!live) {
            if (live.error().status != 404) return fail(cat(apply::describe((*loc)->key), ": ", live.error().describe()));
            waiting.push_back(cat(apply::describe((*loc)->key), ": missing"));
            continue;
        }
        if (auto why = not_ready((*loc)->key, *live)) waiting.push_back(*why);
    }
    if (waiting.empty()) return std::optional<std::string>{};
    return std::optional<std::string>(describe_not_ready(waiting));
}

}  // namespace drover::kube
