#include "hub/server/push_handler.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/testing/temp_dir.h"
#include "common/text.h"
#include "hub/git/pkt_line.h"
#include "hub/git/repository.h"
#include "hub/git/tests/git_cli.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using drover::testing::GitCli;
using drover::testing::TempDir;
using drover::testing::write_text;

namespace {

const std::string kZero(40, '0');
const std::string kCaps = "report-status side-band-64k agent=git/2.39.5";

const std::string kGoodBundle = "namespace: web\ntargets: [{selector: {matchLabels: {role: gw}}}]\n";
const std::string kConfigMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '1'}\n";
// Line 7 holds the operator the renderer does not know.
const std::string kBadBundle =
    "namespace: web\n"
    "targets:\n"
    "  - selector:\n"
    "      matchExpressions:\n"
    "        - key: role\n"
    "          values: [gw]\n"
    "          operator: Inn\n";
const std::string kBadProblem =
    "web/bundle.yaml:7: targets[0].selector.matchExpressions[0].operator: unknown operator \"Inn\" "
    "(want In, NotIn, Exists, DoesNotExist)";

struct Command {
    std::string old_id, new_id, ref;
};

// What a receive-pack response says: the report lines (band 1) and the
// `remote:` messages (band 2).
struct Reply {
    std::vector<std::string> report;
    std::vector<std::string> messages;

    bool has_message(const std::string& line) const {
        return std::find(messages.begin(), messages.end(), line) != messages.end();
    }
    std::string all_messages() const {
        std::string s;
        for (auto& m : messages) s += m + "\n";
        return s;
    }
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out = split(text, '\n');
    if (!out.empty() && out.back().empty()) out.pop_back();
    return out;
}

Reply decode(const HttpResponse& response) {
    INFO(response.body);
    REQUIRE(response.status == 200);
    REQUIRE(response.content_type == "application/x-git-receive-pack-result");
    std::string_view in = response.body;
    std::string band1, band2;
    while (true) {
        auto p = git::read_pkt(in);
        REQUIRE(p.has_value());
        REQUIRE(p->has_value());
        if ((*p)->kind == git::PktKind::flush) break;
        REQUIRE((*p)->kind == git::PktKind::data);
        std::string_view payload = (*p)->payload;
        REQUIRE_FALSE(payload.empty());
        if (payload[0] == 1) band1 += payload.substr(1);
        else if (payload[0] == 2) band2 += payload.substr(1);
        else FAIL(cat("unexpected side-band ", int(payload[0])));
    }
    CHECK(in.empty());
    Reply r;
    r.messages = lines_of(band2);
    std::string_view report = band1;
    while (true) {
        auto p = git::read_pkt(report);
        REQUIRE(p.has_value());
        REQUIRE(p->has_value());
        if ((*p)->kind == git::PktKind::flush) break;
        std::string line((*p)->payload);
        if (!line.empty() && line.back() == '\n') line.pop_back();
        r.report.push_back(line);
    }
    CHECK(report.empty());
    return r;
}

// The hub's bare repository, a work clone to make commits in, and a
// PushHandler over the repository.
struct Fixture {
    TempDir tmp;
    GitCli git{tmp};
    std::string bare = tmp / "fleet.git";
    std::string work = tmp / "work";
    SigningKey key = *SigningKey::from_pem(generate_p256_key_pem());
    std::mutex offered_mutex;
    std::vector<GitUpdate> offered;
    size_t moved = 0;  // calls of the handler's `moved`
    PushSettings settings;
    std::unique_ptr<PushHandler> handler;
    std::vector<AgentTarget> agents = {{"a1", {{"role", "gw"}}}, {"a2", {{"role", "gw"}}}, {"a3", {{"role", "db"}}}};

    Fixture() {
        REQUIRE(git::init_bare(bare).has_value());
        git.run(tmp.path(), cat("clone -q '", bare, "' work"));
        settings.repo_path = bare;
        make_handler();
    }
    void make_handler() {
        handler = std::make_unique<PushHandler>(settings, key, [this](GitUpdate u) {
            std::lock_guard lock(offered_mutex);
            offered.push_back(std::move(u));
        }, [this] {
            std::lock_guard lock(offered_mutex);
            ++moved;
        });
    }

    // Replaces the work tree's files with `files` and commits them.
    std::string commit(const render::FileMap& files, const std::string& subject) {
        for (auto& e : std::filesystem::directory_iterator(work))
            if (e.path().filename() != ".git") std::filesystem::remove_all(e.path());
        for (auto& [path, text] : files) write_text(work + "/" + path, text);
        git.run(work, "add -A");
        git.run(work, cat("commit -q --allow-empty -m '", subject, "'"));
        return head();
    }
    std::string head() { return std::string(trim(git.run(work, "rev-parse HEAD"))); }
    std::string good(const std::string& subject, const std::string& data = "a: '1'") {
        return commit({{"web/bundle.yaml", kGoodBundle},
                       {"web/cm.yaml", cat("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {", data, "}\n")}},
                      subject);
    }
    std::string bad(const std::string& subject) {
        return commit({{"web/bundle.yaml", kBadBundle}, {"web/cm.yaml", kConfigMap}}, subject);
    }

    // A thin pack of what `include` has that `exclude` (ids or zero) lacks.
    std::string pack(const std::vector<std::string>& include, const std::vector<std::string>& exclude) {
        std::string revs;
        for (auto& id : include) revs += id + "\n";
        for (auto& id : exclude)
            if (id != kZero) revs += "^" + id + "\n";
        write_text(tmp / "revs", revs);
        return git.run(work, cat("pack-objects -q --stdout --thin --revs < '", tmp / "revs", "'"));
    }
    static std::string body(const std::vector<Command>& commands, const std::string& pack,
                            const std::string& caps = kCaps) {
        std::string out;
        for (size_t i = 0; i < commands.size(); ++i) {
            auto& c = commands[i];
            out += git::pkt(i == 0 ? cat(c.old_id, " ", c.new_id, " ", c.ref, std::string(1, '\0'), caps, "\n")
                                   : cat(c.old_id, " ", c.new_id, " ", c.ref, "\n"));
        }
        return out + std::string(git::kFlushPkt) + pack;
    }

    PushOutcome handle(const std::string& request, std::shared_ptr<const Deployment> current = nullptr) {
        auto spool = BodySpool::in_memory(64 << 20);
        REQUIRE(spool.append(request).has_value());
        return handler->handle(spool, PushContext{agents, std::move(current), "admin"});
    }
    // One ref update with the pack it needs.
    PushOutcome push(const std::string& old_id, const std::string& new_id, const std::string& ref = "refs/heads/main",
                     std::shared_ptr<const Deployment> current = nullptr) {
        return handle(body({{old_id, new_id, ref}}, pack({new_id}, {old_id})), std::move(current));
    }

    std::optional<std::string> branch(const std::string& name) {
        auto repo = git::open(bare);
        REQUIRE(repo.has_value());
        auto h = git::branch_head(*repo, name);
        REQUIRE(h.has_value());
        return *h;
    }
    std::optional<std::string> ref(const std::string& name) {
        auto repo = git::open(bare);
        REQUIRE(repo.has_value());
        git_oid oid;
        if (git_reference_name_to_id(&oid, repo->get(), name.c_str()) < 0) return std::nullopt;
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, &oid);
        return std::string(hex);
    }
    bool has_object(const std::string& hex) {
        auto repo = git::open(bare);
        REQUIRE(repo.has_value());
        git_oid oid;
        REQUIRE(git_oid_fromstr(&oid, hex.c_str()) == 0);
        git_odb* odb = nullptr;
        REQUIRE(git_repository_odb(&odb, repo->get()) == 0);
        bool found = git_odb_exists(odb, &oid);
        git_odb_free(odb);
        return found;
    }
    size_t offers() {
        std::lock_guard lock(offered_mutex);
        return offered.size();
    }
    // Pushes `id` as the first revision of main; it must be accepted.
    void seed(const std::string& id) {
        auto r = decode(push(kZero, id).response);
        REQUIRE(r.report == std::vector<std::string>{"unpack ok", "ok refs/heads/main"});
    }
};

std::string short_id(const std::string& id) { return id.substr(0, 12); }

bool has_event(const PushOutcome& out, const std::string& kind, const std::string& message) {
    for (auto& [k, m] : out.events)
        if (k == kind && m == message) return true;
    return false;
}

}  // namespace

TEST_CASE("a good first push moves main, offers the rendered revision and says what it deploys") {
    Fixture f;
    std::string c1 = f.good("first fleet");
    auto out = f.push(kZero, c1);
    auto r = decode(out.response);
    INFO(r.all_messages());
    CHECK(r.report == std::vector<std::string>{"unpack ok", "ok refs/heads/main"});
    CHECK(f.branch("main") == c1);

    REQUIRE(f.offered.size() == 1);
    CHECK(f.offered[0].commit == c1);
    CHECK(f.offered[0].summary == "first fleet");
    CHECK_FALSE(f.offered[0].startup);
    REQUIRE(f.offered[0].result.has_value());
    CHECK((*f.offered[0].result)->commit == c1);
    REQUIRE((*f.offered[0].result)->fleet.bundles.size() == 1);
    CHECK((*f.offered[0].result)->fleet.bundles[0].name == "web");

    CHECK(f.moved == 1);
    CHECK(r.has_message(cat("deploying ", short_id(c1), " (first fleet): 1 bundles")));
    bool timed = false;
    for (auto& m : r.messages) timed = timed || (m.starts_with("checked 1 commit in ") && m.ends_with(" ms"));
    CHECK(timed);
    CHECK(r.has_message("web: new bundle, 2 agents to update, 0 unchanged"));
    CHECK(out.events.size() == 1);
    CHECK(has_event(out, "push", cat("main moved to ", short_id(c1), " (first fleet) by admin")));
    CHECK(drover::testing::quarantine_dirs(f.bare) == 0);
}

TEST_CASE("a follow-up push reports what changes against the deployed revision") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    std::string c2 = f.good("second", "a: '2'");
    auto current = f.offered.at(0).result.value();
    auto r = decode(f.push(c1, c2, "refs/heads/main", current).response);
    CHECK(r.report == std::vector<std::string>{"unpack ok", "ok refs/heads/main"});
    CHECK(f.branch("main") == c2);
    CHECK(r.has_message(cat("deploying ", short_id(c2), " (second): 1 bundles")));
    CHECK(r.has_message("web: 2 agents to update, 0 unchanged"));
}

TEST_CASE("a push with an invalid bundle is refused with file, line and reason, and leaves nothing behind") {
    Fixture f;
    std::string c1 = f.bad("broken operator");
    auto out = f.push(kZero, c1);
    auto r = decode(out.response);
    INFO(r.all_messages());
    CHECK(r.report == std::vector<std::string>{"unpack ok", "ng refs/heads/main invalid bundles"});
    CHECK(r.messages == std::vector<std::string>{kBadProblem, "nothing was deployed; main stays at nothing"});
    CHECK(f.branch("main") == std::nullopt);
    CHECK_FALSE(f.has_object(c1));
    CHECK(drover::testing::quarantine_dirs(f.bare) == 0);
    CHECK(f.offers() == 0);
    CHECK(f.moved == 0);
    REQUIRE(out.events.size() == 1);
    CHECK(out.events[0].first == "rejected");
    CHECK(out.events[0].second == cat("push to main by admin refused (", short_id(c1), "): ", kBadProblem));
}

TEST_CASE("a refused push on top of a deployed revision keeps main where it was") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    std::string c2 = f.bad("broken");
    auto r = decode(f.push(c1, c2).response);
    CHECK(r.report == std::vector<std::string>{"unpack ok", "ng refs/heads/main invalid bundles"});
    CHECK(r.has_message(kBadProblem));
    CHECK(r.has_message(cat("nothing was deployed; main stays at ", short_id(c1))));
    CHECK(f.branch("main") == c1);
    CHECK_FALSE(f.has_object(c2));
    CHECK(f.offers() == 1);
}

TEST_CASE("a bad commit in the middle of a push is refused even when the tip is good, naming the commit") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    std::string c2 = f.bad("oops");
    std::string c3 = f.good("fixed it", "a: '3'");
    auto out = f.push(c1, c3);
    auto r = decode(out.response);
    INFO(r.all_messages());
    CHECK(r.report == std::vector<std::string>{"unpack ok", "ng refs/heads/main invalid bundles"});
    CHECK(r.messages == std::vector<std::string>{cat("commit ", short_id(c2), " (oops) has invalid bundles:"), kBadProblem,
                                                 cat("nothing was deployed; main stays at ", short_id(c1))});
    CHECK(f.branch("main") == c1);
    CHECK_FALSE(f.has_object(c3));
    CHECK(f.offers() == 1);
    REQUIRE(out.events.size() == 1);
    CHECK(out.events[0].first == "rejected");
    CHECK(out.events[0].second.find(short_id(c3)) != std::string::npos);
}

// The event is what the dashboard shows of a refused push: it must carry
// the reason, not a heading line of the client's report.
TEST_CASE("a refused push's event names the first problem, however many commits the push brought") {
    for (size_t checked : {size_t{100}, size_t{2}}) {
        CAPTURE(checked);
        Fixture f;
        f.settings.max_validated_commits = checked;
        f.make_handler();
        f.good("zero");
        f.good("one", "a: '1b'");
        std::string tip = f.bad("two");
        auto out = f.push(kZero, tip);
        auto r = decode(out.response);
        INFO(r.all_messages());
        CHECK(r.report == std::vector<std::string>{"unpack ok", "ng refs/heads/main invalid bundles"});
        CHECK(r.has_message(cat("commit ", short_id(tip), " (two):")));
        CHECK(r.has_message(kBadProblem));
        REQUIRE(out.events.size() == 1);
        CHECK(out.events[0].first == "rejected");
        CHECK(out.events[0].second == cat("push to main by admin refused (", short_id(tip), "): ", kBadProblem));
    }
}

TEST_CASE("a push bringing a long history checks only the newest commits and says so") {
    Fixture f;
    f.settings.max_validated_commits = 2;
    f.make_handler();
    f.bad("old and broken");  // older than the checked window: not rendered
    f.good("one");
    std::string tip = f.good("two", "a: '2'");
    auto r = decode(f.push(kZero, tip).response);
    INFO(r.all_messages());
    CHECK(r.report == std::vector<std::string>{"unpack ok", "ok refs/heads/main"});
    CHECK(r.has_message("checking the newest 2 of 3 new commits; older ones are not checked"));
    CHECK(f.branch("main") == tip);
}

TEST_CASE("a push whose old id is no longer the branch's is refused: ref moved") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    std::string c2 = f.good("second", "a: '2'");
    REQUIRE(decode(f.push(c1, c2).response).report.back() == "ok refs/heads/main");
    std::string c3 = f.good("third", "a: '3'");
    auto r = decode(f.push(c1, c3).response);  // the client still thinks main is at c1
    CHECK(r.report == std::vector<std::string>{
                          "unpack ok", "ng refs/heads/main ref moved since you fetched (another push won); fetch and try again"});
    CHECK(f.branch("main") == c2);
    CHECK(f.offers() == 2);
}

TEST_CASE("a non-fast-forward push is refused unless the hub allows rewriting history") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    std::string c2 = f.good("second", "a: '2'");
    REQUIRE(decode(f.push(c1, c2).response).report.back() == "ok refs/heads/main");
    f.git.run(f.work, cat("checkout -q -b rewrite ", c1));
    std::string rewritten = f.good("rewritten", "a: '9'");

    auto refused = decode(f.push(c2, rewritten).response);
    CHECK(refused.report == std::vector<std::string>{"unpack ok",
                                                     "ng refs/heads/main non-fast-forward (this hub refuses rewriting "
                                                     "history; see drover-hub serve --git-allow-force-push)"});
    CHECK(f.branch("main") == c2);

    f.settings.allow_non_fast_forward = true;
    f.make_handler();
    auto allowed = decode(f.push(c2, rewritten).response);
    CHECK(allowed.report == std::vector<std::string>{"unpack ok", "ok refs/heads/main"});
    CHECK(f.branch("main") == rewritten);
}

TEST_CASE("the deploy branch cannot be deleted; other branches can") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    auto created = decode(f.handle(Fixture::body({{kZero, c1, "refs/heads/feature"}}, f.pack({c1}, {c1}))).response);
    REQUIRE(created.report == std::vector<std::string>{"unpack ok", "ok refs/heads/feature"});
    CHECK(f.branch("feature") == c1);

    auto main = decode(f.handle(Fixture::body({{c1, kZero, "refs/heads/main"}}, "")).response);
    CHECK(main.report == std::vector<std::string>{"unpack ok", "ng refs/heads/main the deploy branch cannot be deleted"});
    CHECK(f.branch("main") == c1);

    auto feature = decode(f.handle(Fixture::body({{c1, kZero, "refs/heads/feature"}}, "")).response);
    CHECK(feature.report == std::vector<std::string>{"unpack ok", "ok refs/heads/feature"});
    CHECK(f.branch("feature") == std::nullopt);
    CHECK(f.offers() == 1);
}

TEST_CASE("a branch other than the deploy branch is stored without rendering") {
    Fixture f;
    std::string broken = f.bad("work in progress");
    auto out = f.push(kZero, broken, "refs/heads/wip");
    auto r = decode(out.response);
    CHECK(r.report == std::vector<std::string>{"unpack ok", "ok refs/heads/wip"});
    CHECK(r.messages.empty());
    CHECK(out.events.empty());
    CHECK(f.branch("wip") == broken);
    CHECK(f.branch("main") == std::nullopt);
    CHECK(f.offers() == 0);
}

TEST_CASE("lightweight and annotated tags can be pushed") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    auto light = decode(f.handle(Fixture::body({{kZero, c1, "refs/tags/v1"}}, f.pack({c1}, {c1}))).response);
    CHECK(light.report == std::vector<std::string>{"unpack ok", "ok refs/tags/v1"});
    CHECK(f.ref("refs/tags/v1") == c1);

    f.git.run(f.work, "tag -a v2 -m 'release two'");
    std::string tag = std::string(trim(f.git.run(f.work, "rev-parse v2")));
    REQUIRE(tag != c1);
    auto annotated = decode(f.handle(Fixture::body({{kZero, tag, "refs/tags/v2"}}, f.pack({tag}, {c1}))).response);
    CHECK(annotated.report == std::vector<std::string>{"unpack ok", "ok refs/tags/v2"});
    CHECK(f.ref("refs/tags/v2") == tag);
    CHECK(f.has_object(tag));
}

TEST_CASE("refs outside branches and tags are refused") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    for (std::string ref : {"refs/drover/x", "refs/notes/commits", "refs/remotes/origin/main"}) {
        CAPTURE(ref);
        auto r = decode(f.handle(Fixture::body({{kZero, c1, ref}}, f.pack({c1}, {c1}))).response);
        CHECK(r.report == std::vector<std::string>{"unpack ok", cat("ng ", ref, " only branches and tags can be pushed to this hub")});
        CHECK(f.ref(ref) == std::nullopt);
    }
}

TEST_CASE("a branch must point at a commit") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    std::string tree = std::string(trim(f.git.run(f.work, "rev-parse HEAD^{tree}")));
    auto r = decode(f.handle(Fixture::body({{kZero, tree, "refs/heads/tree"}}, f.pack({c1}, {c1}))).response);
    CHECK(r.report == std::vector<std::string>{"unpack ok", "ng refs/heads/tree a branch must point at a commit"});
    CHECK(f.branch("tree") == std::nullopt);
}

TEST_CASE("a ref to an object neither the pack nor the repository holds is refused") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    const std::string absent = "0123456789abcdef0123456789abcdef01234567";
    auto r = decode(f.handle(Fixture::body({{kZero, absent, "refs/heads/ghost"}}, f.pack({c1}, {c1}))).response);
    CHECK(r.report == std::vector<std::string>{"unpack ok", cat("ng refs/heads/ghost object ", absent, " is missing")});
    CHECK(f.branch("ghost") == std::nullopt);
}

TEST_CASE("a corrupt pack refuses every ref with an unpacker error") {
    Fixture f;
    std::string c1 = f.good("first");
    std::string pack = f.pack({c1}, {});
    pack[pack.size() - 30] ^= 0x55;
    auto r = decode(f.handle(Fixture::body({{kZero, c1, "refs/heads/main"}, {kZero, c1, "refs/heads/other"}}, pack)).response);
    REQUIRE(r.report.size() == 3);
    CHECK(r.report[0].starts_with("unpack bad pack: "));
    CHECK(r.report[1] == "ng refs/heads/main unpacker error");
    CHECK(r.report[2] == "ng refs/heads/other unpacker error");
    CHECK(f.branch("main") == std::nullopt);
    CHECK(f.branch("other") == std::nullopt);
    CHECK(drover::testing::quarantine_dirs(f.bare) == 0);
    CHECK(f.offers() == 0);

    auto garbage = decode(f.handle(Fixture::body({{kZero, c1, "refs/heads/main"}}, "PACK but not really")).response);
    REQUIRE(garbage.report.size() == 2);
    CHECK(garbage.report[0].starts_with("unpack bad pack: "));
    CHECK(garbage.report[1] == "ng refs/heads/main unpacker error");
}

TEST_CASE("git's probe gets an empty 200 and a malformed request a 400 naming the problem") {
    Fixture f;
    auto probe = f.handle("0000");
    CHECK(probe.response.status == 200);
    CHECK(probe.response.content_type == "application/x-git-receive-pack-result");
    CHECK(probe.response.body.empty());
    CHECK(probe.events.empty());

    auto malformed = f.handle("zzzz");
    CHECK(malformed.response.status == 400);
    CHECK(malformed.response.content_type == "text/plain");
    CHECK(malformed.response.body == "push request: pkt-line length \"zzzz\" is not hexadecimal\n");

    std::string c1 = f.good("first");
    auto unflushed = f.handle(git::pkt(cat(kZero, " ", c1, " refs/heads/main\n")));
    CHECK(unflushed.response.status == 400);
    CHECK(unflushed.response.body == "push request ends inside its command list (no flush packet)\n");
    CHECK(f.branch("main") == std::nullopt);
}

TEST_CASE("without side-band the client gets the bare report") {
    Fixture f;
    std::string c1 = f.good("first");
    auto out = f.handle(Fixture::body({{kZero, c1, "refs/heads/main"}}, f.pack({c1}, {}), "report-status"));
    CHECK(out.response.body == git::pkt("unpack ok\n") + git::pkt("ok refs/heads/main\n") + "0000");
    CHECK(f.branch("main") == c1);
}

TEST_CASE("an atomic push is all or nothing: one refused ref refuses the others") {
    Fixture f;
    std::string good = f.good("good");
    f.seed(good);
    std::string broken = f.bad("broken");
    auto r = decode(f.handle(Fixture::body({{good, broken, "refs/heads/main"}, {kZero, broken, "refs/heads/feature"}},
                                           f.pack({broken}, {good}), "report-status side-band-64k atomic"))
                        .response);
    INFO(r.all_messages());
    REQUIRE(r.report.size() == 3);
    CHECK(r.report[1] == "ng refs/heads/main invalid bundles");
    CHECK(r.report[2] == "ng refs/heads/feature atomic push failed: another ref was refused");
    CHECK(f.branch("feature") == std::nullopt);
    CHECK_FALSE(f.has_object(broken));
}

TEST_CASE("two concurrent pushes from the same old id: exactly one wins, the other hears ref moved") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    std::string a = f.good("from a", "a: 'a'");
    f.git.run(f.work, cat("checkout -q -b other ", c1));
    std::string b = f.good("from b", "a: 'b'");
    std::string body_a = Fixture::body({{c1, a, "refs/heads/main"}}, f.pack({a}, {c1}));
    std::string body_b = Fixture::body({{c1, b, "refs/heads/main"}}, f.pack({b}, {c1}));

    PushOutcome out_a, out_b;
    {
        std::thread ta([&] {
            auto spool = BodySpool::in_memory(64 << 20);
            (void)spool.append(body_a);
            out_a = f.handler->handle(spool, PushContext{f.agents, nullptr, "admin"});
        });
        std::thread tb([&] {
            auto spool = BodySpool::in_memory(64 << 20);
            (void)spool.append(body_b);
            out_b = f.handler->handle(spool, PushContext{f.agents, nullptr, "tok_ci"});
        });
        ta.join();
        tb.join();
    }
    auto ra = decode(out_a.response), rb = decode(out_b.response);
    const std::string ok = "ok refs/heads/main";
    const std::string moved = "ng refs/heads/main ref moved since you fetched (another push won); fetch and try again";
    REQUIRE(ra.report.size() == 2);
    REQUIRE(rb.report.size() == 2);
    bool a_won = ra.report[1] == ok;
    CHECK(ra.report[1] == (a_won ? ok : moved));
    CHECK(rb.report[1] == (a_won ? moved : ok));
    CHECK(f.branch("main") == (a_won ? a : b));
    CHECK_FALSE(f.has_object(a_won ? b : a));  // the loser's pack was dropped
    CHECK(f.offers() == 2);  // the seed and the winner
    CHECK(drover::testing::quarantine_dirs(f.bare) == 0);
}

// Under ASan this shows libgit2 1.5's indexer (verify=1) leaking every
// parsed object the repository already holds.
TEST_CASE("a pack of objects the hub already has is accepted for a new branch") {
    Fixture f;
    std::string c1 = f.good("first");
    f.seed(c1);
    auto r = decode(f.handle(Fixture::body({{kZero, c1, "refs/heads/again"}}, f.pack({c1}, {}))).response);
    CHECK(r.report == std::vector<std::string>{"unpack ok", "ok refs/heads/again"});
    CHECK(f.branch("again") == c1);
    CHECK(drover::testing::quarantine_dirs(f.bare) == 0);
}

TEST_CASE("pushes are counted by result and timed; probes and other branches are not rendered") {
    Fixture f;
    HubMetrics metrics;
    f.settings.metrics = &metrics;
    f.make_handler();
    auto counts = [&] {
        return std::vector<uint64_t>{metrics.pushes_accepted.value(), metrics.pushes_rejected.value(),
                                     metrics.push_seconds.snapshot().count, metrics.validation_seconds.snapshot().count,
                                     metrics.render_seconds.snapshot().count};
    };
    CHECK(f.handle("0000").response.status == 200);  // git's probe is not a push
    CHECK(counts() == std::vector<uint64_t>{0, 0, 0, 0, 0});

    std::string c1 = f.good("first");
    f.seed(c1);
    CHECK(counts() == std::vector<uint64_t>{1, 0, 1, 1, 1});
    auto bad = decode(f.push(c1, f.bad("broken")).response);
    CHECK(bad.report.back() == "ng refs/heads/main invalid bundles");
    CHECK(counts() == std::vector<uint64_t>{1, 1, 2, 2, 2});
    f.push(kZero, f.good("wip"), "refs/heads/wip");  // stored, not validated
    CHECK(counts() == std::vector<uint64_t>{2, 1, 3, 2, 2});
    CHECK(metrics.push_seconds.snapshot().sum >= metrics.validation_seconds.snapshot().sum);
}
