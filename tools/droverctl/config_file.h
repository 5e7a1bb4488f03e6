#pragma once
// droverctl's config file: where the hub is and how to sign in, so an
// operator need not repeat --hub/--token/--ca. It lives at
// $XDG_CONFIG_HOME/drover/config, or ~/.config/drover/config when
// XDG_CONFIG_HOME is unset:
//
//   # drover lab hub
//   hub = https://hub.example:8443
//   token-file = ~/.config/drover/admin.token   # or: token = drv_...
//   ca = hub-ca.pem
//
// One "key = value" per line, read like the agent's --config (see
// common/key_value_file.h): blank lines and "#" comment lines are ignored, a
// "#" after a space or tab starts a comment, any other "#" is part of the
// value (https://h/#frag), surrounding double quotes are dropped. Keys: hub,
// token, token-file, ca; each at most once, and token and token-file not
// both. Relative paths are relative
// to the file's directory; "~/" is $HOME. A bad line is an error naming
// PATH:LINE.
//
// Precedence, per setting: flags, then DROVER_HUB / DROVER_TOKEN /
// DROVER_CA, then this file.
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "tools/droverctl/command_line.h"

namespace drover::ctl {

struct ConfigFile {
    std::string path;
    std::string hub;
    std::string token;
    std::string token_file;  // resolved against the file's directory
    std::string ca;          // resolved against the file's directory
};

// The config file's path from XDG_CONFIG_HOME or HOME; nullopt when
// neither is set.
std::optional<std::string> config_file_path(const EnvLookup& env);

// Parses the text of the file at path (path is for messages and for
// resolving relative paths; home for "~/", "" when unknown).
Result<ConfigFile> parse_config_file(std::string_view text, const std::string& path, const std::string& home);

// Fills hub, token and ca that flags and the environment left empty from
// the config file, when there is one. The token file is read only when the
// token comes from it. Errors name the file (and line).
Result<void> apply_config_file(GlobalOptions& options, const EnvLookup& env);

}  // namespace drover::ctl
