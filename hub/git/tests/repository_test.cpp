#include "hub/git/repository.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/fs.h"
#include "common/testing/temp_dir.h"
#include "common/text.h"
#include "hub/git/tests/git_cli.h"

namespace fs = std::filesystem;
using namespace drover;

using drover::testing::TempDir;

using drover::testing::GitCli;

namespace {

void write(const std::string& path, const std::string& text) { drover::testing::write_text(path, text); }

}  // namespace

TEST_CASE("a bare repository made by init_bare accepts a push and serves the pushed commit's files") {
    TempDir tmp;
    GitCli git(tmp);
    std::string bare = tmp.path() + "/hub/fleet.git";
    REQUIRE(git::init_bare(bare).has_value());

    auto repo = git::open(bare);
    REQUIRE(repo.has_value());
    auto empty = git::branch_head(*repo, "main");
    REQUIRE(empty.has_value());
    CHECK_FALSE(empty->has_value());

    std::string work = tmp.path() + "/work";
    git.run(tmp.path(), cat("clone '", bare, "' work"));
    write(work + "/web/bundle.yaml", "namespace: web\n");
    write(work + "/web/deploy.yaml", "kind: Deployment\n");
    write(work + "/web/nested/deeper/cm.json", "{}\n");
    write(work + "/README.md", "not a render input\n");
    write(work + "/fleet.yaml", "groups: {}\n");
    git.run(work, "add -A");
    git.run(work, "commit -q -m 'First fleet' -m 'Body text.'");
    git.run(work, "push -q origin HEAD:refs/heads/main");

    auto head = git::branch_head(*repo, "main");
    REQUIRE(head.has_value());
    REQUIRE(head->has_value());
    CHECK((*head)->size() == 40);

    auto files = git::read_commit_files(*repo, **head, render::Limits{});
    REQUIRE(files.has_value());
    render::FileMap want = {
        {"fleet.yaml", "groups: {}\n"},
        {"web/bundle.yaml", "namespace: web\n"},
        {"web/deploy.yaml", "kind: Deployment\n"},
        {"web/nested/deeper/cm.json", "{}\n"},
    };
    CHECK(*files == want);

    auto summary = git::commit_summary(*repo, **head);
    REQUIRE(summary.has_value());
    CHECK(*summary == "First fleet");
}

TEST_CASE("a clone of the hub repository checks out the main branch") {
    TempDir tmp;
    GitCli git(tmp);
    std::string bare = tmp.path() + "/fleet.git";
    REQUIRE(git::init_bare(bare).has_value());
    git.run(tmp.path(), cat("clone -q '", bare, "' one"));
    write(tmp.path() + "/one/a.yaml", "a: 1\n");
    git.run(tmp.path() + "/one", "add a.yaml");
    git.run(tmp.path() + "/one", "commit -q -m one");
    git.run(tmp.path() + "/one", "push -q origin HEAD:refs/heads/main");

    git.run(tmp.path(), cat("clone -q '", bare, "' two"));
    CHECK(fs::exists(tmp.path() + "/two/a.yaml"));
    CHECK(trim(git.run(tmp.path() + "/two", "symbolic-ref HEAD")) == "refs/heads/main");
}

TEST_CASE("branch_head follows new pushes and read_commit_files reads any commit") {
    TempDir tmp;
    GitCli git(tmp);
    std::string bare = tmp.path() + "/fleet.git";
    REQUIRE(git::init_bare(bare, "production").has_value());
    git.run(tmp.path(), cat("clone -q '", bare, "' work"));
    std::string work = tmp.path() + "/work";
    write(work + "/x.yaml", "v: 1\n");
    git.run(work, "add -A");
    git.run(work, "commit -q -m one");
    git.run(work, "push -q origin HEAD:refs/heads/production");
    auto repo = git::open(bare);
    REQUIRE(repo.has_value());
    auto first = git::branch_head(*repo, "production");
    REQUIRE((first && first->has_value()));

    write(work + "/x.yaml", "v: 2\n");
    fs::remove(work + "/x.yaml");
    write(work + "/y.yml", "v: 2\n");
    git.run(work, "add -A");
    git.run(work, "commit -q -m two");
    git.run(work, "push -q origin HEAD:refs/heads/production");
    auto second = git::branch_head(*repo, "production");
    REQUIRE((second && second->has_value()));
    CHECK(**second != **first);

    auto old_files = git::read_commit_files(*repo, **first, {});
    auto new_files = git::read_commit_files(*repo, **second, {});
    REQUIRE((old_files && new_files));
    CHECK(*old_files == render::FileMap{{"x.yaml", "v: 1\n"}});
    CHECK(*new_files == render::FileMap{{"y.yml", "v: 2\n"}});
    CHECK_FALSE(git::branch_head(*repo, "main")->has_value());
}

TEST_CASE("read_commit_files skips symlinks and enforces the size, count and total size limits") {
    TempDir tmp;
    GitCli git(tmp);
    std::string bare = tmp.path() + "/fleet.git";
    REQUIRE(git::init_bare(bare).has_value());
    git.run(tmp.path(), cat("clone -q '", bare, "' work"));
    std::string work = tmp.path() + "/work";
    write(work + "/a.yaml", "a: 1\n");
    write(work + "/b.yaml", std::string(100, '#') + "\n");
    REQUIRE(::symlink("a.yaml", (work + "/link.yaml").c_str()) == 0);
    write(work + "/run.json", "{}");
    fs::permissions(work + "/run.json", fs::perms::owner_exec, fs::perm_options::add);
    git.run(work, "add -A");
    git.run(work, "commit -q -m files");
    git.run(work, "push -q origin HEAD:refs/heads/main");
    auto repo = git::open(bare);
    REQUIRE(repo.has_value());
    std::string head = **git::branch_head(*repo, "main");

    auto all = git::read_commit_files(*repo, head, {});
    REQUIRE(all.has_value());
    CHECK(all->size() == 3);
    CHECK_FALSE(all->contains("link.yaml"));
    CHECK(all->contains("run.json"));

    render::Limits small;
    small.max_file_bytes = 50;
    auto too_big = git::read_commit_files(*repo, head, small);
    REQUIRE_FALSE(too_big.has_value());
    CHECK(too_big.error().message == "b.yaml is 101 bytes, more than the limit of 50 (hub limit file-bytes)");

    render::Limits few;
    few.max_files = 2;
    auto too_many = git::read_commit_files(*repo, head, few);
    REQUIRE_FALSE(too_many.has_value());
    CHECK(too_many.error().message == cat("commit ", head, " has more than 2 YAML/JSON files (hub limit repo-files)"));

    // a.yaml 5 + b.yaml 101 + run.json 2 bytes, checked from object headers.
    render::Limits little;
    little.max_input_bytes = 107;
    auto too_much = git::read_commit_files(*repo, head, little);
    REQUIRE_FALSE(too_much.has_value());
    CHECK(too_much.error().message == cat("commit ", head, ": its YAML/JSON files hold more than the limit of 107 bytes (hub limit repo-bytes)"));
    little.max_input_bytes = 108;
    CHECK(git::read_commit_files(*repo, head, little).has_value());
}

TEST_CASE("bad arguments are errors naming what is wrong") {
    TempDir tmp;
    std::string bare = tmp.path() + "/fleet.git";
    CHECK(git::init_bare(bare, "bad..name").error().message == "invalid branch name \"bad..name\"");
    REQUIRE(git::init_bare(bare).has_value());
    auto again = git::init_bare(bare);
    REQUIRE_FALSE(again.has_value());
    CHECK(starts_with(again.error().message, cat("cannot create a bare repository at ", bare, ": ")));

    auto missing = git::open(tmp.path() + "/nope.git");
    REQUIRE_FALSE(missing.has_value());
    CHECK(starts_with(missing.error().message, cat("cannot open Git repository ", tmp.path(), "/nope.git: ")));

    auto repo = git::open(bare);
    REQUIRE(repo.has_value());
    CHECK(git::read_commit_files(*repo, "xyz", {}).error().message == "invalid commit id \"xyz\" (want 40 hex characters)");
    std::string absent(40, 'a');
    CHECK(starts_with(git::read_commit_files(*repo, absent, {}).error().message, cat("commit ", absent, " not found in ")));
    CHECK(starts_with(git::commit_summary(*repo, absent).error().message, cat("commit ", absent, " not found in ")));
    CHECK(git::branch_head(*repo, "a b").error().message == "invalid branch name \"a b\"");
}

TEST_CASE("many GitLibrary guards and repositories can live at once") {
    TempDir tmp;
    REQUIRE(git::init_bare(tmp.path() + "/r.git").has_value());
    std::vector<git::Repo> repos;
    for (int i = 0; i < 4; ++i) {
        auto r = git::open(tmp.path() + "/r.git");
        REQUIRE(r.has_value());
        repos.push_back(std::move(*r));
    }
    git::GitLibrary a, b(a);
    b = a;
    repos.erase(repos.begin());
    // libgit2 is still initialised: the remaining repositories work.
    auto head = git::branch_head(repos.back(), "main");
    REQUIRE(head.has_value());
    CHECK_FALSE(head->has_value());
}
