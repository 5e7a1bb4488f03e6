#include "tools/kube-testserver/request_document.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>
#include <vector>

#include "common/text.h"

namespace drover::kts {

namespace {

bool one_of(std::string_view s, std::initializer_list<std::string_view> options) {
    for (auto o : options)
        if (s == o) return true;
    return false;
}

// A plain scalar as go-yaml v2 resolves it.
json resolve_plain(const std::string& text) {
    if (one_of(text, {"", "~", "null", "Null", "NULL"})) return nullptr;
    if (one_of(text, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) return true;
    if (one_of(text, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) return false;
    if (one_of(text, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
    if (one_of(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}))
        return std::numeric_limits<double>::infinity();
    if (one_of(text, {"-.inf", "-.Inf", "-.INF"})) return -std::numeric_limits<double>::infinity();

    std::string plain;
    for (char c : text)
        if (c != '_') plain += c;
    char first = plain.empty() ? '\0' : plain[0];
    if ((first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.') {
        // Integers: decimal, 0x hex, 0b binary, leading-0 octal (strconv base 0).
        std::string digits = plain;
        bool negative = false;
        if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
            negative = digits[0] == '-';
            digits.erase(0, 1);
        }
        int base = 10;
        if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
            base = 16, digits.erase(0, 2);
        else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B'))
            base = 2, digits.erase(0, 2);
        else if (digits.size() > 1 && digits[0] == '0')
            base = 8, digits.erase(0, 1);
        if (!digits.empty() && digits[0] != '-' && digits[0] != '+') {
            errno = 0;
            char* end = nullptr;
            unsigned long long v = std::strtoull(digits.c_str(), &end, base);
            if (end != nullptr && *end == '\0' && errno == 0) {
                if (!negative) {
                    if (v <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()))
                        return static_cast<int64_t>(v);
                    return static_cast<uint64_t>(v);
                }
                if (v <= static_cast<unsigned long long>(std::numeric_limits<int64_t>::max()) + 1ULL)
                    return static_cast<int64_t>(0 - v);
            }
        }
        static const std::regex float_re(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
        if (std::regex_match(plain, float_re)) {
            errno = 0;
            double d = std::strtod(plain.c_str(), nullptr);
            if (errno == 0) return d;
        }
    }
    return text;
}

Result<json> convert(const YAML::Node& node, size_t depth) {
    if (depth > kMaxDepth) return fail(cat("document is nested deeper than ", kMaxDepth, " levels"));
    switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null: return json(nullptr);
        case YAML::NodeType::Scalar: {
            const std::string& tag = node.Tag();
            if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(node.Scalar());
            return resolve_plain(node.Scalar());
        }
        case YAML::NodeType::Sequence: {
            json out = json::array();
            for (const auto& item : node) {
                auto v = convert(item, depth + 1);
                if (!v) return v;
                out.push_back(std::move(*v));
            }
            return out;
        }
        case YAML::NodeType::Map: {
            json out = json::object();
            for (const auto& kv : node) {
                if (!kv.first.IsScalar())
                    return fail(cat("line ", kv.first.Mark().line + 1, ": mapping keys must be scalars"));
                auto v = convert(kv.second, depth + 1);
                if (!v) return v;
                out[kv.first.Scalar()] = std::move(*v);
            }
            return out;
        }
    }
    return json(nullptr);
}

}  // namespace

size_t nesting_depth(const json& value) {
    size_t deepest = 0;
    std::vector<std::pair<const json*, size_t>> stack{{&value, 0}};
    while (!stack.empty()) {
        auto [node, depth] = stack.back();
        stack.pop_back();
        if (!node->is_structured()) continue;
        deepest = std::max(deepest, depth + 1);
        for (const auto& child : *node) stack.emplace_back(&child, depth + 1);
    }
    return deepest;
}

json without_nulls(const json& value) {
    if (value.is_object()) {
        json out = json::object();
        for (const auto& [k, v] : value.items())
            if (!v.is_null()) out[k] = without_nulls(v);
        return out;
    }
    if (value.is_array()) {
        json out = json::array();
        for (const auto& v : value) out.push_back(without_nulls(v));
        return out;
    }
    return value;
}

Result<json> parse_json_document(std::string_view text) {
    // nlohmann's parser is iterative; the depth check guards what follows.
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded()) return fail("request body is not valid JSON");
    if (nesting_depth(value) > kMaxDepth) return fail(cat("document is nested deeper than ", kMaxDepth, " levels"));
    return value;
}

Result<json> parse_yaml_document(std::string_view text) {
    std::string_view trimmed = trim(text);
    if (!trimmed.empty() && (trimmed.front() == '{' || trimmed.front() == '[')) {
        auto as_json = parse_json_document(trimmed);
        if (as_json) return as_json;
    }
    // yaml-cpp recurses while parsing: cap raw bracket nesting first.
    size_t open = 0, deepest = 0;
    for (char c : text) {
        if (c == '[' || c == '{')
            deepest = std::max(deepest, ++open);
        else if ((c == ']' || c == '}') && open > 0)
            --open;
    }
    if (deepest > kMaxDepth) return fail(cat("document is nested deeper than ", kMaxDepth, " levels"));
    try {
        std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
        if (docs.size() != 1) return fail(cat("expected one YAML document, found ", docs.size()));
        return convert(docs[0], 0);
    } catch (const YAML::Exception& e) {
        return fail(cat("request body is not valid YAML: ", e.what()));
    }
}

}  // namespace drover::kts
