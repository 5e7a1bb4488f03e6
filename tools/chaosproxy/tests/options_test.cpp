#include "tools/chaosproxy/options.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tools/chaosproxy/quantities.h"

using namespace drover::chaosproxy;

namespace {

drover::Result<Options> parse(std::vector<std::string> args) { return parse_options(args); }

}  // namespace

TEST_CASE("options: the minimal command line has defaults for everything else") {
    auto o = parse({"--listen", "127.0.0.1:0", "--upstream", "localhost:8443"});
    REQUIRE(o);
    CHECK(o->listen.host == "127.0.0.1");
    CHECK(o->listen.port == 0);
    CHECK(o->upstream.host == "localhost");
    CHECK(o->upstream.port == 8443);
    CHECK(o->seed == 1);
    CHECK_FALSE(o->chaos.any());
    CHECK(o->chaos.stall_for == DurationRange{30'000, 60'000});
    CHECK(o->delay_ms == 0);
    CHECK(o->rate_bytes_per_s == 0);
    CHECK_FALSE(o->control);
    CHECK_FALSE(o->script_path);
}

TEST_CASE("options: every flag is parsed, with --name value and --name=value alike") {
    auto o = parse({"--listen=0.0.0.0:7000", "--upstream", "[::1]:443", "--seed", "42", "--cut-every", "5s..2m",
                    "--stall-every=1s..10s", "--stall-for", "250ms..500ms", "--delay", "50ms", "--rate", "64KiB",
                    "--control", "127.0.0.1:0", "--script", "plan.txt"});
    REQUIRE(o);
    CHECK(o->listen.host == "0.0.0.0");
    CHECK(o->listen.port == 7000);
    CHECK(o->upstream.host == "::1");
    CHECK(to_string(o->upstream) == "[::1]:443");
    CHECK(o->seed == 42);
    REQUIRE(o->chaos.cut_every);
    CHECK(*o->chaos.cut_every == DurationRange{5'000, 120'000});
    REQUIRE(o->chaos.stall_every);
    CHECK(*o->chaos.stall_every == DurationRange{1'000, 10'000});
    CHECK(o->chaos.stall_for == DurationRange{250, 500});
    CHECK(o->delay_ms == 50);
    CHECK(o->rate_bytes_per_s == 64 * 1024);
    REQUIRE(o->control);
    CHECK(o->control->port == 0);
    CHECK(o->script_path == "plan.txt");
}

TEST_CASE("options: --help wins over everything else") {
    auto o = parse({"--bogus", "--help"});
    CHECK_FALSE(o);  // the bad flag comes first
    o = parse({"--help", "--bogus"});
    REQUIRE(o);
    CHECK(o->help);
    CHECK(usage().find("--stall-every") != std::string::npos);
}

TEST_CASE("options: bad input names what is wrong") {
    auto error_of = [](std::vector<std::string> args) {
        auto o = parse_options(args);
        REQUIRE_FALSE(o);
        return o.error().message;
    };
    CHECK(error_of({"--upstream", "h:1"}).find("--listen") != std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:0"}).find("--upstream") != std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:0", "--upstream", "h:0"}).find("port 0") != std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1", "--upstream", "h:1"}).find("HOST:PORT") != std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:70000", "--upstream", "h:1"}).find("0-65535") != std::string::npos);
    CHECK(error_of({"--listen", "::1:80", "--upstream", "h:1"}).find("[ADDR]:PORT") != std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:0", "--upstream", "h:1", "--rate", "fast"}).find("\"fast\"") !=
          std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:0", "--upstream", "h:1", "--cut-every", "5s..1s"}).find("MIN") !=
          std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:0", "--upstream", "h:1", "--stall-for", "0s"}).find("MAX") !=
          std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:0", "--upstream", "h:1", "--delay", "5"}).find("250ms") !=
          std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:0", "--upstream", "h:1", "--seed", "-3"}).find("--seed") !=
          std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:0", "--upstream", "h:1", "--seed"}).find("needs a value") !=
          std::string::npos);
    CHECK(error_of({"--listen", "127.0.0.1:0", "--upstream", "h:1", "--frobnicate", "1"}).find("--frobnicate") !=
          std::string::npos);
    CHECK(error_of({"stray"}).find("\"stray\"") != std::string::npos);
}

TEST_CASE("rates accept bytes per second with KiB and MiB suffixes") {
    CHECK(parse_rate("4096") == 4096u);
    CHECK(parse_rate("64KiB") == 65536u);
    CHECK(parse_rate("1MiB") == 1048576u);
    CHECK_FALSE(parse_rate("0"));
    CHECK_FALSE(parse_rate("KiB"));
    CHECK_FALSE(parse_rate("64kb"));
    CHECK_FALSE(parse_rate("-1"));
    CHECK_FALSE(parse_rate("99999999999999999999MiB"));
}

TEST_CASE("duration ranges: MIN..MAX, or one duration for both") {
    CHECK(parse_duration_range("250ms..5s") == DurationRange{250, 5'000});
    CHECK(parse_duration_range("2m") == DurationRange{120'000, 120'000});
    CHECK_FALSE(parse_duration_range("5s.."));
    CHECK_FALSE(parse_duration_range("..5s"));
    CHECK_FALSE(parse_duration_range("5..6"));
    CHECK_FALSE(parse_duration_range("6s..5s"));
}
