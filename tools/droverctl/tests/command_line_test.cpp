#include <doctest/doctest.h>

#include <map>

#include "tools/droverctl/command_line.h"

using namespace drover;
using namespace drover::ctl;

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const char* name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}
}  // namespace

TEST_CASE("global options come from flags, else from DROVER_* variables") {
    auto env = env_of({{"DROVER_HUB", "https://env-hub:8443"}, {"DROVER_TOKEN", "env-token"}, {"DROVER_CA", "/env/ca.pem"}});
    auto from_env = parse_global_options({"status"}, env);
    REQUIRE(from_env);
    CHECK(from_env->hub == "https://env-hub:8443");
    CHECK(from_env->token == "env-token");
    CHECK(from_env->ca == "/env/ca.pem");
    CHECK(from_env->output == OutputFormat::table);
    CHECK(from_env->command == std::vector<std::string>{"status"});

    auto flags = parse_global_options({"--hub", "https://flag-hub", "--token=t1", "--ca", "/flag/ca.pem", "status"}, env);
    REQUIRE(flags);
    CHECK(flags->hub == "https://flag-hub");
    CHECK(flags->token == "t1");
    CHECK(flags->ca == "/flag/ca.pem");

    auto none = parse_global_options({"status"}, env_of({}));
    REQUIRE(none);
    CHECK(none->hub.empty());
    CHECK(none->token.empty());
}

TEST_CASE("global options may follow the command and leave its own arguments in order") {
    auto g = parse_global_options({"token", "create", "--labels", "a=b", "-o", "json", "--uses", "3", "--hub", "http://h"},
                                  env_of({}));
    REQUIRE(g);
    CHECK(g->output == OutputFormat::json);
    CHECK(g->hub == "http://h");
    CHECK(g->command == std::vector<std::string>{"token", "create", "--labels", "a=b", "--uses", "3"});
}

TEST_CASE("the output format is spelled -o json, -ojson, --output=json or --output table") {
    for (auto args : std::vector<std::vector<std::string>>{{"-o", "json"}, {"-ojson"}, {"--output=json"}, {"--output", "json"}}) {
        auto g = parse_global_options(args, env_of({}));
        REQUIRE(g);
        CHECK(g->output == OutputFormat::json);
    }
    auto table = parse_global_options({"-o", "table"}, env_of({}));
    REQUIRE(table);
    CHECK(table->output == OutputFormat::table);
    auto bad = parse_global_options({"-o", "yaml"}, env_of({}));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "output format \"yaml\": use table or json");
}

TEST_CASE("a global option without its value is a usage error naming it") {
    for (const char* name : {"--hub", "--token", "--ca", "-o", "--timeout"}) {
        auto g = parse_global_options({"status", name}, env_of({}));
        REQUIRE_FALSE(g);
        CHECK(g.error().message == std::string(name) + " needs a value");
    }
}

TEST_CASE("--timeout takes a duration") {
    auto g = parse_global_options({"--timeout", "500ms"}, env_of({}));
    REQUIRE(g);
    CHECK(g->timeout_ms == 500);
    CHECK(parse_global_options({}, env_of({}))->timeout_ms == 30'000);
    CHECK_FALSE(parse_global_options({"--timeout", "soon"}, env_of({})));
    CHECK_FALSE(parse_global_options({"--timeout", "0s"}, env_of({})));
}

TEST_CASE("--help and --version are recognised anywhere; -- ends global options") {
    auto g = parse_global_options({"label", "--help"}, env_of({}));
    REQUIRE(g);
    CHECK(g->help);
    CHECK(g->command == std::vector<std::string>{"label"});
    CHECK(parse_global_options({"--version"}, env_of({}))->version);

    auto dashed = parse_global_options({"label", "edge-1", "--", "--hub", "x=y"}, env_of({}));
    REQUIRE(dashed);
    CHECK(dashed->hub.empty());
    CHECK(dashed->command == std::vector<std::string>{"label", "edge-1", "--", "--hub", "x=y"});
}

TEST_CASE("command arguments: values, flags, positionals, and errors for what the command does not know") {
    std::vector<std::string> args{"--labels", "a=b", "pos1", "--uses=3", "-h", "pos2"};
    auto a = parse_args(args, {"--labels", "--uses"});
    REQUIRE(a);
    CHECK(a->value("--labels") == "a=b");
    CHECK(a->value("--uses") == "3");
    CHECK_FALSE(a->value("--ttl"));
    CHECK(a->has("--help"));
    CHECK(a->positionals == std::vector<std::string>{"pos1", "pos2"});

    std::vector<std::string> unknown{"--lables", "a=b"};
    auto u = parse_args(unknown, {"--labels"});
    REQUIRE_FALSE(u);
    CHECK(u.error().message == "unknown option \"--lables\"");

    std::vector<std::string> twice{"--uses", "1", "--uses", "2"};
    CHECK(parse_args(twice, {"--uses"}).error().message == "--uses given twice");

    std::vector<std::string> missing{"--uses"};
    CHECK(parse_args(missing, {"--uses"}).error().message == "--uses needs a value");

    std::vector<std::string> after_dashes{"--", "--uses", "-x"};
    auto d = parse_args(after_dashes, {"--uses"});
    REQUIRE(d);
    CHECK(d->positionals == std::vector<std::string>{"--uses", "-x"});
}
