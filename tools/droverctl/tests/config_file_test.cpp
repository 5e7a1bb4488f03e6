// The config file: its syntax, where it is looked for, and that flags and
// the environment win over it, setting by setting.
#include <doctest/doctest.h>

#include "common/fs.h"
#include "common/testing/temp_dir.h"
#include "tools/droverctl/config_file.h"
#include "tools/droverctl/tests/in_process.h"
#include "tools/droverctl/tests/loopback_http_server.h"

using namespace drover;
using namespace drover::ctl;
using namespace drover::ctl::testing;
using drover::testing::TempDir;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const char* name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

// A config directory laid out as $XDG_CONFIG_HOME/drover/config.
struct ConfigHome {
    TempDir dir;
    ConfigHome(const std::string& text) {
        REQUIRE(make_dirs(dir / "drover"));
        REQUIRE(write_file_atomic(path(), text));
    }
    std::string path() const { return dir / "drover/config"; }
};

}  // namespace

TEST_CASE("the config file holds hub, token and ca; comments, blank lines and spaces around = are fine") {
    auto c = parse_config_file("# lab hub\n\n  hub = https://hub.lab:8443  \ntoken=drv_admin_x\n  # the CA\nca = ca.pem\n",
                               "/home/op/.config/drover/config", "/home/op");
    REQUIRE(c);
    CHECK(c->hub == "https://hub.lab:8443");
    CHECK(c->token == "drv_admin_x");
    CHECK(c->ca == "/home/op/.config/drover/ca.pem");  // relative to the file
    auto abs = parse_config_file("ca = /etc/drover/ca.pem\ntoken-file = ~/admin.token\n", "/x/config", "/home/op");
    REQUIRE(abs);
    CHECK(abs->ca == "/etc/drover/ca.pem");
    CHECK(abs->token_file == "/home/op/admin.token");
    // "#" inside a value is part of it.
    CHECK(parse_config_file("hub = https://h/#frag\n", "c", "")->hub == "https://h/#frag");
}

TEST_CASE("the config syntax droverctl --help shows parses: a # after a space starts a comment") {
    auto c = parse_config_file("hub = https://hub.example:8443\n"
                               "token-file = ~/.config/drover/admin.token    # or: token = drv_...\n"
                               "ca = ~/.config/drover/ca.pem\n",
                               "/home/op/.config/drover/config", "/home/op");
    REQUIRE(c);
    CHECK(c->hub == "https://hub.example:8443");
    CHECK(c->token_file == "/home/op/.config/drover/admin.token");
    CHECK(c->ca == "/home/op/.config/drover/ca.pem");
    auto token = parse_config_file("token = drv_admin_x # the admin token\n", "c", "");
    REQUIRE(token);
    CHECK(token->token == "drv_admin_x");
    // A value that is only a comment is no value.
    CHECK(parse_config_file("token = # later\n", "/c", "").error().message == "/c:1: token has no value");
}

TEST_CASE("a bad config line is an error naming file and line") {
    struct Case {
        const char* text;
        const char* error;
    };
    const Case cases[] = {
        {"hub = https://h\nthis is wrong\n", "/c/config:2: expected key = value, not \"this is wrong\""},
        {"# ok\nhost = h\n", "/c/config:2: unknown key \"host\" (known: hub, token, token-file, ca)"},
        {"hub = a\nhub = b\n", "/c/config:2: hub is given twice"},
        {"token =\n", "/c/config:1: token has no value"},
        {"token = t\n\ntoken-file = f\n", "/c/config:3: give token or token-file, not both"},
        {"ca = ~/ca.pem\n", "/c/config:1: ca \"~/ca.pem\" starts with ~/ but HOME is not set"},
    };
    for (const auto& c : cases) {
        auto r = parse_config_file(c.text, "/c/config", "");
        REQUIRE_FALSE(r);
        CHECK(r.error().message == c.error);
    }
}

TEST_CASE("the config file is $XDG_CONFIG_HOME/drover/config, else ~/.config/drover/config") {
    CHECK(config_file_path(env_of({{"XDG_CONFIG_HOME", "/xdg"}, {"HOME", "/home/op"}})) == "/xdg/drover/config");
    CHECK(config_file_path(env_of({{"HOME", "/home/op"}})) == "/home/op/.config/drover/config");
    CHECK_FALSE(config_file_path(env_of({})));
}

TEST_CASE("flags beat the environment, which beats the config file, setting by setting") {
    ConfigHome home("hub = https://file-hub\ntoken = file-token\nca = /file/ca.pem\n");
    auto env = env_of({{"XDG_CONFIG_HOME", home.dir.path()}, {"DROVER_TOKEN", "env-token"}});
    auto options = parse_global_options({"--ca", "/flag/ca.pem", "status"}, env);
    REQUIRE(options);
    REQUIRE(apply_config_file(*options, env));
    CHECK(options->hub == "https://file-hub");
    CHECK(options->token == "env-token");
    CHECK(options->ca == "/flag/ca.pem");
}

TEST_CASE("token-file is read, trimmed, and only when the token comes from it") {
    ConfigHome home("hub = https://h\ntoken-file = admin.token\n");
    REQUIRE(write_file_atomic(home.dir / "drover/admin.token", "drv_from_file\n", 0600));
    auto env = env_of({{"XDG_CONFIG_HOME", home.dir.path()}});
    GlobalOptions from_file;
    REQUIRE(apply_config_file(from_file, env));
    CHECK(from_file.token == "drv_from_file");

    REQUIRE(write_file_atomic(home.dir / "drover/admin.token", " \n"));
    GlobalOptions empty;
    CHECK(apply_config_file(empty, env).error().message ==
          home.path() + ": token-file \"" + home.dir.path() + "/drover/admin.token\" is empty");
    GlobalOptions flagged;
    flagged.token = "from-flag";
    CHECK(apply_config_file(flagged, env));  // the empty file is never read
    CHECK(flagged.hub == "https://h");

    REQUIRE(::unlink((home.dir / "drover/admin.token").c_str()) == 0);
    GlobalOptions missing;
    auto r = apply_config_file(missing, env);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(home.path() + ": token-file: cannot open ") == 0);
}

TEST_CASE("no config file is no error") {
    TempDir empty;
    GlobalOptions o;
    CHECK(apply_config_file(o, env_of({{"XDG_CONFIG_HOME", empty.path()}})));
    CHECK(o.hub.empty());
    CHECK(apply_config_file(o, env_of({})));
}

TEST_CASE("droverctl reaches the hub the config file names; a bad line is a usage error before any request") {
    LoopbackHttpServer hub([](const RecordedRequest& r) {
        if (r.authorization != "Bearer file-token") return CannedReply{401, R"({"error":"wrong token"})"};
        return CannedReply{200, R"([{"name":"web","targeted":1,"ready":1}])"};
    });
    ConfigHome home("# written by the test\nhub = " + hub.url() + "\ntoken = file-token\n");
    auto run = droverctl({"-o", "json", "bundles"}, {{"XDG_CONFIG_HOME", home.dir.path()}});
    CHECK_MESSAGE(run.code == 0, run.err);
    CHECK(run.out.find("\"web\"") != std::string::npos);

    // The home directory's default location works the same.
    TempDir user;
    REQUIRE(make_dirs(user / ".config/drover"));
    REQUIRE(write_file_atomic(user / ".config/drover/config", "hub = " + hub.url() + "\ntoken = file-token\n"));
    CHECK(droverctl({"bundles"}, {{"HOME", user.path()}}).code == 0);

    REQUIRE(write_file_atomic(home.path(), "hub = " + hub.url() + "\ntoken: file-token\n"));
    auto bad = droverctl({"bundles"}, {{"XDG_CONFIG_HOME", home.dir.path()}});
    CHECK(bad.code == 2);
    CHECK(bad.err == "droverctl: " + home.path() + ":2: expected key = value, not \"token: file-token\" (see 'droverctl --help')\n");
    // Commands that need no hub do not read it.
    auto lint = droverctl({"lint", home.dir / "no-fleet-here"}, {{"XDG_CONFIG_HOME", home.dir.path()}});
    CHECK(lint.code == 1);
    CHECK(lint.err.find("config") == std::string::npos);
    CHECK(hub.requests().size() == 2);
}
