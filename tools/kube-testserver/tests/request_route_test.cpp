#include <doctest/doctest.h>

#include "tools/kube-testserver/request_route.h"

using namespace drover::kts;

TEST_CASE("resource paths: namespaced, cluster-scoped, subresources and the Namespace object itself") {
    Route r = parse_route("/apis/apps/v1/namespaces/web/deployments/nginx/status");
    CHECK(r.kind == Route::Kind::resource);
    CHECK(r.group == "apps");
    CHECK(r.version == "v1");
    CHECK(r.ns == "web");
    CHECK(r.namespaced_path);
    CHECK(r.resource == "deployments");
    CHECK(r.name == "nginx");
    CHECK(r.subresource == "status");

    Route ns = parse_route("/api/v1/namespaces/web");
    CHECK(ns.resource == "namespaces");
    CHECK(ns.name == "web");
    CHECK_FALSE(ns.namespaced_path);
    Route ns_status = parse_route("/api/v1/namespaces/web/status");
    CHECK(ns_status.resource == "namespaces");
    CHECK(ns_status.subresource == "status");
    Route cms = parse_route("/api/v1/namespaces/web/configmaps/");
    CHECK(cms.resource == "configmaps");
    CHECK(cms.ns == "web");
    CHECK(cms.name.empty());
    Route all = parse_route("/api/v1/configmaps");
    CHECK(all.resource == "configmaps");
    CHECK_FALSE(all.namespaced_path);
}

TEST_CASE("discovery and special paths") {
    CHECK(parse_route("/api").kind == Route::Kind::core_versions);
    CHECK(parse_route("/api/v1").kind == Route::Kind::resource_list);
    CHECK(parse_route("/apis").kind == Route::Kind::group_list);
    CHECK(parse_route("/apis/apps").kind == Route::Kind::group);
    CHECK(parse_route("/apis/apps/v1").kind == Route::Kind::resource_list);
    CHECK(parse_route("/version").kind == Route::Kind::version);
    CHECK(parse_route("/readyz/ping").kind == Route::Kind::health);
    CHECK(parse_route("/openapi/v2").kind == Route::Kind::openapi_v2);
    CHECK(parse_route("/openapi/v3/apis/apps/v1").kind == Route::Kind::openapi_v3);
    Route control = parse_route("/testserver/crds/a.b/establish");
    CHECK(control.kind == Route::Kind::test_control);
    CHECK(control.control == "crds/a.b/establish");
    CHECK(parse_route("/api/v1/namespaces/a/configmaps/b/c/d").kind == Route::Kind::unknown);
    CHECK(parse_route("/nope").kind == Route::Kind::unknown);
    CHECK(parse_route("/api//v1").kind == Route::Kind::unknown);
}
