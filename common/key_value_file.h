#pragma once
// The "key = value" settings files of drover-agent (--config) and droverctl
// (~/.config/drover/config), read with one set of rules:
//
//   # a comment line
//   key = value            # a comment after whitespace
//   other = "quoted value" # surrounding double quotes are dropped
//
// Blank lines and lines whose first non-blank character is "#" are skipped.
// A "#" preceded by a space or tab starts a comment; any other "#" (as in
// https://h/#frag) is part of the value. Spaces around key and value are
// trimmed. Keys are not checked here: each reader validates its own (which
// are known, which may repeat, which need a value).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace drover {

struct KeyValueEntry {
    std::string key;
    std::string value;  // may be empty ("key =")
    size_t line = 0;    // 1-based
};

// Entries in file order. A line without "=" is an error
// "PATH:LINE: expected key = value, not "..."" (path is only for messages).
Result<std::vector<KeyValueEntry>> parse_key_value_text(std::string_view text, std::string_view path);

}  // namespace drover
