#include "agent/apply/kube/field_drift.h"


#include <cmath>
#include <optional>
#include <set>

#include "common/crypto.h"
#include "common/text.h"

namespace drover::kube {

using nlohmann::json;

namespace {

const std::set<std::string, std::less<>> kServerMetadata = {
    "uid",        "resourceVersion", "generation",        "creationTimestamp",          "managedFields",
    "selfLink",   "deletionTimestamp", "deletionGracePeriodSeconds"};

bool empty_value(const json& v) {
    return v.is_null() || ((v.is_object() || v.is_array() || v.is_string()) && v.empty());
}

std::optional<long double> quantity_of(const json& v) {
    if (v.is_number()) return v.get<long double>();
    if (v.is_string()) return parse_quantity(v.get_ref<const std::string&>());
    return std::nullopt;
}

bool same_scalar(const json& applied, const json& live) {
    if (applied == live) return true;
    // Quantities: the server stores the canonical form ("0.5" -> "500m").
    // Only strings that parse as quantities compare this way.
    if (!(applied.is_string() || applied.is_number()) || !(live.is_string() || live.is_number())) return false;
    if (!applied.is_string() && !live.is_string()) return false;  // numbers: == above
    auto a = quantity_of(applied);
    auto b = quantity_of(live);
    if (!a || !b) return false;
    long double scale = std::max(std::fabs(*a), std::fabs(*b));
    return std::fabs(*a - *b) <= scale * 1e-12L;
}

bool named_list(const json& list) {
    if (list.empty()) return false;
    for (auto& e : list) {
        if (!e.is_object()) return false;
        auto n = e.find("name");
        if (n == e.end() || !n->is_string()) return false;
    }
    return true;
}

void compare(const json& applied, const json& live, const std::string& path, std::vector<std::string>& out);

void compare_lists(const json& applied, const json& live, const std::string& path, std::vector<std::string>& out) {
    if (named_list(applied)) {
        for (auto& a : applied) {
            const std::string& name = a["name"].get_ref<const std::string&>();
            const json* match = nullptr;
            for (auto& l : live)
                if (l.is_object() && l.value("name", json()) == name) match = &l;
            std::string at = cat(path, "[name=", name, "]");
            if (!match)
                out.push_back(at);
            else
                compare(a, *match, at, out);
        }
        return;
    }
    if (applied.size() != live.size()) {
        out.push_back(path);
        return;
    }
    for (size_t i = 0; i < applied.size(); ++i) compare(applied[i], live[i], cat(path, "[", i, "]"), out);
}

void compare(const json& applied, const json& live, const std::string& path, std::vector<std::string>& out) {
    if (applied.is_object()) {
        if (!live.is_object()) {
            if (!(applied.empty() && live.is_null())) out.push_back(path);
            return;
        }
        for (auto& [key, value] : applied.items()) {
            if (value.is_null()) continue;
            auto it = live.find(key);
            std::string at = cat(path, ".", key);
            if (it == live.end() || it->is_null()) {
                if (!empty_value(value)) out.push_back(at);
                continue;
            }
            compare(value, *it, at, out);
        }
        return;
    }
    if (applied.is_array()) {
        if (!live.is_array()) {
            if (!(applied.empty() && live.is_null())) out.push_back(path);
            return;
        }
        compare_lists(applied, live, path, out);
        return;
    }
    if (!same_scalar(applied, live)) out.push_back(path);
}

// What the live object should hold for `applied`: stringData is write-only
// and lands in data, base64-encoded.
json comparable(const json& applied) {
    json out = applied;
    if (out.value("kind", "") != "Secret" || out.value("apiVersion", "") != "v1") return out;
    auto sd = out.find("stringData");
    if (sd == out.end() || !sd->is_object()) return out;
    json& data = out["data"];
    if (!data.is_object()) data = json::object();
    for (auto& [k, v] : sd->items())
        if (v.is_string()) data[k] = base64_encode(v.get_ref<const std::string&>());
    out.erase("stringData");
    return out;
}

}  // namespace

std::optional<long double> parse_quantity(std::string_view s) {
    if (s.empty() || s.size() > 64) return std::nullopt;
    size_t i = 0;
    if (s[i] == '+' || s[i] == '-') ++i;
    size_t digits_start = i;
    bool dot = false;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && !dot))) {
        if (s[i] == '.') dot = true;
        ++i;
    }
    std::string_view number = s.substr(0, i);
    if (i == digits_start || number == "." || number.ends_with("+.") || number.ends_with("-.")) return std::nullopt;
    long double value = 0;
    try {
        value = std::stold(std::string(number));
    } catch (...) {
        return std::nullopt;
    }
    std::string_view suffix = s.substr(i);
    struct Unit {
        std::string_view suffix;
        long double factor;
    };
    static const Unit units[] = {{"", 1},       {"n", 1e-9L},   {"u", 1e-6L},           {"m", 1e-3L},
                                 {"k", 1e3L},   {"M", 1e6L},    {"G", 1e9L},            {"T", 1e12L},
                                 {"P", 1e15L},  {"E", 1e18L},   {"Ki", 1024.0L},        {"Mi", 1048576.0L},
                                 {"Gi", 1073741824.0L},         {"Ti", 1099511627776.0L},
                                 {"Pi", 1125899906842624.0L},   {"Ei", 1152921504606846976.0L}};
    for (auto& u : units)
        if (suffix == u.suffix) return value * u.factor;
    if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
        auto exp = suffix.substr(1);
        bool negative = exp[0] == '-';
        if (exp[0] == '+' || exp[0] == '-') exp = exp.substr(1);
        if (exp.empty() || exp.size() > 3 || exp.find_first_not_of("0123456789") != std::string_view::npos)
            return std::nullopt;
        int e = std::stoi(std::string(exp));
        return value * std::pow(10.0L, negative ? -e : e);
    }
    return std::nullopt;
}

std::vector<std::string> drifted_fields(const json& applied_object, const json& live) {
    std::vector<std::string> out;
    if (!applied_object.is_object() || !live.is_object()) return {"."};
    json applied = comparable(applied_object);
    for (auto& [key, value] : applied.items()) {
        if (key == "status" || value.is_null()) continue;
        auto it = live.find(key);
        if (key == "metadata" && value.is_object()) {
            json meta = value;
            for (auto& field : kServerMetadata) meta.erase(field);
            compare(meta, it == live.end() ? json() : *it, ".metadata", out);
            continue;
        }
        if (it == live.end() || it->is_null()) {
            if (!empty_value(value)) out.push_back(cat(".", key));
            continue;
        }
        compare(value, *it, cat(".", key), out);
    }
    return out;
}

}  // namespace drover::kube
