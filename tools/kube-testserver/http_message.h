#pragma once
// One HTTP/1.1 request and its response, as the test server's handlers see
// them. Header names are lower-case; a header sent twice is joined with ", ".
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace drover::kts {

struct HttpRequest {
    std::string method;
    std::string target;  // as sent: "/api/v1/namespaces?limit=500"
    std::string path;    // target before '?', percent-decoded
    std::string query_string;
    std::map<std::string, std::string> query;  // decoded; a repeated parameter keeps its last value
    std::map<std::string, std::string> headers;
    std::string body;

    // "" when absent.
    const std::string& header(const std::string& lower_case_name) const;
    const std::string& param(const std::string& name) const;
    bool has_param(const std::string& name) const { return query.count(name) != 0; }
};

// Writes one chunk of a streamed body; false once the peer is gone.
using ChunkWriter = std::function<bool(std::string_view)>;

struct HttpResponse {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::string body;
    // When set, the body is streamed with chunked transfer encoding: the
    // function writes chunks until it returns; `body` is ignored.
    std::function<void(const ChunkWriter&)> stream;
    // Close the TCP connection without answering (a simulated dead server).
    bool drop_connection = false;
};

// "a%2Fb+c" -> "a/b c" for query components (plus_is_space), paths keep '+'.
// Malformed escapes are kept literally.
std::string percent_decode(std::string_view text, bool plus_is_space);
// "a=1&b=x%20y" -> {a: 1, b: "x y"}.
std::map<std::string, std::string> parse_query(std::string_view query);
const char* reason_phrase(int status);

}  // namespace drover::kts
