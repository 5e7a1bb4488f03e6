#include <doctest/doctest.h>

#include "tools/kube-testserver/http_request_reader.h"

using namespace drover::kts;

namespace {

HttpRequest one(HttpRequestReader& reader) {
    auto next = reader.next();
    REQUIRE(next);
    REQUIRE(next->has_value());
    return **next;
}

}  // namespace

TEST_CASE("a request fed one byte at a time arrives whole, with its query decoded") {
    std::string wire =
        "PATCH /api/v1/namespaces/web/configmaps/x?fieldManager=drover&labelSelector=a%3Db%2Cc+in+(d)&force "
        "HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\nContent-Type: application/apply-patch+yaml\r\nContent-Length: 5\r\n"
        "Accept: a\r\nAccept: b\r\n\r\nhello";
    HttpRequestReader reader;
    for (size_t i = 0; i + 1 < wire.size(); ++i) {
        reader.feed(wire.substr(i, 1));
        auto next = reader.next();
        REQUIRE(next);
        REQUIRE_FALSE(next->has_value());
    }
    reader.feed(wire.substr(wire.size() - 1));
    HttpRequest r = one(reader);
    CHECK(r.method == "PATCH");
    CHECK(r.path == "/api/v1/namespaces/web/configmaps/x");
    CHECK(r.param("fieldManager") == "drover");
    CHECK(r.param("labelSelector") == "a=b,c in (d)");
    CHECK(r.has_param("force"));
    CHECK(r.header("content-type") == "application/apply-patch+yaml");
    CHECK(r.header("accept") == "a, b");
    CHECK(r.body == "hello");
    CHECK(reader.buffered() == 0);
}

TEST_CASE("pipelined requests come out in order") {
    HttpRequestReader reader;
    reader.feed("GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\n\r\n");
    CHECK(one(reader).path == "/a");
    CHECK(one(reader).body == "hi");
    CHECK(one(reader).path == "/c");
    auto none = reader.next();
    REQUIRE(none);
    CHECK_FALSE(none->has_value());
}

TEST_CASE("a chunked body is decoded, extensions and trailers skipped") {
    HttpRequestReader reader;
    reader.feed("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1");
    auto partial = reader.next();
    REQUIRE(partial);
    CHECK_FALSE(partial->has_value());
    reader.feed("\r\n!\r\n0\r\nX-Trailer: y\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
    CHECK(one(reader).body == "hello!");
    CHECK(one(reader).path == "/next");
}

TEST_CASE("Expect: 100-continue is reported once, until the body arrives") {
    HttpRequestReader reader;
    reader.feed("PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    auto waiting = reader.next();
    REQUIRE(waiting);
    CHECK_FALSE(waiting->has_value());
    CHECK(reader.take_continue_request());
    CHECK_FALSE(reader.take_continue_request());
    reader.feed("abc");
    CHECK(one(reader).body == "abc");
}

TEST_CASE("malformed or oversized framing is an error with the status to answer") {
    struct Case {
        std::string wire;
        int status;
    };
    const Case cases[] = {
        {"GET\r\n\r\n", 400},
        {"GET /x FTP/1.0\r\n\r\n", 400},
        {"GET x HTTP/1.1\r\n\r\n", 400},
        {"GET /x HTTP/1.1\r\nno colon\r\n\r\n", 400},
        {"POST /x HTTP/1.1\r\nContent-Length: ten\r\n\r\n", 400},
        {"POST /x HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", 413},
        {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 400},
        {"GET /x HTTP/1.1\r\nX: " + std::string(70 * 1024, 'a'), 431},
    };
    for (const auto& c : cases) {
        HttpRequestReader reader;
        reader.feed(c.wire);
        auto next = reader.next();
        REQUIRE_MESSAGE(!next, c.wire.substr(0, 60));
        CHECK_MESSAGE(next.error().status == c.status, c.wire.substr(0, 60));
    }
}
