#pragma once
// A spec is what an agent receives for one bundle: its canonical JSON, and
// the SHA-256 of exactly those bytes (what the hub signs).
//
// Canonical form: nlohmann::json::dump() with no indentation. Object keys
// come out sorted (bytewise), numbers in their shortest round-trip form,
// strings as UTF-8 with only the escapes JSON requires. The document is
//   {"bundle": NAME, "namespace": NS or "", "objects": [...],
//    "policy": {"dependsOn": [sorted names], "keepResources": B, "selfHeal": B}}
// It carries no Git revision, so a bundle whose output did not change keeps
// its digest across commits.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace drover::render {

struct Spec {
    std::string customization;  // "" for the default (no customization)
    std::string json;           // canonical JSON bytes
    std::string digest;         // sha256(json), 32 raw bytes
    size_t objects = 0;
};

struct Policy {
    std::vector<std::string> depends_on;
    bool keep_resources = false;
    bool self_heal = true;
};

// Apply order (kinds.h), ties broken by namespace, name, apiVersion.
// Objects must carry string apiVersion, kind and metadata.name.
void sort_for_apply(std::vector<nlohmann::json>& objects);

// Sorts objects and builds the spec. Strings in objects must be valid
// UTF-8 (the parsers guarantee it); dump() would throw otherwise.
Spec make_spec(std::string_view customization, std::string_view bundle, std::string_view ns,
               std::vector<nlohmann::json> objects, Policy policy);

}  // namespace drover::render
