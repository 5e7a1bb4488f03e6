#include <doctest/doctest.h>
#include <dirent.h>
#include <sys/stat.h>

#include <set>

#include "agent/apply/dir_applier.h"
#include "common/testing/temp_dir.h"
#include "common/fs.h"

using namespace drover;
using nlohmann::json;
using drover::testing::TempDir;

namespace {

json config_map(const std::string& ns, const std::string& name, const std::string& value) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", ns}}},
            {"data", {{"key", value}}}};
}

json namespace_object(const std::string& name) {
    return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

std::set<std::string> list_dir(const std::string& path) {
    std::set<std::string> out;
    DIR* d = opendir(path.c_str());
    if (!d) return out;
    while (auto* e = readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.insert(e->d_name);
    closedir(d);
    return out;
}

bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("dir applier writes one pretty JSON file per object and reports the inventory") {
    TempDir dir;
    apply::DirApplier applier(dir.path());
    std::vector<json> objects = {namespace_object("web"), config_map("web", "Settings", "1")};
    auto result = applier.apply("web", objects, {});
    REQUIRE_FALSE(result.error);
    CHECK(result.inventory.size() == 2);
    CHECK(list_dir(dir / "web") ==
          std::set<std::string>{"namespace._cluster.web.json", "configmap.web.settings.json"});
    auto text = read_file(dir / "web/configmap.web.settings.json");
    REQUIRE(text);
    CHECK(*text == objects[1].dump(2) + "\n");
    CHECK(json::parse(*text) == objects[1]);
}

TEST_CASE("dir applier leaves no temporary files and rewrites only what changed") {
    TempDir dir;
    apply::DirApplier applier(dir.path());
    auto first = applier.apply("web", {config_map("web", "a", "1"), config_map("web", "b", "1")}, {});
    REQUIRE_FALSE(first.error);
    struct stat before_b;
    REQUIRE(::stat((dir / "web/configmap.web.b.json").c_str(), &before_b) == 0);

    auto second = applier.apply("web", {config_map("web", "a", "2"), config_map("web", "b", "1")}, first.inventory);
    REQUIRE_FALSE(second.error);
    struct stat after_b;
    REQUIRE(::stat((dir / "web/configmap.web.b.json").c_str(), &after_b) == 0);
    CHECK(after_b.st_ino == before_b.st_ino);  // not replaced
    CHECK(read_file(dir / "web/configmap.web.a.json")->find("\"2\"") != std::string::npos);
    for (auto& name : list_dir(dir / "web")) CHECK(name.find(".tmp-") == std::string::npos);
}

TEST_CASE("dir applier removes files of objects that left the bundle, and only those") {
    TempDir dir;
    apply::DirApplier applier(dir.path());
    auto first = applier.apply("web", {config_map("web", "a", "1"), config_map("web", "b", "1")}, {});
    REQUIRE_FALSE(first.error);
    REQUIRE(write_file_atomic(dir / "web/notes.txt", "someone else's"));
    auto second = applier.apply("web", {config_map("web", "a", "1")}, first.inventory);
    REQUIRE_FALSE(second.error);
    CHECK(second.inventory.size() == 1);
    CHECK(list_dir(dir / "web") == std::set<std::string>{"configmap.web.a.json", "notes.txt"});
}

TEST_CASE("prune removes the inventory's files and the bundle directory once empty") {
    TempDir dir;
    apply::DirApplier applier(dir.path());
    auto r = applier.apply("web", {config_map("web", "a", "1"), namespace_object("web")}, {});
    REQUIRE_FALSE(r.error);
    REQUIRE(applier.prune("web", r.inventory));
    CHECK_FALSE(exists(dir / "web"));
    // Pruning again (files already gone) is fine.
    CHECK(applier.prune("web", r.inventory));
}

TEST_CASE("prune keeps files it did not create, and so the directory") {
    TempDir dir;
    apply::DirApplier applier(dir.path());
    auto r = applier.apply("web", {config_map("web", "a", "1")}, {});
    REQUIRE(write_file_atomic(dir / "web/keep.me", "x"));
    REQUIRE(applier.prune("web", r.inventory));
    CHECK(list_dir(dir / "web") == std::set<std::string>{"keep.me"});
}

TEST_CASE("temporary files of writes killed before their rename go with the next apply or prune") {
    TempDir dir;
    apply::DirApplier applier(dir.path());
    auto first = applier.apply("web", {config_map("web", "a", "1"), config_map("web", "b", "1")}, {});
    REQUIRE_FALSE(first.error);
    // a: being rewritten; b: leaving the bundle; notes.txt: not the applier's.
    for (auto name : {"configmap.web.a.json.tmp-0123456789ab", "configmap.web.b.json.tmp-ba9876543210",
                      "notes.txt.tmp-0123456789ab", "configmap.web.a.json.tmp-later"})
        REQUIRE(write_file_atomic(dir / (std::string("web/") + name), "torn"));
    auto second = applier.apply("web", {config_map("web", "a", "2")}, first.inventory);
    REQUIRE_FALSE(second.error);
    CHECK(list_dir(dir / "web") == std::set<std::string>{"configmap.web.a.json", "notes.txt.tmp-0123456789ab",
                                                          "configmap.web.a.json.tmp-later"});

    REQUIRE(::unlink((dir / "web/notes.txt.tmp-0123456789ab").c_str()) == 0);
    REQUIRE(::unlink((dir / "web/configmap.web.a.json.tmp-later").c_str()) == 0);
    REQUIRE(write_file_atomic(dir / "web/configmap.web.a.json.tmp-00ff00ff00ff", "torn"));
    REQUIRE(applier.prune("web", second.inventory));
    CHECK_FALSE(exists(dir / "web"));
}

TEST_CASE("drift names objects whose files are missing or edited") {
    TempDir dir;
    apply::DirApplier applier(dir.path());
    std::vector<json> objects = {config_map("web", "a", "1"), config_map("web", "b", "1"), namespace_object("web")};
    auto r = applier.apply("web", objects, {});
    REQUIRE_FALSE(r.error);
    auto none = applier.drift("web", r.inventory, objects);
    REQUIRE(none);
    CHECK(none->empty());

    REQUIRE(::unlink((dir / "web/configmap.web.a.json").c_str()) == 0);
    REQUIRE(write_file_atomic(dir / "web/configmap.web.b.json", "{\"edited\": true}\n"));
    auto diffs = applier.drift("web", r.inventory, objects);
    REQUIRE(diffs);
    REQUIRE(diffs->size() == 2);
    CHECK((*diffs)[0].object.name == "a");
    CHECK((*diffs)[0].what == "missing");
    CHECK((*diffs)[1].object.name == "b");
    CHECK((*diffs)[1].what == "differs");
}

TEST_CASE("hostile bundle and object names cannot escape the output directory") {
    TempDir dir;
    std::string out = dir / "out";
    REQUIRE(make_dirs(out));
    apply::DirApplier applier(out);
    json evil = {{"apiVersion", "v1"},
                 {"kind", "../../Secret"},
                 {"metadata", {{"name", "../../../etc/passwd"}, {"namespace", "../.."}}}};
    auto r = applier.apply("../../etc", {evil}, {});
    REQUIRE_FALSE(r.error);
    // Everything landed in one directory directly below out/.
    auto top = list_dir(out);
    REQUIRE(top.size() == 1);
    std::string bundle_dir = *top.begin();
    CHECK(bundle_dir.find('/') == std::string::npos);
    CHECK(bundle_dir.find("..") == std::string::npos);
    auto files = list_dir(out + "/" + bundle_dir);
    REQUIRE(files.size() == 1);
    CHECK(files.begin()->find('/') == std::string::npos);
    CHECK(list_dir(dir.path()) == std::set<std::string>{"out"});
    for (char c : *files.begin()) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'));
    REQUIRE(applier.prune("../../etc", r.inventory));
    CHECK(list_dir(out).empty());
}

TEST_CASE("names that differ only in escaped characters map to different files") {
    CHECK(apply::DirApplier::file_name({"v1", "ConfigMap", "", "a_b"}).value() !=
          apply::DirApplier::file_name({"v1", "ConfigMap", "", "a/b"}).value());
    CHECK(apply::DirApplier::file_name({"v1", "ConfigMap", "_cluster", "x"}).value() !=
          apply::DirApplier::file_name({"v1", "ConfigMap", "", "x"}).value());
    CHECK(apply::DirApplier::file_name({"v1", "A.b", "c", "d"}).value() !=
          apply::DirApplier::file_name({"v1", "A", "b.c", "d"}).value());
}

TEST_CASE("two objects that would share a file fail the apply before anything is written") {
    TempDir dir;
    apply::DirApplier applier(dir.path());
    json a = config_map("web", "same", "1");
    json b = config_map("web", "same", "2");
    b["apiVersion"] = "example.com/v1";
    auto r = applier.apply("web", {a, b}, {});
    REQUIRE(r.error);
    CHECK(r.error->find("configmap.web.same.json") != std::string::npos);
    CHECK_FALSE(exists(dir / "web"));
}

TEST_CASE("an object without a kind or name fails the apply with the reason") {
    TempDir dir;
    apply::DirApplier applier(dir.path());
    auto r = applier.apply("web", {json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", json::object()}}},
                           {});
    REQUIRE(r.error);
    CHECK(*r.error == "ConfigMap has no metadata.name");
}
