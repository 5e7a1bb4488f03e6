#pragma once
// Line-oriented logging to stderr: "2026-11-21T10:00:00.123Z INFO hub: message".
#include <string_view>

#include "common/text.h"

namespace drover::log {

enum class Level { debug, info, warn, error };

void set_level(Level level);
void set_component(std::string_view name);
bool enabled(Level level);
void write(Level level, std::string_view message);

template <class... Args> void debug(const Args&... a) { if (enabled(Level::debug)) write(Level::debug, cat(a...)); }
template <class... Args> void info(const Args&... a) { if (enabled(Level::info)) write(Level::info, cat(a...)); }
template <class... Args> void warn(const Args&... a) { if (enabled(Level::warn)) write(Level::warn, cat(a...)); }
template <class... Args> void error(const Args&... a) { write(Level::error, cat(a...)); }

}  // namespace drover::log
