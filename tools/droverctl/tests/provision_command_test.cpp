// droverctl provision in-process against a loopback hub: what it asks the
// hub for, what it writes, and that the token never reaches the terminal.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/fs.h"
#include "common/testing/command.h"
#include "common/testing/temp_dir.h"
#include "tools/droverctl/provision_command.h"
#include "tools/droverctl/tests/in_process.h"
#include "tools/droverctl/tests/loopback_http_server.h"

using namespace drover;
using namespace drover::ctl;
using namespace drover::ctl::testing;
using drover::testing::TempDir;
using nlohmann::json;

namespace {

constexpr const char* kCa = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
constexpr const char* kKey = "-----BEGIN PUBLIC KEY-----\nKEY\n-----END PUBLIC KEY-----\n";

CannedReply provisioning_hub(const RecordedRequest& r) {
    if (r.method == "GET" && r.path == "/api/v1/trust") return {200, json{{"ca", kCa}, {"signing_key", kKey}}.dump()};
    if (r.method == "POST" && r.path == "/api/v1/tokens")
        return {201, R"({"id":"tok_7","kind":"registration","token":"drv_reg_TOPSECRET","labels":{"role":"gateway"},
                         "uses":2,"expires_at":"2026-12-21T10:00:00Z"})"};
    return {404, R"({"error":"no such path"})"};
}

// stdout of a shell command; the test fails when it exits non-zero.
std::string shell(const std::string& command) {
    auto r = drover::testing::run_command(command);
    INFO(command);
    REQUIRE(r.exit_code == 0);
    return r.output;
}

unsigned mode_of(const std::string& path) {
    struct stat st{};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("provision writes an overlay with agent, config, trust anchors and an enabled unit; the token stays in it") {
    LoopbackHttpServer hub(provisioning_hub);
    TempDir dir;
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "admin"}};
    auto run = droverctl({"provision", "--out", dir / "overlay.tar.gz", "--labels", "role=gateway", "--apply",
                          "dir:/var/lib/drover/out", "--token-uses", "2", "--token-ttl", "7d", "--agent-binary",
                          "/bin/true", "--hub-url", "wss://hub.example:8443"},
                         env);
    INFO(run.err);
    REQUIRE(run.code == 0);
    CHECK(run.out ==
          "wrote " + dir / "overlay.tar.gz" +
              " (image overlay) for agents of wss://hub.example:8443, applying to dir:/var/lib/drover/out\n"
              "created registration token tok_7 (labels role=gateway; 2 uses; expires 2026-12-21T10:00:00Z)\n");
    CHECK((run.out + run.err).find("TOPSECRET") == std::string::npos);
    CHECK(mode_of(dir / "overlay.tar.gz") == 0600);

    auto sent = hub.requests();
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].path == "/api/v1/trust");
    CHECK(sent[1].path == "/api/v1/tokens");
    CHECK(json::parse(sent[1].body) == json{{"labels", {{"role", "gateway"}}}, {"ttl", "7d"}, {"uses", 2}});

    std::string root = dir / "root";
    shell("mkdir " + root + " && tar -xzpf " + dir / "overlay.tar.gz" + " -C " + root);
    CHECK(*read_file(root + "/usr/local/bin/drover-agent", 64 << 20) == *read_file("/bin/true", 64 << 20));
    CHECK(mode_of(root + "/usr/local/bin/drover-agent") == 0755);
    CHECK(mode_of(root + "/etc/drover/agent.conf") == 0600);
    CHECK(mode_of(root + "/etc/drover/ca.pem") == 0644);
    CHECK(*read_file(root + "/etc/drover/ca.pem") == kCa);
    CHECK(*read_file(root + "/etc/drover/signing.pub.pem") == kKey);
    std::string conf = *read_file(root + "/etc/drover/agent.conf");
    CHECK(conf.find("\ntoken = drv_reg_TOPSECRET\n") != std::string::npos);
    CHECK(conf.find("\nhub = wss://hub.example:8443\n") != std::string::npos);
    CHECK(conf.find("\nlabels = role=gateway\n") != std::string::npos);
    CHECK(*read_file(root + "/etc/systemd/system/multi-user.target.wants/drover-agent.service") ==
          *read_file(root + "/etc/systemd/system/drover-agent.service"));
    CHECK(shell("tar -tzvf " + dir / "overlay.tar.gz" + " | awk '{print $2}' | sort -u") == "root/root\n");
}

TEST_CASE("provision derives the agent's URL from --hub and writes Kubernetes YAML with --format k8s") {
    LoopbackHttpServer hub(provisioning_hub);
    TempDir dir;
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "admin"}};
    // The loopback hub is http://: its agents would dial ws://, without a CA.
    auto run = droverctl({"provision", "--out", dir / "agent.yaml", "--format", "k8s", "-o", "json"}, env);
    INFO(run.err);
    REQUIRE(run.code == 0);
    auto answer = json::parse(run.out);
    CHECK(answer["hub"] == "ws://127.0.0.1:" + std::to_string(hub.port()));
    CHECK(answer["format"] == "k8s");
    CHECK(answer["token_id"] == "tok_7");
    CHECK(run.out.find("TOPSECRET") == std::string::npos);
    std::string yaml = *read_file(dir / "agent.yaml");
    CHECK(yaml.find("    token = drv_reg_TOPSECRET\n") != std::string::npos);
    CHECK(yaml.find("    insecure = true\n") != std::string::npos);
    CHECK(mode_of(dir / "agent.yaml") == 0600);
}

TEST_CASE("a token agent.conf cannot hold safely is refused, and named for revoking") {
    LoopbackHttpServer hub([](const RecordedRequest& r) {
        if (r.method == "POST" && r.path == "/api/v1/tokens")
            return CannedReply{201, R"({"id":"tok_8","kind":"registration","token":"drv_reg_x\nhub = wss://evil"})"};
        return provisioning_hub(r);
    });
    TempDir dir;
    auto run = droverctl({"provision", "--out", dir / "o.tar.gz", "--agent-binary", "/bin/true"},
                         {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "admin"}});
    CHECK(run.code == 1);
    CHECK(run.err ==
          "droverctl: the hub's token holds \"\\x0a\": agent.conf takes only letters, digits and '_' in a token; the "
          "token it was made for is unused: droverctl token revoke tok_8\n");
    CHECK_FALSE(read_file(dir / "o.tar.gz"));
}

TEST_CASE("provision refuses bad options before asking the hub for a token") {
    LoopbackHttpServer hub(provisioning_hub);
    TempDir dir;
    std::map<std::string, std::string> env = {{"DROVER_HUB", hub.url()}, {"DROVER_TOKEN", "admin"}};
    auto err_of = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "provision");
        auto run = droverctl(args, env);
        CHECK(run.code == 2);
        return run.err;
    };
    CHECK(err_of({}) == "droverctl: provision needs --out FILE (see 'droverctl provision --help')\n");
    CHECK(err_of({"--out", dir / "x", "--format", "zip"}) ==
          "droverctl: --format \"zip\": want tar or k8s (see 'droverctl provision --help')\n");
    CHECK(err_of({"--out", dir / "x", "--format", "k8s", "--apply", "dir:/srv"}).find("--apply must be kube") !=
          std::string::npos);
    CHECK(err_of({"--out", dir / "x", "--apply", "dir:rel"}).find("absolute path") != std::string::npos);
    CHECK(err_of({"--out", dir / "x", "--token-uses", "0"}).find("--token-uses \"0\"") != std::string::npos);
    CHECK(err_of({"--out", dir / "x", "--token-ttl", "soon"}).find("--token-ttl \"soon\"") != std::string::npos);
    CHECK(err_of({"--out", dir / "x", "--hub-url", "https://h"}).find("starts with wss://") != std::string::npos);
    CHECK(err_of({"--out", dir / "x", "--hub-url", "wss://h\ninsecure = true"}) ==
          "droverctl: --hub-url: hub URL \"wss://h\\x0ainsecure = true\": an agent's hub URL cannot hold whitespace, "
          "control characters, '#' or '\"' (see 'droverctl provision --help')\n");
    CHECK(err_of({"--out", dir / "x", "--name-from", "serial"}).find("only hostname") != std::string::npos);
    CHECK(hub.requests().empty());

    // A file that is no executable is refused before the token is made, too.
    REQUIRE(write_file_atomic(dir / "not-elf", "#!/bin/sh\n"));
    auto run = droverctl({"provision", "--out", dir / "x", "--agent-binary", dir / "not-elf"}, env);
    CHECK(run.code == 1);
    CHECK(run.err.find("is not an executable (ELF)") != std::string::npos);
    CHECK(hub.requests().empty());
    CHECK_FALSE(read_file(dir / "x"));
}
