#include "hub/render/read_directory.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/testing/temp_dir.h"
#include "common/text.h"

namespace fs = std::filesystem;
using namespace drover;
using namespace drover::render;

namespace {

// A temporary working tree to read, on a shared TempDir.
class TempTree {
public:
    void write(const std::string& rel, const std::string& text) const {
        fs::create_directories(fs::path(root() + "/" + rel).parent_path());
        std::ofstream(root() + "/" + rel, std::ios::binary) << text;
    }
    const std::string& root() const { return dir_.path(); }

private:
    drover::testing::TempDir dir_;
};

}  // namespace

TEST_CASE("read_directory reads the YAML and JSON files of a working tree like Git would hold them") {
    TempTree t;
    t.write("fleet.yaml", "groups: {}\n");
    t.write("web/bundle.yaml", "x\n");
    t.write("web/a.yml", "a\n");
    t.write("web/deep/b.json", "{}");
    t.write("web/README.md", "ignored");
    t.write(".git/config.yaml", "never read");
    t.write("web/.git/HEAD.yaml", "never read");
    REQUIRE(::symlink("a.yml", (t.root() + "/web/link.yaml").c_str()) == 0);
    REQUIRE(::symlink("/etc", (t.root() + "/etc-link").c_str()) == 0);

    auto files = read_directory(t.root() + "/");
    REQUIRE(files.has_value());
    CHECK(*files == FileMap{
                        {"fleet.yaml", "groups: {}\n"},
                        {"web/a.yml", "a\n"},
                        {"web/bundle.yaml", "x\n"},
                        {"web/deep/b.json", "{}"},
                    });
}

TEST_CASE("read_directory refuses oversized files, too many or too much in all, and missing directories by name") {
    TempTree t;
    t.write("a.yaml", std::string(20, 'a'));
    t.write("b.yaml", "b");
    Limits limits;
    limits.max_file_bytes = 10;
    CHECK(read_directory(t.root(), limits).error().message ==
          cat(t.root(), "/a.yaml is 20 bytes, more than the limit of 10"));
    limits = {};
    limits.max_files = 1;
    CHECK(read_directory(t.root(), limits).error().message == cat(t.root(), " has more than 1 YAML/JSON files"));
    limits = {};
    limits.max_input_bytes = 20;
    CHECK(read_directory(t.root(), limits).error().message ==
          cat(t.root(), ": its YAML/JSON files hold more than the limit of 20 bytes"));
    CHECK(starts_with(read_directory(t.root() + "/missing").error().message, cat("cannot read ", t.root(), "/missing: ")));
    CHECK(read_directory(t.root() + "/b.yaml").error().message == cat(t.root(), "/b.yaml is not a directory"));
}
