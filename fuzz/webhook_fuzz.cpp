// Fuzz target: webhook authenticity (hub/server/webhook_signature.h), what
// POST /api/v1/hooks/git checks before it lets a Git host trigger a fetch.
//
// Input: four length-prefixed fields, then the body:
//   [1 byte n][n bytes: the secret]
//   [1 byte n][n bytes: X-Hub-Signature-256]
//   [1 byte n][n bytes: X-Gitea-Signature]
//   [1 byte n][n bytes: X-Gitlab-Token]
//   [the rest: the request body]
// Beyond "no crash, no leak, no UB" it checks:
//  - the verdict on the headers as given equals an oracle written from the
//    header's documented contract, over an HMAC-SHA256 computed here from
//    RFC 2104 (not through common/crypto's hmac_sha256, which is checked
//    against it); a refusal is one non-empty line;
//  - for the secret as the hub reads it (trimmed; skipped if that leaves
//    nothing): a correct signature in each accepted form verifies (GitHub
//    lower- and upper-case hex with surrounding whitespace, Gitea, the
//    GitLab token), also next to the wrong headers from the input;
//  - and stops verifying once one thing changes: a bit of the body, one
//    hex digit of the MAC (to another digit, not another case), the
//    secret, or a byte of the GitLab token.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "common/text.h"
#include "hub/server/webhook_signature.h"

using namespace drover;
using hub::verify_webhook;
using hub::WebhookDelivery;

namespace {

[[noreturn]] void broken(const std::string& what) {
    std::fprintf(stderr, "webhook_fuzz: %s\n", what.c_str());
    std::abort();
}

std::optional<std::string_view> take_field(std::string_view& in) {
    if (in.empty()) return std::nullopt;
    size_t n = static_cast<uint8_t>(in[0]);
    if (in.size() < 1 + n) return std::nullopt;
    std::string_view field = in.substr(1, n);
    in.remove_prefix(1 + n);
    return field;
}

// RFC 2104 over SHA-256 (block size 64).
std::string reference_hmac(std::string_view key, std::string_view message) {
    std::string k = key.size() > 64 ? sha256(key) : std::string(key);
    k.resize(64, '\0');
    std::string inner(64, '\0'), outer(64, '\0');
    for (size_t i = 0; i < 64; ++i) {
        inner[i] = static_cast<char>(k[i] ^ 0x36);
        outer[i] = static_cast<char>(k[i] ^ 0x5c);
    }
    return sha256(outer + sha256(inner + std::string(message)));
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

// What the header comment of webhook_signature.h promises.
bool oracle(const WebhookDelivery& d, std::string_view secret) {
    if (secret.empty()) return false;
    std::string mac = hex_encode(reference_hmac(secret, d.body));
    std::string_view github = trim(d.github_signature_256), gitea = trim(d.gitea_signature),
                     gitlab = trim(d.gitlab_token);
    if (github.starts_with("sha256=") && lower(github.substr(7)) == mac) return true;
    if (lower(gitea) == mac) return true;
    return !gitlab.empty() && gitlab == secret;
}

bool verifies(const WebhookDelivery& d, std::string_view secret, const char* what) {
    auto r = verify_webhook(d, secret);
    if (!r && (r.error().message.empty() || r.error().message.find('\n') != std::string::npos))
        broken(std::string(what) + ": a refusal is not one non-empty line: \"" + r.error().message + "\"");
    return r.has_value();
}

void expect(bool got, bool want, const char* what) {
    if (got != want) broken(cat(what, ": verify_webhook says ", got ? "ok" : "refused", ", expected ", want ? "ok" : "refused"));
}

// hex (lower case, as hex_encode writes it) with the digit at `at` replaced
// by another digit: a different MAC, not the same one in another case.
std::string other_digit(std::string hex, size_t at) {
    constexpr std::string_view digits = "0123456789abcdef";
    hex[at] = digits[(digits.find(hex[at]) + 1) % digits.size()];
    return hex;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto secret = take_field(in), github = take_field(in), gitea = take_field(in), gitlab = take_field(in);
    if (!gitlab) return 0;
    WebhookDelivery given{std::string(*github), std::string(*gitea), std::string(*gitlab), std::string(in)};

    if (hmac_sha256(*secret, given.body) != reference_hmac(*secret, given.body))
        broken("hmac_sha256 disagrees with RFC 2104");
    expect(verifies(given, *secret, "the headers as given"), oracle(given, *secret), "the headers as given");

    std::string key(trim(*secret));  // as drover-hub reads --git-webhook-secret-file
    if (key.empty()) {
        expect(verifies(given, "", "no secret"), false, "an empty secret");
        return 0;
    }
    std::string mac = hex_encode(reference_hmac(key, given.body));
    // Where the mutations below strike: derived from the input, so the
    // fuzzer steers them.
    size_t pick = size;
    for (uint8_t b : std::string_view(*secret)) pick = pick * 31 + b;

    WebhookDelivery d;
    d.body = given.body;
    d.github_signature_256 = "sha256=" + mac;
    expect(verifies(d, key, "github"), true, "a correct X-Hub-Signature-256");
    d.github_signature_256 = " \tsha256=" + upper(mac) + "\r\n";
    expect(verifies(d, key, "github"), true, "X-Hub-Signature-256 in upper case, with whitespace");
    d.gitea_signature = given.gitea_signature;
    d.gitlab_token = given.gitlab_token;
    expect(verifies(d, key, "github"), true, "X-Hub-Signature-256 next to other headers");

    d.github_signature_256 = "sha256=" + other_digit(mac, pick % mac.size());
    d.gitea_signature.clear();
    d.gitlab_token.clear();
    expect(verifies(d, key, "github"), false, "X-Hub-Signature-256 with one digit changed");
    d.github_signature_256 = "sha256=" + mac;
    expect(verifies(d, key + "x", "github"), false, "X-Hub-Signature-256 under another secret");
    if (!d.body.empty()) {
        d.body[pick % d.body.size()] ^= static_cast<char>(1u << (pick / 7 % 8));
        expect(verifies(d, key, "github"), false, "X-Hub-Signature-256 over a changed body");
        d.body = given.body;
    }

    d.github_signature_256.clear();
    d.gitea_signature = mac;
    expect(verifies(d, key, "gitea"), true, "a correct X-Gitea-Signature");
    d.gitea_signature = other_digit(mac, (pick + 1) % mac.size());
    expect(verifies(d, key, "gitea"), false, "X-Gitea-Signature with one digit changed");

    d.gitea_signature.clear();
    d.gitlab_token = key;
    expect(verifies(d, key, "gitlab"), true, "the GitLab token");
    WebhookDelivery mixed = given;
    mixed.gitlab_token = key;
    expect(verifies(mixed, key, "gitlab"), true, "the GitLab token after the other headers as given");
    d.gitlab_token[pick % key.size()] ^= static_cast<char>(1u << (pick / 5 % 8));
    expect(verifies(d, key, "gitlab"), false, "a GitLab token with one bit changed");
    return 0;
}
