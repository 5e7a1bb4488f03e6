#include "tools/kube-testserver/json_access.h"

#include <ctime>

namespace drover::kts {

std::string text_of(const json& parent, const char* key, const char* fallback) {
    if (!parent.is_object()) return fallback;
    auto it = parent.find(key);
    return it != parent.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
}

json object_of(const json& parent, const char* key) {
    if (!parent.is_object()) return json::object();
    auto it = parent.find(key);
    return it != parent.end() && it->is_object() ? *it : json::object();
}

json list_of(const json& parent, const char* key) {
    if (!parent.is_object()) return json::array();
    auto it = parent.find(key);
    return it != parent.end() && it->is_array() ? *it : json::array();
}

std::string metadata_text(const json& object, const char* key) { return text_of(object_of(object, "metadata"), key); }

std::string rfc3339_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace drover::kts
