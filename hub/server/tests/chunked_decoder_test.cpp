#include <doctest/doctest.h>

#include "hub/server/chunked_decoder.h"

using namespace drover;
using namespace drover::hub;

namespace {
std::string error_of(const std::string& body, uint64_t max = 1 << 20) {
    ChunkedDecoder d(max);
    std::string out;
    auto r = d.feed(body, out);
    REQUIRE_FALSE(r);
    return r.error().message;
}
}  // namespace

TEST_CASE("a chunked body decodes whole, and byte by byte, with extensions and trailers") {
    std::string body = "5\r\nhello\r\n7;name=value\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
    ChunkedDecoder whole(1 << 20);
    std::string out;
    REQUIRE(whole.feed(body, out));
    CHECK(whole.done());
    CHECK(out == "hello, world");
    CHECK(whole.decoded() == 12);

    ChunkedDecoder bytes(1 << 20);
    std::string out2;
    for (char c : body) {
        CHECK_FALSE(bytes.done());
        REQUIRE(bytes.feed(std::string_view(&c, 1), out2));
    }
    CHECK(bytes.done());
    CHECK(out2 == "hello, world");
}

TEST_CASE("an empty chunked body is just the last chunk") {
    ChunkedDecoder d(10);
    std::string out;
    REQUIRE(d.feed("0\r\n\r\n", out));
    CHECK(d.done());
    CHECK(out.empty());
}

TEST_CASE("malformed chunked bodies are refused with what is wrong") {
    CHECK(error_of("zz\r\n") == "chunked request body: chunk size expected, got byte 122");
    CHECK(error_of("5\nhello") == "chunked request body: chunk size line is malformed");
    CHECK(error_of("5\r\nhelloXX") == "chunked request body: chunk data is longer than its size");
    CHECK(error_of("5\r\nhello\rX") == "chunked request body: chunk data does not end in CRLF");
    CHECK(error_of("1234567890abcdef\r\n") == "chunked request body: chunk size has too many digits");
    CHECK(error_of("0\r\n\r\nextra") == "chunked request body: bytes after the last chunk");
    CHECK(error_of("1;" + std::string(2000, 'e') + "\r\n") == "chunked request body: chunk extension is too long");
    CHECK(error_of("0\r\n" + std::string(9000, 't')) == "chunked request body: trailers are too long");
}

TEST_CASE("a body cut short is not an error, just not done") {
    ChunkedDecoder d(100);
    std::string out;
    REQUIRE(d.feed("5\r\nhel", out));
    REQUIRE(d.feed("lo\r\n0\r\nX-T", out));
    CHECK_FALSE(d.done());
    CHECK(out == "hello");
}

TEST_CASE("a chunked body over the limit is refused before its data is read") {
    CHECK(error_of("b\r\n", 10) == "chunked request body: body exceeds the limit of 10 bytes");
    ChunkedDecoder d(10);
    std::string out;
    REQUIRE(d.feed("6\r\nabcdef\r\n", out));
    auto r = d.feed("5\r\n", out);
    REQUIRE_FALSE(r);
    CHECK(out == "abcdef");
    CHECK_FALSE(d.feed("0\r\n\r\n", out));  // stays failed
}
