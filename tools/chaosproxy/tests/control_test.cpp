#include "tools/chaosproxy/control.h"

#include <doctest/doctest.h>

#include <string>

#include "tools/chaosproxy/script.h"

using namespace drover::chaosproxy;

TEST_CASE("control: every command parses") {
    CHECK(std::holds_alternative<command::Cut>(*parse_command("cut")));
    CHECK(std::holds_alternative<command::Stall>(*parse_command("stall")));
    CHECK(std::holds_alternative<command::Resume>(*parse_command("resume")));
    CHECK(std::holds_alternative<command::Stats>(*parse_command("stats")));
    CHECK(std::get<command::SetDelay>(*parse_command("delay 50ms")).ms == 50);
    CHECK(std::get<command::SetDelay>(*parse_command("delay 0ms")).ms == 0);
    CHECK(std::get<command::SetRate>(*parse_command("rate 64KiB")).bytes_per_s == 65536);
    CHECK(std::get<command::SetRate>(*parse_command("rate off")).bytes_per_s == 0);
    CHECK(std::get<command::SetChaos>(*parse_command("chaos on")).on);
    CHECK_FALSE(std::get<command::SetChaos>(*parse_command("chaos off")).on);
    CHECK(std::get<command::SetRefuse>(*parse_command("refuse on")).on);
    CHECK_FALSE(std::get<command::SetRefuse>(*parse_command("refuse off")).on);
}

TEST_CASE("control: blanks around and between words do not matter") {
    CHECK(std::get<command::SetDelay>(*parse_command("  delay \t 2s \r")).ms == 2000);
}

TEST_CASE("control: bad commands say what is wrong") {
    auto error_of = [](const char* line) {
        auto c = parse_command(line);
        REQUIRE_FALSE(c);
        return c.error().message;
    };
    CHECK(error_of("explode").find("unknown command \"explode\"") != std::string::npos);
    CHECK(error_of("").find("empty") != std::string::npos);
    CHECK(error_of("cut now").find("no arguments") != std::string::npos);
    CHECK(error_of("delay").find("duration") != std::string::npos);
    CHECK(error_of("delay soon").find("\"soon\"") != std::string::npos);
    CHECK(error_of("rate").find("off") != std::string::npos);
    CHECK(error_of("rate 0").find("more than 0") != std::string::npos);
    CHECK(error_of("chaos maybe").find("on or off") != std::string::npos);
    CHECK(error_of("refuse").find("on or off") != std::string::npos);
    CHECK(error_of("CUT").find("unknown") != std::string::npos);
}

TEST_CASE("script: steps come out in time order, file order within the same time") {
    auto steps = parse_script("# warm up\n"
                              "10s chaos off\n"
                              "\n"
                              "0s rate 1MiB   # full speed first\n"
                              "5s cut\n"
                              "5s stall\n",
                              "plan.txt");
    REQUIRE(steps);
    REQUIRE(steps->size() == 4);
    CHECK((*steps)[0].at_ms == 0);
    CHECK(std::get<command::SetRate>((*steps)[0].command).bytes_per_s == 1024 * 1024);
    CHECK((*steps)[0].where == "plan.txt:4");
    CHECK(std::holds_alternative<command::Cut>((*steps)[1].command));
    CHECK(std::holds_alternative<command::Stall>((*steps)[2].command));
    CHECK((*steps)[3].at_ms == 10'000);
    CHECK((*steps)[3].text == "chaos off");
}

TEST_CASE("script: a bad line is reported as FILE:LINE: reason") {
    auto bad = parse_script("0s cut\n5s explode\n", "plan.txt");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.starts_with("plan.txt:2: unknown command \"explode\""));
    bad = parse_script("cut\n", "plan.txt");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.starts_with("plan.txt:1: expected \"AT COMMAND\""));
    bad = parse_script("\n\nsoon cut\n", "p");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.starts_with("p:3: bad duration \"soon\""));
}

TEST_CASE("script: a missing file is an error naming it") {
    auto missing = load_script("/nonexistent/chaos.script");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.starts_with("/nonexistent/chaos.script: cannot open"));
}
