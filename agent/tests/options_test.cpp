#include <doctest/doctest.h>

#include "agent/options.h"
#include "common/testing/temp_dir.h"
#include "common/fs.h"

using namespace drover;
using drover::testing::TempDir;

namespace {

Result<agent::CommandLine> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "drover-agent");
    return agent::parse_command_line(args);
}

std::string error_of(std::vector<std::string> args) {
    auto r = parse(std::move(args));
    REQUIRE_FALSE(r);
    return r.error().message;
}

const std::vector<std::string> kMinimal = {"--hub", "wss://127.0.0.1:8443", "--ca", "ca.pem", "--token", "T",
                                          "--data-dir", "./a1", "--apply", "dir:./a1/out"};

std::vector<std::string> minimal_plus(std::vector<std::string> more) {
    auto args = kMinimal;
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

}  // namespace

TEST_CASE("the documented command line parses into options with defaults") {
    auto r = parse(minimal_plus({"--labels", "role=gateway,region=eu"}));
    REQUIRE(r);
    CHECK(r->command == agent::Command::run);
    const auto& o = r->options;
    CHECK(o.hub.tls);
    CHECK(o.hub.port == 8443);
    CHECK(o.hub.path == "/v1/agent");
    CHECK(o.ca == "ca.pem");
    CHECK(o.token == "T");
    CHECK(o.data_dir == "./a1");
    CHECK(o.apply.dir == "./a1/out");
    CHECK(o.labels == Labels{{"region", "eu"}, {"role", "gateway"}});
    CHECK_FALSE(o.name.empty());  // the host name
    CHECK(o.drift_interval == std::chrono::seconds(30));
    CHECK(o.log_level == log::Level::info);
    CHECK_FALSE(o.insecure);
}

TEST_CASE("--help and --version win over everything else") {
    CHECK(parse({"--bogus", "--help"})->command == agent::Command::help);
    CHECK(parse({"--version"})->command == agent::Command::version);
    CHECK(agent::usage().find("--drift-interval") != std::string::npos);
}

TEST_CASE("flags accept --flag=value as well as --flag value") {
    auto r = parse(minimal_plus({"--name=edge-7", "--drift-interval=5m", "--log-level=debug"}));
    REQUIRE(r);
    CHECK(r->options.name == "edge-7");
    CHECK(r->options.drift_interval == std::chrono::minutes(5));
    CHECK(r->options.log_level == log::Level::debug);
}

TEST_CASE("bad command lines are refused with one line naming the problem") {
    CHECK(error_of({}) == "--hub is required (see --help)");
    CHECK(error_of({"--frobnicate"}) == "unknown option --frobnicate (see --help)");
    CHECK(error_of({"stray"}) == "unexpected argument \"stray\" (see --help)");
    CHECK(error_of({"--hub"}) == "--hub needs a value");
    CHECK(error_of(minimal_plus({"--hub", "wss://x"})) == "--hub is given twice");
    CHECK(error_of({"--hub", "wss://h", "--data-dir", "d", "--apply", "dir:o"}).find("--ca is required") == 0);
    CHECK(error_of(minimal_plus({"--labels", "bad label"})).find("--labels: ") == 0);
    CHECK(error_of(minimal_plus({"--drift-interval", "soon"})).find("--drift-interval: ") == 0);
    CHECK(error_of(minimal_plus({"--log-level", "loud"})).find("log-level must be") != std::string::npos);
}

TEST_CASE("link timing: backoff and heartbeat default for a large fleet and can be tuned") {
    auto d = parse(kMinimal);
    REQUIRE(d);
    CHECK(d->options.backoff_base == std::chrono::seconds(5));
    CHECK(d->options.backoff_cap == std::chrono::minutes(5));
    CHECK(d->options.heartbeat == std::chrono::seconds(60));
    CHECK(d->options.idle_timeout == std::chrono::seconds(150));
    auto r = parse(minimal_plus({"--backoff-base=250ms", "--backoff-cap=4s", "--heartbeat=1s", "--idle-timeout=3s"}));
    REQUIRE(r);
    CHECK(r->options.backoff_base == std::chrono::milliseconds(250));
    CHECK(r->options.backoff_cap == std::chrono::seconds(4));
    CHECK(r->options.heartbeat == std::chrono::seconds(1));
    CHECK(r->options.idle_timeout == std::chrono::seconds(3));
    CHECK(error_of(minimal_plus({"--backoff-base", "never"})).find("--backoff-base: ") == 0);
    CHECK(error_of(minimal_plus({"--backoff-base=5s", "--backoff-cap=1s"})).find("shorter than backoff-base") !=
          std::string::npos);
    CHECK(error_of(minimal_plus({"--heartbeat=10s", "--idle-timeout=15s"})).find("at least twice the heartbeat") !=
          std::string::npos);
}

TEST_CASE("ws:// needs --insecure; wss:// with --insecure still verifies and warns") {
    std::vector<std::string> ws = {"--hub", "ws://127.0.0.1:8080", "--token", "T", "--data-dir", "d", "--apply",
                                   "dir:o"};
    CHECK(error_of(ws).find("use wss:// or add --insecure") != std::string::npos);
    ws.push_back("--insecure");
    auto r = parse(ws);
    REQUIRE(r);
    CHECK_FALSE(r->options.hub.tls);
    CHECK(r->options.insecure);
    auto w = parse(minimal_plus({"--insecure"}));
    REQUIRE(w);
    REQUIRE(w->warnings.size() == 1);
    CHECK(w->warnings[0].find("no effect") != std::string::npos);
}

TEST_CASE("--apply takes kube, k3s-manifests with or without a directory, and dir:PATH") {
    auto args = kMinimal;
    args.back() = "kube";
    auto kube = parse(args);
    REQUIRE(kube);
    CHECK(kube->options.apply.kind == ApplyTarget::Kind::kube);
    CHECK(kube->options.kubeconfig.empty());
    args.insert(args.end(), {"--kubeconfig", "/etc/rancher/k3s/k3s.yaml"});
    CHECK(parse(args)->options.kubeconfig == "/etc/rancher/k3s/k3s.yaml");

    args = kMinimal;
    args.back() = "k3s-manifests";
    auto k3s = parse(args);
    REQUIRE(k3s);
    CHECK(k3s->options.apply.kind == ApplyTarget::Kind::k3s_manifests);
    CHECK(k3s->options.apply.dir == "/var/lib/rancher/k3s/server/manifests");
    args.back() = "k3s-manifests:/srv/manifests";
    CHECK(parse(args)->options.apply.dir == "/srv/manifests");
    CHECK(parse(kMinimal)->options.apply.kind == ApplyTarget::Kind::dir);
}

TEST_CASE("bad apply targets and a kubeconfig without kube are refused with the reason") {
    auto args = kMinimal;
    args.back() = "dir:";
    CHECK(error_of(args).find("dir: needs a path") != std::string::npos);
    args.back() = "k3s-manifests:";
    CHECK(error_of(args).find("k3s-manifests: needs a directory") != std::string::npos);
    args.back() = "kube:cluster";
    CHECK(error_of(args) ==
          "--apply: unknown apply target \"kube:cluster\" (want kube, k3s-manifests[:DIR] or dir:PATH)");
    args.back() = "s3://bucket";
    CHECK(error_of(args) == "--apply: unknown apply target \"s3://bucket\" (want kube, k3s-manifests[:DIR] or dir:PATH)");
    CHECK(error_of(minimal_plus({"--kubeconfig", "k.yaml"})) == "--kubeconfig: --kubeconfig is only used with --apply kube");
    CHECK(error_of(minimal_plus({"--readiness-interval", "1ms"})).find("readiness-interval") != std::string::npos);
    CHECK(parse(minimal_plus({"--readiness-interval", "2s"}))->options.readiness_interval == std::chrono::seconds(2));
}

TEST_CASE("a config file supplies settings and the command line overrides it") {
    TempDir dir;
    std::string conf = dir / "agent.conf";
    REQUIRE(write_file_atomic(conf, "# drover agent\n"
                                    "hub = wss://hub.example:8443\n"
                                    "ca = /etc/drover/ca.pem\n"
                                    "token = drv_reg_x   # from droverctl\n"
                                    "\n"
                                    "data-dir = /var/lib/drover\n"
                                    "labels = \"role=gateway\"\n"
                                    "apply = dir:/srv/out\n"
                                    "drift-interval = 10s\n"
                                    "name = from-file\n"));
    auto r = parse({"--config", conf, "--name", "from-flag"});
    REQUIRE(r);
    const auto& o = r->options;
    CHECK(o.hub.host == "hub.example");
    CHECK(o.ca == "/etc/drover/ca.pem");
    CHECK(o.token == "drv_reg_x");
    CHECK(o.labels == Labels{{"role", "gateway"}});
    CHECK(o.apply.dir == "/srv/out");
    CHECK(o.drift_interval == std::chrono::seconds(10));
    CHECK(o.name == "from-flag");
}

TEST_CASE("config file errors name the file and line") {
    TempDir dir;
    std::string conf = dir / "agent.conf";
    REQUIRE(write_file_atomic(conf, "hub = wss://h\n# fine\nhubb = wss://typo\n"));
    CHECK(error_of({"--config", conf}) == conf + ":3: unknown key \"hubb\"");
    REQUIRE(write_file_atomic(conf, "hub wss://h\n"));
    CHECK(error_of({"--config", conf}) == conf + ":1: expected key = value, not \"hub wss://h\"");
    REQUIRE(write_file_atomic(conf, "hub = wss://h\nhub = wss://g\n"));
    CHECK(error_of({"--config", conf}) == conf + ":2: hub is set twice (first at " + conf + ":1)");
    REQUIRE(write_file_atomic(conf, "config = other.conf\n"));
    CHECK(error_of({"--config", conf}) == conf + ":1: unknown key \"config\"");
    REQUIRE(write_file_atomic(conf, "hub = wss://h\nca = c\ndata-dir = d\napply = dir:o\nlabels = =x\n"));
    CHECK(error_of({"--config", conf}).find(conf + ":5: ") == 0);
    CHECK(error_of({"--config", dir / "missing.conf"}).find("--config: cannot open") == 0);
}

TEST_CASE("the hub's signing key is pinned by --signing-key or signing-key in the config; unset by default") {
    auto plain = parse(kMinimal);
    REQUIRE(plain);
    CHECK(plain->options.signing_key.empty());

    auto flag = parse(minimal_plus({"--signing-key", "/etc/drover/signing.pub.pem"}));
    REQUIRE(flag);
    CHECK(flag->options.signing_key == "/etc/drover/signing.pub.pem");

    TempDir dir;
    std::string conf = dir / "agent.conf";
    REQUIRE(write_file_atomic(conf, "hub = wss://hub.example:8443\nca = /etc/drover/ca.pem\n"
                                    "signing-key = /etc/drover/signing.pub.pem\n"
                                    "data-dir = /var/lib/drover\napply = dir:/srv/out\n"));
    auto file = parse({"--config", conf});
    REQUIRE(file);
    CHECK(file->options.signing_key == "/etc/drover/signing.pub.pem");
    CHECK(error_of(minimal_plus({"--signing-key"})) == "--signing-key needs a value");
}
