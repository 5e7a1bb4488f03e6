#include <doctest/doctest.h>
#include <sys/stat.h>

#include <yaml-cpp/yaml.h>

#include "agent/apply/k3s_manifests_applier.h"
#include "common/fs.h"
#include "common/testing/temp_dir.h"

using namespace drover;
using nlohmann::json;
using drover::testing::TempDir;

namespace {

json config_map(const std::string& name, const std::string& value = "1") {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", "web"}}},
            {"data", {{"k", value}}}};
}

bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("k3s-manifests writes a bundle as one multi-document YAML file, labelled, and removes it on prune") {
    TempDir dir;
    apply::K3sManifestsApplier applier(dir.path());
    std::vector<json> objects = {config_map("a"), config_map("b", "2")};
    auto result = applier.apply("web", objects, {});
    REQUIRE_FALSE(result.error);
    CHECK_FALSE(result.not_ready);
    CHECK(result.inventory.size() == 2);
    auto text = read_file(dir / "drover-web.yaml");
    REQUIRE(text);
    CHECK(text->rfind("# Written by drover-agent for bundle web.", 0) == 0);
    auto docs = YAML::LoadAll(*text);
    REQUIRE(docs.size() == 2);
    CHECK(docs[0]["metadata"]["name"].as<std::string>() == "a");
    CHECK(docs[1]["data"]["k"].as<std::string>() == "2");
    CHECK(docs[1]["metadata"]["labels"]["drover.dev/bundle"].as<std::string>() == "web");
    // Readiness cannot be observed here: always ready.
    auto ready = applier.readiness("web", result.inventory);
    REQUIRE(ready);
    CHECK_FALSE(*ready);

    REQUIRE(applier.prune("web", result.inventory));
    CHECK_FALSE(exists(dir / "drover-web.yaml"));
    CHECK(applier.prune("web", result.inventory));  // already gone
}

TEST_CASE("k3s-manifests rewrites the file only when it changes, so K3s applies only changes") {
    TempDir dir;
    apply::K3sManifestsApplier applier(dir.path());
    auto first = applier.apply("web", {config_map("a")}, {});
    REQUIRE_FALSE(first.error);
    struct stat before;
    REQUIRE(::stat((dir / "drover-web.yaml").c_str(), &before) == 0);
    auto same = applier.apply("web", {config_map("a")}, first.inventory);
    REQUIRE_FALSE(same.error);
    struct stat after;
    REQUIRE(::stat((dir / "drover-web.yaml").c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);
    auto changed = applier.apply("web", {config_map("a", "2")}, same.inventory);
    REQUIRE_FALSE(changed.error);
    REQUIRE(::stat((dir / "drover-web.yaml").c_str(), &after) == 0);
    CHECK(after.st_ino != before.st_ino);  // replaced by rename: a new file
}

TEST_CASE("k3s-manifests drift: an edited file differs, a removed one is missing, and re-applying heals it") {
    TempDir dir;
    apply::K3sManifestsApplier applier(dir.path());
    std::vector<json> objects = {config_map("a"), config_map("b")};
    auto result = applier.apply("web", objects, {});
    REQUIRE_FALSE(result.error);
    auto clean = applier.drift("web", result.inventory, objects);
    REQUIRE(clean);
    CHECK(clean->empty());

    std::string text = *read_file(dir / "drover-web.yaml");
    std::string edited = text;
    edited.replace(edited.rfind("k: \"1\""), 6, "k: \"9\"");
    REQUIRE(write_file_atomic(dir / "drover-web.yaml", edited));
    auto diffs = applier.drift("web", result.inventory, objects);
    REQUIRE(diffs);
    REQUIRE(diffs->size() == 1);
    CHECK(diffs->at(0).object.name == "b");
    CHECK(diffs->at(0).what == "differs (" + dir / "drover-web.yaml" + " was edited)");

    REQUIRE(write_file_atomic(dir / "drover-web.yaml", text + "---\nextra: 1\n"));
    diffs = applier.drift("web", result.inventory, objects);
    REQUIRE(diffs);
    REQUIRE(diffs->size() == 1);
    CHECK(diffs->at(0).what.find("holds more than the bundle") != std::string::npos);

    ::unlink((dir / "drover-web.yaml").c_str());
    diffs = applier.drift("web", result.inventory, objects);
    REQUIRE(diffs);
    CHECK(diffs->size() == 2);
    CHECK(diffs->at(0).what.rfind("missing", 0) == 0);

    REQUIRE_FALSE(applier.apply("web", objects, result.inventory).error);
    CHECK(applier.drift("web", result.inventory, objects)->empty());
}

TEST_CASE("k3s-manifests refuses bundle names K3s would mangle, and bad objects, writing nothing") {
    TempDir dir;
    apply::K3sManifestsApplier applier(dir.path());
    auto dotted = applier.apply("my.app", {config_map("a")}, {});
    REQUIRE(dotted.error);
    CHECK(dotted.error->find("cannot name a K3s manifest") != std::string::npos);
    CHECK(applier.apply("../etc", {config_map("a")}, {}).error);
    json nameless = config_map("a");
    nameless["metadata"].erase("name");
    auto bad = applier.apply("web", {nameless}, {});
    REQUIRE(bad.error);
    CHECK(*bad.error == "objects[0]: ConfigMap has no metadata.name");
    CHECK_FALSE(exists(dir / "drover-web.yaml"));
}
