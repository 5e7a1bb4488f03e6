#include "hub/server/body_spool.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "common/testing/temp_dir.h"

using namespace drover;
using namespace drover::hub;
using drover::testing::TempDir;

namespace {

// Both kinds of spool, so every behaviour is checked in memory and on disk.
struct Spools {
    TempDir dir;
    BodySpool memory = BodySpool::in_memory(10);
    BodySpool disk = std::move(*BodySpool::on_disk(dir.path(), 10));
};

std::string read_all(const BodySpool& spool, size_t piece) {
    std::string out;
    std::string buf(piece, '\0');
    while (true) {
        auto got = spool.read_at(out.size(), buf.data(), buf.size());
        REQUIRE(got.has_value());
        if (*got == 0) return out;
        out.append(buf.data(), *got);
    }
}

void check_round_trip(BodySpool& spool) {
    REQUIRE(spool.append("hello").has_value());
    REQUIRE(spool.append("").has_value());
    REQUIRE(spool.append(" you").has_value());
    CHECK(spool.size() == 9);
    CHECK(spool.max_bytes() == 10);
    CHECK(read_all(spool, 1) == "hello you");
    CHECK(read_all(spool, 4) == "hello you");
    CHECK(read_all(spool, 100) == "hello you");

    char buf[8] = {};
    auto middle = spool.read_at(6, buf, sizeof buf);
    REQUIRE(middle.has_value());
    CHECK(*middle == 3);
    CHECK(std::string(buf, *middle) == "you");

    CHECK(*spool.head(5) == "hello");
    CHECK(*spool.head(0) == "");
    CHECK(*spool.head(1000) == "hello you");
}

void check_reads_past_the_end(BodySpool& spool) {
    REQUIRE(spool.append("abc").has_value());
    char buf[4] = {'x', 'x', 'x', 'x'};
    CHECK(*spool.read_at(3, buf, sizeof buf) == 0);
    CHECK(*spool.read_at(4, buf, sizeof buf) == 0);
    CHECK(*spool.read_at(UINT64_MAX, buf, sizeof buf) == 0);
    CHECK(std::string(buf, 4) == "xxxx");
}

void check_limit(BodySpool& spool) {
    REQUIRE(spool.append("0123456789").has_value());  // exactly max_bytes
    auto over = spool.append("x");
    REQUIRE_FALSE(over.has_value());
    CHECK(over.error().message == "request body is larger than 10 bytes");
    CHECK(spool.size() == 10);
    CHECK(*spool.head(100) == "0123456789");
}

}  // namespace

TEST_CASE("an in-memory spool gives back what was appended, whole, in pieces and from any offset") {
    auto spool = BodySpool::in_memory(10);
    check_round_trip(spool);
}

TEST_CASE("an on-disk spool gives back what was appended, whole, in pieces and from any offset") {
    TempDir dir;
    auto spool = BodySpool::on_disk(dir.path(), 10);
    REQUIRE_MESSAGE(spool.has_value(), (spool ? "" : spool.error().message));
    check_round_trip(*spool);
}

TEST_CASE("an on-disk spool leaves no file in its directory") {
    TempDir dir;
    auto spool = BodySpool::on_disk(dir.path(), 1 << 20);
    REQUIRE(spool.has_value());
    REQUIRE(spool->append(std::string(100'000, 'z')).has_value());
    CHECK(std::filesystem::is_empty(dir.path()));
    CHECK(spool->head(200'000)->size() == 100'000);
}

TEST_CASE("an on-disk spool in a directory that does not exist is an error naming it") {
    TempDir dir;
    auto spool = BodySpool::on_disk(dir / "missing", 10);
    REQUIRE_FALSE(spool.has_value());
    CHECK(spool.error().message.starts_with("cannot create a temporary file in " + dir / "missing" + ": "));
}

TEST_CASE("reads at or past the end of a spool return 0 bytes") {
    Spools s;
    check_reads_past_the_end(s.memory);
    check_reads_past_the_end(s.disk);
}

TEST_CASE("an empty spool reads as nothing") {
    Spools s;
    for (BodySpool* spool : {&s.memory, &s.disk}) {
        char buf[4];
        CHECK(spool->size() == 0);
        CHECK(*spool->read_at(0, buf, sizeof buf) == 0);
        CHECK(*spool->head(10) == "");
    }
}

TEST_CASE("appending beyond max_bytes fails with the limit and keeps what was stored") {
    Spools s;
    check_limit(s.memory);
    check_limit(s.disk);
}

TEST_CASE("one append larger than the whole limit fails and stores nothing") {
    Spools s;
    for (BodySpool* spool : {&s.memory, &s.disk}) {
        auto r = spool->append(std::string(11, 'a'));
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().message == "request body is larger than 10 bytes");
        CHECK(spool->size() == 0);
    }
}

// body_spool.h: "Fails beyond max_bytes ... or on a write error; the spool
// stays failed."
TEST_CASE("a spool that refused an append stays failed") {
    Spools s;
    for (BodySpool* spool : {&s.memory, &s.disk}) {
        REQUIRE(spool->append("12345678").has_value());
        REQUIRE_FALSE(spool->append("abc").has_value());
        CHECK_FALSE(spool->append("9").has_value());
    }
}

TEST_CASE("a moved spool keeps its bytes and its file") {
    TempDir dir;
    auto disk = BodySpool::on_disk(dir.path(), 100);
    REQUIRE(disk.has_value());
    REQUIRE(disk->append("on disk").has_value());
    BodySpool moved(std::move(*disk));
    CHECK(*moved.head(100) == "on disk");

    auto memory = BodySpool::in_memory(100);
    REQUIRE(memory.append("in memory").has_value());
    moved = std::move(memory);
    CHECK(*moved.head(100) == "in memory");
    CHECK(moved.max_bytes() == 100);
    REQUIRE(moved.append("!").has_value());
    CHECK(*moved.head(100) == "in memory!");
}
