#include <doctest/doctest.h>

#include "tools/fleetsim/memory_applier.h"

using namespace drover;
using nlohmann::json;

namespace {
json config_map(const std::string& name, const std::string& value) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "web"}}},
            {"data", {{"v", value}}}};
}
}  // namespace

TEST_CASE("the simulated device applies, reports drift against a changed spec, and prunes what it is told") {
    fleetsim::MemoryApplier device;
    std::vector<json> v1 = {config_map("a", "1"), config_map("b", "1")};
    auto applied = device.apply("web", v1, {});
    REQUIRE_FALSE(applied.error);
    CHECK(applied.inventory.size() == 2);
    CHECK(device.drift("web", applied.inventory, v1)->empty());

    std::vector<json> v2 = {config_map("a", "2"), config_map("c", "1")};
    auto drift = device.drift("web", applied.inventory, v2);
    REQUIRE(drift);
    REQUIRE(drift->size() == 2);
    CHECK((*drift)[0].what == "differs");
    CHECK((*drift)[1].what == "missing");

    CHECK(device.prune("web", applied.inventory));
    CHECK(device.live_objects() == 0);
}

TEST_CASE("the simulated device refuses an object without a kind, as a real applier would") {
    fleetsim::MemoryApplier device;
    auto r = device.apply("web", {json{{"metadata", {{"name", "x"}}}}}, {});
    CHECK(r.error);
}
