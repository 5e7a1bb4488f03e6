// render_fleet must never throw or crash, whatever is pushed: garbage,
// deep nesting, huge scalars, alias bombs, and random mutations of valid
// bundles. Each case only has to come back with a result.
#include <doctest/doctest.h>

#include <random>

#include "fixtures.h"

using namespace drover;
using namespace drover::render;
using namespace drover::render::testing;

namespace {

void survives(const FileMap& files, const Limits& limits = {}) {
    auto result = render_fleet(files, limits);
    if (!result) {
        CHECK_FALSE(result.error().empty());
        CHECK(result.error().size() <= Problems::kDefaultCap + 1);
    }
}

FileMap one_file_bundle(const std::string& name, const std::string& text) {
    return {{"app/bundle.yaml", "targets: [{selector: {}}]\n"}, {"app/" + name, text}};
}

}  // namespace

TEST_CASE("deep nesting is refused without exhausting the stack") {
    for (std::string open : {"[", "{a: ", "- "}) {
        std::string text;
        for (int i = 0; i < 100000; ++i) text += open;
        survives(one_file_bundle("deep.yaml", text));
    }
    std::string block;
    for (int i = 0; i < 300; ++i) block += std::string(i * 2, ' ') + "k:\n";
    auto lines = problem_lines(render_fleet(one_file_bundle("deep.yaml", block)));
    CHECK(lines == std::vector<std::string>{"app/deep.yaml:65: nested deeper than 64 levels"});
    survives(one_file_bundle("deep.json", std::string(200000, '[') + std::string(200000, ']')));
    survives({{"bundle.yaml", std::string(100000, '[')}});
}

TEST_CASE("binary garbage and invalid encodings come back as problems") {
    std::mt19937 rng(1234);
    for (int round = 0; round < 200; ++round) {
        std::string bytes(static_cast<size_t>(rng() % 300), '\0');
        for (auto& c : bytes) c = static_cast<char>(rng());
        survives(one_file_bundle("garbage.yaml", bytes));
        survives(one_file_bundle("garbage.json", bytes));
        survives({{"fleet.yaml", bytes}, {"a/bundle.yaml", bytes}});
    }
    survives(one_file_bundle("bom.yaml", "\xff\xfe" "a\0:\0 \0[\0"));
    survives(one_file_bundle("nul.yaml", std::string("apiVersion: v1\nkind: \0ConfigMap\nmetadata: {name: x}\n", 48)));
}

TEST_CASE("huge scalars and alias bombs are bounded by the limits") {
    std::string big = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {blob: " + std::string(1 << 20, 'x') + "}\n";
    CHECK(render_fleet(one_file_bundle("big.yaml", big)).has_value());
    std::string bomb = "a: &a [" + std::string(1000, 'x') + "]\n";
    char prev = 'a';
    for (char c = 'b'; c <= 'l'; ++c, ++prev) {
        bomb += cat(c, ": &", c, " [");
        for (int i = 0; i < 10; ++i) bomb += cat(i ? ", " : "", "*", prev);
        bomb += "]\n";
    }
    auto lines = problem_lines(render_fleet(one_file_bundle("bomb.yaml", bomb)));
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("once aliases are expanded") != std::string::npos);
}

TEST_CASE("random mutations of a valid fleet never escape render_fleet") {
    auto base = read_directory(std::string(DROVER_SOURCE_ROOT) + "/bundles");
    REQUIRE(base.has_value());
    const std::string alphabet = "{}[]:-,&*!|>'\"#%@`?~ \n\tax1.\\/";
    std::mt19937 rng(42);
    for (int round = 0; round < 400; ++round) {
        FileMap files = *base;
        auto it = files.begin();
        std::advance(it, rng() % files.size());
        std::string& text = it->second;
        for (int edits = 1 + rng() % 4; edits > 0 && !text.empty(); --edits) {
            size_t pos = rng() % text.size();
            switch (rng() % 3) {
                case 0: text[pos] = alphabet[rng() % alphabet.size()]; break;
                case 1: text.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
                default: text.erase(pos, 1 + rng() % 8); break;
            }
        }
        survives(files);
    }
}
