#include <doctest/doctest.h>

#include <map>
#include <string>
#include <yaml-cpp/yaml.h>

#include "tools/droverctl/provision_files.h"

using namespace drover;
using namespace drover::ctl;

namespace {

ProvisionPlan plan_for(const std::string& apply) {
    ProvisionPlan p;
    p.hub_url = "wss://hub.example:8443";
    p.token = "drv_reg_secret";
    p.ca_pem = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
    p.signing_key_pem = "-----BEGIN PUBLIC KEY-----\nKEY\n-----END PUBLIC KEY-----\n";
    p.labels = {{"role", "gateway"}, {"site", "lab"}};
    p.apply = apply;
    return p;
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("agent.conf names the hub, the pinned CA and signing key, the token, the state dir, labels and target") {
    CHECK(agent_conf(plan_for("dir:/var/lib/drover/out")) ==
          "# drover-agent settings (drover-agent --config FILE), written by droverctl provision.\n"
          "# Keys are drover-agent's option names; see drover-agent --help.\n"
          "hub = wss://hub.example:8443\n"
          "ca = /etc/drover/ca.pem\n"
          "signing-key = /etc/drover/signing.pub.pem\n"
          "# Registration token: used once, on first contact; the agent keeps its own credential.\n"
          "token = drv_reg_secret\n"
          "data-dir = /var/lib/drover\n"
          "labels = role=gateway,site=lab\n"
          "apply = dir:/var/lib/drover/out\n");
    auto insecure = plan_for("kube");
    insecure.hub_url = "ws://127.0.0.1:8080";
    insecure.ca_pem.clear();
    insecure.labels.clear();
    std::string conf = agent_conf(insecure);
    CHECK(has_line(conf, "insecure = true"));
    CHECK(conf.find("ca =") == std::string::npos);
    CHECK(conf.find("labels") == std::string::npos);
}

TEST_CASE("the unit restarts always, keeps state in /var/lib/drover and sandboxes to what the applier needs") {
    std::string in_state = systemd_unit(plan_for("dir:/var/lib/drover/out"));
    for (const char* line : {"ExecStart=/usr/local/bin/drover-agent --config /etc/drover/agent.conf", "Restart=always",
                             "StateDirectory=drover", "NoNewPrivileges=yes", "ProtectSystem=strict",
                             "ProtectHome=yes", "PrivateTmp=yes", "WantedBy=multi-user.target"})
        CHECK_MESSAGE(has_line(in_state, line), line);
    // Inside the state directory: already writable.
    CHECK(in_state.find("ReadWritePaths") == std::string::npos);

    std::string elsewhere = systemd_unit(plan_for("dir:/srv/drover"));
    CHECK(has_line(elsewhere, "ReadWritePaths=/srv/drover"));
    CHECK(has_line(elsewhere, "ExecStartPre=+/bin/mkdir -p /srv/drover"));
    CHECK(has_line(elsewhere, "ProtectHome=yes"));

    std::string manifests = systemd_unit(plan_for("k3s-manifests"));
    CHECK(has_line(manifests, "ReadWritePaths=-/var/lib/rancher/k3s/server/manifests"));
    CHECK(has_line(systemd_unit(plan_for("k3s-manifests:/opt/m")), "ReadWritePaths=-/opt/m"));

    std::string kube = systemd_unit(plan_for("kube"));
    CHECK(has_line(kube, "ProtectHome=read-only"));  // a kubeconfig may live in a home directory
    CHECK(kube.find("ReadWritePaths") == std::string::npos);
    CHECK(has_line(kube, "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK"));
}

TEST_CASE("apply targets are checked as the agent checks them, with paths a unit file can hold") {
    for (const char* ok : {"kube", "k3s-manifests", "k3s-manifests:/opt/m", "dir:/var/lib/drover/out"})
        CHECK_MESSAGE(check_apply_target(ok), ok);
    CHECK(check_apply_target("helm").error().message ==
          "--apply: unknown apply target \"helm\" (want kube, k3s-manifests[:DIR] or dir:PATH)");
    for (const char* bad : {"dir:", "dir:relative/out", "dir:/with space", "dir:/a#b", "dir:/100%", "k3s-manifests:"})
        CHECK_FALSE_MESSAGE(check_apply_target(bad), bad);
}

TEST_CASE("values that would add a key to agent.conf or cut its line are refused") {
    CHECK(check_conf_hub_url("wss://hub.example:8443/v1/agent"));
    for (const char* bad : {"wss://h\ntoken = stolen", "wss://h #x", "wss://h#x", "wss://h\t", "wss://h\"", "wss://h\x7f"})
        CHECK_FALSE_MESSAGE(check_conf_hub_url(bad), bad);
    CHECK(check_conf_hub_url("wss://h #x").error().message ==
          "hub URL \"wss://h #x\": an agent's hub URL cannot hold whitespace, control characters, '#' or '\"'");

    CHECK(check_conf_token("drv_reg_0a1B"));
    for (const char* bad : {"", "drv reg", "drv_reg\nhub = wss://evil", "drv#x", "drv-reg", "\"drv\""})
        CHECK_FALSE_MESSAGE(check_conf_token(bad), bad);
    CHECK(check_conf_token("drv #x").error().message ==
          "the hub's token holds \" \": agent.conf takes only letters, digits and '_' in a token");
}

TEST_CASE("the agent's hub URL comes from the API's: https becomes wss, http ws, the path is dropped") {
    CHECK(*agent_hub_url("https://hub.example:8443") == "wss://hub.example:8443");
    CHECK(*agent_hub_url("https://hub.example:8443/") == "wss://hub.example:8443");
    CHECK(*agent_hub_url("http://127.0.0.1:8080/api") == "ws://127.0.0.1:8080");
    CHECK(agent_hub_url("ftp://x").error().message ==
          "hub URL \"ftp://x\" is not https:// or http://; give the agent's with --hub-url");
    CHECK_FALSE(agent_hub_url("https://"));
}

TEST_CASE("the Kubernetes YAML carries agent.conf, CA and signing key in a Secret and runs the given image") {
    auto plan = plan_for("kube");
    plan.image = "registry.example/drover-agent:1.2";
    std::string yaml = kubernetes_yaml(plan);
    CHECK(yaml.find("kind: Secret") != std::string::npos);
    CHECK(yaml.find("  agent.conf: |\n    # drover-agent settings") != std::string::npos);
    CHECK(has_line(yaml, "    token = drv_reg_secret"));
    CHECK(has_line(yaml, "    apply = kube"));
    CHECK(yaml.find("  ca.pem: |\n    -----BEGIN CERTIFICATE-----\n    CA\n    -----END CERTIFICATE-----\n") !=
          std::string::npos);
    CHECK(yaml.find("  signing.pub.pem: |\n    -----BEGIN PUBLIC KEY-----\n") != std::string::npos);
    CHECK(has_line(yaml, "        image: registry.example/drover-agent:1.2"));
    CHECK(has_line(yaml, "      serviceAccountName: drover-agent"));
}

TEST_CASE("the Kubernetes YAML parses, and its Secret holds exactly the files the agent reads") {
    auto plan = plan_for("kube");
    auto docs = YAML::LoadAll(kubernetes_yaml(plan));
    REQUIRE(docs.size() == 6);
    std::vector<std::string> kinds;
    for (auto& d : docs) kinds.push_back(d["kind"].as<std::string>());
    CHECK(kinds == std::vector<std::string>{"Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Secret",
                                            "Deployment"});
    auto data = docs[4]["stringData"];
    CHECK(data["agent.conf"].as<std::string>() == agent_conf(plan));
    CHECK(data["ca.pem"].as<std::string>() == plan.ca_pem);
    CHECK(data["signing.pub.pem"].as<std::string>() == plan.signing_key_pem);
    auto container = docs[5]["spec"]["template"]["spec"]["containers"][0];
    CHECK(container["args"][1].as<std::string>() == "/etc/drover/agent.conf");
    CHECK(container["volumeMounts"][0]["mountPath"].as<std::string>() == "/etc/drover");
}

TEST_CASE("the Kubernetes YAML runs the agent exactly as deploy/k3s/agent.yaml does, but for the Secret and image") {
    // Two copies of one deployment: this keeps them from drifting apart.
    auto shipped = YAML::LoadAllFromFile(DROVER_SOURCE_ROOT "/deploy/k3s/agent.yaml");
    auto generated = YAML::LoadAll(kubernetes_yaml(plan_for("kube")));
    auto key = [](const YAML::Node& d) { return d["kind"].as<std::string>() + "/" + d["metadata"]["name"].as<std::string>(); };
    auto normalised = [](YAML::Node d) {
        if (d["kind"].as<std::string>() == "Deployment")
            for (auto c : d["spec"]["template"]["spec"]["containers"]) c["image"] = "IMAGE";
        YAML::Emitter out;
        out << d;
        return std::string(out.c_str());
    };
    std::map<std::string, std::string> want, got;
    for (auto& d : shipped)
        if (d["kind"].as<std::string>() != "Secret") want[key(d)] = normalised(YAML::Clone(d));
    for (auto& d : generated)
        if (d["kind"].as<std::string>() != "Secret") got[key(d)] = normalised(YAML::Clone(d));
    REQUIRE(want.size() == 5);
    for (auto& [k, text] : want) CHECK_MESSAGE(got[k] == text, k);
    CHECK(got.size() == want.size());
}
