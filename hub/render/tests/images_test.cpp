#include "hub/render/images.h"

#include <doctest/doctest.h>

using nlohmann::json;
using namespace drover::render;

TEST_CASE("the repository of an image drops its tag and digest but keeps a registry port") {
    CHECK(image_repository("nginx") == "nginx");
    CHECK(image_repository("nginx:1.27") == "nginx");
    CHECK(image_repository("nginx@sha256:abc") == "nginx");
    CHECK(image_repository("nginx:1.27@sha256:abc") == "nginx");
    CHECK(image_repository("registry:5000/team/app") == "registry:5000/team/app");
    CHECK(image_repository("registry:5000/team/app:2") == "registry:5000/team/app");
    CHECK(image_repository("quay.io/prometheus/node-exporter:v1.8.2") == "quay.io/prometheus/node-exporter");
}

TEST_CASE("images are rewritten in every container list anywhere in an object") {
    json cronjob = json::parse(R"({
      "kind": "CronJob",
      "spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "initContainers": [{"name": "init", "image": "busybox:1.36"}],
        "containers": [{"name": "a", "image": "nginx:1.25"}, {"name": "b", "image": "nginx"},
                       {"name": "c", "image": "docker.io/library/nginx:1.25"}, {"name": "d"}],
        "ephemeralContainers": [{"name": "debug", "image": "busybox@sha256:0123"}]
      }}}}},
      "metadata": {"annotations": {"image": "nginx:1.25"}}
    })");
    size_t n = rewrite_images(cronjob, {{"nginx", "nginx:1.27-alpine"}, {"busybox", "mirror/busybox:1.37"}});
    CHECK(n == 4);
    auto& pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    CHECK(pod["containers"][0]["image"] == "nginx:1.27-alpine");
    CHECK(pod["containers"][1]["image"] == "nginx:1.27-alpine");
    CHECK(pod["containers"][2]["image"] == "docker.io/library/nginx:1.25");
    CHECK_FALSE(pod["containers"][3].contains("image"));
    CHECK(pod["initContainers"][0]["image"] == "mirror/busybox:1.37");
    CHECK(pod["ephemeralContainers"][0]["image"] == "mirror/busybox:1.37");
    CHECK(cronjob["metadata"]["annotations"]["image"] == "nginx:1.25");
}
