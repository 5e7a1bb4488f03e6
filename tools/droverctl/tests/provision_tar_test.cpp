// The overlay's tar and gzip, read back by GNU tar: what an image build
// script will unpack.
#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "common/deflate.h"
#include "common/fs.h"
#include "common/testing/command.h"
#include "common/testing/temp_dir.h"
#include "tools/droverctl/provision_tar.h"

using namespace drover;
using namespace drover::ctl;
using drover::testing::TempDir;

namespace {

// stdout of a shell command; the test fails when it exits non-zero.
std::string shell(const std::string& command) {
    auto r = drover::testing::run_command(command);
    INFO(command);
    REQUIRE(r.exit_code == 0);
    return r.output;
}

}  // namespace

TEST_CASE("tar lists directories, files and a symlink with root owners, modes and the stamped time") {
    TempDir dir;
    TarArchive tar(1700000000);  // 2023-11-14T22:13:20Z: in the past, so tar -x does not warn
    REQUIRE(tar.add_directory("etc", 0755));
    REQUIRE(tar.add_directory("etc/drover", 0755));
    REQUIRE(tar.add_file("etc/drover/agent.conf", "token = secret\n", 0600));
    REQUIRE(tar.add_file("etc/drover/empty", "", 0644));
    REQUIRE(tar.add_file("etc/drover/big", std::string(1500, 'x'), 0755));
    REQUIRE(tar.add_symlink("etc/drover/link", "agent.conf"));
    REQUIRE(write_file_atomic(dir / "o.tar.gz", gzip_bytes(std::move(tar).finish())));

    // Columns one space apart: GNU tar pads them by width.
    std::string listing = shell("TZ=UTC LC_ALL=C tar --numeric-owner --full-time -tzvf " + dir / "o.tar.gz" +
                                " | tr -s ' '");
    CHECK(listing ==
          "drwxr-xr-x 0/0 0 2023-11-14 22:13:20 etc/\n"
          "drwxr-xr-x 0/0 0 2023-11-14 22:13:20 etc/drover/\n"
          "-rw------- 0/0 15 2023-11-14 22:13:20 etc/drover/agent.conf\n"
          "-rw-r--r-- 0/0 0 2023-11-14 22:13:20 etc/drover/empty\n"
          "-rwxr-xr-x 0/0 1500 2023-11-14 22:13:20 etc/drover/big\n"
          "lrwxrwxrwx 0/0 0 2023-11-14 22:13:20 etc/drover/link -> agent.conf\n");
    CHECK(shell("tar -tzvf " + dir / "o.tar.gz" + " | awk '{print $2}' | sort -u") == "root/root\n");

    shell("tar -xzf " + dir / "o.tar.gz" + " -C " + dir.path());
    CHECK(*read_file(dir / "etc/drover/agent.conf") == "token = secret\n");
    CHECK(*read_file(dir / "etc/drover/big") == std::string(1500, 'x'));
    CHECK(*read_file(dir / "etc/drover/link") == "token = secret\n");
}

TEST_CASE("tar stores names longer than 100 bytes in the ustar prefix and refuses what it cannot store") {
    TempDir dir;
    TarArchive tar(0);
    std::string deep = std::string(90, 'd') + "/" + std::string(60, 'f');
    REQUIRE(tar.add_file(deep, "deep", 0644));

    CHECK(tar.add_file(std::string(101, 'n'), "", 0644).error().message.find("too long for ustar") !=
          std::string::npos);
    CHECK(tar.add_file("/etc/passwd", "", 0644).error().message ==
          "tar entry \"/etc/passwd\": absolute paths are not allowed");
    CHECK_FALSE(tar.add_file("etc/../passwd", "", 0644));
    CHECK_FALSE(tar.add_file("etc//passwd", "", 0644));
    CHECK_FALSE(tar.add_directory("", 0755));
    CHECK_FALSE(tar.add_symlink("a", std::string(101, 't')));
    CHECK_FALSE(tar.add_file("a", "", 010000));
    // What was refused left nothing behind.
    REQUIRE(write_file_atomic(dir / "o.tar", std::move(tar).finish()));
    CHECK(shell("tar -tf " + dir / "o.tar") == deep + "\n");
}

