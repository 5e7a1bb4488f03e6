#include <doctest/doctest.h>

#include "tools/fleetsim/options.h"

using namespace drover;
using namespace drover::fleetsim;

namespace {
Result<CommandLine> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "fleetsim");
    return parse_command_line(args);
}
std::string error_of(std::vector<std::string> args) {
    auto r = parse(std::move(args));
    REQUIRE_FALSE(r);
    return r.error().message;
}
const std::vector<std::string> kMinimal = {"--hub", "wss://127.0.0.1:8443", "--ca", "ca.pem", "--token", "T",
                                          "--agents", "50"};
std::vector<std::string> plus(std::vector<std::string> more) {
    auto args = kMinimal;
    args.insert(args.end(), more.begin(), more.end());
    return args;
}
}  // namespace

TEST_CASE("the documented command line parses, with defaults like drover-agent's") {
    auto r = parse(plus({"--labels", "role=sim,site=lab", "--duration", "10m"}));
    REQUIRE(r);
    const Options& o = r->options;
    CHECK(o.agents == 50);
    CHECK(o.labels == Labels{{"role", "sim"}, {"site", "lab"}});
    CHECK(o.duration == std::chrono::minutes(10));
    CHECK(o.backoff_base == std::chrono::seconds(5));
    CHECK(o.heartbeat == std::chrono::seconds(60));
    CHECK(o.workers == 2);
    CHECK(o.data_dir.empty());
    CHECK(parse({"--help"})->command == Command::help);
    CHECK(parse(plus({"--progress", "0"}))->options.progress.count() == 0);
}

TEST_CASE("fleetsim refuses bad command lines with one line naming the problem") {
    CHECK(error_of({"--agents", "3"}) == "--hub is required (see --help)");
    CHECK(error_of(plus({"--agents", "0"})) == "--agents is given twice");
    CHECK(error_of({"--hub", "wss://h", "--ca", "c", "--token", "t", "--agents", "0"}) ==
          "--agents \"0\" must be a number from 1 to 20000");
    CHECK(error_of({"--hub", "wss://h", "--ca", "c", "--token", "t", "--agents", "lots"}).find("--agents") == 0);
    CHECK(error_of({"--hub", "ws://h", "--token", "t", "--agents", "1"}).find("--insecure") != std::string::npos);
    CHECK(error_of({"--hub", "wss://h", "--token", "t", "--agents", "1"}) == "--ca is required for a wss:// hub");
    CHECK(error_of(plus({"--duration", "soon"})).find("--duration \"soon\"") == 0);
    CHECK(error_of(plus({"--bogus", "1"})) == "unknown option --bogus (see --help)");
    CHECK(error_of(plus({"--heartbeat", "10s", "--idle-timeout", "15s"})) ==
          "--idle-timeout must be at least twice --heartbeat");
    CHECK(error_of(plus({"--labels", "bad label"})).find("--labels: ") == 0);
    CHECK(error_of(plus({"--ramp"})) == "--ramp needs a value");
}

TEST_CASE("there are never more workers than agents") {
    auto r = parse({"--hub", "ws://h:1", "--insecure", "--token", "t", "--agents", "1", "--workers", "8"});
    REQUIRE(r);
    CHECK(r->options.workers == 1);
}
