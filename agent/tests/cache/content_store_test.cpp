#include <doctest/doctest.h>

#include "agent/cache/cache.h"
#include "common/crypto.h"
#include "common/testing/temp_dir.h"

using namespace drover;
using drover::testing::TempDir;

namespace {

std::unique_ptr<cache::Cache> open_cache(const std::string& path) {
    auto c = cache::Cache::open(path, sql::Durability::normal);
    REQUIRE(c);
    return std::move(*c);
}

// A fill for ContentStore::complete that writes `text` in pieces of `step`.
auto writes(std::string text, size_t step) {
    return [text, step](const cache::ContentStore::Sink& write) -> Result<void> {
        for (size_t at = 0; at < text.size(); at += step)
            if (auto ok = write(std::string_view(text).substr(at, step)); !ok) return ok;
        return {};
    };
}

}  // namespace

TEST_CASE("the stored length of a partial download is the end of its last piece, however many pieces") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    std::string digest = sha256("spec"), other = sha256("other");
    REQUIRE(c->content().append_partial(other, 0, std::string(5000, 'o')));
    uint64_t offset = 0;
    for (int i = 0; i < 2000; ++i) {
        std::string piece(1 + i % 7, static_cast<char>('a' + i % 26));
        REQUIRE(c->content().append_partial(digest, offset, piece));
        offset += piece.size();
        REQUIRE(c->content().partial_length(digest) == offset);
    }
    CHECK(c->content().partial_length(other) == 5000);
    CHECK(c->content().partial_length(sha256("none")) == 0);
    CHECK(c->content().partial(digest).size() == offset);
}

TEST_CASE("read_partial hands out the stored pieces in offset order and stops at the first error") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    std::string digest = sha256("spec");
    REQUIRE(c->content().append_partial(digest, 0, "one "));
    REQUIRE(c->content().append_partial(digest, 4, "two "));
    REQUIRE(c->content().append_partial(digest, 8, "three"));
    std::vector<std::string> seen;
    REQUIRE(c->content().read_partial(digest, [&](std::string_view piece) -> Result<void> {
        seen.emplace_back(piece);
        return {};
    }));
    CHECK(seen == std::vector<std::string>{"one ", "two ", "three"});

    seen.clear();
    auto stopped = c->content().read_partial(digest, [&](std::string_view piece) -> Result<void> {
        seen.emplace_back(piece);
        return fail("enough");
    });
    REQUIRE_FALSE(stopped);
    CHECK(stopped.error().message == "enough");
    CHECK(seen.size() == 1);
}

TEST_CASE("a spec written into its row in pieces is stored whole and its partial download forgotten") {
    TempDir dir;
    std::string spec = "{\"bundle\":\"big\",\"pad\":\"" + std::string(300'000, 'x') + "\"}";
    std::string digest = sha256(spec);
    {
        auto c = open_cache(dir / "cache.db");
        REQUIRE(c->content().append_partial(digest, 0, "compressed bytes"));
        REQUIRE(c->content().complete(digest, spec.size(), writes(spec, 65536)));
        CHECK(c->content().partial_length(digest) == 0);
    }
    auto c = open_cache(dir / "cache.db");
    CHECK(c->content().spec(digest) == spec);
    CHECK(c->db().integrity_check() == "ok");
}

TEST_CASE("a spec whose writer fails, or writes more or fewer bytes than announced, is not stored") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    std::string digest = sha256("spec");
    REQUIRE(c->content().append_partial(digest, 0, "kept for a retry"));

    auto shorter = c->content().complete(digest, 10, writes("123456789", 4));
    REQUIRE_FALSE(shorter);
    CHECK(shorter.error().message == "spec is 9 bytes, not the 10 expected");

    auto longer = c->content().complete(digest, 10, writes("12345678901", 4));
    REQUIRE_FALSE(longer);
    CHECK(longer.error().message == "spec is longer than the 10 bytes expected");

    auto broken = c->content().complete(digest, 10, [](const cache::ContentStore::Sink& write) -> Result<void> {
        REQUIRE(write("12345"));
        return fail("inflate failed");
    });
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message == "inflate failed");

    CHECK_FALSE(c->content().has(digest));
    CHECK(c->content().partial(digest) == "kept for a retry");
}

TEST_CASE("a failed streamed store inside the caller's transaction leaves no row behind when it commits") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    std::string digest = sha256("spec");
    {
        sql::Transaction tx(c->db());
        REQUIRE_FALSE(c->content().complete(digest, 4, writes("12", 1)));
        tx.commit();
    }
    CHECK_FALSE(c->content().has(digest));
}
