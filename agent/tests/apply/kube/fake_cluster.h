#pragma once
// An in-memory stand-in for the Kubernetes API, at the Transport seam, for
// unit tests of the kube applier: discovery for a list of kinds (CRDs add
// theirs when applied), GET, LIST with labelSelector k=v,..., server-side
// apply approximated as a JSON merge of the applied object into the live
// one, DELETE with a uid precondition, and scripted faults. Every request
// is logged as "METHOD PATH?QUERY". It is not a Kubernetes: the
// kube-testserver integration tests cover real apply semantics.
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/apply/kube/transport.h"
#include "common/text.h"

namespace drover::testing {

class FakeCluster final : public kube::Transport {
public:
    struct Kind {
        std::string api_version, kind, plural;
        bool namespaced;
    };
    struct Fault {
        std::string method;       // "" any
        std::string path_prefix;  // "" any
        long status = 500;        // 0: a transport error
        bool transient_transport = true;
        std::string message = "injected";
        std::string retry_after;
        int times = 1;  // -1: forever
    };
    struct Request {
        std::string method, path, query, content_type, body;
    };

    std::vector<Kind> kinds = {
        {"v1", "Namespace", "namespaces", false},
        {"v1", "ConfigMap", "configmaps", true},
        {"v1", "Secret", "secrets", true},
        {"v1", "Service", "services", true},
        {"v1", "Pod", "pods", true},
        {"apps/v1", "Deployment", "deployments", true},
        {"batch/v1", "Job", "jobs", true},
        {"rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", false},
        {"apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", false},
    };
    std::map<std::string, nlohmann::json> objects;  // by object path
    std::vector<Request> requests;
    std::deque<Fault> faults;
    int crd_established_after_gets = 0;  // GETs of a new CRD before it reports Established
    bool crds_never_establish = false;
    std::function<void(nlohmann::json&)> on_apply;  // sets status, say
    int next_uid = 1;

    std::vector<std::string> log(const std::string& method = "") const {
        std::vector<std::string> out;
        for (auto& r : requests)
            if (method.empty() || r.method == method)
                out.push_back(cat(r.method, " ", r.path, r.query.empty() ? "" : "?", r.query));
        return out;
    }
    std::vector<std::string> paths(const std::string& method) const {
        std::vector<std::string> out;
        for (auto& r : requests)
            if (r.method == method) out.push_back(r.path);
        return out;
    }

    std::expected<kube::HttpResponse, kube::TransportError> send(const kube::HttpRequest& request) override {
        Request r{request.method, request.path, "", request.content_type, request.body};
        if (auto q = r.path.find('?'); q != std::string::npos) {
            r.query = r.path.substr(q + 1);
            r.path.resize(q);
        }
        requests.push_back(r);
        for (auto it = faults.begin(); it != faults.end(); ++it) {
            if (!it->method.empty() && it->method != r.method) continue;
            if (!starts_with(r.path, it->path_prefix)) continue;
            Fault f = *it;
            if (it->times > 0 && --it->times == 0) faults.erase(it);
            if (f.status == 0) return std::unexpected(kube::TransportError{f.message, f.transient_transport});
            auto response = status(f.status, "Injected", f.message);
            response.retry_after = f.retry_after;
            return response;
        }
        return handle(r);
    }

    static kube::HttpResponse status(long code, const std::string& reason, const std::string& message) {
        nlohmann::json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
                            {"message", message}, {"reason", reason}, {"code", code}};
        return {code, s.dump(), ""};
    }

    // "/api/v1/namespaces/web/configmaps/a" -> the live object, or null.
    nlohmann::json* find(const std::string& path) {
        auto it = objects.find(path);
        return it == objects.end() ? nullptr : &it->second;
    }

private:
    std::map<std::string, int> crd_gets_;

    struct Route {
        const Kind* kind = nullptr;
        std::string ns, name;
    };

    static std::string prefix_of(const std::string& api_version) {
        return api_version.find('/') == std::string::npos ? "/api/" + api_version : "/apis/" + api_version;
    }

    // Splits a resource path; nullptr kind when it names no known resource.
    Route route(const std::string& path) const {
        for (auto& k : kinds) {
            std::string base = prefix_of(k.api_version);
            if (!starts_with(path, base + "/")) continue;
            auto parts = split(path.substr(base.size() + 1), '/');
            Route out;
            size_t i = 0;
            if (parts.size() >= 2 && parts[0] == "namespaces" && k.namespaced && parts.size() >= 3 &&
                parts[2] == k.plural) {
                out.ns = parts[1];
                i = 2;
            }
            if (i >= parts.size() || parts[i] != k.plural || parts.size() > i + 2) continue;
            if (i + 1 < parts.size()) out.name = parts[i + 1];
            out.kind = &k;
            return out;
        }
        return {};
    }

    kube::HttpResponse discovery(const std::string& path) {
        nlohmann::json list = {{"kind", "APIResourceList"}, {"resources", nlohmann::json::array()}};
        bool any = false;
        for (auto& k : kinds) {
            if (prefix_of(k.api_version) != path) continue;
            any = true;
            list["groupVersion"] = k.api_version;
            list["resources"].push_back({{"name", k.plural}, {"kind", k.kind}, {"namespaced", k.namespaced}});
            list["resources"].push_back({{"name", k.plural + "/status"}, {"kind", k.kind}, {"namespaced", k.namespaced}});
        }
        if (!any) return status(404, "NotFound", "the server could not find the requested resource");
        return {200, list.dump(), ""};
    }

    static void merge(nlohmann::json& live, const nlohmann::json& applied) {
        if (!applied.is_object() || !live.is_object()) {
            live = applied;
            return;
        }
        for (auto& [k, v] : applied.items()) {
            if (v.is_object() && live.contains(k) && live[k].is_object())
                merge(live[k], v);
            else
                live[k] = v;
        }
    }

    void establish(nlohmann::json& crd) {
        crd["status"]["conditions"] = {{{"type", "Established"}, {"status", "True"}}};
    }

    kube::HttpResponse handle(const Request& r) {
        if (r.method == "GET" && (r.path == "/api/v1" || starts_with(r.path, "/apis/")) &&
            split(r.path, '/').size() <= 4 && !route(r.path).kind)
            return discovery(r.path);
        Route rt = route(r.path);
        if (!rt.kind) return status(404, "NotFound", "the server could not find the requested resource");
        if (r.method == "GET" && rt.name.empty()) return list(rt, r.query);
        auto* live = find(r.path);
        std::string what = cat(rt.kind->plural, " \"", rt.name, "\"");
        if (r.method == "GET") {
            if (!live) return status(404, "NotFound", what + " not found");
            if (rt.kind->kind == "CustomResourceDefinition" && !crds_never_establish &&
                ++crd_gets_[r.path] > crd_established_after_gets)
                establish(*live);
            return {200, live->dump(), ""};
        }
        if (r.method == "DELETE") {
            if (!live) return status(404, "NotFound", what + " not found");
            auto options = nlohmann::json::parse(r.body, nullptr, false);
            if (options.is_object() && options.contains("preconditions") &&
                options["preconditions"].value("uid", "") != (*live)["metadata"].value("uid", ""))
                return status(409, "Conflict", "Precondition failed: UID mismatch");
            objects.erase(r.path);
            return {200, R"({"kind":"Status","status":"Success"})", ""};
        }
        if (r.method == "PATCH") {
            auto body = nlohmann::json::parse(r.body, nullptr, false);
            if (!body.is_object()) return status(400, "BadRequest", "bad body");
            bool created = !live;
            nlohmann::json& obj = objects[r.path];
            if (created) {
                obj = nlohmann::json::object();
                obj["metadata"]["uid"] = cat("uid-", next_uid++);
                obj["metadata"]["generation"] = 0;
            }
            nlohmann::json before = obj;
            merge(obj, body);
            if (created || before.value("spec", nlohmann::json()) != obj.value("spec", nlohmann::json()))
                obj["metadata"]["generation"] = obj["metadata"].value("generation", 0) + 1;
            if (rt.kind->kind == "CustomResourceDefinition") add_crd_kind(obj);
            if (on_apply) on_apply(obj);
            return {200, obj.dump(), ""};
        }
        return status(405, "MethodNotAllowed", "no");
    }

    void add_crd_kind(const nlohmann::json& crd) {
        auto spec = crd.value("spec", nlohmann::json::object());
        std::string group = spec.value("group", "");
        std::string version = spec.contains("versions") ? spec["versions"][0].value("name", "v1") : "v1";
        std::string kind = spec["names"].value("kind", "");
        std::string plural = spec["names"].value("plural", "");
        for (auto& k : kinds)
            if (k.kind == kind && k.api_version == group + "/" + version) return;
        kinds.push_back({group + "/" + version, kind, plural, spec.value("scope", "Namespaced") == "Namespaced"});
    }

    kube::HttpResponse list(const Route& rt, const std::string& query) {
        std::map<std::string, std::string> selector;
        for (auto& param : split(query, '&')) {
            if (!starts_with(param, "labelSelector=")) continue;
            std::string expr = param.substr(14);
            for (size_t p; (p = expr.find("%3D")) != std::string::npos;) expr.replace(p, 3, "=");
            for (size_t p; (p = expr.find("%2C")) != std::string::npos;) expr.replace(p, 3, ",");
            for (auto& term : split(expr, ',')) {
                auto eq = term.find('=');
                if (eq != std::string::npos) selector[term.substr(0, eq)] = term.substr(eq + 1);
            }
        }
        nlohmann::json items = nlohmann::json::array();
        for (auto& [path, obj] : objects) {
            Route other = route(path);
            if (other.kind != rt.kind || (!rt.ns.empty() && other.ns != rt.ns)) continue;
            nlohmann::json labels = nlohmann::json::object();
            if (obj.contains("metadata") && obj["metadata"].contains("labels")) labels = obj["metadata"]["labels"];
            bool match = true;
            for (auto& [k, v] : selector) match = match && labels.value(k, "") == v;
            if (match) items.push_back(obj);
        }
        return {200, nlohmann::json{{"kind", rt.kind->kind + "List"}, {"items", items}}.dump(), ""};
    }
};

}  // namespace drover::testing
