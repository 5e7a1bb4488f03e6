#include "tools/droverctl/config_file.h"

#include <sys/stat.h>

#include <cerrno>

#include "common/fs.h"
#include "common/key_value_file.h"
#include "common/text.h"

namespace drover::ctl {

namespace {

constexpr size_t kMaxConfigBytes = 64 * 1024;
constexpr size_t kMaxTokenBytes = 4096;

Result<std::string> resolve_path(std::string_view value, const std::string& config_path, const std::string& home) {
    if (starts_with(value, "~/")) {
        if (home.empty()) return fail(cat(quoted(value), " starts with ~/ but HOME is not set"));
        return home + std::string(value.substr(1));
    }
    if (starts_with(value, "/")) return std::string(value);
    return parent_dir(config_path) + "/" + std::string(value);
}

}  // namespace

std::optional<std::string> config_file_path(const EnvLookup& env) {
    if (!env) return std::nullopt;
    if (auto xdg = env("XDG_CONFIG_HOME"); xdg && !xdg->empty()) return *xdg + "/drover/config";
    if (auto home = env("HOME"); home && !home->empty()) return *home + "/.config/drover/config";
    return std::nullopt;
}

Result<ConfigFile> parse_config_file(std::string_view text, const std::string& path, const std::string& home) {
    ConfigFile out;
    out.path = path;
    bool seen_hub = false, seen_token = false, seen_token_file = false, seen_ca = false;
    auto entries = parse_key_value_text(text, path);
    if (!entries) return std::unexpected(entries.error());
    for (const auto& [key, value, line] : *entries) {
        auto where = [&path, line] { return cat(path, ":", line, ": "); };
        bool* seen = key == "hub"          ? &seen_hub
                     : key == "token"      ? &seen_token
                     : key == "token-file" ? &seen_token_file
                     : key == "ca"         ? &seen_ca
                                           : nullptr;
        if (seen == nullptr)
            return fail(cat(where(), "unknown key ", quoted(utf8_prefix(key, 80)), " (known: hub, token, token-file, ca)"));
        if (*seen) return fail(cat(where(), key, " is given twice"));
        *seen = true;
        if (value.empty()) return fail(cat(where(), key, " has no value"));
        if (seen_token && seen_token_file) return fail(cat(where(), "give token or token-file, not both"));
        if (key == "hub") {
            out.hub = value;
        } else if (key == "token") {
            out.token = value;
        } else {
            auto resolved = resolve_path(value, path, home);
            if (!resolved) return fail(cat(where(), key, " ", resolved.error().message));
            (key == "ca" ? out.ca : out.token_file) = *resolved;
        }
    }
    return out;
}

Result<void> apply_config_file(GlobalOptions& options, const EnvLookup& env) {
    if (!options.hub.empty() && !options.token.empty() && !options.ca.empty()) return {};
    auto path = config_file_path(env);
    if (!path) return {};
    struct stat st{};
    if (::stat(path->c_str(), &st) != 0 && errno == ENOENT) return {};
    auto text = read_file(*path, kMaxConfigBytes);
    if (!text) return std::unexpected(text.error());
    auto home = env("HOME");
    auto config = parse_config_file(*text, *path, home.value_or(""));
    if (!config) return std::unexpected(config.error());

    if (options.hub.empty()) options.hub = config->hub;
    if (options.ca.empty()) options.ca = config->ca;
    if (options.token.empty()) {
        if (!config->token.empty()) {
            options.token = config->token;
        } else if (!config->token_file.empty()) {
            auto token = read_file(config->token_file, kMaxTokenBytes);
            if (!token) return fail(cat(*path, ": token-file: ", token.error().message));
            options.token = trim(*token);
            if (options.token.empty()) return fail(cat(*path, ": token-file ", quoted(config->token_file), " is empty"));
        }
    }
    return {};
}

}  // namespace drover::ctl
