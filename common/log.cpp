#include "common/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace drover::log {
namespace {
Level g_level = Level::info;
std::string g_component = "drover";
std::mutex g_mutex;
}  // namespace

void set_level(Level level) { g_level = level; }
void set_component(std::string_view name) { g_component = name; }
bool enabled(Level level) { return level >= g_level; }

void write(Level level, std::string_view message) {
    static const char* names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    auto now = std::chrono::system_clock::now();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::lock_guard lock(g_mutex);
    std::fprintf(stderr, "%s.%03dZ %s %s: %.*s\n", stamp, static_cast<int>(ms % 1000),
                 names[static_cast<int>(level)], g_component.c_str(),
                 static_cast<int>(message.size()), message.data());
}

}  // namespace drover::log
