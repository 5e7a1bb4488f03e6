#pragma once
// Facts the agent reports in Hello: arch (uname machine), os (PRETTY_NAME
// from os-release, else uname sysname) and kernel (uname release).
#include <map>
#include <string>

namespace drover::session {

using Facts = std::map<std::string, std::string>;

Facts collect_facts(const std::string& os_release_path = "/etc/os-release");
// PRETTY_NAME's value from os-release text, unquoted; empty when absent.
std::string os_release_pretty_name(const std::string& text);

}  // namespace drover::session
