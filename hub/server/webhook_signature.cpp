#include "hub/server/webhook_signature.h"

#include <optional>

#include "common/crypto.h"
#include "common/text.h"

namespace drover::hub {

namespace {

constexpr std::string_view kGithubPrefix = "sha256=";

// A 64-hex-digit HMAC as 32 raw bytes, or nullopt when it is not one.
std::optional<std::string> decode_mac(std::string_view hex) {
    if (hex.size() != 2 * kDigestSize) return std::nullopt;
    return hex_decode(hex);
}

Result<void> check_mac(std::string_view header, std::string_view hex, std::string_view expected,
                       std::string_view shape) {
    auto mac = decode_mac(hex);
    if (!mac) return fail(cat(header, " is not ", shape));
    if (!equal_secret(*mac, expected)) return fail(cat(header, " does not match the body"));
    return {};
}

Result<void> check_github(std::string_view value, std::string_view expected) {
    constexpr std::string_view header = "X-Hub-Signature-256";
    constexpr std::string_view shape = "sha256=<64 hex digits>";
    if (!starts_with(value, kGithubPrefix)) return fail(cat(header, " is not ", shape));
    return check_mac(header, value.substr(kGithubPrefix.size()), expected, shape);
}

}  // namespace

Result<void> verify_webhook(const WebhookDelivery& delivery, std::string_view secret) {
    if (secret.empty()) return fail("no webhook secret is configured: every delivery is refused");
    std::string_view github = trim(delivery.github_signature_256);
    std::string_view gitea = trim(delivery.gitea_signature);
    std::string_view gitlab = trim(delivery.gitlab_token);
    if (github.empty() && gitea.empty() && gitlab.empty())
        return fail("no signature header (expected X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)");

    std::optional<Error> first_failure;
    auto consider = [&first_failure](Result<void> result) {
        if (result) return true;
        if (!first_failure) first_failure = result.error();
        return false;
    };
    std::string expected = (github.empty() && gitea.empty()) ? std::string() : hmac_sha256(secret, delivery.body);
    if (!github.empty() && consider(check_github(github, expected))) return {};
    if (!gitea.empty() && consider(check_mac("X-Gitea-Signature", gitea, expected, "64 hex digits"))) return {};
    if (!gitlab.empty()) {
        bool match = equal_secret(sha256(gitlab), sha256(secret));
        if (consider(match ? Result<void>() : fail("X-Gitlab-Token does not match the webhook secret"))) return {};
    }
    return std::unexpected(*first_failure);
}

}  // namespace drover::hub
