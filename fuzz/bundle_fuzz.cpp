// Fuzz target: fleet.yaml and bundle.yaml parsing and rendering.
//
// The input is a fleet repository written as sections: a line "=== PATH"
// starts the file PATH; text before the first such line is fleet.yaml.
// Paths a Git tree cannot hold (empty, absolute, "." or ".." components,
// NUL) are skipped, as the Git reader would never produce them; at most
// kMaxFiles files are kept. The repository is rendered with the default
// limits. For a fleet that renders, every spec must be valid JSON whose
// SHA-256 is its digest, and a few agents are matched against each bundle.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/crypto.h"
#include "hub/render/render.h"

using namespace drover;

namespace {

constexpr size_t kMaxFiles = 16;
constexpr std::string_view kHeader = "=== ";

bool git_tree_path(std::string_view path) {
    if (path.empty() || path.find('\0') != std::string_view::npos) return false;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        auto part = path.substr(start, end - start);
        if (part.empty() || part == "." || part == ".." || part == ".git") return false;
        start = end + 1;
    }
    return true;
}

render::FileMap split_files(std::string_view input) {
    render::FileMap files;
    std::string path = "fleet.yaml";
    std::string content;
    auto keep = [&] {
        if (files.size() < kMaxFiles && git_tree_path(path)) files[path] = content;
    };
    size_t pos = 0;
    while (pos < input.size()) {
        size_t eol = input.find('\n', pos);
        size_t next = eol == std::string_view::npos ? input.size() : eol + 1;
        auto line = input.substr(pos, next - pos);
        if (line.starts_with(kHeader)) {
            keep();
            auto name = line.substr(kHeader.size());
            if (name.ends_with('\n')) name.remove_suffix(1);
            path = std::string(name);
            content.clear();
        } else {
            content.append(line);
        }
        pos = next;
    }
    keep();
    return files;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto files = split_files(std::string_view(reinterpret_cast<const char*>(data), size));
    auto fleet = render::render_fleet(files);
    if (!fleet) return 0;
    const Labels agents[] = {{}, {{"role", "gw"}}, {{"role", "gw"}, {"site", "lab"}}, {{"env", "prod"}}};
    for (const auto& bundle : fleet->bundles) {
        for (const auto& spec : bundle.specs) {
            if (nlohmann::json::parse(spec.json, nullptr, false).is_discarded() || sha256(spec.json) != spec.digest) {
                std::fprintf(stderr, "bundle %s rendered a spec that is not JSON or not its digest\n", bundle.name.c_str());
                std::abort();
            }
        }
        for (const auto& labels : agents) (void)bundle.spec_for(labels, "edge-1", fleet->groups);
        (void)fleet->find(bundle.name);
    }
    return 0;
}
