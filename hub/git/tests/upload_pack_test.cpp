#include "hub/git/upload_pack.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/fs.h"
#include "common/testing/temp_dir.h"
#include "common/text.h"
#include "hub/git/handles.h"
#include "hub/git/pkt_line.h"
#include "hub/git/ref_advertisement.h"
#include "hub/git/repository.h"

namespace fs = std::filesystem;
using namespace drover;
using namespace drover::git;
using drover::testing::TempDir;
using namespace std::string_literals;

namespace {

const std::string kA(40, 'a');
const std::string kB(40, 'b');
const std::string kC(40, 'c');

git_oid oid(const std::string& hex) {
    git_oid id;
    REQUIRE(git_oid_fromstrn(&id, hex.data(), hex.size()) == 0);
    return id;
}

std::string hex(const git_oid& id) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, &id);
    return buf;
}

std::string parse_error(const std::string& body) {
    auto r = parse_upload_request(body);
    REQUIRE_FALSE(r.has_value());
    return r.error().message;
}

// Runs the real git CLI with a private HOME and no system config, so the
// machine's git configuration cannot change the outcome.
class GitCli {
public:
    explicit GitCli(const TempDir& home) : home_(home.path()) {}

    std::string output(const std::string& dir, const std::string& args) {
        std::string out = home_ + "/git.out", err = home_ + "/git.err";
        std::string cmd = cat("cd '", dir, "' && env HOME='", home_, "' GIT_CONFIG_NOSYSTEM=1 ",
                              "git -c user.name=Tester -c user.email=tester@example.com -c init.defaultBranch=main ",
                              args, " >'", out, "' 2>'", err, "'");
        int rc = std::system(cmd.c_str());
        auto text = read_file(out);
        auto errors = read_file(err);
        INFO("git ", args, " in ", dir, ":\n", errors ? *errors : std::string("(no log)"));
        REQUIRE(rc == 0);
        return text ? *text : std::string();
    }
    void run(const std::string& dir, const std::string& args) { output(dir, args); }
    const std::string& home() const { return home_; }

private:
    std::string home_;
};

void write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// Incompressible bytes, so the pack is about as large as the file.
std::string noise(size_t size) {
    std::string out;
    uint32_t x = 12345;
    for (size_t i = 0; i < size; ++i) {
        x = x * 1103515245 + 12345;
        out.push_back(static_cast<char>(x >> 16));
    }
    return out;
}

// A served bare repository and a work tree that pushes to it.
struct History {
    TempDir tmp;
    GitCli git{tmp};
    std::string bare = tmp / "fleet.git";
    std::string work = tmp / "work";

    History() {
        git.run(tmp.path(), "init -q --bare fleet.git");
        git.run(tmp.path(), "init -q work");
    }

    // Commits the files (path -> content) and pushes; returns the commit id.
    std::string commit(const std::vector<std::pair<std::string, std::string>>& files, const std::string& message) {
        for (const auto& [path, content] : files) write(work + "/" + path, content);
        git.run(work, "add -A");
        git.run(work, cat("commit -q -m '", message, "'"));
        git.run(work, cat("push -q '", bare, "' HEAD:refs/heads/main"));
        return std::string(trim(git.output(work, "rev-parse HEAD")));
    }

    // Ids of `git rev-list --objects <args>` in the served repository.
    std::set<std::string> objects(const std::string& args) {
        std::set<std::string> ids;
        for (const std::string& line : split(git.output(bare, "rev-list --objects " + args), '\n'))
            if (line.size() >= 40) ids.insert(line.substr(0, 40));
        return ids;
    }
};

// The response as the client reads it: ACK/NAK/ERR lines, then side-band.
struct Response {
    std::vector<std::string> lines;  // without their newline
    std::string pack;                // band 1
    std::string progress;            // band 2
    size_t largest_packet = 0;       // of band 1, length digits included
    bool flushed = false;
};

Response read_response(const std::string& body) {
    Response r;
    std::string_view in = body;
    while (!in.empty()) {
        auto next = read_pkt(in);
        REQUIRE(next.has_value());
        REQUIRE(next->has_value());
        const Pkt& p = **next;
        if (p.kind == PktKind::flush) {
            r.flushed = true;
            CHECK(in.empty());
            break;
        }
        REQUIRE(p.kind == PktKind::data);
        REQUIRE_FALSE(p.payload.empty());
        char band = p.payload[0];
        if (band == 1) {
            r.pack += p.payload.substr(1);
            r.largest_packet = std::max(r.largest_packet, p.payload.size() + 4);
        } else if (band == 2) {
            r.progress += p.payload.substr(1);
        } else {
            REQUIRE(band != 3);
            REQUIRE(r.pack.empty());
            std::string_view line = p.payload;
            if (line.back() == '\n') line.remove_suffix(1);
            r.lines.emplace_back(line);
        }
    }
    return r;
}

uint32_t pack_object_count(const std::string& pack) {
    REQUIRE(pack.size() >= 32);
    REQUIRE(pack.substr(0, 4) == "PACK");
    uint32_t n = 0;
    for (size_t i = 8; i < 12; ++i) n = n << 8 | static_cast<unsigned char>(pack[i]);
    return n;
}

int collect_id(const git_oid* id, void* payload) {
    static_cast<std::set<std::string>*>(payload)->insert(hex(*id));
    return 0;
}

// Indexes the pack with libgit2 into a fresh directory and returns the ids
// it holds. self_contained: every object its commits and trees reference
// must be in it too (a clone).
std::set<std::string> indexed_objects(const std::string& pack, bool self_contained) {
    TempDir dir;
    git_indexer_options options = GIT_INDEXER_OPTIONS_INIT;
    options.verify = self_contained ? 1 : 0;
    git_indexer* raw = nullptr;
    REQUIRE(git_indexer_new(&raw, dir.path().c_str(), 0, nullptr, &options) == 0);
    IndexerPtr indexer(raw);
    git_indexer_progress stats{};
    INFO(last_error());
    REQUIRE(git_indexer_append(indexer.get(), pack.data(), pack.size(), &stats) == 0);
    REQUIRE(git_indexer_commit(indexer.get(), &stats) == 0);
    std::string idx = cat(dir.path(), "/pack-", git_indexer_name(indexer.get()), ".idx");
    git_odb* odb_raw = nullptr;
    REQUIRE(git_odb_new(&odb_raw) == 0);
    OdbPtr odb(odb_raw);
    git_odb_backend* backend = nullptr;
    REQUIRE(git_odb_backend_one_pack(&backend, idx.c_str()) == 0);
    REQUIRE(git_odb_add_backend(odb.get(), backend, 1) == 0);
    std::set<std::string> ids;
    REQUIRE(git_odb_foreach(odb.get(), collect_id, &ids) == 0);
    CHECK(ids.size() == stats.indexed_objects);
    return ids;
}

UploadRequest clone_request(const std::string& want) {
    auto r =
        parse_upload_request(pkt(cat("want ", want, " multi_ack_detailed side-band-64k ofs-delta agent=git/2.39.5\n")) +
                             std::string(kFlushPkt) + pkt("done\n"));
    REQUIRE(r.has_value());
    return *r;
}

bool disjoint(const std::set<std::string>& a, const std::set<std::string>& b) {
    for (const auto& x : a)
        if (b.contains(x)) return false;
    return true;
}

}  // namespace

TEST_CASE("upload-pack capabilities name the head branch and the agent") {
    CHECK(
        upload_pack_capabilities("main", "drover/0.1.0") ==
        "multi_ack_detailed side-band-64k ofs-delta no-progress symref=HEAD:refs/heads/main object-format=sha1 agent=drover/0.1.0");
    CHECK(upload_pack_capabilities("", "drover/0.1.0") ==
          "multi_ack_detailed side-band-64k ofs-delta no-progress object-format=sha1 agent=drover/0.1.0");
}

TEST_CASE("a clone request yields its wants, the client's capabilities and done") {
    std::string body = pkt(cat("want ", kA, " multi_ack_detailed side-band-64k thin-pack no-progress ofs-delta ",
                               "deepen-relative agent=git/2.39.5\n")) +
                       pkt(cat("want ", kB, "\n")) + std::string(kFlushPkt) + pkt("done\n");
    auto r = parse_upload_request(body);
    REQUIRE(r.has_value());
    REQUIRE(r->wants.size() == 2);
    CHECK(hex(r->wants[0]) == kA);
    CHECK(hex(r->wants[1]) == kB);
    CHECK(r->haves.empty());
    CHECK(r->done);
    CHECK_FALSE(r->probe);
    CHECK(r->side_band_64k);
    CHECK_FALSE(r->side_band);
    CHECK(r->no_progress);
    CHECK(r->ofs_delta);
    CHECK(r->ack_mode == AckMode::multi_ack_detailed);
    CHECK(r->agent == "git/2.39.5");
}

TEST_CASE("a fetch round yields the haves and no done; want lines without newline or caps parse too") {
    std::string body = pkt(cat("want ", kA, " multi_ack side-band")) + std::string(kFlushPkt) +
                       pkt(cat("have ", kB, "\n")) + pkt(cat("have ", std::string(40, 'C'), "\n")) +
                       std::string(kFlushPkt);
    auto r = parse_upload_request(body);
    REQUIRE(r.has_value());
    REQUIRE(r->haves.size() == 2);
    CHECK(hex(r->haves[0]) == kB);
    CHECK(hex(r->haves[1]) == kC);
    CHECK_FALSE(r->done);
    CHECK(r->side_band);
    CHECK_FALSE(r->side_band_64k);
    CHECK(r->ack_mode == AckMode::multi_ack);

    auto bare = parse_upload_request(pkt(cat("want ", kA, "\n")) + std::string(kFlushPkt) + std::string(kFlushPkt));
    REQUIRE(bare.has_value());
    CHECK(bare->ack_mode == AckMode::single);
    CHECK_FALSE(bare->side_band_64k);
    CHECK(bare->agent.empty());
}

TEST_CASE("the 0000 probe before a large request is not an error") {
    auto r = parse_upload_request("0000");
    REQUIRE(r.has_value());
    CHECK(r->probe);
    CHECK(r->wants.empty());
    CHECK_FALSE(r->done);
}

TEST_CASE("malformed upload-pack requests are errors naming what is wrong") {
    const std::string want = pkt(cat("want ", kA, " side-band-64k\n"));
    const std::string flush(kFlushPkt);
    const std::string have = pkt(cat("have ", kB, "\n"));
    const std::string done = pkt("done\n");

    CHECK(parse_error("") == "upload-pack request: the body is empty");
    CHECK(parse_error(want.substr(0, want.size() - 5)) ==
          "upload-pack request: the body ends inside packet 1 (59 bytes left)");
    CHECK(parse_error(want + "00") == "upload-pack request: the body ends inside packet 2 (2 bytes left)");
    CHECK(parse_error("00zzwant") == "upload-pack request: packet 1: pkt-line length \"00zz\" is not hexadecimal");
    CHECK(parse_error(want + "0003") == "upload-pack request: packet 2: pkt-line length 0003 is invalid");
    CHECK(parse_error(want + "0001") ==
          "upload-pack request: packet 2: protocol v2 delimiter packet in a protocol v0 request");
    CHECK(parse_error(want + "0004") == "upload-pack request: packet 2 is empty");

    CHECK(parse_error(pkt("want 12345\n")) ==
          "upload-pack request: packet 1 \"want 12345\": want needs a 40-hex object id");
    CHECK(parse_error(pkt(cat("want ", std::string(39, 'a'), "g\n"))) ==
          cat("upload-pack request: packet 1 \"want ", std::string(39, 'a'), "g\": want needs a 40-hex object id"));
    CHECK(parse_error(pkt(cat("want ", kA, "x\n"))) ==
          cat("upload-pack request: packet 1 \"want ", kA, "x\": want needs a 40-hex object id"));
    CHECK(parse_error(want + flush + pkt(cat("have ", kB, " extra\n"))) ==
          cat("upload-pack request: packet 3 \"have ", kB, " extra\": have needs a 40-hex object id"));
    CHECK(parse_error(want + flush + pkt("have \n")) ==
          "upload-pack request: packet 3 \"have \": have needs a 40-hex object id");

    CHECK(parse_error(have) == "upload-pack request: packet 1: have line before any want line");
    CHECK(parse_error(pkt("hello\n")) == "upload-pack request: packet 1: expected a want line, got \"hello\"");
    CHECK(parse_error(flush + done) == "upload-pack request: packet 1: flush before any want line");
    CHECK(parse_error(done) == "upload-pack request: packet 1: done without any want line");
    CHECK(parse_error(want + have) ==
          "upload-pack request: packet 2: have line before the flush ending the want lines");
    CHECK(parse_error(want + done) == "upload-pack request: packet 2: done before the flush ending the want lines");
    CHECK(parse_error(want + pkt(cat("want ", kB, " ofs-delta\n"))) ==
          cat("upload-pack request: packet 2 \"want ", kB,
              " ofs-delta\": only the first want line may carry capabilities"));
    CHECK(parse_error(want + pkt("wnat x\n")) ==
          "upload-pack request: packet 2: unknown line \"wnat x\" among the want lines");

    CHECK(parse_error(want + pkt(cat("shallow ", kB, "\n")) + flush + done) ==
          cat("upload-pack request: packet 2 \"shallow ", kB,
              "\": shallow clones and fetches are not supported (the hub does not advertise shallow)"));
    CHECK(parse_error(want + pkt("deepen 1\n") + flush + done) ==
          "upload-pack request: packet 2 \"deepen 1\": shallow clones and fetches are not supported (the hub does not "
          "advertise shallow)");
    CHECK(parse_error(want + pkt("deepen-since 1700000000\n")).find("shallow clones") != std::string::npos);
    CHECK(parse_error(want + pkt("deepen-not refs/heads/x\n")).find("shallow clones") != std::string::npos);
    CHECK(parse_error(want + pkt("filter blob:none\n")) ==
          "upload-pack request: packet 2 \"filter blob:none\": partial clones are not supported (the hub does not "
          "advertise filter)");

    CHECK(parse_error(want + flush + done + have) == "upload-pack request: packet 4: data after done");
    CHECK(parse_error(want + flush + done + flush) == "upload-pack request: packet 4: data after done");
    CHECK(parse_error(want + flush + have + flush + done) ==
          "upload-pack request: packet 5: data after the flush ending the have lines");
    CHECK(parse_error(want + flush + pkt("hve x\n")) ==
          "upload-pack request: packet 3: unknown line \"hve x\" among the have lines");
    CHECK(parse_error(want + flush + pkt(cat("want ", kB, "\n"))) ==
          "upload-pack request: packet 3: want line after the flush ending the want lines");
    CHECK(parse_error(want + flush + pkt("done now\n")) ==
          "upload-pack request: packet 3: unknown line \"done now\" among the have lines");
    CHECK(parse_error(pkt(std::string(100, 'x'))) ==
          cat("upload-pack request: packet 1: expected a want line, got \"", std::string(80, 'x'), "\"..."));
    CHECK(parse_error(pkt("want\0x"s)) == "upload-pack request: packet 1: expected a want line, got \"want\\x00x\"");

    CHECK(parse_error(want) == "upload-pack request: the body ends before the flush ending the want lines");
    CHECK(parse_error(want + flush) ==
          "upload-pack request: the body ends without a flush or done after the have lines");
    CHECK(parse_error(want + flush + have) ==
          "upload-pack request: the body ends without a flush or done after the have lines");
}

TEST_CASE("requests with more wants or haves than the bounds are refused") {
    std::string want_line = pkt(cat("want ", kA, "\n"));
    std::string wants;
    for (size_t i = 0; i < kMaxUploadWants; ++i) wants += want_line;
    std::string fine = wants + std::string(kFlushPkt) + pkt("done\n");
    auto at_limit = parse_upload_request(fine);
    REQUIRE(at_limit.has_value());
    CHECK(at_limit->wants.size() == kMaxUploadWants);
    CHECK(parse_error(wants + want_line + std::string(kFlushPkt) + pkt("done\n")) ==
          "upload-pack request: more than 100000 want lines");

    std::string have_line = pkt(cat("have ", kB, "\n"));
    std::string haves;
    for (size_t i = 0; i <= kMaxUploadHaves; ++i) haves += have_line;
    CHECK(parse_error(want_line + std::string(kFlushPkt) + haves + pkt("done\n")) ==
          "upload-pack request: more than 100000 have lines");
}

TEST_CASE("a clone gets NAK, progress and a side-band pack holding the whole history") {
    History h;
    h.commit({{"web/bundle.yaml", "namespace: web\n"}, {"README.md", "fleet\n"}}, "one");
    h.commit({{"web/deploy.yaml", "kind: Deployment\n"}, {"infra/bundle.yaml", "name: infra\n"}}, "two");
    std::string head = h.commit({{"web/bundle.yaml", "namespace: web2\n"}}, "three");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());

    auto response = upload_pack_response(repo->get(), clone_request(head), {oid(head)});
    REQUIRE(response.has_value());
    Response r = read_response(*response);
    CHECK(r.lines == std::vector<std::string>{"NAK"});
    CHECK(r.flushed);
    std::set<std::string> expected = h.objects(head);
    CHECK(expected.size() == 3 + 3 + 3 + 1 + 5);  // commits, root trees, web/ trees, infra/ tree, blobs
    CHECK(r.progress == cat("Counting objects: ", expected.size(), ", done.\nTotal ", expected.size(), " objects, ",
                            r.pack.size(), " bytes.\n"));
    CHECK(pack_object_count(r.pack) == expected.size());
    CHECK(indexed_objects(r.pack, true) == expected);
}

TEST_CASE("a large blob is split into side-band-64k packets of at most 65520 bytes") {
    History h;
    std::string head = h.commit({{"big.bin", noise(300'000)}}, "big");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());
    auto response = upload_pack_response(repo->get(), clone_request(head), {oid(head)});
    REQUIRE(response.has_value());
    Response r = read_response(*response);
    CHECK(r.pack.size() > 300'000);
    CHECK(r.largest_packet == kMaxPktLength);
    CHECK(indexed_objects(r.pack, true) == h.objects(head));
}

TEST_CASE("without side-band the raw pack follows the NAK; side-band uses 1000-byte packets; no-progress is honoured") {
    History h;
    std::string head = h.commit({{"a.bin", noise(5000)}, {"b.yaml", "b\n"}}, "one");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());
    std::string want = cat("want ", head);

    auto raw_request = parse_upload_request(pkt(want + " multi_ack_detailed\n") + "0000" + pkt("done\n"));
    REQUIRE(raw_request.has_value());
    auto raw = upload_pack_response(repo->get(), *raw_request, {oid(head)});
    REQUIRE(raw.has_value());
    REQUIRE(starts_with(*raw, "0008NAK\nPACK"));
    CHECK(indexed_objects(raw->substr(8), true) == h.objects(head));

    auto small_request = parse_upload_request(pkt(want + " side-band no-progress\n") + "0000" + pkt("done\n"));
    REQUIRE(small_request.has_value());
    auto small = upload_pack_response(repo->get(), *small_request, {oid(head)});
    REQUIRE(small.has_value());
    Response r = read_response(*small);
    CHECK(r.lines == std::vector<std::string>{"NAK"});
    CHECK(r.largest_packet == 1000);
    CHECK(r.progress.empty());
    CHECK(r.flushed);
    CHECK(indexed_objects(r.pack, true) == h.objects(head));
}

TEST_CASE("an incremental fetch ACKs the common have and leaves the old objects out of the pack") {
    History h;
    std::string old_head = h.commit({{"web/bundle.yaml", "namespace: web\n"}, {"infra/cm.yaml", "a: 1\n"}}, "one");
    std::string head = h.commit({{"web/deploy.yaml", "kind: Deployment\n"}}, "two");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());
    std::string unknown = std::string(39, '1') + "2";
    std::string prefix = pkt(cat("want ", head, " multi_ack_detailed side-band-64k ofs-delta\n")) + "0000" +
                         pkt(cat("have ", unknown, "\n")) + pkt(cat("have ", old_head, "\n"));

    auto round = parse_upload_request(prefix + "0000");
    REQUIRE(round.has_value());
    auto round_response = upload_pack_response(repo->get(), *round, {oid(head)});
    REQUIRE(round_response.has_value());
    CHECK(*round_response == pkt(cat("ACK ", old_head, " common\n")) + pkt("NAK\n"));

    auto last = parse_upload_request(prefix + pkt("done\n"));
    REQUIRE(last.has_value());
    auto last_response = upload_pack_response(repo->get(), *last, {oid(head)});
    REQUIRE(last_response.has_value());
    Response r = read_response(*last_response);
    CHECK(r.lines == std::vector<std::string>{cat("ACK ", old_head, " common"), cat("ACK ", old_head)});
    std::set<std::string> sent = indexed_objects(r.pack, false);
    std::set<std::string> new_objects = h.objects(cat(head, " ^", old_head));
    CHECK(new_objects.size() == 4);  // commit, root tree, web/ tree, deploy.yaml
    CHECK(sent == new_objects);
    CHECK(disjoint(sent, h.objects(old_head)));
}

TEST_CASE("haves the hub does not hold are ignored: NAK, then the whole history") {
    History h;
    h.commit({{"a.yaml", "a\n"}}, "one");
    std::string head = h.commit({{"b.yaml", "b\n"}}, "two");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());
    std::string prefix = pkt(cat("want ", head, " multi_ack_detailed side-band-64k\n")) + "0000" +
                         pkt(cat("have ", kA, "\n")) + pkt(cat("have ", kB, "\n"));

    auto round = upload_pack_response(repo->get(), parse_upload_request(prefix + "0000").value(), {oid(head)});
    REQUIRE(round.has_value());
    CHECK(*round == pkt("NAK\n"));

    auto last = upload_pack_response(repo->get(), parse_upload_request(prefix + pkt("done\n")).value(), {oid(head)});
    REQUIRE(last.has_value());
    Response r = read_response(*last);
    CHECK(r.lines == std::vector<std::string>{"NAK"});
    CHECK(indexed_objects(r.pack, true) == h.objects(head));
}

TEST_CASE("without multi_ack_detailed the ACKs follow git's multi_ack and single-ACK forms") {
    History h;
    std::string first = h.commit({{"a.yaml", "a\n"}}, "one");
    std::string second = h.commit({{"b.yaml", "b\n"}}, "two");
    std::string head = h.commit({{"c.yaml", "c\n"}}, "three");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());
    auto body = [&](const std::string& caps, const std::string& end) {
        return pkt(cat("want ", head, caps, "\n")) + "0000" + pkt(cat("have ", second, "\n")) +
               pkt(cat("have ", first, "\n")) + end;
    };

    auto multi_round =
        upload_pack_response(repo->get(), parse_upload_request(body(" multi_ack", "0000")).value(), {oid(head)});
    CHECK(multi_round.value() ==
          pkt(cat("ACK ", second, " continue\n")) + pkt(cat("ACK ", first, " continue\n")) + pkt("NAK\n"));
    auto multi_done = upload_pack_response(
        repo->get(), parse_upload_request(body(" multi_ack side-band-64k", pkt("done\n"))).value(), {oid(head)});
    Response m = read_response(multi_done.value());
    CHECK(m.lines == std::vector<std::string>{cat("ACK ", second, " continue"), cat("ACK ", first, " continue"),
                                              cat("ACK ", first)});
    CHECK(pack_object_count(m.pack) == 3);  // the third commit, its tree, c.yaml

    auto single_round = upload_pack_response(repo->get(), parse_upload_request(body("", "0000")).value(), {oid(head)});
    CHECK(single_round.value() == pkt(cat("ACK ", second, "\n")));
    auto single_done = upload_pack_response(
        repo->get(), parse_upload_request(body(" side-band-64k", pkt("done\n"))).value(), {oid(head)});
    Response s = read_response(single_done.value());
    CHECK(s.lines == std::vector<std::string>{cat("ACK ", second)});
    CHECK(pack_object_count(s.pack) == 3);
}

TEST_CASE("a want that is not an advertised tip is answered with an ERR packet") {
    History h;
    std::string old_head = h.commit({{"a.yaml", "a\n"}}, "one");
    std::string head = h.commit({{"b.yaml", "b\n"}}, "two");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());
    // The old commit exists, but is no longer a tip: git refuses it too.
    auto request = parse_upload_request(pkt(cat("want ", head, " side-band-64k\n")) +
                                        pkt(cat("want ", old_head, "\n")) + "0000" + pkt("done\n"));
    REQUIRE(request.has_value());
    auto response = upload_pack_response(repo->get(), *request, {oid(head)});
    REQUIRE(response.has_value());
    CHECK(*response == pkt(cat("ERR upload-pack: not our ref ", old_head, "\n")));

    auto missing = upload_pack_response(repo->get(), clone_request(kC), {oid(head)});
    REQUIRE(missing.has_value());
    CHECK(*missing == pkt(cat("ERR upload-pack: not our ref ", kC, "\n")));
}

TEST_CASE("an annotated tag want brings the tag object and its commit's history") {
    History h;
    h.commit({{"a.yaml", "a\n"}}, "one");
    std::string head = h.commit({{"b.yaml", "b\n"}}, "two");
    h.git.run(h.work, "tag -a v1 -m release");
    h.git.run(h.work, cat("push -q '", h.bare, "' refs/tags/v1"));
    std::string tag = std::string(trim(h.git.output(h.bare, "rev-parse refs/tags/v1")));
    REQUIRE(tag != head);
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());

    auto response = upload_pack_response(repo->get(), clone_request(tag), {oid(head), oid(tag)});
    REQUIRE(response.has_value());
    Response r = read_response(*response);
    std::set<std::string> expected = h.objects(head);
    expected.insert(tag);
    CHECK(indexed_objects(r.pack, true) == expected);
}

TEST_CASE("a want the client already has gets an empty pack, and a probe an empty body") {
    History h;
    std::string head = h.commit({{"a.yaml", "a\n"}}, "one");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());
    auto request = parse_upload_request(pkt(cat("want ", head, " multi_ack_detailed side-band-64k no-progress\n")) +
                                        "0000" + pkt(cat("have ", head, "\n")) + pkt("done\n"));
    REQUIRE(request.has_value());
    auto response = upload_pack_response(repo->get(), *request, {oid(head)});
    REQUIRE(response.has_value());
    Response r = read_response(*response);
    CHECK(r.lines == std::vector<std::string>{cat("ACK ", head, " common"), cat("ACK ", head)});
    CHECK(r.pack.size() == 32);
    CHECK(pack_object_count(r.pack) == 0);
    CHECK(r.flushed);

    auto probe = parse_upload_request("0000");
    REQUIRE(probe.has_value());
    auto probe_response = upload_pack_response(repo->get(), *probe, {oid(head)});
    REQUIRE(probe_response.has_value());
    CHECK(probe_response->empty());
}

namespace {

// What git's HTTP transport (remote-curl.c rpc_service) does with
// `git fetch-pack --stateless-rpc --stdin`, with upload_pack_* as the remote:
// the wanted ref names and the advertisement go to the client's stdin; each
// request comes back wrapped in data packets and ends with a flush; the
// response goes to its stdin. An empty request (a lone flush) says the
// client is done. Runs until the client exits. A socketpair stands in for its
// pipes; the timeouts only turn a hang into a failure.
struct FetchPackRun {
    int status = -1;
    std::vector<UploadRequest> requests;
    std::vector<std::string> responses;
    std::string log;
};

bool send_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

FetchPackRun run_fetch_pack(const std::string& home, const std::string& client_dir, git_repository* served,
                            const std::vector<AdvertisedRef>& refs, const std::string& want_ref) {
    FetchPackRun run;
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    timeval timeout{60, 0};
    ::setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    std::string log_path = home + "/fetch-pack.log";
    std::string home_env = "HOME=" + home;
    const char* argv[] = {"git", "fetch-pack", "--stateless-rpc", "--stdin", "fake-remote", nullptr};
    const char* envp[] = {home_env.c_str(), "GIT_CONFIG_NOSYSTEM=1", "PATH=/usr/bin:/bin", nullptr};
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log < 0 || ::dup2(sv[1], 0) < 0 || ::dup2(sv[1], 1) < 0 || ::dup2(log, 2) < 0 ||
            ::chdir(client_dir.c_str()) < 0)
            ::_exit(126);
        ::execve("/usr/bin/git", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
        ::_exit(127);
    }
    ::close(sv[1]);
    int fd = sv[0];

    std::vector<git_oid> tips;
    for (const auto& ref : refs) tips.push_back(oid(ref.oid_hex));
    // remote-curl passes the advertisement on without its "# service=" packet and flush.
    std::string advertisement =
        ref_advertisement(Service::upload_pack, refs, upload_pack_capabilities("main", "drover/test"));
    std::string_view body = advertisement;
    REQUIRE(read_pkt(body).has_value());
    REQUIRE(read_pkt(body).has_value());
    bool sent = send_all(fd, pkt(want_ref + "\n") + std::string(kFlushPkt) + std::string(body));

    std::string buffer, request;
    char chunk[65536];
    bool ok = sent;
    while (ok) {
        std::string_view in = buffer;
        auto next = read_pkt(in);
        REQUIRE(next.has_value());
        if (!*next) {
            ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) break;  // the client is done (or timed out: the exit status tells)
            buffer.append(chunk, static_cast<size_t>(n));
            continue;
        }
        Pkt p = **next;
        if (p.kind == PktKind::data) {
            request += p.payload;
        } else {
            REQUIRE(p.kind == PktKind::flush);
            // remote-curl too stops at a flush with no request before it.
            if (request.empty()) {
                buffer.erase(0, buffer.size() - in.size());
                continue;
            }
            auto parsed = parse_upload_request(request);
            INFO(request);
            REQUIRE(parsed.has_value());
            auto response = upload_pack_response(served, *parsed, tips);
            REQUIRE(response.has_value());
            run.requests.push_back(*parsed);
            run.responses.push_back(*response);
            ok = send_all(fd, *response);
            request.clear();
        }
        buffer.erase(0, buffer.size() - in.size());
    }
    ::close(fd);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    auto log = read_file(log_path);
    run.log = log ? *log : std::string();
    return run;
}

}  // namespace

TEST_CASE("git fetch-pack clones and then fetches incrementally from upload_pack, as over HTTP") {
    History h;
    h.commit({{"web/bundle.yaml", "namespace: web\n"}, {"README.md", "fleet\n"}}, "one");
    std::string first = h.commit({{"web/deploy.yaml", "kind: Deployment\n"}}, "two");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());

    std::string client = h.tmp / "client.git";
    h.git.run(h.tmp.path(), "init -q --bare client.git");
    FetchPackRun clone = run_fetch_pack(h.git.home(), client, repo->get(),
                                        {{"HEAD", first}, {"refs/heads/main", first}}, "refs/heads/main");
    INFO(clone.log);
    REQUIRE(clone.status == 0);
    REQUIRE(clone.requests.size() == 1);
    CHECK(clone.requests[0].done);
    CHECK(clone.requests[0].ack_mode == AckMode::multi_ack_detailed);
    CHECK(clone.requests[0].side_band_64k);
    // Every object of the history arrived: rev-list walks them all.
    CHECK(h.git.output(client, cat("rev-list --objects ", first)).size() > 0);
    CHECK(trim(h.git.output(client, cat("cat-file -t ", first))) == "commit");

    h.git.run(client, cat("update-ref refs/heads/main ", first));
    std::string second =
        h.commit({{"web/bundle.yaml", "namespace: web2\n"}, {"infra/bundle.yaml", "name: i\n"}}, "three");
    FetchPackRun fetch = run_fetch_pack(h.git.home(), client, repo->get(),
                                        {{"HEAD", second}, {"refs/heads/main", second}}, "refs/heads/main");
    INFO(fetch.log);
    REQUIRE(fetch.status == 0);
    REQUIRE_FALSE(fetch.requests.empty());
    const UploadRequest& last = fetch.requests.back();
    CHECK(last.done);
    REQUIRE_FALSE(last.haves.empty());
    CHECK(hex(last.haves[0]) == first);
    Response r = read_response(fetch.responses.back());
    // Every have the client sent is a commit the hub holds: each is common,
    // and the last one is ACKed again after done.
    REQUIRE(r.lines.size() == last.haves.size() + 1);
    CHECK(r.lines.front() == cat("ACK ", first, " common"));
    CHECK(r.lines.back() == cat("ACK ", hex(last.haves.back())));
    CHECK(pack_object_count(r.pack) == h.objects(cat(second, " ^", first)).size());
    CHECK(h.git.output(client, cat("rev-list --objects ", second)).size() > 0);
    CHECK(trim(h.git.output(client, cat("rev-list --count ", second))) == "3");
}

TEST_CASE("git fetch-pack negotiates over several stateless rounds when it has many commits the hub lacks") {
    History h;
    std::string base = h.commit({{"web/bundle.yaml", "namespace: web\n"}}, "base");
    auto repo = git::open(h.bare);
    REQUIRE(repo.has_value());
    std::string client = h.tmp / "client.git";
    h.git.run(h.tmp.path(), cat("clone -q --bare '", h.bare, "' client.git"));

    // 60 commits only the client has, newer than anything on the hub, so its
    // first haves are all unknown to the hub: NAK rounds of 16, 32, ...
    std::string stream;
    for (int i = 0; i < 60; ++i) {
        stream += cat("commit refs/heads/local\ncommitter T <t@example.com> ", 4'000'000'000LL + i, " +0000\n",
                      "data 2\nc\n", i == 0 ? cat("from ", base, "\n") : std::string(), "M 644 inline local.txt\ndata ",
                      cat(i).size(), "\n", i, "\n\n");
    }
    write(h.tmp / "stream", stream);
    h.git.run(client, cat("fast-import --quiet <'", h.tmp / "stream", "'"));
    std::string head = h.commit({{"web/deploy.yaml", "kind: Deployment\n"}}, "new on the hub");

    FetchPackRun fetch = run_fetch_pack(h.git.home(), client, repo->get(), {{"HEAD", head}, {"refs/heads/main", head}},
                                        "refs/heads/main");
    INFO(fetch.log);
    REQUIRE(fetch.status == 0);
    REQUIRE(fetch.requests.size() >= 3);
    CHECK_FALSE(fetch.requests.front().done);
    CHECK(fetch.responses.front() == pkt("NAK\n"));
    const UploadRequest& last = fetch.requests.back();
    CHECK(last.done);
    // The client replays the common have in every request after the ACK.
    CHECK(std::any_of(last.haves.begin(), last.haves.end(), [&](const git_oid& id) { return hex(id) == base; }));
    Response r = read_response(fetch.responses.back());
    CHECK(r.lines.back() == cat("ACK ", base));
    CHECK(pack_object_count(r.pack) == h.objects(cat(head, " ^", base)).size());
    CHECK(trim(h.git.output(client, cat("rev-list --count ", head))) == "2");
}
