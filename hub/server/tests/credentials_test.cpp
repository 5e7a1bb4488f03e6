#include "hub/server/credentials.h"

#include <doctest/doctest.h>
#include <mbedtls/base64.h>

#include <string>

#include "common/crypto.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;

namespace {

std::string base64(const std::string& in) {
    size_t n = 0;
    mbedtls_base64_encode(nullptr, 0, &n, reinterpret_cast<const unsigned char*>(in.data()), in.size());
    std::string out(n, '\0');
    REQUIRE(mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &n,
                                  reinterpret_cast<const unsigned char*>(in.data()), in.size()) == 0);
    out.resize(n);
    return out;
}

std::string basic(const std::string& user, const std::string& password) { return "Basic " + base64(user + ":" + password); }

// A hub with an admin token and a way to make push tokens.
struct AuthHub {
    Hub hub;
    std::string admin = "drv_admin_secret";
    AuthHub() { hub.store->set_setting("admin_token_sha256", sha256_hex(admin)); }

    std::string push_token(const std::string& id, std::optional<int64_t> expires_ms = std::nullopt, bool revoked = false) {
        std::string secret = random_token("drv_push_");
        hub.store->add_token(
            {.id = id, .expires_ms = expires_ms, .created_ms = hub.now, .revoked = revoked, .kind = TokenKind::push},
            sha256_hex(secret));
        return secret;
    }
    std::string error_of(const std::string& authorization) {
        auto r = identify(*hub.fleet, authorization);
        REQUIRE_FALSE(r.has_value());
        return r.error().message;
    }
};

}  // namespace

TEST_CASE("a bearer token is presented whatever the scheme's case") {
    CHECK(presented_token("Bearer tok123") == "tok123");
    CHECK(presented_token("bearer tok123") == "tok123");
    CHECK(presented_token("BEARER tok123") == "tok123");
    CHECK(presented_token("Bearer   tok123  ") == "tok123");
}

TEST_CASE("basic credentials present their password as the token, whatever the user name") {
    CHECK(presented_token(basic("admin", "tok123")) == "tok123");
    CHECK(presented_token(basic("x-access-token", "tok123")) == "tok123");
    CHECK(presented_token(basic("", "tok123")) == "tok123");
    CHECK(presented_token("basic " + base64("u:tok123")) == "tok123");
    // Only the first colon separates: a password may hold colons.
    CHECK(presented_token(basic("u", "a:b")) == "a:b");
}

TEST_CASE("malformed or foreign Authorization headers present no token") {
    CHECK(presented_token("") == std::nullopt);
    CHECK(presented_token("Bearer") == std::nullopt);
    CHECK(presented_token("Bearer ") == std::nullopt);
    CHECK(presented_token("Bearer    ") == std::nullopt);
    CHECK(presented_token("Bearertok") == std::nullopt);
    CHECK(presented_token("Basic !!!not-base64!!!") == std::nullopt);
    CHECK(presented_token("Basic " + base64("no-colon-here")) == std::nullopt);
    CHECK(presented_token(basic("user", "")) == std::nullopt);
    CHECK(presented_token("Basic ") == std::nullopt);
    CHECK(presented_token("Digest username=\"a\", response=\"b\"") == std::nullopt);
    CHECK(presented_token("Token tok123") == std::nullopt);
    CHECK(presented_token("Bearer " + std::string(5000, 'a')) == std::nullopt);
    CHECK(presented_token(basic("u", std::string(4000, 'a'))) == std::nullopt);  // header over 4096 bytes
}

TEST_CASE("the admin token identifies the admin, as bearer or basic") {
    AuthHub h;
    for (auto header : {"Bearer " + h.admin, basic("git", h.admin), basic("", h.admin)}) {
        CAPTURE(header);
        auto who = identify(*h.hub.fleet, header);
        REQUIRE_MESSAGE(who.has_value(), (who ? "" : who.error().message));
        CHECK(who->admin);
        CHECK(who->id == "admin");
    }
}

TEST_CASE("a push token identifies its id, not the admin") {
    AuthHub h;
    std::string secret = h.push_token("tok_ci");
    for (auto header : {"Bearer " + secret, basic("ci", secret)}) {
        CAPTURE(header);
        auto who = identify(*h.hub.fleet, header);
        REQUIRE_MESSAGE(who.has_value(), (who ? "" : who.error().message));
        CHECK_FALSE(who->admin);
        CHECK(who->id == "tok_ci");
    }
}

TEST_CASE("a hub without an admin token still takes push tokens and refuses the rest") {
    Hub hub;
    std::string secret = random_token("drv_push_");
    hub.store->add_token({.id = "tok_p", .created_ms = hub.now, .kind = TokenKind::push}, sha256_hex(secret));
    CHECK(identify(*hub.fleet, "Bearer " + secret)->id == "tok_p");
    CHECK(identify(*hub.fleet, "Bearer whatever").error().message == "push token is not known to this hub");
}

TEST_CASE("a registration token does not authorise git access") {
    AuthHub h;
    std::string registration = h.hub.token();
    CHECK(h.error_of("Bearer " + registration) == "push token is not known to this hub");
    CHECK(h.error_of(basic("u", registration)) == "push token is not known to this hub");
}

TEST_CASE("revoked and expired push tokens are refused with their id and why") {
    AuthHub h;
    std::string revoked = h.push_token("tok_revoked", std::nullopt, true);
    std::string expired = h.push_token("tok_expired", h.hub.now - 1);
    std::string expiring = h.push_token("tok_expiring", h.hub.now + 1000);
    CHECK(h.error_of("Bearer " + revoked) == "push token tok_revoked was revoked");
    CHECK(h.error_of("Bearer " + expired) == "push token tok_expired has expired");
    CHECK(identify(*h.hub.fleet, "Bearer " + expiring)->id == "tok_expiring");
    h.hub.now += 1000;
    CHECK(h.error_of("Bearer " + expiring) == "push token tok_expiring has expired");
}

TEST_CASE("unknown and missing credentials are refused without echoing the secret") {
    AuthHub h;
    CHECK(h.error_of("") == "no credentials given");
    std::string unknown = h.error_of("Bearer drv_guess_1234");
    CHECK(unknown == "push token is not known to this hub");
    std::string malformed = h.error_of("Basic " + base64("drv_guess_1234"));
    CHECK(malformed == "the Authorization header is neither \"Bearer TOKEN\" nor Basic with the token as password");
    CHECK(malformed.find("drv_guess") == std::string::npos);
    CHECK(h.error_of("Bearer " + h.admin + "x") == "push token is not known to this hub");
}
