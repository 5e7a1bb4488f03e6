#include "hub/git/quarantine.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>

#include "common/testing/temp_dir.h"
#include "common/text.h"
#include "hub/git/tests/git_cli.h"

using namespace drover;
using drover::testing::GitCli;
using drover::testing::TempDir;
using drover::testing::write_text;

namespace {

git::Quarantine::Reader reader_of(const std::string& data) {
    auto offset = std::make_shared<size_t>(0);
    return [data, offset](char* buf, size_t n) -> Result<size_t> {
        size_t k = std::min(n, data.size() - *offset);
        std::memcpy(buf, data.data() + *offset, k);
        *offset += k;
        return k;
    };
}

bool has_object(git::Repo& repo, const std::string& hex) {
    git_oid oid;
    git_oid_fromstr(&oid, hex.c_str());
    git_odb* odb = nullptr;
    REQUIRE(git_repository_odb(&odb, repo.get()) == 0);
    bool found = git_odb_exists(odb, &oid);
    git_odb_free(odb);
    return found;
}

// A hub repository holding one commit, and a clone with a second commit on top.
struct Fixture {
    TempDir tmp;
    GitCli git{tmp};
    std::string bare = tmp / "fleet.git";
    std::string work = tmp / "work";
    std::string first, second;

    Fixture() {
        REQUIRE(git::init_bare(bare).has_value());
        git.run(tmp.path(), cat("clone -q '", bare, "' work"));
        write_text(work + "/web/bundle.yaml", std::string(4000, '#') + "\nname: web\n");
        git.run(work, "add -A");
        git.run(work, "commit -q -m first");
        git.run(work, "push -q origin HEAD:main");
        first = trim(git.run(work, "rev-parse HEAD"));
        // A small change to a large file: the thin pack deltas against the base.
        write_text(work + "/web/bundle.yaml", std::string(4000, '#') + "\nname: web2\n");
        git.run(work, "commit -q -am second");
        second = trim(git.run(work, "rev-parse HEAD"));
    }
    // git pack-objects for the revisions `include` minus `exclude`.
    std::string pack(const std::string& include, const std::string& exclude, bool thin) {
        write_text(tmp / "revs", cat(include, "\n^", exclude, "\n"));
        return git.run(work, cat("pack-objects -q --stdout --revs", thin ? " --thin" : "", " < '", tmp / "revs", "'"));
    }
    std::string thin_pack() { return pack(second, first, true); }
};

}  // namespace

TEST_CASE("a thin pack is completed from the repository and stays invisible until accepted") {
    Fixture f;
    auto repo = git::open(f.bare);
    REQUIRE(repo.has_value());
    {
        auto q = git::Quarantine::create(*repo);
        REQUIRE(q.has_value());
        auto stats = q->index(reader_of(f.thin_pack()));
        REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
        CHECK(stats->objects >= 3);

        auto view = q->view();
        REQUIRE(view.has_value());
        auto files = git::read_commit_files(*view, f.second, render::Limits{});
        REQUIRE(files.has_value());
        CHECK(files->at("web/bundle.yaml").ends_with("name: web2\n"));
        CHECK_FALSE(has_object(*repo, f.second));

        REQUIRE(q->accept().has_value());
    }
    auto reopened = git::open(f.bare);
    REQUIRE(reopened.has_value());
    CHECK(has_object(*reopened, f.second));
    CHECK(git::read_commit_files(*reopened, f.second, render::Limits{}).has_value());
    CHECK(drover::testing::quarantine_dirs(f.bare) == 0);
}

TEST_CASE("a refused push leaves nothing behind") {
    Fixture f;
    auto repo = git::open(f.bare);
    {
        auto q = git::Quarantine::create(*repo);
        REQUIRE(q.has_value());
        REQUIRE(q->index(reader_of(f.thin_pack())).has_value());
        CHECK(drover::testing::quarantine_dirs(f.bare) == 1);
    }
    CHECK(drover::testing::quarantine_dirs(f.bare) == 0);
    CHECK_FALSE(has_object(*repo, f.second));
}

TEST_CASE("an empty pack (a new branch at an existing commit) indexes to nothing") {
    Fixture f;
    auto repo = git::open(f.bare);
    auto q = git::Quarantine::create(*repo);
    std::string empty = f.pack(f.first, f.first, false);
    auto stats = q->index(reader_of(empty));
    REQUIRE_MESSAGE(stats.has_value(), stats.error().message);
    CHECK(stats->objects == 0);
    CHECK(q->accept().has_value());
}

TEST_CASE("corrupt, truncated and incomplete packs are refused with libgit2's reason") {
    Fixture f;
    auto repo = git::open(f.bare);
    std::string pack = f.thin_pack();
    auto index = [&](const std::string& data) {
        auto q = git::Quarantine::create(*repo);
        REQUIRE(q.has_value());
        return q->index(reader_of(data));
    };
    auto truncated = index(pack.substr(0, pack.size() / 2));
    REQUIRE_FALSE(truncated.has_value());
    CHECK(truncated.error().message.starts_with("bad pack: "));

    std::string flipped = pack;
    flipped[flipped.size() - 30] ^= 0x55;
    CHECK_FALSE(index(flipped).has_value());
    CHECK_FALSE(index("not a pack at all").has_value());

    // A pack of the second commit alone, whose tree's parent commit is absent
    // from the repository it is pushed to: the connectivity check fails.
    TempDir other;
    std::string lonely = other / "lonely.git";
    REQUIRE(git::init_bare(lonely).has_value());
    auto lonely_repo = git::open(lonely);
    auto q = git::Quarantine::create(*lonely_repo);
    auto missing = q->index(reader_of(pack));
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error().message.starts_with("bad pack: "));
    CHECK(drover::testing::quarantine_dirs(f.bare) == 0);
}

TEST_CASE("sweep_quarantines removes what a crashed hub left") {
    Fixture f;
    auto repo = git::open(f.bare);
    auto q = git::Quarantine::create(*repo);
    REQUIRE(q.has_value());
    write_text(q->dir() + "/pack/tmp_pack_x", "partial");
    git::sweep_quarantines(f.bare);
    CHECK(drover::testing::quarantine_dirs(f.bare) == 0);
}
