#include "hub/server/webhook_signature.h"

#include <doctest/doctest.h>

#include <cctype>
#include <string>

#include "common/crypto.h"
#include "common/text.h"

using namespace drover;
using drover::hub::verify_webhook;
using drover::hub::WebhookDelivery;

namespace {

// GitHub's documented example ("Validating webhook deliveries").
constexpr const char* kSecret = "It's a Secret to Everybody";
constexpr const char* kPayload = "Hello, World!";
constexpr const char* kSignature = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

WebhookDelivery github(std::string header, std::string body = kPayload) {
    WebhookDelivery d;
    d.github_signature_256 = std::move(header);
    d.body = std::move(body);
    return d;
}

std::string error_of(const Result<void>& r) {
    return r ? std::string("(ok)") : r.error().message;
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

TEST_CASE("GitHub's documented example signature is accepted") {
    auto r = verify_webhook(github(cat("sha256=", kSignature)), kSecret);
    CHECK_MESSAGE(r.has_value(), error_of(r));
}

TEST_CASE("a signature in upper-case hex, or with surrounding whitespace, is accepted") {
    CHECK(verify_webhook(github(cat("sha256=", upper(kSignature))), kSecret).has_value());
    CHECK(verify_webhook(github(cat("  sha256=", kSignature, " \r")), kSecret).has_value());
}

TEST_CASE("a tampered body is refused because the signature no longer matches") {
    auto r = verify_webhook(github(cat("sha256=", kSignature), "Hello, World?"), kSecret);
    CHECK(error_of(r) == "X-Hub-Signature-256 does not match the body");
}

TEST_CASE("a signature made with another secret is refused") {
    CHECK(error_of(verify_webhook(github(cat("sha256=", kSignature)), "another secret")) ==
          "X-Hub-Signature-256 does not match the body");
}

TEST_CASE("malformed X-Hub-Signature-256 headers are named as malformed") {
    const std::string malformed = "X-Hub-Signature-256 is not sha256=<64 hex digits>";
    CHECK(error_of(verify_webhook(github(kSignature), kSecret)) == malformed);  // no prefix
    CHECK(error_of(verify_webhook(github(cat("sha1=", kSignature)), kSecret)) == malformed);
    CHECK(error_of(verify_webhook(github(cat("sha256=", std::string(kSignature).substr(2))), kSecret)) == malformed);
    CHECK(error_of(verify_webhook(github(cat("sha256=", kSignature, "00")), kSecret)) == malformed);
    std::string not_hex = kSignature;
    not_hex[10] = 'g';
    CHECK(error_of(verify_webhook(github(cat("sha256=", not_hex)), kSecret)) == malformed);
    CHECK(error_of(verify_webhook(github("sha256="), kSecret)) == malformed);
}

TEST_CASE("X-Gitea-Signature carries the bare hex HMAC") {
    WebhookDelivery d;
    d.body = "{\"ref\":\"refs/heads/main\"}";
    d.gitea_signature = hex_encode(hmac_sha256("gitea secret", d.body));
    CHECK(verify_webhook(d, "gitea secret").has_value());
    CHECK(error_of(verify_webhook(d, "other")) == "X-Gitea-Signature does not match the body");
    d.gitea_signature = cat("sha256=", d.gitea_signature);
    CHECK(error_of(verify_webhook(d, "gitea secret")) == "X-Gitea-Signature is not 64 hex digits");
}

TEST_CASE("X-Gitlab-Token is accepted only when it equals the secret") {
    WebhookDelivery d;
    d.body = "anything: GitLab does not sign the body";
    d.gitlab_token = "gl-secret";
    CHECK(verify_webhook(d, "gl-secret").has_value());
    CHECK(error_of(verify_webhook(d, "gl-secret2")) == "X-Gitlab-Token does not match the webhook secret");
    CHECK(error_of(verify_webhook(d, "gl-secre")) == "X-Gitlab-Token does not match the webhook secret");
}

TEST_CASE("a delivery without any signature header is refused and the error names the expected headers") {
    WebhookDelivery d;
    d.body = kPayload;
    CHECK(error_of(verify_webhook(d, kSecret)) ==
          "no signature header (expected X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)");
    d.github_signature_256 = "   ";
    CHECK(error_of(verify_webhook(d, kSecret)) ==
          "no signature header (expected X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)");
}

TEST_CASE("an empty secret refuses every delivery, even one signed with the empty key") {
    WebhookDelivery d = github(cat("sha256=", hex_encode(hmac_sha256("", kPayload))));
    d.gitlab_token = "x";
    auto r = verify_webhook(d, "");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("no webhook secret") != std::string::npos);
}

TEST_CASE("one valid header suffices when another is present but wrong; all wrong reports the first") {
    WebhookDelivery d = github(cat("sha256=", kSignature));
    d.gitea_signature = std::string(64, '0');
    CHECK(verify_webhook(d, kSecret).has_value());

    WebhookDelivery wrong = github(cat("sha256=", std::string(64, '0')));
    wrong.gitea_signature = kSignature;
    CHECK(verify_webhook(wrong, kSecret).has_value());
    wrong.gitea_signature = std::string(64, '1');
    wrong.gitlab_token = "nope";
    CHECK(error_of(verify_webhook(wrong, kSecret)) == "X-Hub-Signature-256 does not match the body");
}
