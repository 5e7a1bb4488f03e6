#include <doctest/doctest.h>
#include <zlib.h>

#include "agent/session/content_fetch.h"
#include "agent/tests/session/scripted_hub.h"
#include "common/testing/temp_dir.h"
#include "hub/render/render_limits.h"

using namespace drover;
using drover::testing::Published;
using drover::testing::ScriptedHub;
using drover::testing::TempDir;

// Agents must accept every spec the hub renders.
static_assert(session::kMaxSpecBytes >= render::Limits{}.max_spec_bytes);
static_assert(session::kMaxCompressedSpecBytes > session::kMaxSpecBytes);

namespace {

// A cache with a desired set, and ContentFetches over it whose frames land
// in `sent`. Destroying a ContentFetch is what a broken link does to it.
struct Fixture {
    TempDir dir;
    std::unique_ptr<cache::Cache> cache;
    ScriptedHub hub;
    std::vector<v1::Envelope> sent;
    int stored = 0;

    Fixture() {
        auto c = cache::Cache::open(dir / "cache.db", sql::Durability::normal);
        REQUIRE(c);
        cache = std::move(*c);
    }

    void desire(const std::vector<Published>& specs) {
        cache::DesiredSet set;
        set.hash = sha256("any");
        for (auto& p : specs) set.bundles.push_back({p.bundle, p.revision, p.digest, p.signature, p.compressed.size()});
        cache->desired().replace(set);
    }

    std::unique_ptr<session::ContentFetch> fetcher() {
        return std::make_unique<session::ContentFetch>(
            *cache, [this](const v1::Envelope& e) { sent.push_back(e); }, [this] { ++stored; });
    }

    // Offsets of the Fetch frames sent since the last call.
    std::vector<uint64_t> fetches() {
        std::vector<uint64_t> out;
        for (auto& e : sent)
            if (e.has_fetch()) out.push_back(e.fetch().offset());
        sent.clear();
        return out;
    }

    int64_t pieces(const std::string& digest) {
        auto s = cache->db().prepare("SELECT count(*) FROM partial WHERE digest = ?");
        s.bind_blob(1, digest);
        s.step();
        return s.int64(0);
    }
};

// About `bytes` of compressed content: random bytes, hex-encoded, shrink to half.
Published publish_big(const ScriptedHub& hub, size_t bytes) {
    return hub.publish("big", "r1", testing::bulky_spec(bytes));
}

// A zlib stream of n zero bytes, made without holding them.
std::string deflated_zeros(size_t n) {
    z_stream zs{};
    REQUIRE(deflateInit(&zs, Z_BEST_SPEED) == Z_OK);
    std::string zeros(1 << 20, '\0'), out;
    char buf[1 << 16];
    for (size_t left = n;;) {
        size_t take = std::min(left, zeros.size());
        left -= take;
        zs.next_in = reinterpret_cast<Bytef*>(zeros.data());
        zs.avail_in = static_cast<uInt>(take);
        int flush = left == 0 ? Z_FINISH : Z_NO_FLUSH;
        int rc;
        do {
            zs.next_out = reinterpret_cast<Bytef*>(buf);
            zs.avail_out = sizeof buf;
            rc = deflate(&zs, flush);
            out.append(buf, sizeof buf - zs.avail_out);
        } while (zs.avail_out == 0);
        if (rc == Z_STREAM_END) break;
    }
    deflateEnd(&zs);
    return out;
}

}  // namespace

TEST_CASE("agent resumes a half-downloaded spec from its last byte") {
    Fixture f;
    Published big = publish_big(f.hub, 1'500'000);  // ~1.5 MB compressed: more than one stored piece
    auto chunks = ScriptedHub::chunks(big, 0);
    REQUIRE(chunks.size() > 20);
    f.desire({big});
    {
        auto fetch = f.fetcher();
        fetch->pump();
        CHECK(f.fetches() == std::vector<uint64_t>{0});
        for (size_t i = 0; i < 20; ++i) REQUIRE(fetch->on_chunk(chunks[i].chunk()));
        // One MiB is stored as it arrived; the rest when the link breaks.
        CHECK(f.cache->content().partial_length(big.digest) == session::kStorePieceBytes);
    }
    uint64_t received = 20 * wire::kChunkSize;
    CHECK(f.cache->content().partial_length(big.digest) == received);

    auto fetch = f.fetcher();
    fetch->pump();
    CHECK(f.fetches() == std::vector<uint64_t>{received});
    for (auto& c : ScriptedHub::chunks(big, received)) REQUIRE(fetch->on_chunk(c.chunk()));
    CHECK(f.fetches().empty());
    CHECK(f.stored == 1);
    CHECK(f.cache->content().spec(big.digest) == big.spec);
    CHECK(f.pieces(big.digest) == 0);
    CHECK_FALSE(fetch->current());
}

TEST_CASE("received bytes are stored in pieces of a MiB, not one row per chunk") {
    Fixture f;
    Published big = publish_big(f.hub, 2'500'000);
    auto chunks = ScriptedHub::chunks(big, 0);
    f.desire({big});
    auto fetch = f.fetcher();
    fetch->pump();
    const size_t per_piece = session::kStorePieceBytes / wire::kChunkSize;
    for (size_t i = 0; i < 2 * per_piece + 3; ++i) REQUIRE(fetch->on_chunk(chunks[i].chunk()));
    CHECK(f.pieces(big.digest) == 2);
    CHECK(f.cache->content().partial_length(big.digest) == 2 * session::kStorePieceBytes);
    for (size_t i = 2 * per_piece + 3; i < chunks.size(); ++i) REQUIRE(fetch->on_chunk(chunks[i].chunk()));
    CHECK(f.cache->content().spec(big.digest) == big.spec);
}

TEST_CASE("a resumed download that does not hash to its digest at the end is discarded and fetched again from 0") {
    Fixture f;
    Published big = publish_big(f.hub, 1'500'000);
    // What a broken or lying hub streams under big's digest: a good zlib
    // stream of other bytes. Only the digest check at the end can tell.
    Published wrong = big;
    wrong.compressed = deflate_bytes(testing::bulky_spec(1'500'000));
    auto wrong_chunks = ScriptedHub::chunks(wrong, 0);
    f.desire({big});
    {
        auto fetch = f.fetcher();
        fetch->pump();
        CHECK(f.fetches() == std::vector<uint64_t>{0});
        for (size_t i = 0; i < 20; ++i) REQUIRE(fetch->on_chunk(wrong_chunks[i].chunk()));
    }
    auto fetch = f.fetcher();
    fetch->pump();
    CHECK(f.fetches() == std::vector<uint64_t>{20 * wire::kChunkSize});
    for (size_t i = 20; i < wrong_chunks.size(); ++i) REQUIRE(fetch->on_chunk(wrong_chunks[i].chunk()));
    CHECK_FALSE(f.cache->content().has(big.digest));
    CHECK(f.pieces(big.digest) == 0);
    CHECK(f.stored == 0);
    CHECK(f.fetches() == std::vector<uint64_t>{0});  // once more, from the start
    for (auto& c : ScriptedHub::chunks(big, 0)) REQUIRE(fetch->on_chunk(c.chunk()));
    CHECK(f.cache->content().spec(big.digest) == big.spec);
    CHECK(f.stored == 1);
}

TEST_CASE("content announced larger than the compressed limit is refused before anything is stored") {
    Fixture f;
    Published p = f.hub.publish("web", "r1", "{\"a\":1}");
    f.desire({p});
    auto fetch = f.fetcher();
    fetch->pump();
    f.fetches();
    auto chunk = ScriptedHub::chunks(p, 0).front().chunk();
    chunk.set_total(session::kMaxCompressedSpecBytes + 1);
    chunk.set_last(false);
    REQUIRE(fetch->on_chunk(chunk));
    CHECK(f.pieces(p.digest) == 0);
    CHECK(f.fetches() == std::vector<uint64_t>{0});  // tried once more
    REQUIRE(fetch->on_chunk(chunk));
    CHECK(f.fetches().empty());  // then skipped for this session
    CHECK_FALSE(fetch->current());
}

TEST_CASE("a spec that inflates past the limit is discarded without being held in memory") {
    Fixture f;
    Published bomb = f.hub.publish("bomb", "r1", "{}");
    bomb.compressed = deflated_zeros(session::kMaxSpecBytes + 1);  // well under a MiB of zlib
    f.desire({bomb});
    auto fetch = f.fetcher();
    fetch->pump();
    f.fetches();
    for (auto& c : ScriptedHub::chunks(bomb, 0)) REQUIRE(fetch->on_chunk(c.chunk()));
    CHECK_FALSE(f.cache->content().has(bomb.digest));
    CHECK(f.pieces(bomb.digest) == 0);
    CHECK(f.fetches() == std::vector<uint64_t>{0});
}
