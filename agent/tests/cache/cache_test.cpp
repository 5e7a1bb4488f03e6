#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "agent/cache/cache.h"
#include "common/testing/temp_dir.h"
#include "common/crypto.h"

using namespace drover;
using drover::testing::TempDir;

namespace {

std::unique_ptr<cache::Cache> open_cache(const std::string& path) {
    auto c = cache::Cache::open(path, sql::Durability::normal);
    REQUIRE(c);
    return std::move(*c);
}

cache::Status status(const std::string& bundle, v1::State state, const std::string& message = "") {
    cache::Status s;
    s.bundle = bundle;
    s.digest = sha256(bundle);
    s.revision = "rev1";
    s.state = state;
    s.message = message;
    s.time_unix_ms = 1700000000000;
    s.resources = 3;
    return s;
}

}  // namespace

TEST_CASE("a new cache is migrated from an empty file to the current schema") {
    TempDir dir;
    std::string path = dir / "cache.db";
    {
        auto c = open_cache(path);
        CHECK(c->db().user_version() == cache::Cache::schema_version());
        CHECK(c->db().integrity_check() == "ok");
        CHECK_FALSE(c->identity().load().registered());
        CHECK(c->desired().load().bundles.empty());
        CHECK(c->outbox().pending(0, 10).empty());
    }
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);  // it will hold the credential
    // Reopening migrates nothing and keeps the data.
    auto c = open_cache(path);
    CHECK(c->db().user_version() == cache::Cache::schema_version());
}

TEST_CASE("a cache from before key rotation keeps its identity and gains an empty rotation history and client key") {
    TempDir dir;
    std::string path = dir / "cache.db";
    open_cache(path);
    {
        // Back to schema 1: identity without signing_key_rotated_from and
        // the client key and certificate.
        auto db = sql::Db::open(path, sql::Durability::normal);
        REQUIRE(db);
        db->exec("ALTER TABLE identity DROP COLUMN client_certificate");
        db->exec("ALTER TABLE identity DROP COLUMN client_key");
        db->exec("ALTER TABLE identity DROP COLUMN signing_key_rotated_from");
        db->exec("INSERT INTO identity VALUES (1, 'agt_1', 'edge-1', 'cred', 'PEM', 'wss://hub')");
        db->exec("PRAGMA user_version=1");
    }
    auto c = open_cache(path);
    CHECK(c->db().user_version() == cache::Cache::schema_version());
    auto id = c->identity().load();
    CHECK(id.credential == "cred");
    CHECK(id.signing_key_pem == "PEM");
    CHECK(id.signing_key_rotated_from.empty());
    CHECK(id.client_key.empty());
    CHECK(id.client_certificate.empty());
    id.signing_key_rotated_from = "ab12 cd34";
    id.client_key = std::string("\x30\x00key", 5);  // DER: binary, NULs included
    c->identity().save(id);
    CHECK(c->identity().load().signing_key_rotated_from == "ab12 cd34");
    CHECK(c->identity().load().client_key == id.client_key);
}

TEST_CASE("a cache written by a newer agent is refused") {
    TempDir dir;
    {
        auto db = sql::Db::open(dir / "cache.db", sql::Durability::normal);
        db->exec("PRAGMA user_version=99");
    }
    auto c = cache::Cache::open(dir / "cache.db", sql::Durability::normal);
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find("newer") != std::string::npos);
}

TEST_CASE("the outbox hands out statuses in seq order, after a given seq, up to a limit") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    int64_t a = c->outbox().append(status("a", v1::PENDING));
    int64_t b = c->outbox().append(status("b", v1::APPLYING));
    int64_t d = c->outbox().append(status("c", v1::READY, "fine"));
    CHECK(a < b);
    CHECK(b < d);

    auto all = c->outbox().pending(0, 10);
    REQUIRE(all.size() == 3);
    CHECK(all[0].seq == a);
    CHECK(all[0].bundle == "a");
    CHECK(all[1].state == v1::APPLYING);
    CHECK(all[2].message == "fine");
    CHECK(all[2].digest == sha256("c"));
    CHECK(all[2].resources == 3);
    CHECK(all[2].time_unix_ms == 1700000000000);

    auto after_first = c->outbox().pending(a, 10);
    REQUIRE(after_first.size() == 2);
    CHECK(after_first[0].seq == b);

    auto limited = c->outbox().pending(0, 2);
    REQUIRE(limited.size() == 2);
    CHECK(limited[1].seq == b);
}

TEST_CASE("ack deletes exactly the statuses up to and including its seq") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    std::vector<int64_t> seqs;
    for (int i = 0; i < 5; ++i) seqs.push_back(c->outbox().append(status("b" + std::to_string(i), v1::READY)));
    c->outbox().ack(seqs[2]);
    auto left = c->outbox().pending(0, 10);
    REQUIRE(left.size() == 2);
    CHECK(left[0].seq == seqs[3]);
    CHECK(left[1].seq == seqs[4]);
    c->outbox().ack(seqs[2]);  // again: nothing more goes
    CHECK(c->outbox().pending(0, 10).size() == 2);
}

TEST_CASE("outbox seqs keep rising across deletes and reopening the cache") {
    TempDir dir;
    int64_t last = 0;
    {
        auto c = open_cache(dir / "cache.db");
        for (int i = 0; i < 3; ++i) last = c->outbox().append(status("a", v1::READY));
        c->outbox().ack(last);  // the table is now empty
        CHECK(c->outbox().pending(0, 10).empty());
    }
    auto c = open_cache(dir / "cache.db");
    int64_t next = c->outbox().append(status("a", v1::READY));
    CHECK(next == last + 1);
}

TEST_CASE("the outbox can be told to issue seqs above what the hub has stored") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    c->outbox().ensure_seq_above(41);  // no AUTOINCREMENT row yet
    CHECK(c->outbox().append(status("a", v1::READY)) == 42);
    c->outbox().ensure_seq_above(10);  // never lowers
    CHECK(c->outbox().append(status("a", v1::READY)) == 43);
    c->outbox().ensure_seq_above(100);
    CHECK(c->outbox().append(status("a", v1::READY)) == 101);
}

TEST_CASE("a hub claiming the largest seq does not stop the outbox from issuing more") {
    // Found by fuzz/agent_session (a Welcome with acked_seq 2^64-1): the
    // sequence went to SQLite's maximum and every later append failed with
    // "database or disk is full", for good.
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    c->outbox().ensure_seq_above(INT64_MAX);
    int64_t seq = c->outbox().append(status("a", v1::READY));
    CHECK(seq == cache::StatusOutbox::kMaxSeqFloor + 1);
    CHECK(c->outbox().append(status("a", v1::FAILED)) == seq + 1);
    c->outbox().ensure_seq_above(INT64_MAX - 1);  // never lowers what was issued
    CHECK(c->outbox().append(status("a", v1::READY)) == seq + 2);
}

TEST_CASE("append_if_changed appends only when digest, revision, state or message change") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    CHECK(c->outbox().append_if_changed(status("web", v1::READY)));
    CHECK_FALSE(c->outbox().append_if_changed(status("web", v1::READY)));
    CHECK(c->outbox().append_if_changed(status("web", v1::MODIFIED, "1 object drifted")));
    CHECK_FALSE(c->outbox().append_if_changed(status("web", v1::MODIFIED, "1 object drifted")));
    CHECK(c->outbox().append_if_changed(status("web", v1::MODIFIED, "2 objects drifted")));
    auto newer = status("web", v1::MODIFIED, "2 objects drifted");
    newer.revision = "rev2";
    CHECK(c->outbox().append_if_changed(newer));
    CHECK(c->outbox().append_if_changed(status("infra", v1::READY)));  // per bundle
    CHECK(c->outbox().pending(0, 100).size() == 5);
    c->outbox().forget("web");
    CHECK(c->outbox().append_if_changed(status("web", v1::READY)));
}

TEST_CASE("a partial download resumes at the stored length, also after reopening") {
    TempDir dir;
    std::string digest = sha256("spec");
    {
        auto c = open_cache(dir / "cache.db");
        CHECK(c->content().partial_length(digest) == 0);
        REQUIRE(c->content().append_partial(digest, 0, "hello "));
        REQUIRE(c->content().append_partial(digest, 6, "wor"));
        CHECK(c->content().partial_length(digest) == 9);
        auto wrong = c->content().append_partial(digest, 3, "xx");
        REQUIRE_FALSE(wrong);
        CHECK(wrong.error().message.find("offset 3") != std::string::npos);
    }
    auto c = open_cache(dir / "cache.db");
    CHECK(c->content().partial_length(digest) == 9);
    REQUIRE(c->content().append_partial(digest, 9, std::string("ld\0!", 4)));
    CHECK(c->content().partial(digest) == std::string("hello world\0!", 13));
    CHECK_FALSE(c->content().has(digest));

    c->content().complete(digest, "{\"bundle\":\"x\"}");
    CHECK(c->content().has(digest));
    CHECK(c->content().spec(digest) == std::string("{\"bundle\":\"x\"}"));
    CHECK(c->content().partial_length(digest) == 0);
}

TEST_CASE("keep_only forgets content and partial downloads of digests no longer wanted") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    std::string a = sha256("a"), b = sha256("b"), p = sha256("p"), q = sha256("q");
    c->content().complete(a, "A");
    c->content().complete(b, "B");
    REQUIRE(c->content().append_partial(p, 0, "pp"));
    REQUIRE(c->content().append_partial(q, 0, "qq"));
    c->content().keep_only({a, p});
    CHECK(c->content().has(a));
    CHECK_FALSE(c->content().has(b));
    CHECK(c->content().partial_length(p) == 2);
    CHECK(c->content().partial_length(q) == 0);
}

TEST_CASE("the desired set is replaced as a whole and read back sorted with its hash") {
    TempDir dir;
    auto c = open_cache(dir / "cache.db");
    cache::DesiredSet set;
    set.hash = sha256("set1");
    set.bundles = {{"web", "r1", sha256("w"), "sigw", 10}, {"infra", "r1", sha256("i"), "sigi", 20}};
    c->desired().replace(set);
    auto got = c->desired().load();
    CHECK(got.hash == set.hash);
    REQUIRE(got.bundles.size() == 2);
    CHECK(got.bundles[0].bundle == "infra");
    CHECK(got.bundles[0].size == 20);
    CHECK(got.bundles[1].signature == "sigw");

    set.hash = sha256("set2");
    set.bundles = {{"web", "r2", sha256("w2"), "sigw2", 11}};
    c->desired().replace(set);
    got = c->desired().load();
    REQUIRE(got.bundles.size() == 1);
    CHECK(got.bundles[0].revision == "r2");
    CHECK(c->desired().find("infra") == std::nullopt);
}

TEST_CASE("identity and applied records survive reopening the cache") {
    TempDir dir;
    {
        auto c = open_cache(dir / "cache.db");
        c->identity().save({"agt_1", "edge-1", "cred", "PEM", "wss://hub:8443/v1/agent"});
        cache::AppliedRecord r;
        r.bundle = "web";
        r.digest = sha256("w");
        r.revision = "r1";
        r.state = v1::READY;
        r.inventory_json = "[]";
        r.keep_resources = true;
        c->applied().put(r);
    }
    auto c = open_cache(dir / "cache.db");
    auto id = c->identity().load();
    CHECK(id.registered());
    CHECK(id.name == "edge-1");
    CHECK(id.signing_key_pem == "PEM");
    auto r = c->applied().find("web");
    REQUIRE(r);
    CHECK(r->state == v1::READY);
    CHECK(r->keep_resources);
    c->applied().remove("web");
    CHECK(c->applied().load_all().empty());
}

namespace {

// Whether a process other than this one can see a POSIX lock held on the
// file: F_GETLK never reports the caller's own locks, so a child asks.
bool lock_visible_to_other_processes(const std::string& path) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
        struct flock probe {};
        probe.l_type = F_WRLCK;
        probe.l_whence = SEEK_SET;  // l_start 0, l_len 0: the whole file
        bool locked = fd >= 0 && ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
        ::_exit(locked ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

TEST_CASE("opening a second cache on the file keeps the lock that stops other processes deleting the WAL") {
    // SQLite holds a shared lock on a WAL database while it is open; a
    // process closing the file while it sees no lock takes itself for the
    // last user and deletes the WAL, with every write the agent made since.
    TempDir dir;
    std::string path = dir / "cache.db";
    auto link = open_cache(path);
    REQUIRE(lock_visible_to_other_processes(path));
    auto reconcile = open_cache(path);  // the agent opens one cache per thread
    link->outbox().append(status("web", v1::READY));
    CHECK(reconcile->outbox().last_seq() == 1);
    CHECK(lock_visible_to_other_processes(path));
}

TEST_CASE("an in-memory cache creates no file named :memory:") {
    TempDir dir;
    std::unique_ptr<char, decltype(&::free)> previous(::getcwd(nullptr, 0), ::free);
    REQUIRE(previous);
    REQUIRE(::chdir(dir.path().c_str()) == 0);
    bool opened = static_cast<bool>(cache::Cache::open(":memory:", sql::Durability::normal));
    bool stray = ::access(":memory:", F_OK) == 0;
    REQUIRE(::chdir(previous.get()) == 0);
    CHECK(opened);
    CHECK_FALSE(stray);
}
