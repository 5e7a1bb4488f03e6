#pragma once
// Authenticity of a Git host's webhook delivery (POST /api/v1/hooks/git):
// proof that the sender knows the shared webhook secret. Only authenticity;
// what the delivery says is not read here (the hub refetches upstream, it
// does not trust the payload), and the caller caps the body size before
// buffering it.
//
// Accepted proofs, any one suffices:
//   X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>  GitHub, Gitea, Forgejo
//   X-Gitea-Signature:   <hex HMAC-SHA256(secret, body)>         Gitea, Gogs
//   X-Gitlab-Token:      <secret>                                GitLab
// Hex is case-insensitive; surrounding whitespace in a header is ignored.
// Every comparison runs in constant time (drover::equal_secret); the GitLab
// token is compared through SHA-256 so its length leaks nothing either.
#include <string>
#include <string_view>

#include "common/error.h"

namespace drover::hub {

// Header values as received; an absent header is an empty string.
struct WebhookDelivery {
    std::string github_signature_256;  // X-Hub-Signature-256
    std::string gitea_signature;       // X-Gitea-Signature
    std::string gitlab_token;          // X-Gitlab-Token
    std::string body;                  // the raw request body, exactly as signed
};

// Ok when any present header proves knowledge of `secret`. Otherwise the
// error names the reason for the first header that failed (in the order
// above), e.g. "X-Hub-Signature-256 does not match the body", or "no
// signature header (expected X-Hub-Signature-256, X-Gitea-Signature or
// X-Gitlab-Token)". An empty secret refuses every delivery: a hook without a
// secret would let anyone trigger fetches.
Result<void> verify_webhook(const WebhookDelivery& delivery, std::string_view secret);

}  // namespace drover::hub
