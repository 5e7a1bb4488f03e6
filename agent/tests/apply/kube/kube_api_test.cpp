#include <doctest/doctest.h>

#include "agent/apply/kube/api_error.h"
#include "agent/apply/kube/discovery.h"
#include "agent/apply/kube/kube_api.h"
#include "agent/tests/apply/kube/fake_cluster.h"

using namespace drover;
using nlohmann::json;
using drover::testing::FakeCluster;

TEST_CASE("a Kubernetes Status body gives the error its message, reason and retry hint") {
    json status = {{"kind", "Status"},
                   {"apiVersion", "v1"},
                   {"status", "Failure"},
                   {"message", "configmaps \"a\" is forbidden: User \"system:anonymous\" cannot patch"},
                   {"reason", "Forbidden"},
                   {"code", 403}};
    auto e = kube::api_error(kube::HttpResponse{403, status.dump(), ""});
    CHECK(e.status == 403);
    CHECK(e.reason == "Forbidden");
    CHECK_FALSE(e.transient);
    CHECK(e.describe() == "configmaps \"a\" is forbidden: User \"system:anonymous\" cannot patch (HTTP 403 Forbidden)");

    json busy = {{"kind", "Status"}, {"message", "too many requests"}, {"reason", "TooManyRequests"},
                 {"details", {{"retryAfterSeconds", 3}}}};
    auto t = kube::api_error(kube::HttpResponse{429, busy.dump(), ""});
    CHECK(t.transient);
    CHECK(t.retry_after == std::chrono::seconds(3));
    CHECK(kube::api_error(kube::HttpResponse{503, "", "7"}).retry_after == std::chrono::seconds(7));
}

TEST_CASE("an answer that is not a Status still gives one bounded printable line") {
    auto html = kube::api_error(kube::HttpResponse{502, "<html>\nBad gateway\n</html>", ""});
    CHECK(html.transient);
    CHECK(html.message == "<html> Bad gateway </html>");
    CHECK(html.describe() == "<html> Bad gateway </html> (HTTP 502)");
    CHECK(kube::api_error(kube::HttpResponse{500, "", ""}).message == "HTTP 500");
    CHECK(kube::api_error(kube::HttpResponse{500, std::string(5000, 'x'), ""}).message.size() == 1000);
    CHECK_FALSE(kube::transient_status(501));
    CHECK_FALSE(kube::transient_status(404));
    CHECK(kube::transient_status(504));
}

TEST_CASE("url_escape leaves only unreserved characters") {
    CHECK(kube::url_escape("app=web,tier in (a b)") == "app%3Dweb%2Ctier%20in%20%28a%20b%29");
    CHECK(kube::url_escape("a-b_c.d~e") == "a-b_c.d~e");
}

TEST_CASE("discovery maps kinds to resources and scope, caches, and looks again for a kind it lacks") {
    FakeCluster cluster;
    kube::KubeApi api(cluster, {1, std::chrono::milliseconds(1), std::chrono::milliseconds(1)}, [](auto) {});
    kube::Discovery discovery(api);
    auto cm = discovery.resolve("v1", "ConfigMap");
    REQUIRE(cm);
    CHECK(cm->plural == "configmaps");
    CHECK(cm->namespaced);
    CHECK(cm->object_path("web", "a") == "/api/v1/namespaces/web/configmaps/a");
    auto ns = discovery.resolve("v1", "Namespace");
    REQUIRE(ns);
    CHECK_FALSE(ns->namespaced);
    CHECK(ns->object_path("ignored", "web") == "/api/v1/namespaces/web");
    auto deploy = discovery.resolve("apps/v1", "Deployment");
    REQUIRE(deploy);
    CHECK(deploy->collection_path("") == "/apis/apps/v1/deployments");
    CHECK(cluster.log("GET") == std::vector<std::string>{"GET /api/v1", "GET /apis/apps/v1"});

    // A kind missing from a cached list: fetched once more, then it is unknown.
    auto unknown = discovery.resolve("v1", "Gadget");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().status == 404);
    CHECK(unknown.error().message == "the cluster does not serve kind Gadget in apiVersion v1");
    cluster.kinds.push_back({"v1", "Gadget", "gadgets", true});
    CHECK(discovery.resolve("v1", "Gadget"));
    auto group = discovery.resolve("example.com/v1", "Widget");
    REQUIRE_FALSE(group);
    CHECK(group.error().message == "the cluster does not serve apiVersion example.com/v1");
    CHECK_FALSE(discovery.resolve("/v1", "X"));
}

TEST_CASE("discovery skips subresources and tolerates malformed lists") {
    json list = {{"resources",
                  {{{"name", "pods"}, {"kind", "Pod"}, {"namespaced", true}},
                   {{"name", "pods/status"}, {"kind", "Pod"}, {"namespaced", true}},
                   {{"name", 3}},
                   "junk"}}};
    auto resources = kube::parse_resource_list(list, "v1");
    REQUIRE(resources.size() == 1);
    CHECK(resources[0].plural == "pods");
    CHECK(kube::parse_resource_list(json::object(), "v1").empty());
}
