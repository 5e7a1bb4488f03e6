#include <doctest/doctest.h>

#include "common/deflate.h"
#include "common/fs.h"
#include "common/testing/command.h"
#include "common/testing/temp_dir.h"

using namespace drover;

TEST_CASE("deflate round-trips and inflate enforces its output limit") {
    std::string data(100000, 'a');
    auto packed = deflate_bytes(data);
    CHECK(packed.size() < 1000);
    CHECK(inflate_bytes(packed, 200000).value() == data);
    CHECK_FALSE(inflate_bytes(packed, 99999));
    CHECK_FALSE(inflate_bytes(packed.substr(0, packed.size() / 2), 200000));
    CHECK_FALSE(inflate_bytes("not zlib", 100));
}

namespace {

// Inflates `packed` fed in pieces of `step` bytes; the output, or the error.
Result<std::string> inflate_in_pieces(std::string_view packed, size_t step, size_t max_out) {
    Inflater inflater(max_out);
    std::string out;
    auto sink = [&out](std::string_view bytes) -> Result<void> {
        out += bytes;
        return {};
    };
    for (size_t at = 0; at < packed.size(); at += step)
        if (auto ok = inflater.feed(packed.substr(at, step), sink); !ok) return fail(ok.error().message);
    if (auto ended = inflater.finish(); !ended) return fail(ended.error().message);
    if (inflater.total_out() != out.size()) return fail("total_out disagrees with the output");
    return out;
}

}  // namespace

TEST_CASE("a stream inflates the same whatever the pieces it is fed in") {
    std::string data;
    for (int i = 0; i < 50000; ++i) data += std::to_string(i * 7919 % 10007) + ",";
    std::string packed = deflate_bytes(data);
    for (size_t step : {size_t{1}, size_t{7}, size_t{4096}, packed.size()})
        CHECK(inflate_in_pieces(packed, step, data.size()).value() == data);
}

TEST_CASE("streaming inflate refuses output past its limit, truncated and corrupt streams, and trailing bytes") {
    std::string data(300000, 'z');
    std::string packed = deflate_bytes(data);
    CHECK(inflate_in_pieces(packed, 100, data.size() - 1).error().message ==
          "compressed content expands beyond the size limit of 299999 bytes");
    CHECK(inflate_in_pieces(packed.substr(0, packed.size() - 3), 100, data.size()).error().message ==
          "compressed content is truncated");
    CHECK(inflate_in_pieces(packed + "x", 100, data.size()).error().message == "compressed content has trailing bytes");
    CHECK(inflate_in_pieces("not zlib at all", 4, 100).error().message == "compressed content is corrupt");
    CHECK(inflate_in_pieces("", 1, 100).error().message == "compressed content is truncated");
}

TEST_CASE("streaming inflate stops at the first error its sink returns") {
    std::string packed = deflate_bytes(std::string(500000, 'q'));
    Inflater inflater(1 << 20);
    int calls = 0;
    auto stopped = inflater.feed(packed, [&calls](std::string_view) -> Result<void> {
        ++calls;
        return fail("disk full");
    });
    REQUIRE_FALSE(stopped);
    CHECK(stopped.error().message == "disk full");
    CHECK(calls == 1);
    CHECK_FALSE(inflater.feed("more", [](std::string_view) -> Result<void> { return {}; }));
}

TEST_CASE("gzip output is what gunzip and the gzip inflater read back, empty input included") {
    drover::testing::TempDir dir;
    std::string data;
    for (int i = 0; i < 10000; ++i) data += "line " + std::to_string(i) + "\n";
    for (const std::string& input : {data, std::string()}) {
        std::string gz = gzip_bytes(input);
        std::string back;
        Inflater inflater(input.size() + 1, Inflater::Format::gzip);
        REQUIRE(inflater.feed(gz, [&](std::string_view piece) -> Result<void> {
            back += piece;
            return {};
        }));
        REQUIRE(inflater.finish());
        CHECK(back == input);
        REQUIRE(write_file_atomic(dir / "d.gz", gz));
        auto gunzip = drover::testing::run_command("gunzip -c " + dir / "d.gz");
        CHECK(gunzip.exit_code == 0);
        CHECK(gunzip.output == input);
    }
    CHECK(gzip_bytes(data).size() < data.size() / 2);
}
