// Seeded corruptions of valid requests: whatever arrives is answered with a
// status, never an exception or an internal error.
#include <doctest/doctest.h>

#include <random>

#include "tools/kube-testserver/api_server.h"

using namespace drover::kts;

namespace {

const char* const kSeeds[] = {
    R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "labels": {"a": "b"},
        "finalizers": ["x"], "ownerReferences": [{"uid": "u", "name": "o", "kind": "K", "apiVersion": "v1"}]},
        "data": {"k": "v"}})",
    R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "d"}},
                 "template": {"metadata": {"labels": {"app": "d"}},
                              "spec": {"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}],
                                                       "env": [{"name": "E", "value": "1"}]}]}}},
        "status": {"readyReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]}})",
    R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}], "selector": {"a": "b"}}})",
    R"({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec"}, "data": {"a": "YQ=="},
        "stringData": {"b": "c"}})",
    R"({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object"}}, "subresources": {"status": {}}}]}})",
};

// kTargets[i] is where kSeeds[i] belongs; the rest are other places.
const char* const kTargets[] = {
    "/api/v1/namespaces/default/configmaps/cm",
    "/apis/apps/v1/namespaces/default/deployments/d",
    "/api/v1/namespaces/default/services/s",
    "/api/v1/namespaces/default/secrets/sec",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
    "/apis/apps/v1/namespaces/default/deployments/d/status",
    "/apis/example.com/v1/namespaces/default/widgets/w",
};

json random_value(std::mt19937& rng) {
    switch (rng() % 7) {
        case 0: return nullptr;
        case 1: return static_cast<int>(rng() % 100) - 50;
        case 2: return "s" + std::to_string(rng() % 3);
        case 3: return rng() % 2 == 0;
        case 4: return json::array({random_value(rng)});
        case 5: return json::object({{"k", random_value(rng)}});
        default: return 1.5;
    }
}

// Replaces, removes or retypes one node of the document at random.
void corrupt(json& node, std::mt19937& rng, int depth = 0) {
    if (!node.is_structured() || node.empty() || (depth > 0 && rng() % 4 == 0)) {
        node = random_value(rng);
        return;
    }
    if (node.is_object()) {
        auto it = node.begin();
        std::advance(it, static_cast<long>(rng() % node.size()));
        if (rng() % 6 == 0) {
            node.erase(it.key());
            return;
        }
        corrupt(*it, rng, depth + 1);
    } else {
        corrupt(node[rng() % node.size()], rng, depth + 1);
    }
}

}  // namespace

TEST_CASE("corrupted objects through every verb get a Status answer, never an internal error") {
    Cluster cluster;
    ApiServer api(cluster, "t");
    std::mt19937 rng(20261121);
    const char* const patch_types[] = {"application/apply-patch+yaml", "application/merge-patch+json",
                                       "application/strategic-merge-patch+json", "application/json-patch+json"};
    auto call = [&](const std::string& method, const std::string& target, const std::string& body,
                    const std::string& content_type) {
        HttpRequest r;
        r.method = method;
        r.path = target;
        r.query = {{"fieldManager", rng() % 2 == 0 ? "a" : "b"}, {"force", rng() % 2 == 0 ? "true" : "false"}};
        if (method != "PATCH" || content_type != patch_types[0]) r.query.erase("force");
        r.headers["authorization"] = "Bearer t";
        r.headers["content-type"] = content_type;
        r.body = body;
        HttpResponse response;
        CHECK_NOTHROW(response = api.handle(r, Peer{}));
        CHECK_MESSAGE(response.status < 500, method, " ", target, " ", body, " -> ", response.body);
    };
    for (int i = 0; i < 3000; ++i) {
        size_t seed = rng() % std::size(kSeeds);
        json doc = json::parse(kSeeds[seed]);
        int corruptions = static_cast<int>(rng() % 3);
        for (int c = 0; c < corruptions; ++c) corrupt(doc, rng);
        std::string target = kTargets[rng() % 5 == 0 ? rng() % std::size(kTargets) : seed];
        std::string collection = target.substr(0, target.rfind('/'));
        switch (rng() % 4) {
            case 0: call("PATCH", target, doc.dump(), patch_types[0]); break;
            case 1: call("PATCH", target, doc.dump(), patch_types[1 + rng() % 2]); break;
            case 2: call("PUT", target, doc.dump(), "application/json"); break;
            default: call("POST", collection, doc.dump(), "application/json"); break;
        }
        if (rng() % 10 == 0)
            call("PATCH", target, json::array({{{"op", "add"}, {"path", "/x"}, {"value", doc}}}).dump(),
                 patch_types[3]);
        if (rng() % 20 == 0) call("DELETE", target, "", "");
    }
}
