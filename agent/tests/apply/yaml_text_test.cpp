#include <doctest/doctest.h>

#include <yaml-cpp/yaml.h>

#include "agent/apply/yaml_text.h"

using namespace drover;
using nlohmann::json;

namespace {

// What a YAML 1.1 reader (K3s's Go decoder) makes of a scalar: quoted ones
// are strings; plain ones may be booleans, null or numbers.
json read_back(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map: {
            json out = json::object();
            for (auto it = n.begin(); it != n.end(); ++it) out[it->first.as<std::string>()] = read_back(it->second);
            return out;
        }
        case YAML::NodeType::Sequence: {
            json out = json::array();
            for (auto it = n.begin(); it != n.end(); ++it) out.push_back(read_back(*it));
            return out;
        }
        case YAML::NodeType::Scalar: {
            std::string s = n.as<std::string>();
            if (n.Tag() == "!") return s;
            for (auto word : {"true", "True", "TRUE", "yes", "Yes", "on", "On", "y", "Y"})
                if (s == word) return true;
            for (auto word : {"false", "False", "FALSE", "no", "No", "off", "Off", "n", "N"})
                if (s == word) return false;
            if (s == "null" || s == "~") return nullptr;
            char* end = nullptr;
            long long i = std::strtoll(s.c_str(), &end, 10);
            if (!s.empty() && *end == '\0') return i;
            double d = std::strtod(s.c_str(), &end);
            if (!s.empty() && *end == '\0') return d;
            return s;
        }
        default:
            return nullptr;
    }
}

}  // namespace

TEST_CASE("objects written as YAML read back as the same JSON, tricky strings included") {
    json object = {{"apiVersion", "v1"},
                   {"kind", "ConfigMap"},
                   {"metadata", {{"name", "web"}, {"labels", {{"drover.dev/bundle", "web"}, {"on", "yes"}}}}},
                   {"data",
                    {{"bool-like", "true"},
                     {"number-like", "1.0"},
                     {"octal-like", "0755"},
                     {"y", "n"},
                     {"null-like", "null"},
                     {"empty", ""},
                     {"colon", "a: b"},
                     {"hash", "a #b"},
                     {"multi", "line one\nline two\n"},
                     {"unicode", "héllo \u0001"},
                     {"leading-dash", "-x"},
                     {"star", "*alias"}}},
                   {"spec",
                    {{"replicas", 3},
                     {"ratio", 0.25},
                     {"enabled", false},
                     {"nothing", nullptr},
                     {"emptyMap", json::object()},
                     {"emptyList", json::array()},
                     {"nested", {{1, 2}, {{{"a", 1}}}, json::array()}},
                     {"containers",
                      {{{"name", "web"}, {"args", {"--port", "80"}}, {"ports", {{{"containerPort", 80}}}}}}}}}};
    std::string text = apply::yaml_document(object);
    CAPTURE(text);
    CHECK(read_back(YAML::Load(text)) == object);
    CHECK(text.find("name: web\n") != std::string::npos);
    CHECK(text.find("\"true\"") != std::string::npos);
}

TEST_CASE("plain YAML is used for plain words only") {
    CHECK(apply::yaml_document(json{{"a", "nginx:1.27"}}) == "a: \"nginx:1.27\"\n");
    CHECK(apply::yaml_document(json{{"a", "apps/v1"}}) == "a: apps/v1\n");
    CHECK(apply::yaml_document(json{{"a", "Off"}}) == "a: \"Off\"\n");
    CHECK(apply::yaml_document(json{{"list", {"x"}}}) == "list:\n- x\n");
    CHECK(apply::yaml_document(json::object()) == "{}\n");
}
