#include "agent/apply/kube/kubeconfig.h"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <optional>

#include "common/fs.h"
#include "common/crypto.h"
#include "common/text.h"

namespace drover::kube {

namespace {

// Certificates, keys and tokens are small; a bigger file is not one of them.
constexpr size_t kMaxCredentialFile = 1 << 20;
constexpr size_t kMaxKubeconfig = 4 << 20;

std::string where(const std::string& file, const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return file;
    return cat(file, ":", mark.line + 1);
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
    if (path.empty() || path[0] == '/') return path;
    return cat(base_dir, "/", path);
}

// kubeconfig *-data fields: base64, possibly wrapped and indented.
std::optional<std::string> decode_data_field(std::string_view text) {
    std::string cleaned;
    for (char c : text)
        if (c != '\n' && c != '\r' && c != ' ' && c != '\t') cleaned.push_back(c);
    return base64_decode(cleaned);
}

// One section of a kubeconfig ("cluster \"default\""), with the file for
// errors. Every accessor fails with FILE:LINE and the field's name.
struct Section {
    const std::string& file;
    std::string label;
    YAML::Node node;

    std::string at(const char* field) const {
        YAML::Node v = node[field];
        return cat(where(file, v.IsDefined() ? v : node), ": ", label, ": ", field);
    }

    Result<std::optional<std::string>> text(const char* field) const {
        YAML::Node v = node[field];
        if (!v.IsDefined() || v.IsNull()) return std::optional<std::string>{};
        if (!v.IsScalar()) return fail(cat(at(field), " is not a string"));
        return std::optional<std::string>(v.as<std::string>());
    }

    Result<bool> flag(const char* field) const {
        auto t = text(field);
        if (!t) return fail(t.error().message);
        if (!*t) return false;
        if (**t == "true") return true;
        if (**t == "false") return false;
        return fail(cat(at(field), " must be true or false, not ", quoted(**t)));
    }

    // field-data (base64) or field (a file path); data wins, as in kubectl.
    Result<std::string> inline_or_file(const char* data_field, const char* file_field, const std::string& base) const {
        auto data = text(data_field);
        if (!data) return fail(data.error().message);
        if (*data && !(*data)->empty()) {
            auto decoded = decode_data_field(**data);
            if (!decoded || decoded->empty()) return fail(cat(at(data_field), " is not base64"));
            return *decoded;
        }
        auto path = text(file_field);
        if (!path) return fail(path.error().message);
        if (!*path || (*path)->empty()) return std::string();
        std::string full = resolve_path(base, **path);
        auto content = read_file(full, kMaxCredentialFile);
        if (!content) return fail(cat(at(file_field), ": ", content.error().message));
        return *content;
    }
};

// The entry of a named list ("clusters", "users", "contexts") called name:
// its inner map (entry[inner]).
Result<Section> find_named(const YAML::Node& root, const std::string& file, const char* list, const char* inner,
                           const std::string& name) {
    YAML::Node entries = root[list];
    if (!entries.IsDefined() || entries.IsNull()) return fail(cat(file, ": ", list, " is missing"));
    if (!entries.IsSequence()) return fail(cat(where(file, entries), ": ", list, " is not a list"));
    for (const YAML::Node& entry : entries) {
        if (!entry.IsMap()) return fail(cat(where(file, entry), ": an entry of ", list, " is not a map"));
        YAML::Node n = entry["name"];
        if (!n.IsDefined() || !n.IsScalar() || n.as<std::string>() != name) continue;
        YAML::Node body = entry[inner];
        if (!body.IsDefined() || !body.IsMap())
            return fail(cat(where(file, entry), ": ", list, " entry ", quoted(name), " has no ", inner, " map"));
        return Section{file, cat(inner, " ", quoted(name)), body};
    }
    return fail(cat(file, ": no entry named ", quoted(name), " in ", list));
}

std::string trim_slashes(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

Result<KubeConfig> parse_document(const YAML::Node& root, const std::string& file) {
    if (!root.IsMap()) return fail(cat(file, ": not a kubeconfig (expected a YAML map)"));
    const std::string base = parent_dir(file);
    Section top{file, "kubeconfig", root};
    auto current = top.text("current-context");
    if (!current) return fail(current.error().message);
    if (!*current || (*current)->empty()) return fail(cat(file, ": current-context is not set"));

    auto context = find_named(root, file, "contexts", "context", **current);
    if (!context) return fail(context.error().message);
    auto cluster_name = context->text("cluster");
    auto user_name = context->text("user");
    auto ns = context->text("namespace");
    for (auto* r : {&cluster_name, &user_name, &ns})
        if (!*r) return fail(r->error().message);
    if (!*cluster_name || (*cluster_name)->empty()) return fail(cat(context->at("cluster"), " is not set"));

    KubeConfig out;
    out.origin = cat("kubeconfig ", file, ", context ", **current);
    out.ns = ns->value_or("");

    auto cluster = find_named(root, file, "clusters", "cluster", **cluster_name);
    if (!cluster) return fail(cluster.error().message);
    auto server = cluster->text("server");
    if (!server) return fail(server.error().message);
    if (!*server || (*server)->empty()) return fail(cat(cluster->at("server"), " is not set"));
    out.server = trim_slashes(**server);
    if (!starts_with(out.server, "https://") && !starts_with(out.server, "http://"))
        return fail(cat(cluster->at("server"), " is not an http(s) URL: ", quoted(out.server)));
    auto insecure = cluster->flag("insecure-skip-tls-verify");
    if (!insecure) return fail(insecure.error().message);
    out.insecure_skip_tls_verify = *insecure;
    for (const char* unsupported : {"tls-server-name", "proxy-url"})
        if (cluster->node[unsupported].IsDefined() && !cluster->node[unsupported].IsNull())
            return fail(cat(cluster->at(unsupported), " is not supported by drover-agent"));
    auto ca = cluster->inline_or_file("certificate-authority-data", "certificate-authority", base);
    if (!ca) return fail(ca.error().message);
    out.ca_pem = *ca;

    // A context without a user talks to the server anonymously.
    if (!*user_name || (*user_name)->empty()) return out;
    auto user = find_named(root, file, "users", "user", **user_name);
    if (!user) return fail(user.error().message);
    for (const char* unsupported : {"exec", "auth-provider", "username", "password"})
        if (user->node[unsupported].IsDefined() && !user->node[unsupported].IsNull())
            return fail(cat(user->at(unsupported), ": this credential type is not supported by drover-agent "
                                                   "(use a client certificate or a token)"));
    auto cert = user->inline_or_file("client-certificate-data", "client-certificate", base);
    if (!cert) return fail(cert.error().message);
    auto key = user->inline_or_file("client-key-data", "client-key", base);
    if (!key) return fail(key.error().message);
    if (cert->empty() != key->empty())
        return fail(cat(where(file, user->node), ": ", user->label, ": a client certificate needs its key and the "
                                                                     "key its certificate"));
    out.client_cert_pem = *cert;
    out.client_key_pem = *key;
    auto token = user->text("token");
    if (!token) return fail(token.error().message);
    out.token = token->value_or("");
    auto token_file = user->text("tokenFile");
    if (!token_file) return fail(token_file.error().message);
    if (out.token.empty() && *token_file && !(*token_file)->empty()) {
        out.token_file = resolve_path(base, **token_file);
        auto t = read_file(out.token_file, kMaxCredentialFile);
        if (!t) return fail(cat(user->at("tokenFile"), ": ", t.error().message));
        out.token = std::string(trim(*t));
    }
    return out;
}

}  // namespace

Result<KubeConfig> parse_kubeconfig(std::string_view yaml, const std::string& file) {
    try {
        YAML::Node root = YAML::Load(std::string(yaml));
        return parse_document(root, file);
    } catch (const YAML::Exception& e) {
        std::string at = e.mark.is_null() ? file : cat(file, ":", e.mark.line + 1);
        return fail(cat(at, ": not valid YAML: ", e.msg));
    }
}

Result<KubeConfig> load_kubeconfig(const std::string& file) {
    auto text = read_file(file, kMaxKubeconfig);
    if (!text) return fail(cat("kubeconfig: ", text.error().message));
    return parse_kubeconfig(*text, file);
}

Result<KubeConfig> in_cluster_config(const InClusterEnvironment& env) {
    if (env.service_host.empty() || env.service_port.empty())
        return fail("in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set");
    KubeConfig out;
    std::string host = env.service_host.find(':') != std::string::npos ? cat("[", env.service_host, "]")
                                                                       : env.service_host;
    out.server = cat("https://", host, ":", env.service_port);
    out.token_file = cat(env.account_dir, "/token");
    auto token = read_file(out.token_file, kMaxCredentialFile);
    if (!token) return fail(cat("in-cluster: service account token: ", token.error().message));
    out.token = std::string(trim(*token));
    if (out.token.empty()) return fail(cat("in-cluster: ", out.token_file, " is empty"));
    auto ca = read_file(cat(env.account_dir, "/ca.crt"), kMaxCredentialFile);
    if (!ca) return fail(cat("in-cluster: service account CA: ", ca.error().message));
    out.ca_pem = *ca;
    if (auto ns = read_file(cat(env.account_dir, "/namespace"), 4096)) out.ns = std::string(trim(*ns));
    out.origin = cat("in-cluster service account (", env.account_dir, ")");
    return out;
}

ConfigSources ConfigSources::from_process(std::string flag) {
    ConfigSources s;
    s.flag = std::move(flag);
    auto env = [](const char* name) {
        const char* v = std::getenv(name);
        return std::string(v ? v : "");
    };
    s.env = env("KUBECONFIG");
    s.in_cluster.service_host = env("KUBERNETES_SERVICE_HOST");
    s.in_cluster.service_port = env("KUBERNETES_SERVICE_PORT");
    return s;
}

Result<KubeConfig> locate_kubeconfig(const ConfigSources& s) {
    if (!s.flag.empty()) return load_kubeconfig(s.flag);
    if (!s.env.empty()) {
        for (auto& file : split(s.env, ':'))
            if (!file.empty() && exists(file)) return load_kubeconfig(file);
        return fail(cat("KUBECONFIG=", s.env, ": no such file"));
    }
    if (!s.in_cluster.service_host.empty()) return in_cluster_config(s.in_cluster);
    if (exists(s.k3s)) return load_kubeconfig(s.k3s);
    return fail(cat("no Kubernetes credentials: give --kubeconfig FILE, set KUBECONFIG, run in a pod, or run where ",
                    s.k3s, " exists"));
}

}  // namespace drover::kube
