#include "agent/apply/kube/readiness.h"

#include <initializer_list>

#include "common/text.h"

namespace drover::kube {

using nlohmann::json;

namespace {

constexpr size_t kMaxDetail = 160;

const json* at(const json& j, std::initializer_list<const char*> path) {
    const json* cur = &j;
    for (const char* key : path) {
        if (!cur->is_object()) return nullptr;
        auto it = cur->find(key);
        if (it == cur->end()) return nullptr;
        cur = &*it;
    }
    return cur;
}

std::string text(const json& j, std::initializer_list<const char*> path) {
    const json* v = at(j, path);
    return v && v->is_string() ? v->get<std::string>() : std::string();
}

int64_t number(const json& j, std::initializer_list<const char*> path, int64_t fallback) {
    const json* v = at(j, path);
    return v && v->is_number_integer() ? v->get<int64_t>() : fallback;
}

bool has(const json& j, std::initializer_list<const char*> path) { return at(j, path) != nullptr; }

std::string detail(std::string_view s) {
    std::string out = utf8_prefix(trim(s), kMaxDetail);
    for (char& c : out)
        if (c == '\n' || c == '\r') c = ' ';
    return out;
}

struct Condition {
    std::string status, reason, message;
};

std::optional<Condition> condition(const json& live, std::string_view type) {
    const json* list = at(live, {"status", "conditions"});
    if (!list || !list->is_array()) return std::nullopt;
    for (auto& c : *list)
        if (c.is_object() && text(c, {"type"}) == type)
            return Condition{text(c, {"status"}), text(c, {"reason"}), text(c, {"message"})};
    return std::nullopt;
}

bool condition_true(const json& live, std::string_view type) {
    auto c = condition(live, type);
    return c && c->status == "True";
}

// "reason: message", or whichever of them exists.
std::string reason_message(const Condition& c) {
    if (c.reason.empty()) return detail(c.message);
    if (c.message.empty()) return c.reason;
    return cat(c.reason, ": ", detail(c.message));
}

// A workload controller reports on the generation it has seen.
std::optional<std::string> unobserved(const json& live) {
    if (!has(live, {"status", "observedGeneration"})) return "not yet seen by its controller";
    int64_t generation = number(live, {"metadata", "generation"}, 0);
    int64_t observed = number(live, {"status", "observedGeneration"}, 0);
    if (observed < generation) return cat("waiting for its controller to see generation ", generation);
    return std::nullopt;
}

std::optional<std::string> join(const std::vector<std::string>& parts) {
    if (parts.empty()) return std::nullopt;
    std::string out;
    for (auto& p : parts) out += cat(out.empty() ? "" : ", ", p);
    return out;
}

std::optional<std::string> deployment(const json& live) {
    if (auto u = unobserved(live)) return u;
    int64_t want = number(live, {"spec", "replicas"}, 1);
    if (auto progressing = condition(live, "Progressing");
        progressing && progressing->reason == "ProgressDeadlineExceeded")
        return cat("rollout stuck: ", reason_message(*progressing));
    int64_t updated = number(live, {"status", "updatedReplicas"}, 0);
    int64_t available = number(live, {"status", "availableReplicas"}, 0);
    int64_t total = number(live, {"status", "replicas"}, 0);
    std::vector<std::string> parts;
    if (updated < want) parts.push_back(cat(updated, "/", want, " updated"));
    if (available < want) parts.push_back(cat(available, "/", want, " available"));
    if (parts.empty() && total > updated) parts.push_back(cat(total - updated, " old replicas still running"));
    return join(parts);
}

std::optional<std::string> stateful_set(const json& live) {
    if (auto u = unobserved(live)) return u;
    int64_t want = number(live, {"spec", "replicas"}, 1);
    std::vector<std::string> parts;
    if (text(live, {"spec", "updateStrategy", "type"}) != "OnDelete") {
        int64_t partition = number(live, {"spec", "updateStrategy", "rollingUpdate", "partition"}, 0);
        int64_t want_updated = want > partition ? want - partition : 0;
        int64_t updated = number(live, {"status", "updatedReplicas"}, 0);
        if (updated < want_updated) parts.push_back(cat(updated, "/", want_updated, " updated"));
    }
    int64_t ready = number(live, {"status", "readyReplicas"}, 0);
    if (ready < want) parts.push_back(cat(ready, "/", want, " ready"));
    return join(parts);
}

std::optional<std::string> daemon_set(const json& live) {
    if (auto u = unobserved(live)) return u;
    int64_t want = number(live, {"status", "desiredNumberScheduled"}, 0);
    std::vector<std::string> parts;
    int64_t updated = number(live, {"status", "updatedNumberScheduled"}, 0);
    int64_t available = number(live, {"status", "numberAvailable"}, 0);
    if (updated < want) parts.push_back(cat(updated, "/", want, " updated"));
    if (available < want) parts.push_back(cat(available, "/", want, " available"));
    return join(parts);
}

std::optional<std::string> replica_set(const json& live) {
    if (auto u = unobserved(live)) return u;
    int64_t want = number(live, {"spec", "replicas"}, 1);
    int64_t available = number(live, {"status", "availableReplicas"}, 0);
    if (available < want) return cat(available, "/", want, " available");
    return std::nullopt;
}

std::optional<std::string> job(const json& live) {
    if (condition_true(live, "Complete")) return std::nullopt;
    if (auto failed = condition(live, "Failed"); failed && failed->status == "True")
        return cat("failed: ", reason_message(*failed));
    if (const json* s = at(live, {"spec", "suspend"}); s && s->is_boolean() && s->get<bool>()) return "suspended";
    int64_t completions = number(live, {"spec", "completions"}, 1);
    return cat("running: ", number(live, {"status", "active"}, 0), " active, ",
               number(live, {"status", "succeeded"}, 0), "/", completions, " succeeded");
}

std::optional<std::string> pod(const json& live) {
    std::string phase = text(live, {"status", "phase"});
    if (phase == "Succeeded") return std::nullopt;
    if (phase == "Failed") {
        std::string reason = text(live, {"status", "reason"});
        return reason.empty() ? std::string("failed") : cat("failed: ", reason);
    }
    if (condition_true(live, "Ready")) return std::nullopt;
    if (auto problem = pod_problem(live)) return problem;
    return phase.empty() ? std::string("not ready") : cat("phase ", phase);
}

std::optional<std::string> claim(const json& live) {
    std::string phase = text(live, {"status", "phase"});
    if (phase == "Bound") return std::nullopt;
    return phase.empty() ? std::string("not bound yet") : cat("phase ", phase);
}

std::optional<std::string> service(const json& live) {
    if (text(live, {"spec", "type"}) != "LoadBalancer") return std::nullopt;
    const json* ingress = at(live, {"status", "loadBalancer", "ingress"});
    if (ingress && ingress->is_array() && !ingress->empty()) return std::nullopt;
    return "waiting for a load balancer address";
}

std::optional<std::string> crd(const json& live) {
    if (condition_true(live, "Established")) return std::nullopt;
    if (auto names = condition(live, "NamesAccepted"); names && names->status == "False")
        return cat("names not accepted: ", reason_message(*names));
    return "not established yet";
}

std::optional<std::string> namespace_object(const json& live) {
    if (text(live, {"status", "phase"}) == "Terminating") return "terminating";
    return std::nullopt;
}

std::optional<std::string> ready_condition(const json& live) {
    auto ready = condition(live, "Ready");
    if (!ready || ready->status == "True") return std::nullopt;
    std::string why = reason_message(*ready);
    return why.empty() ? cat("Ready=", ready->status) : cat("Ready=", ready->status, ": ", why);
}

bool is_workload(std::string_view kind) {
    return kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet" ||
           kind == "Job";
}

}  // namespace

std::optional<std::string> not_ready_reason(const json& live) {
    if (!live.is_object()) return "not an object";
    if (has(live, {"metadata", "deletionTimestamp"})) return "being deleted";
    std::string kind = text(live, {"kind"});
    std::string group(text(live, {"apiVersion"}));
    group = group.substr(0, group.find('/') == std::string::npos ? 0 : group.find('/'));
    if (group == "apps" && kind == "Deployment") return deployment(live);
    if (group == "apps" && kind == "StatefulSet") return stateful_set(live);
    if (group == "apps" && kind == "DaemonSet") return daemon_set(live);
    if (group == "apps" && kind == "ReplicaSet") return replica_set(live);
    if (group == "batch" && kind == "Job") return job(live);
    if (group.empty() && kind == "Pod") return pod(live);
    if (group.empty() && kind == "PersistentVolumeClaim") return claim(live);
    if (group.empty() && kind == "Service") return service(live);
    if (group.empty() && kind == "Namespace") return namespace_object(live);
    if (group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition") return crd(live);
    return ready_condition(live);
}

std::optional<std::string> pod_problem(const json& p) {
    if (!p.is_object() || has(p, {"metadata", "deletionTimestamp"})) return std::nullopt;
    for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
        const json* statuses = at(p, {"status", list});
        if (!statuses || !statuses->is_array()) continue;
        for (auto& c : *statuses) {
            std::string reason = text(c, {"state", "waiting", "reason"});
            if (!reason.empty() && reason != "ContainerCreating" && reason != "PodInitializing") {
                std::string message = text(c, {"state", "waiting", "message"});
                // The BackOff reasons say it all; others need their message
                // ("secret \"db\" not found").
                if (message.empty() || reason.ends_with("BackOff")) return reason;
                return cat(reason, ": ", detail(message));
            }
            if (const json* exit = at(c, {"state", "terminated", "exitCode"});
                exit && exit->is_number_integer() && exit->get<int64_t>() != 0 &&
                text(p, {"status", "phase"}) != "Succeeded")
                return cat("container ", text(c, {"name"}), " exited with code ", exit->get<int64_t>());
        }
    }
    if (auto scheduled = condition(p, "PodScheduled"); scheduled && scheduled->status == "False")
        return reason_message(*scheduled);
    if (text(p, {"status", "phase"}) == "Failed") {
        std::string reason = text(p, {"status", "reason"});
        return reason.empty() ? std::string("failed") : cat("failed: ", reason);
    }
    return std::nullopt;
}

std::map<std::string, std::string> pod_selector(const json& live) {
    std::map<std::string, std::string> out;
    if (!is_workload(text(live, {"kind"}))) return out;
    const json* labels = at(live, {"spec", "selector", "matchLabels"});
    if (!labels || !labels->is_object()) return out;
    for (auto& [k, v] : labels->items())
        if (v.is_string()) out[k] = v.get<std::string>();
    return out;
}

}  // namespace drover::kube
