#include "tools/kube-testserver/http_request_reader.h"

#include <algorithm>
#include <cctype>

#include "common/text.h"

namespace drover::kts {

namespace {

std::unexpected<FramingError> bad(std::string message, int status = 400) {
    return std::unexpected(FramingError{status, std::move(message)});
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

std::optional<size_t> parse_hex_size(std::string_view s) {
    if (s.empty() || s.size() > 8) return std::nullopt;
    size_t v = 0;
    for (char c : s) {
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return std::nullopt;
        v = v * 16 + static_cast<size_t>(d);
    }
    return v;
}

}  // namespace

std::expected<bool, FramingError> HttpRequestReader::parse_head() {
    size_t end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (buffer_.size() > kMaxHeadBytes) return bad("request head is larger than 64 KiB", 431);
        return false;
    }
    if (end + 4 > kMaxHeadBytes) return bad("request head is larger than 64 KiB", 431);
    std::string_view head(buffer_.data(), end);
    size_t line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    auto parts = split(request_line, ' ');
    if (parts.size() != 3 || !is_token(parts[0]) || parts[1].empty() || parts[1][0] != '/' ||
        !starts_with(parts[2], "HTTP/1."))
        return bad(cat("malformed request line ", quoted(utf8_prefix(request_line, 200))));

    HttpRequest req;
    req.method = parts[0];
    req.target = parts[1];
    size_t q = req.target.find('?');
    req.path = percent_decode(std::string_view(req.target).substr(0, q), false);
    if (q != std::string::npos) {
        req.query_string = req.target.substr(q + 1);
        req.query = parse_query(req.query_string);
    }
    std::string_view rest = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
    while (!rest.empty()) {
        size_t eol = rest.find("\r\n");
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || !is_token(line.substr(0, colon)))
            return bad(cat("malformed header line ", quoted(utf8_prefix(line, 200))));
        std::string name = lower(line.substr(0, colon));
        std::string value(trim(line.substr(colon + 1)));
        auto [it, inserted] = req.headers.emplace(name, value);
        if (!inserted) it->second += ", " + value;
    }

    chunked_ = lower(req.header("transfer-encoding")).find("chunked") != std::string::npos;
    content_length_ = 0;
    if (!chunked_ && !req.header("content-length").empty()) {
        auto n = parse_u64(req.header("content-length"));
        if (!n) return bad(cat("bad Content-Length ", quoted(req.header("content-length"))));
        if (*n > kMaxBodyBytes) return bad("request body is larger than 16 MiB", 413);
        content_length_ = static_cast<size_t>(*n);
    }
    continue_pending_ = lower(req.header("expect")) == "100-continue";
    head_size_ = end + 4;
    head_ = std::move(req);
    return true;
}

std::expected<std::optional<std::string>, FramingError> HttpRequestReader::chunked_body(size_t& consumed) const {
    std::string body;
    size_t pos = head_size_;
    for (;;) {
        size_t eol = buffer_.find("\r\n", pos);
        if (eol == std::string::npos) {
            if (buffer_.size() - pos > 1024) return bad("malformed chunk size line");
            return std::optional<std::string>{};
        }
        std::string_view size_line(buffer_.data() + pos, eol - pos);
        auto size = parse_hex_size(trim(size_line.substr(0, size_line.find(';'))));
        if (!size) return bad(cat("malformed chunk size ", quoted(utf8_prefix(size_line, 40))));
        if (body.size() + *size > kMaxBodyBytes) return bad("request body is larger than 16 MiB", 413);
        pos = eol + 2;
        if (*size == 0) {
            // Trailers, then an empty line.
            for (;;) {
                size_t t = buffer_.find("\r\n", pos);
                if (t == std::string::npos) return std::optional<std::string>{};
                bool last = t == pos;
                pos = t + 2;
                if (last) break;
            }
            consumed = pos;
            return std::optional<std::string>(std::move(body));
        }
        if (buffer_.size() < pos + *size + 2) return std::optional<std::string>{};
        body.append(buffer_, pos, *size);
        pos += *size;
        if (buffer_.compare(pos, 2, "\r\n") != 0) return bad("chunk data is not followed by CRLF");
        pos += 2;
    }
}

std::expected<std::optional<HttpRequest>, FramingError> HttpRequestReader::next() {
    if (!head_) {
        auto parsed = parse_head();
        if (!parsed) return std::unexpected(parsed.error());
        if (!*parsed) return std::optional<HttpRequest>{};
    }
    size_t consumed = 0;
    std::string body;
    if (chunked_) {
        auto decoded = chunked_body(consumed);
        if (!decoded) return std::unexpected(decoded.error());
        if (!*decoded) return std::optional<HttpRequest>{};
        body = std::move(**decoded);
    } else {
        if (buffer_.size() < head_size_ + content_length_) return std::optional<HttpRequest>{};
        body = buffer_.substr(head_size_, content_length_);
        consumed = head_size_ + content_length_;
    }
    HttpRequest req = std::move(*head_);
    head_.reset();
    continue_pending_ = false;
    req.body = std::move(body);
    buffer_.erase(0, consumed);
    return std::optional<HttpRequest>(std::move(req));
}

bool HttpRequestReader::take_continue_request() {
    if (!head_ || !continue_pending_) return false;
    continue_pending_ = false;
    return true;
}

}  // namespace drover::kts
