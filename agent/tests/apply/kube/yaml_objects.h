#pragma once
// Kubernetes manifests (multi-document YAML) as JSON objects, for tests
// that apply files kept in the repository. YAML 1.2 core schema: quoted
// scalars are strings; plain ones are null, booleans, integers, floats or
// strings. Empty documents are skipped.
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace drover::testing {

inline nlohmann::json yaml_to_json(const YAML::Node& n) {
    using nlohmann::json;
    switch (n.Type()) {
        case YAML::NodeType::Map: {
            json out = json::object();
            for (auto it = n.begin(); it != n.end(); ++it) out[it->first.as<std::string>()] = yaml_to_json(it->second);
            return out;
        }
        case YAML::NodeType::Sequence: {
            json out = json::array();
            for (auto it = n.begin(); it != n.end(); ++it) out.push_back(yaml_to_json(*it));
            return out;
        }
        case YAML::NodeType::Scalar: {
            std::string s = n.as<std::string>();
            if (n.Tag() == "!") return s;
            if (s == "null" || s == "~" || s.empty()) return nullptr;
            if (s == "true") return true;
            if (s == "false") return false;
            char* end = nullptr;
            long long i = std::strtoll(s.c_str(), &end, 10);
            if (*end == '\0') return i;
            double d = std::strtod(s.c_str(), &end);
            if (*end == '\0') return d;
            return s;
        }
        default:
            return nullptr;
    }
}

inline std::vector<nlohmann::json> yaml_objects(const std::string& text) {
    std::vector<nlohmann::json> out;
    for (auto& doc : YAML::LoadAll(text))
        if (doc.IsMap()) out.push_back(yaml_to_json(doc));
    return out;
}

}  // namespace drover::testing
