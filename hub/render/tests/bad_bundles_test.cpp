// The fixtures in testdata/bad-bundles/, read from disk like `droverctl
// lint` does, with the exact problem lines a user would see.
#include <doctest/doctest.h>

#include "fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;

namespace {

std::vector<std::string> lint(const std::string& name) {
    auto files = read_directory(std::string(DROVER_TESTDATA) + "/bad-bundles/" + name);
    INFO(name);
    REQUIRE(files.has_value());
    return problem_lines(render_fleet(*files));
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("fixture: an unknown selector operator is reported at its line with the accepted operators") {
    CHECK(lint("unknown-operator") ==
          Lines{"web/bundle.yaml:7: targets[0].selector.matchExpressions[1].operator: unknown operator \"Inn\" (want In, "
                "NotIn, Exists, DoesNotExist)"});
}

TEST_CASE("fixture: a missing patch file is reported where bundle.yaml names it") {
    CHECK(lint("missing-patch") ==
          Lines{"web/bundle.yaml:7: customizations[0].patches[0]: file \"overlays/small/replicas.yaml\" not found"});
}

TEST_CASE("fixture: an object without kind is reported at the document's first line") {
    CHECK(lint("missing-kind") ==
          Lines{"app/objects.yaml:7: object has no kind (every object needs apiVersion, kind and metadata.name)"});
}

TEST_CASE("fixture: a YAML syntax error is reported with yaml-cpp's line") {
    CHECK(lint("yaml-syntax") == Lines{"app/cm.yaml:7: YAML syntax error: end of sequence flow not found"});
}

TEST_CASE("fixture: an unknown group is reported with the groups that exist") {
    CHECK(lint("unknown-group") == Lines{"app/bundle.yaml:3: targets[1].group: unknown group \"canery\" (fleet.yaml defines canary)"});
}

TEST_CASE("fixture: a dependsOn cycle is named in full, and an unknown dependency too") {
    CHECK(lint("dependson-cycle") == Lines{
                                         "c/bundle.yaml:2: dependsOn[1]: unknown bundle \"missing\"",
                                         "c/bundle.yaml:2: dependsOn[0]: dependsOn cycle: a -> b -> c -> a",
                                     });
}

TEST_CASE("fixture: the same object twice in a bundle is reported with both places") {
    CHECK(lint("duplicate-object") ==
          Lines{"app/more/cm.json:1: duplicate object ConfigMap app/settings, first defined at app/cm.yaml:1"});
}

TEST_CASE("fixture: unknown bundle.yaml keys and YAML 1.1 booleans are refused") {
    CHECK(lint("unknown-key") == Lines{
                                     "app/bundle.yaml:2: taregts: unknown field (want one of customizations, dependsOn, "
                                     "keepResources, name, namespace, paused, rollout, selfHeal, targets)",
                                     "app/bundle.yaml:4: selfHeal: must be true or false, got a string \"yes\"",
                                 });
}

TEST_CASE("fixture: a bundle inside another bundle is refused") {
    CHECK(lint("nested-bundle") ==
          Lines{"outer/inner/bundle.yaml: bundles do not nest: this directory is inside the bundle defined by outer/bundle.yaml"});
}

TEST_CASE("fixture: a patch that matches no object is reported at the patch document") {
    CHECK(lint("patch-matches-nothing") ==
          Lines{"web/overlays/big.yaml:5: patch for Deployment \"nginx\" (customization \"big\") matches no object in the bundle"});
}
