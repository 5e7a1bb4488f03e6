#include <doctest/doctest.h>

#include "tools/kube-testserver/api_server.h"

using namespace drover::kts;

namespace {

struct Server {
    Cluster cluster;
    ApiServer api{cluster, "secret-token"};

    HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                      const std::string& content_type = "", bool auth = true) {
        HttpRequest r;
        r.method = method;
        r.target = target;
        size_t q = target.find('?');
        r.path = target.substr(0, q);
        if (q != std::string::npos) {
            r.query_string = target.substr(q + 1);
            r.query = parse_query(r.query_string);
        }
        if (auth) r.headers["authorization"] = "Bearer secret-token";
        if (!content_type.empty()) r.headers["content-type"] = content_type;
        r.headers["user-agent"] = "unit-test/1.0";
        r.body = body;
        return api.handle(r, Peer{});
    }
    json body(const HttpResponse& r) { return json::parse(r.body); }
};

const char* kConfigMap = R"({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "1"}})";

}  // namespace

TEST_CASE("requests without valid credentials get 401 with a Status body; health and version are open") {
    Server s;
    HttpResponse denied = s.call("GET", "/api/v1/namespaces", "", "", false);
    CHECK(denied.status == 401);
    CHECK(s.body(denied)["reason"] == "Unauthorized");
    CHECK(s.body(denied)["kind"] == "Status");
    HttpRequest wrong;
    wrong.method = "GET";
    wrong.path = "/api";
    wrong.headers["authorization"] = "Bearer secret-tokeN";
    CHECK(s.api.handle(wrong, Peer{}).status == 401);
    CHECK(s.api.handle(wrong, Peer{"kube-testserver-admin"}).status == 200);  // a verified client certificate
    CHECK(s.call("GET", "/healthz", "", "", false).body == "ok");
    CHECK(s.body(s.call("GET", "/version", "", "", false))["major"] == "1");
    CHECK(s.call("GET", "/testserver/requests", "", "", false).status == 401);
}

TEST_CASE("discovery documents have Kubernetes' shapes") {
    Server s;
    json api = s.body(s.call("GET", "/api"));
    CHECK(api["kind"] == "APIVersions");
    CHECK(api["versions"] == json::array({"v1"}));
    json v1 = s.body(s.call("GET", "/api/v1"));
    CHECK(v1["kind"] == "APIResourceList");
    CHECK(v1["groupVersion"] == "v1");
    bool has_cm = false, has_status = false;
    for (const auto& r : v1["resources"]) {
        if (r["name"] == "configmaps") has_cm = r["namespaced"] == true && r["kind"] == "ConfigMap";
        if (r["name"] == "pods/status") has_status = true;
    }
    CHECK(has_cm);
    CHECK(has_status);
    json groups = s.body(s.call("GET", "/apis"));
    CHECK(groups["kind"] == "APIGroupList");
    CHECK(s.body(s.call("GET", "/apis/apps"))["preferredVersion"]["groupVersion"] == "apps/v1");
    CHECK(s.call("GET", "/apis/nope.example.com/v1").status == 404);
    CHECK(s.call("GET", "/openapi/v3").status == 404);
    CHECK(s.call("GET", "/openapi/v2").status == 200);
}

TEST_CASE("unknown kinds and namespaced kinds on cluster paths are 404 the server could not find") {
    Server s;
    for (const char* target :
         {"/apis/example.com/v1/namespaces/default/widgets/w", "/api/v1/configmaps/x",
          "/api/v1/namespaces/default/namespaces/x", "/api/v1/namespaces/default/configmaps/x/scale",
          "/api/v1/namespaces/default/configmaps/x/status"}) {
        HttpResponse r = s.call("GET", target);
        CHECK_MESSAGE(r.status == 404, target);
        CHECK_MESSAGE(s.body(r)["message"] == "the server could not find the requested resource", target);
    }
}

TEST_CASE("the verbs map to HTTP methods, content types pick the patch kind") {
    Server s;
    const std::string base = "/api/v1/namespaces/default/configmaps";
    HttpResponse created = s.call("POST", base, kConfigMap, "application/json");
    CHECK(created.status == 201);
    CHECK(created.headers["Content-Type"] == "application/json");
    CHECK(s.body(s.call("GET", base + "/x"))["data"]["a"] == "1");
    CHECK(
        s.call("PATCH", base + "/x", R"({"data": {"a": "2"}})", "application/merge-patch+json; charset=utf-8").status ==
        200);
    CHECK(s.call("PATCH", base + "/x?fieldManager=t", kConfigMap, "application/apply-patch+yaml").status == 409);
    CHECK(s.call("PATCH", base + "/x?fieldManager=t&force=true", kConfigMap, "application/apply-patch+yaml").status ==
          200);
    HttpResponse bad_type = s.call("PATCH", base + "/x", "{}", "text/plain");
    CHECK(bad_type.status == 415);
    CHECK(s.body(bad_type)["reason"] == "UnsupportedMediaType");
    CHECK(s.call("PATCH", base + "/x?force=maybe&fieldManager=t", kConfigMap, "application/apply-patch+yaml").status ==
          400);
    CHECK(s.call("POST", base + "/x", kConfigMap, "application/json").status == 405);
    CHECK(s.call("POST", "/api/v1/configmaps", kConfigMap, "application/json").status == 405);
    CHECK(s.body(s.call("GET", "/api/v1/configmaps?labelSelector=x%3Dy"))["items"] == json::array());
    CHECK(s.call("DELETE", base + "/x", R"({"propagationPolicy": "Sideways"})").status == 422);
    CHECK(s.call("DELETE", base + "/x", R"({"propagationPolicy": "Foreground"})").status == 200);
    CHECK(s.call("GET", base + "/x").status == 404);
}

TEST_CASE("injected faults answer matching requests a given number of times, then stop") {
    Server s;
    HttpResponse added = s.call(
        "POST",
        "/testserver/faults?path=/api/v1/namespaces/default/configmaps&method=patch&code=503&times=2&retry_after=1");
    CHECK(added.status == 200);
    const std::string target = "/api/v1/namespaces/default/configmaps/x?fieldManager=t";
    CHECK(s.call("GET", "/api/v1/namespaces/default/configmaps/x").status == 404);  // other method
    HttpResponse first = s.call("PATCH", target, kConfigMap, "application/apply-patch+yaml");
    CHECK(first.status == 503);
    CHECK(first.headers["Retry-After"] == "1");
    CHECK(s.body(first)["reason"] == "ServiceUnavailable");
    CHECK(s.call("PATCH", target, kConfigMap, "application/apply-patch+yaml").status == 503);
    CHECK(s.call("PATCH", target, kConfigMap, "application/apply-patch+yaml").status == 201);
    CHECK(s.body(s.call("GET", "/testserver/faults"))["faults"] == json::array());

    s.call("POST", "/testserver/faults?path=/api&drop=true");
    CHECK(s.call("GET", "/api/v1").drop_connection);
    CHECK(s.call("POST", "/testserver/faults?code=200").status == 400);
    CHECK(s.call("POST", "/testserver/faults?bogus=1&code=500").status == 400);
    CHECK(s.call("POST", "/testserver/faults").status == 400);
}

TEST_CASE("the request log shows what clients sent, including injected answers") {
    Server s;
    s.call("POST", "/testserver/faults?path=/api/v1/namespaces/default/configmaps/x&code=500");
    s.call("PATCH", "/api/v1/namespaces/default/configmaps/x?fieldManager=drover&force=true", kConfigMap,
           "application/apply-patch+yaml");
    s.call("PATCH", "/api/v1/namespaces/default/configmaps/x?fieldManager=drover&force=true", kConfigMap,
           "application/apply-patch+yaml");
    json log = s.body(s.call("GET", "/testserver/requests"))["requests"];
    REQUIRE(log.size() == 2);
    CHECK(log[0]["code"] == 500);
    CHECK(log[0]["injected"] == true);
    CHECK(log[1]["code"] == 201);
    CHECK(log[1]["query"] == "fieldManager=drover&force=true");
    CHECK(log[1]["contentType"] == "application/apply-patch+yaml");
    CHECK(s.call("DELETE", "/testserver/requests").status == 200);
    CHECK(s.body(s.call("GET", "/testserver/requests"))["requests"] == json::array());
}

TEST_CASE("CRD establishment can be switched to manual and triggered by a test") {
    Server s;
    CHECK(s.call("POST", "/testserver/crd-establishment?mode=manual").status == 200);
    const char* crd = R"({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Widget", "plural": "widgets"},
                 "versions": [{"name": "v1", "served": true, "storage": true,
                               "schema": {"openAPIV3Schema": {"type": "object"}}}]}})";
    CHECK(s.call("PATCH", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com?fieldManager=t",
                 crd, "application/apply-patch+yaml")
              .status == 201);
    CHECK(s.call("GET", "/apis/example.com/v1/namespaces/default/widgets").status == 404);
    CHECK(s.call("POST", "/testserver/crds/widgets.example.com/establish").status == 200);
    CHECK(s.call("GET", "/apis/example.com/v1/namespaces/default/widgets").status == 200);
    HttpResponse smp = s.call("PATCH", "/apis/example.com/v1/namespaces/default/widgets/w", "{}",
                              "application/strategic-merge-patch+json");
    CHECK(smp.status == 415);
    CHECK(s.call("POST", "/testserver/crd-establishment?mode=sometimes").status == 400);
    CHECK(s.call("GET", "/testserver/nothing").status == 404);
}
