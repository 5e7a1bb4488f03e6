#pragma once
// Test helpers over real Git repositories. GitCli runs the real git CLI
// with a private HOME and no system config, so the machine's git
// configuration cannot change the outcome; its stderr is shown when a
// command fails.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/fs.h"
#include "common/testing/temp_dir.h"
#include "common/text.h"

namespace drover::testing {

class GitCli {
public:
    explicit GitCli(const TempDir& home) : home_(home.path()) {}

    // Runs `git ARGS` in dir; the test fails unless it succeeds. Returns stdout.
    std::string run(const std::string& dir, const std::string& args) {
        std::string out = home_ + "/git.out", log = home_ + "/git.log";
        std::string cmd = cat("cd '", dir, "' && env HOME='", home_, "' GIT_CONFIG_NOSYSTEM=1 ",
                              "git -c user.name=Tester -c user.email=tester@example.com -c init.defaultBranch=trunk ",
                              args, " >'", out, "' 2>'", log, "'");
        int rc = std::system(cmd.c_str());
        auto output = read_file(log);
        INFO("git ", args, " in ", dir, ":\n", output ? *output : std::string("(no log)"));
        REQUIRE(rc == 0);
        return read_file(out, 1 << 30).value_or("");
    }

private:
    std::string home_;
};

// How many push quarantines (objects/incoming-*) the bare repository holds.
inline size_t quarantine_dirs(const std::string& bare) {
    size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(bare + "/objects"))
        if (e.path().filename().string().starts_with("incoming-")) ++n;
    return n;
}

inline void write_text(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

}  // namespace drover::testing
