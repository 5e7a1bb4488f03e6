#include <doctest/doctest.h>
#include <unistd.h>

#include "common/sqlite.h"

using namespace drover;

static std::string temp_db() {
    char name[] = "/tmp/drover-sqlite-XXXXXX";
    int fd = mkstemp(name);
    close(fd);
    unlink(name);
    return name;
}

TEST_CASE("migrations run once, in order, from an empty database") {
    auto path = temp_db();
    std::vector<std::string_view> steps = {"CREATE TABLE a(x)", "ALTER TABLE a ADD COLUMN y"};
    {
        auto db = sql::Db::open(path, sql::Durability::normal);
        REQUIRE(db);
        CHECK(db->user_version() == 0);
        CHECK(db->migrate(steps).value() == 2);
        CHECK(db->user_version() == 2);
        db->prepare("INSERT INTO a(x, y) VALUES (?, ?)").bind(1, int64_t{1}).bind(2, "two").run();
    }
    auto db = sql::Db::open(path, sql::Durability::normal);
    CHECK(db->migrate(steps).value() == 2);  // idempotent
    auto s = db->prepare("SELECT x, y FROM a");
    REQUIRE(s.step());
    CHECK(s.int64(0) == 1);
    CHECK(s.text(1) == "two");
    CHECK(db->integrity_check() == "ok");
    unlink(path.c_str());
}

TEST_CASE("a database newer than the binary is refused") {
    auto path = temp_db();
    auto db = sql::Db::open(path, sql::Durability::normal);
    db->exec("PRAGMA user_version=7");
    auto r = db->migrate({"CREATE TABLE a(x)"});
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("newer") != std::string::npos);
    unlink(path.c_str());
}

TEST_CASE("a transaction that is not committed rolls back") {
    auto path = temp_db();
    auto db = sql::Db::open(path, sql::Durability::normal);
    db->exec("CREATE TABLE t(x)");
    {
        sql::Transaction tx(*db);
        db->exec("INSERT INTO t VALUES (1)");
    }
    auto s = db->prepare("SELECT count(*) FROM t");
    s.step();
    CHECK(s.int64(0) == 0);
    unlink(path.c_str());
}
