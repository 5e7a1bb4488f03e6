#include "tools/droverctl/json_fields.h"

namespace drover::ctl {

using nlohmann::json;

namespace {
const json* find(const json& obj, const char* key) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
}
}  // namespace

std::string text_field(const json& obj, const char* key) {
    const json* v = find(obj, key);
    return v && v->is_string() ? v->get<std::string>() : std::string();
}

bool bool_field(const json& obj, const char* key) {
    const json* v = find(obj, key);
    return v && v->is_boolean() && v->get<bool>();
}

int64_t int_field(const json& obj, const char* key) {
    const json* v = find(obj, key);
    return v && v->is_number_integer() ? v->get<int64_t>() : 0;
}

const json& object_field(const json& obj, const char* key) {
    static const json empty = json::object();
    const json* v = find(obj, key);
    return v && v->is_object() ? *v : empty;
}

const json& array_field(const json& obj, const char* key) {
    static const json empty = json::array();
    const json* v = find(obj, key);
    return v && v->is_array() ? *v : empty;
}

std::string labels_text(const json& labels) {
    std::string out;
    if (!labels.is_object()) return out;
    for (const auto& [k, v] : labels.items()) {
        if (!v.is_string()) continue;
        if (!out.empty()) out += ',';
        out += k + "=" + v.get<std::string>();
    }
    return out;
}

std::string short_commit(const std::string& commit) { return commit.empty() ? std::string("-") : commit.substr(0, 12); }

}  // namespace drover::ctl
