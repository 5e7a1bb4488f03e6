#include "agent/apply/yaml_text.h"

#include <array>
#include <string_view>

namespace drover::apply {

using nlohmann::json;

namespace {

// YAML 1.1 resolves these plain words to booleans or null.
constexpr std::array<std::string_view, 23> kReserved = {
    "y",    "Y",    "yes",   "Yes",   "YES",   "n",     "N",     "no",  "No",  "NO",  "true", "True",
    "TRUE", "false", "False", "FALSE", "on",   "On",    "ON",    "off", "Off", "OFF", "null"};

bool plain_safe(std::string_view s) {
    if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '/' || c == '-'))
            return false;
    for (auto word : kReserved)
        if (s == word) return false;
    return s != "Null" && s != "NULL";
}

std::string scalar(const json& v) {
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (plain_safe(s)) return s;
        return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    if (v.is_null()) return "null";
    return v.dump();  // numbers and booleans: the same words in YAML
}

bool block(const json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

void emit(const json& v, size_t indent, std::string& out);

// A map's entries, the first one continuing the current line when
// `first_inline` (as after "- ").
void emit_map(const json& m, size_t indent, bool first_inline, std::string& out) {
    bool first = true;
    for (auto& [key, value] : m.items()) {
        if (!(first && first_inline)) out.append(indent, ' ');
        first = false;
        out += scalar(json(key));
        out += ':';
        if (block(value)) {
            out += '\n';
            // Lists sit at their key's indentation, as kubectl writes them.
            emit(value, value.is_array() ? indent : indent + 2, out);
        } else {
            out += ' ';
            out += value.is_object() ? "{}" : value.is_array() ? "[]" : scalar(value);
            out += '\n';
        }
    }
}

void emit_list(const json& l, size_t indent, std::string& out) {
    for (auto& item : l) {
        out.append(indent, ' ');
        out += "- ";
        if (item.is_object() && !item.empty()) {
            emit_map(item, indent + 2, true, out);
        } else if (item.is_array() && !item.empty()) {
            out += '\n';
            emit_list(item, indent + 2, out);
        } else {
            out += item.is_object() ? "{}" : item.is_array() ? "[]" : scalar(item);
            out += '\n';
        }
    }
}

void emit(const json& v, size_t indent, std::string& out) {
    if (v.is_object())
        emit_map(v, indent, false, out);
    else
        emit_list(v, indent, out);
}

}  // namespace

std::string yaml_document(const json& value) {
    if (!block(value)) {
        if (value.is_object()) return "{}\n";
        if (value.is_array()) return "[]\n";
        return scalar(value) + "\n";
    }
    std::string out;
    emit(value, 0, out);
    return out;
}

}  // namespace drover::apply
