#include <doctest/doctest.h>

#include <sstream>

#include "tools/droverctl/droverctl.h"
#include "tools/droverctl/lint_command.h"

using namespace drover;
using namespace drover::ctl;
using nlohmann::json;

namespace {

struct Run {
    int code;
    std::string out, err;
};

Run droverctl(std::vector<std::string> args) {
    std::ostringstream out, err;
    int code = run_droverctl(args, out, err, [](const char*) { return std::optional<std::string>(); });
    return {code, out.str(), err.str()};
}

const std::string kExamples = DROVER_SOURCE_ROOT "/bundles";
const std::string kBad = DROVER_SOURCE_ROOT "/testdata/bad-bundles";

}  // namespace

TEST_CASE("lint accepts the example fleet and counts its bundles, without a hub") {
    auto run = droverctl({"lint", kExamples});
    CHECK(run.code == 0);
    CHECK(run.out == "ok: 3 bundles\n");
    CHECK(run.err.empty());
    auto as_json = droverctl({"lint", kExamples, "-o", "json"});
    CHECK(as_json.code == 0);
    CHECK(json::parse(as_json.out) == json{{"ok", true}, {"bundles", {"infra", "monitoring", "web"}}});
}

TEST_CASE("lint prints each problem as file:line: message and exits 1") {
    auto run = droverctl({"lint", kBad + "/unknown-group"});
    CHECK(run.code == 1);
    REQUIRE_FALSE(run.out.empty());
    // Every line is "file:line: message" or "file: message".
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
        CHECK_MESSAGE(line.find(": ") != std::string::npos, line);
        CHECK_MESSAGE(line.find('/') < line.find(": "), line);
    }
    auto as_json = droverctl({"lint", kBad + "/dependson-cycle", "-o", "json"});
    CHECK(as_json.code == 1);
    auto doc = json::parse(as_json.out);
    CHECK(doc["ok"] == false);
    CHECK_FALSE(doc["problems"].empty());
}

TEST_CASE("every bad fleet in testdata fails lint") {
    for (const char* name : {"dependson-cycle", "duplicate-object", "missing-kind", "missing-patch", "nested-bundle",
                             "patch-matches-nothing", "unknown-group", "unknown-key", "unknown-operator",
                             "yaml-syntax"}) {
        auto run = droverctl({"lint", kBad + "/" + name});
        CHECK_MESSAGE(run.code == 1, name);
        CHECK_MESSAGE(!run.out.empty(), name);
    }
}

TEST_CASE("lint of a missing directory or without PATH fails with one line") {
    auto missing = droverctl({"lint", "/nonexistent/fleet"});
    CHECK(missing.code == 1);
    CHECK(missing.err.find("droverctl: ") == 0);
    CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
    auto none = droverctl({"lint"});
    CHECK(none.code == 2);
    CHECK(none.err == "droverctl: lint needs exactly one PATH (see 'droverctl lint --help')\n");
}

TEST_CASE("render lists the bundles targeting an agent and prints each spec") {
    auto gateway = droverctl({"render", kExamples, "--labels", "role=gateway,size=small", "--name", "edge-1"});
    CHECK(gateway.code == 0);
    CHECK(gateway.out.find("2 bundles target agent edge-1 with labels role=gateway,size=small:\n") == 0);
    CHECK(gateway.out.find("\n# infra\n{") != std::string::npos);
    CHECK(gateway.out.find("\n# web (small)\n{") != std::string::npos);
    CHECK(gateway.out.find("nginx:1.27-alpine") != std::string::npos);
    CHECK(gateway.out.find("# monitoring") == std::string::npos);

    auto eu = droverctl({"render", kExamples, "--labels", "region=eu-west", "-o", "json"});
    CHECK(eu.code == 0);
    auto doc = json::parse(eu.out);
    REQUIRE(doc["bundles"].size() == 2);
    CHECK(doc["bundles"][0]["bundle"] == "infra");
    CHECK(doc["bundles"][1]["bundle"] == "monitoring");
    CHECK(doc["bundles"][1]["customization"].is_null());
    CHECK(doc["bundles"][1]["digest"].get<std::string>().size() == 64);
    CHECK(doc["bundles"][1]["spec"]["bundle"] == "monitoring");
    CHECK(doc["agent"] == json{{"name", ""}, {"labels", {{"region", "eu-west"}}}});
}

TEST_CASE("render agrees with the renderer's own targeting") {
    auto files = render::read_directory(kExamples);
    REQUIRE(files);
    auto fleet = render::render_fleet(*files);
    REQUIRE(fleet);
    auto plain = bundles_for_agent(*fleet, {{"role", "gateway"}}, "edge-2");
    REQUIRE(plain.size() == 2);
    CHECK(plain[1].bundle == "web");
    CHECK(plain[1].customization.empty());
    CHECK(plain[1].spec == fleet->find("web")->spec_for({{"role", "gateway"}}, "edge-2", fleet->groups));
    CHECK(bundles_for_agent(*fleet, {}, "").size() == 1);  // infra targets everyone
}

TEST_CASE("render refuses bad labels and reports a broken fleet like lint") {
    auto bad_labels = droverctl({"render", kExamples, "--labels", "role"});
    CHECK(bad_labels.code == 2);
    CHECK(bad_labels.err == "droverctl: label \"role\": expected key=value (see 'droverctl render --help')\n");
    auto broken = droverctl({"render", kBad + "/unknown-key", "--labels", "a=b"});
    CHECK(broken.code == 1);
    CHECK(broken.out.find("app/") == 0);
}
