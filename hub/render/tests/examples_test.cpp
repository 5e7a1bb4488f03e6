// bundles/ is the example fleet the demo and end-to-end tests push; it must
// always render, and render to what its README promises.
#include <doctest/doctest.h>

#include "fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;
using nlohmann::json;

namespace {

Fleet example_fleet() {
    auto files = read_directory(std::string(DROVER_SOURCE_ROOT) + "/bundles");
    REQUIRE(files.has_value());
    return render_ok(*files);
}

std::vector<std::string> bundles_for(const Fleet& fleet, const Labels& labels, std::string_view agent = "edge-1") {
    std::vector<std::string> out;
    for (auto& b : fleet.bundles)
        if (const Spec* s = b.spec_for(labels, agent, fleet.groups))
            out.push_back(s->customization.empty() ? b.name : b.name + "/" + s->customization);
    return out;
}

}  // namespace

TEST_CASE("the example fleet renders its three bundles") {
    Fleet fleet = example_fleet();
    REQUIRE(fleet.bundles.size() == 3);
    CHECK(fleet.bundles[0].name == "infra");
    CHECK(fleet.bundles[1].name == "monitoring");
    CHECK(fleet.bundles[2].name == "web");
    CHECK(fleet.groups.size() == 2);
    CHECK(fleet.find("monitoring")->depends_on == std::vector<std::string>{"infra"});
    CHECK(fleet.find("web")->depends_on == std::vector<std::string>{"infra"});
}

TEST_CASE("example agents get the bundles their labels select") {
    Fleet fleet = example_fleet();
    CHECK(bundles_for(fleet, {}) == std::vector<std::string>{"infra"});
    CHECK(bundles_for(fleet, {{"region", "eu-west"}}) == std::vector<std::string>{"infra", "monitoring"});
    CHECK(bundles_for(fleet, {{"region", "us-east"}, {"role", "gateway"}}) == std::vector<std::string>{"infra", "web"});
    CHECK(bundles_for(fleet, {{"region", "eu-north"}, {"role", "gateway"}, {"size", "small"}}) ==
          std::vector<std::string>{"infra", "monitoring", "web/small"});
}

TEST_CASE("the example web bundle's small customization is smaller") {
    Fleet fleet = example_fleet();
    const Bundle& web = *fleet.find("web");
    REQUIRE(web.customizations.size() == 1);
    json plain = spec_json(web.specs[web.default_spec]);
    json small = spec_json(web.specs[web.customizations[0].spec]);
    CHECK(plain["namespace"] == "web");
    REQUIRE(small["objects"].size() == 3);
    json deployment = small["objects"][2];
    CHECK(deployment["kind"] == "Deployment");
    CHECK(deployment["spec"]["replicas"] == 1);
    CHECK(deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27-alpine");
    CHECK(deployment["metadata"]["labels"]["tier"] == "small");
    CHECK(plain["objects"][2]["spec"]["replicas"] == 2);
}
