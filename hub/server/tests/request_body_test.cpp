#include "hub/server/request_body.h"

#include <doctest/doctest.h>

#include <string>

#include "common/deflate.h"
#include "common/testing/temp_dir.h"
#include "common/text.h"

using namespace drover;
using namespace drover::hub;
using drover::testing::TempDir;

namespace {

// Chunk framing as git sends it, `piece` bytes per chunk.
std::string chunked(const std::string& data, size_t piece) {
    std::string out;
    for (size_t i = 0; i < data.size(); i += piece) {
        std::string part = data.substr(i, piece);
        char size[20];
        std::snprintf(size, sizeof size, "%zx", part.size());
        out += cat(size, "\r\n", part, "\r\n");
    }
    return out + "0\r\n\r\n";
}

// Text that is not all one byte, so compression and chunking are exercised
// on something with structure.
std::string sample(size_t n) {
    std::string s;
    for (size_t i = 0; s.size() < n; ++i) s += cat("0032want ", i * 7919, " side-band-64k\n");
    s.resize(n);
    return s;
}

std::string decoded(Result<BodySpool> spool) {
    REQUIRE_MESSAGE(spool.has_value(), (spool ? "" : spool.error().message));
    auto text = spool->head(spool->size());
    REQUIRE(text.has_value());
    CHECK(text->size() == spool->size());
    return *text;
}

// Feeds `raw` in pieces of `piece` bytes; the first error or finish()'s result.
Result<BodySpool> feed_all(RequestBody& body, const std::string& raw, size_t piece) {
    for (size_t i = 0; i < raw.size(); i += piece)
        if (auto ok = body.feed(std::string_view(raw).substr(i, piece)); !ok) return std::unexpected(ok.error());
    return body.finish();
}

std::string error_of(const std::string& raw, bool is_chunked, bool is_gzip, uint64_t max = 1 << 20) {
    RequestBody body(BodySpool::in_memory(max), is_chunked, is_gzip);
    auto r = feed_all(body, raw, raw.size() ? raw.size() : 1);
    REQUIRE_FALSE(r.has_value());
    return r.error().message;
}

}  // namespace

TEST_CASE("a plain body is stored as it arrives and ends when the caller says") {
    RequestBody body(BodySpool::in_memory(100), false, false);
    CHECK_FALSE(body.chunked());
    REQUIRE(body.feed("0009hello").has_value());
    REQUIRE(body.feed("0000").has_value());
    CHECK_FALSE(body.ended());
    CHECK(decoded(body.finish()) == "0009hello0000");
}

TEST_CASE("an empty plain body finishes empty") {
    RequestBody body(BodySpool::in_memory(100), false, false);
    CHECK(decoded(body.finish()) == "");
}

TEST_CASE("a chunked body fed one byte at a time decodes to the same bytes as fed whole") {
    std::string data = sample(5000);
    std::string raw = chunked(data, 777);

    RequestBody whole(BodySpool::in_memory(1 << 20), true, false);
    CHECK(whole.chunked());
    REQUIRE(whole.feed(raw).has_value());
    CHECK(whole.ended());
    CHECK(decoded(whole.finish()) == data);

    RequestBody bytes(BodySpool::in_memory(1 << 20), true, false);
    for (size_t i = 0; i < raw.size(); ++i) {
        CHECK_FALSE(bytes.ended());
        REQUIRE(bytes.feed(std::string_view(raw).substr(i, 1)).has_value());
    }
    CHECK(bytes.ended());
    CHECK(decoded(bytes.finish()) == data);
}

TEST_CASE("a chunked body split at every byte boundary decodes the same") {
    std::string data = "hello, chunked world";
    std::string raw = chunked(data, 6);
    for (size_t cut = 0; cut <= raw.size(); ++cut) {
        CAPTURE(cut);
        RequestBody body(BodySpool::in_memory(100), true, false);
        REQUIRE(body.feed(std::string_view(raw).substr(0, cut)).has_value());
        REQUIRE(body.feed(std::string_view(raw).substr(cut)).has_value());
        CHECK(decoded(body.finish()) == data);
    }
}

TEST_CASE("a gzip body is inflated, whole or byte by byte") {
    std::string data = sample(20'000);
    std::string raw = gzip_bytes(data);
    REQUIRE(raw.size() < data.size());
    for (size_t piece : {raw.size(), size_t{1}, size_t{100}}) {
        CAPTURE(piece);
        RequestBody body(BodySpool::in_memory(1 << 20), false, true);
        CHECK(decoded(feed_all(body, raw, piece)) == data);
    }
}

TEST_CASE("a chunked gzip body is de-chunked, then inflated") {
    std::string data = sample(20'000);
    std::string raw = chunked(gzip_bytes(data), 100);
    for (size_t piece : {raw.size(), size_t{1}, size_t{333}}) {
        CAPTURE(piece);
        RequestBody body(BodySpool::in_memory(1 << 20), true, true);
        CHECK(decoded(feed_all(body, raw, piece)) == data);
    }
}

TEST_CASE("a body can be decoded into an on-disk spool") {
    TempDir dir;
    std::string data = sample(300'000);
    auto spool = BodySpool::on_disk(dir.path(), 1 << 20);
    REQUIRE(spool.has_value());
    RequestBody body(std::move(*spool), true, true);
    CHECK(decoded(feed_all(body, chunked(gzip_bytes(data), 4096), 1000)) == data);
}

TEST_CASE("malformed chunk framing is an error naming the chunked body") {
    CHECK(error_of("zz\r\n", true, false) == "chunked request body: chunk size expected, got byte 122");
    CHECK(error_of("5\r\nhelloXX", true, false) == "chunked request body: chunk data is longer than its size");
    CHECK(error_of("0\r\n\r\nmore", true, false) == "chunked request body: bytes after the last chunk");
    CHECK(error_of("5\nhello", true, false).starts_with("chunked request body: "));
}

TEST_CASE("a chunked body cut before its last chunk fails at finish") {
    for (std::string raw : {"", "5\r\nhel", "5\r\nhello\r\n", "5\r\nhello\r\n0\r\n", "5\r\nhello\r\n0\r\nX-T: 1\r\n"}) {
        CAPTURE(raw);
        RequestBody body(BodySpool::in_memory(100), true, false);
        REQUIRE(body.feed(raw).has_value());
        CHECK_FALSE(body.ended());
        auto r = body.finish();
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().message == "chunked request body ends before its last chunk");
    }
}

TEST_CASE("corrupt and truncated gzip bodies are errors naming the gzip body") {
    std::string good = gzip_bytes(sample(5000));

    std::string corrupt = good;
    corrupt[20] ^= 0x5a;
    corrupt[21] ^= 0xa5;
    CHECK(error_of(corrupt, false, true).starts_with("gzip request body: "));

    CHECK(error_of(good.substr(0, good.size() / 2), false, true) == "gzip request body: compressed content is truncated");
    CHECK(error_of(good.substr(0, good.size() - 4), false, true).starts_with("gzip request body: "));
    CHECK(error_of("this is not gzip at all", false, true) == "gzip request body: compressed content is corrupt");
    CHECK(error_of(good + "trailing", false, true) == "gzip request body: compressed content has trailing bytes");
    CHECK(error_of(chunked(good.substr(0, 100), 50), true, true).starts_with("gzip request body: "));
}

TEST_CASE("a gzip bomb is refused at the spool's limit") {
    std::string bomb = gzip_bytes(std::string(10 << 20, '\0'));
    REQUIRE(bomb.size() < 20'000);
    for (bool is_chunked : {false, true}) {
        CAPTURE(is_chunked);
        std::string raw = is_chunked ? chunked(bomb, 1000) : bomb;
        std::string message = error_of(raw, is_chunked, true, 1 << 20);
        CHECK(message.starts_with("gzip request body: "));
        CHECK(message.find("1048576 bytes") != std::string::npos);
    }
}

TEST_CASE("a plain body beyond the spool's limit is refused with the limit") {
    CHECK(error_of(std::string(101, 'x'), false, false, 100) == "request body is larger than 100 bytes");
    CHECK(error_of(chunked(std::string(101, 'x'), 10), true, false, 100) == "request body is larger than 100 bytes");
}

TEST_CASE("a body refused in part stays refused: later pieces and finish fail with the same error") {
    // Found by fuzz/http_body: a plain body over the limit finished as the
    // bytes stored before the refusal, as if it were the whole body.
    for (bool is_chunked : {false, true}) {
        CAPTURE(is_chunked);
        RequestBody body(BodySpool::in_memory(100), is_chunked, false);
        std::string raw = is_chunked ? chunked(std::string(101, 'x'), 10) : std::string(101, 'x');
        auto refused = body.feed(raw);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message == "request body is larger than 100 bytes");
        auto more = body.feed(is_chunked ? "0\r\n\r\n" : "y");
        REQUIRE_FALSE(more);
        CHECK(more.error().message == refused.error().message);
        auto finished = body.finish();
        REQUIRE_FALSE(finished.has_value());
        CHECK(finished.error().message == refused.error().message);
    }
}
