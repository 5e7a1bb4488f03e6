#include "hub/server/git_endpoint.h"

#include <doctest/doctest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "common/testing/temp_dir.h"
#include "common/text.h"
#include "hub/git/pkt_line.h"
#include "hub/git/receive_pack.h"
#include "hub/git/repository.h"
#include "hub/git/tests/git_cli.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using drover::testing::GitCli;
using drover::testing::TempDir;
using drover::testing::write_text;

namespace {

const std::string kAdmin = "drv_admin_git_test";
const std::string kZero(40, '0');

// Functions posted to "the event loop": queued here and run by the test
// thread, which waits for them on a condition variable.
class Loop {
public:
    std::function<void(std::function<void()>)> poster() {
        return [this](std::function<void()> fn) {
            {
                std::lock_guard lock(mutex_);
                posted_.push_back(std::move(fn));
            }
            wake_.notify_all();
        };
    }
    // Waits for the next posted function and runs it here.
    void run_one() {
        std::function<void()> fn;
        {
            std::unique_lock lock(mutex_);
            bool got = wake_.wait_for(lock, std::chrono::seconds(60), [this] { return !posted_.empty(); });
            REQUIRE_MESSAGE(got, "nothing was posted back to the loop");
            fn = std::move(posted_.front());
            posted_.pop_front();
        }
        fn();
    }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> posted_;
};

// A hub fleet with an admin token, a repository holding one good commit on
// main, and a GitEndpoint over them.
struct Fixture {
    drover::hub::testing::Hub hub;
    TempDir tmp;
    GitCli git{tmp};
    std::string bare = tmp / "fleet.git";
    std::string work = tmp / "work";
    std::string tip;
    std::unique_ptr<PushHandler> push;
    Loop loop;
    WorkerPool workers{1};  // after loop and push: joined before they go
    std::unique_ptr<GitEndpoint> endpoint;

    // empty: the repository has no commits yet.
    explicit Fixture(GitEndpointOptions options = {}, bool empty = false) {
        hub.store->set_setting("admin_token_sha256", sha256_hex(kAdmin));
        REQUIRE(git::init_bare(bare).has_value());
        git.run(tmp.path(), cat("clone -q '", bare, "' work"));
        for (auto& [path, text] : drover::hub::testing::kFleetFiles) write_text(work + "/" + path, text);
        git.run(work, "add -A");
        git.run(work, "commit -q -m first");
        if (!empty) git.run(work, "push -q origin HEAD:main");
        tip = std::string(trim(git.run(work, "rev-parse HEAD")));
        options.repo_path = bare;
        push = std::make_unique<PushHandler>(PushSettings{.repo_path = bare}, hub.key, [](GitUpdate) {});
        endpoint = std::make_unique<GitEndpoint>(*hub.fleet, options, *push, workers, loop.poster());
    }

    GitBegin begin(const std::string& method, const std::string& path, const std::string& query = "",
                   const std::string& authorization = "Bearer " + kAdmin) {
        return endpoint->begin({.method = method, .path = path, .query = query, .authorization = authorization});
    }
    HttpResponse reply(const std::string& method, const std::string& path, const std::string& query = "",
                       const std::string& authorization = "Bearer " + kAdmin) {
        auto b = begin(method, path, query, authorization);
        REQUIRE(b.reply.has_value());
        CHECK_FALSE(b.spool.has_value());
        return *b.reply;
    }
    // A POST through begin() and finish(), answered on the loop.
    HttpResponse post(const std::string& path, const std::string& body,
                      const std::string& authorization = "Bearer " + kAdmin) {
        HttpRequest request{.method = "POST", .path = path, .authorization = authorization};
        auto b = endpoint->begin(request);
        REQUIRE_FALSE(b.reply.has_value());
        REQUIRE(b.spool.has_value());
        REQUIRE(b.spool->append(body).has_value());
        std::optional<HttpResponse> answer;
        int calls = 0;
        endpoint->finish(request, b.caller, std::move(*b.spool), [&](HttpResponse r) {
            ++calls;
            answer = std::move(r);
        });
        loop.run_one();
        CHECK(calls == 1);
        REQUIRE(answer.has_value());
        return *answer;
    }
};

std::string header(const HttpResponse& r, const std::string& name) {
    for (auto& [k, v] : r.headers)
        if (k == name) return v;
    return "";
}

std::string clone_request(const std::string& want) {
    return git::pkt(cat("want ", want, " multi_ack_detailed side-band-64k ofs-delta agent=git/2.39.5\n")) +
           std::string(git::kFlushPkt) + git::pkt("done\n");
}

}  // namespace

TEST_CASE("the endpoint claims every path under /git/ and nothing else") {
    CHECK(GitEndpoint::handles("/git/fleet.git/info/refs"));
    CHECK(GitEndpoint::handles("/git/other"));
    CHECK_FALSE(GitEndpoint::handles("/api/v1/status"));
    CHECK_FALSE(GitEndpoint::handles("/git"));
    CHECK_FALSE(GitEndpoint::handles("/"));
}

TEST_CASE("unknown repositories and paths are 404") {
    Fixture f;
    for (std::string path : {"/git/other.git/info/refs", "/git/fleet.git/objects/info/packs", "/git/fleet.git/HEAD",
                             "/git/fleet.git/", "/git/fleet.git/info/refs/x", "/git/fleet.gitx/info/refs"}) {
        CAPTURE(path);
        auto r = f.reply("GET", path, "service=git-upload-pack");
        CHECK(r.status == 404);
        CHECK(r.content_type == "text/plain");
        CHECK(r.body == "repository not found: this hub serves /git/fleet.git\n");
    }
}

TEST_CASE("wrong methods are 405") {
    Fixture f;
    auto post_refs = f.reply("POST", "/git/fleet.git/info/refs", "service=git-upload-pack");
    CHECK(post_refs.status == 405);
    CHECK(post_refs.body == "use GET for info/refs\n");
    for (std::string path : {"/git/fleet.git/git-upload-pack", "/git/fleet.git/git-receive-pack"}) {
        CAPTURE(path);
        auto r = f.reply("GET", path);
        CHECK(r.status == 405);
        CHECK(r.body == "use POST for git-upload-pack and git-receive-pack\n");
    }
}

TEST_CASE("the dumb protocol (info/refs without a smart service) is refused with 403") {
    Fixture f;
    for (std::string query : {"", "service=git-annex", "x=1", "service="}) {
        CAPTURE(query);
        auto r = f.reply("GET", "/git/fleet.git/info/refs", query);
        CHECK(r.status == 403);
        CHECK(r.body.starts_with("only git's smart HTTP protocol is served"));
    }
}

TEST_CASE("requests without valid credentials get 401 with a Basic challenge") {
    Fixture f;
    auto none = f.reply("GET", "/git/fleet.git/info/refs", "service=git-upload-pack", "");
    CHECK(none.status == 401);
    CHECK(header(none, "WWW-Authenticate") == "Basic realm=\"drover hub\", charset=\"UTF-8\"");
    CHECK(none.body ==
          "no credentials given: use the admin token or a push token (droverctl token create --push) as the password\n");

    auto wrong = f.reply("GET", "/git/fleet.git/info/refs", "service=git-receive-pack", "Bearer nope");
    CHECK(wrong.status == 401);
    CHECK(header(wrong, "WWW-Authenticate").starts_with("Basic "));
    CHECK(wrong.body.starts_with("push token is not known to this hub: "));

    auto push = f.begin("POST", "/git/fleet.git/git-receive-pack", "", "");
    REQUIRE(push.reply.has_value());
    CHECK(push.reply->status == 401);
    CHECK_FALSE(push.spool.has_value());

    auto fetch = f.begin("POST", "/git/fleet.git/git-upload-pack", "", "");
    REQUIRE(fetch.reply.has_value());
    CHECK(fetch.reply->status == 401);
}

TEST_CASE("upload-pack discovery advertises HEAD, main and the symref to the admin") {
    Fixture f;
    for (std::string path : {"/git/fleet.git/info/refs", "/git/fleet/info/refs"}) {
        CAPTURE(path);
        auto r = f.reply("GET", path, "service=git-upload-pack");
        INFO(r.body);
        CHECK(r.status == 200);
        CHECK(r.content_type == "application/x-git-upload-pack-advertisement");
        CHECK(header(r, "Cache-Control") == "no-cache, max-age=0, must-revalidate");
        CHECK(r.body.starts_with(git::pkt("# service=git-upload-pack\n") + "0000"));
        CHECK(r.body.find(cat(f.tip, " HEAD", std::string(1, '\0'))) != std::string::npos);
        CHECK(r.body.find("symref=HEAD:refs/heads/main") != std::string::npos);
        CHECK(r.body.find(git::pkt(cat(f.tip, " refs/heads/main\n"))) != std::string::npos);
        CHECK(r.body.ends_with("0000"));
    }
}

TEST_CASE("receive-pack discovery advertises the branches and push capabilities, without HEAD") {
    Fixture f;
    auto r = f.reply("GET", "/git/fleet.git/info/refs", "service=git-receive-pack");
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/x-git-receive-pack-advertisement");
    CHECK(r.body.starts_with(git::pkt("# service=git-receive-pack\n") + "0000"));
    CHECK(r.body.find(cat(f.tip, " refs/heads/main", std::string(1, '\0'), "report-status")) != std::string::npos);
    CHECK(r.body.find(" HEAD") == std::string::npos);
}

TEST_CASE("an empty repository advertises its capabilities on a capabilities^{} line") {
    Fixture f({}, true);
    auto fetch = f.reply("GET", "/git/fleet.git/info/refs", "service=git-upload-pack");
    CHECK(fetch.status == 200);
    CHECK(fetch.body.find(cat(kZero, " capabilities^{}", std::string(1, '\0'))) != std::string::npos);
    CHECK(fetch.body.find("symref=HEAD:refs/heads/main") != std::string::npos);
    auto push = f.reply("GET", "/git/fleet.git/info/refs", "service=git-receive-pack");
    CHECK(push.status == 200);
    CHECK(push.body == git::pkt("# service=git-receive-pack\n") + "0000" +
                           git::pkt(cat(kZero, " capabilities^{}", std::string(1, '\0'),
                                        git::receive_pack_capabilities("drover"), "\n")) +
                           "0000");
}

TEST_CASE("a push token may use both services") {
    Fixture f;
    std::string secret = random_token("drv_push_");
    f.hub.store->add_token({.id = "tok_ci", .created_ms = f.hub.now, .kind = TokenKind::push}, sha256_hex(secret));
    CHECK(f.reply("GET", "/git/fleet.git/info/refs", "service=git-upload-pack", "Bearer " + secret).status == 200);
    CHECK(f.reply("GET", "/git/fleet.git/info/refs", "service=git-receive-pack", "Bearer " + secret).status == 200);
}

TEST_CASE("anonymous_read lets clones through without credentials, never pushes") {
    Fixture f(GitEndpointOptions{.anonymous_read = true});
    auto discovery = f.reply("GET", "/git/fleet.git/info/refs", "service=git-upload-pack", "");
    CHECK(discovery.status == 200);
    CHECK(discovery.content_type == "application/x-git-upload-pack-advertisement");

    auto fetch = f.begin("POST", "/git/fleet.git/git-upload-pack", "", "");
    CHECK_FALSE(fetch.reply.has_value());
    CHECK(fetch.spool.has_value());

    auto push_discovery = f.reply("GET", "/git/fleet.git/info/refs", "service=git-receive-pack", "");
    CHECK(push_discovery.status == 401);
    auto push = f.begin("POST", "/git/fleet.git/git-receive-pack", "", "");
    REQUIRE(push.reply.has_value());
    CHECK(push.reply->status == 401);
}

TEST_CASE("a mirror refuses pushes with 403 naming the upstream, and still serves clones") {
    Fixture f(GitEndpointOptions{.mirror_of = "https://git.example.com/fleet.git"});
    const std::string why = "this hub mirrors https://git.example.com/fleet.git: push there and the hub follows\n";
    auto discovery = f.reply("GET", "/git/fleet.git/info/refs", "service=git-receive-pack");
    CHECK(discovery.status == 403);
    CHECK(discovery.body == why);
    auto push = f.reply("POST", "/git/fleet.git/git-receive-pack");
    CHECK(push.status == 403);
    CHECK(push.body == why);
    CHECK(f.reply("GET", "/git/fleet.git/info/refs", "service=git-upload-pack").status == 200);
}

TEST_CASE("POST bodies are spooled within the configured limits: fetches in memory, pushes on disk") {
    Fixture f(GitEndpointOptions{.max_push_bytes = 1000, .max_fetch_request_bytes = 100});
    auto fetch = f.begin("POST", "/git/fleet.git/git-upload-pack");
    REQUIRE(fetch.spool.has_value());
    CHECK(fetch.spool->max_bytes() == 100);
    auto push = f.begin("POST", "/git/fleet.git/git-receive-pack");
    REQUIRE(push.spool.has_value());
    CHECK(push.spool->max_bytes() == 1000);
    CHECK(push.spool->append(std::string(1000, 'p')).has_value());
    CHECK_FALSE(push.spool->append("p").has_value());
}

TEST_CASE("a clone request is answered on the loop with the pack of main") {
    Fixture f;
    auto r = f.post("/git/fleet.git/git-upload-pack", clone_request(f.tip));
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/x-git-upload-pack-result");
    CHECK(r.body.starts_with(git::pkt("NAK\n")));
    CHECK(r.body.find("PACK") != std::string::npos);
    CHECK(r.body.ends_with("0000"));
}

TEST_CASE("fetch probes, malformed fetches and wants of unadvertised objects get git's answers") {
    Fixture f;
    auto probe = f.post("/git/fleet.git/git-upload-pack", "0000");
    CHECK(probe.status == 200);
    CHECK(probe.body.empty());

    auto malformed = f.post("/git/fleet.git/git-upload-pack", "zzzz");
    CHECK(malformed.status == 400);
    CHECK(malformed.content_type == "text/plain");
    CHECK(malformed.body.starts_with("upload-pack request: "));

    std::string tree = std::string(trim(f.git.run(f.work, "rev-parse HEAD^{tree}")));
    auto foreign = f.post("/git/fleet.git/git-upload-pack", clone_request(tree));
    CHECK(foreign.status == 200);
    CHECK(foreign.body == git::pkt(cat("ERR upload-pack: not our ref ", tree, "\n")));
}

TEST_CASE("a push through the endpoint is handled on a worker and its events are stored on the loop") {
    Fixture f;
    write_text(f.work + "/web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '2'}\n");
    f.git.run(f.work, "commit -q -am second");
    std::string second = std::string(trim(f.git.run(f.work, "rev-parse HEAD")));
    write_text(f.tmp / "revs", cat(second, "\n^", f.tip, "\n"));
    std::string pack = f.git.run(f.work, cat("pack-objects -q --stdout --thin --revs < '", f.tmp / "revs", "'"));
    std::string body = git::pkt(cat(f.tip, " ", second, " refs/heads/main", std::string(1, '\0'), "report-status\n")) +
                       std::string(git::kFlushPkt) + pack;

    auto r = f.post("/git/fleet.git/git-receive-pack", body);
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/x-git-receive-pack-result");
    CHECK(r.body == git::pkt("unpack ok\n") + git::pkt("ok refs/heads/main\n") + "0000");

    auto repo = git::open(f.bare);
    REQUIRE(repo.has_value());
    CHECK(*git::branch_head(*repo, "main") == second);
    bool stored = false;
    for (auto& e : f.hub.store->events(20))
        if (e.kind == "push" && e.message == cat("main moved to ", second.substr(0, 12), " (second) by admin")) stored = true;
    CHECK(stored);
}

TEST_CASE("a refused push through the endpoint answers the client and stores who was refused") {
    Fixture f;
    std::string secret = random_token("drv_push_");
    f.hub.store->add_token({.id = "tok_ci", .created_ms = f.hub.now, .kind = TokenKind::push}, sha256_hex(secret));
    write_text(f.work + "/web/bundle.yaml", "namespace: web\ntargets: [{group: nosuchgroup}]\n");
    f.git.run(f.work, "commit -q -am broken");
    std::string broken = std::string(trim(f.git.run(f.work, "rev-parse HEAD")));
    write_text(f.tmp / "revs", cat(broken, "\n^", f.tip, "\n"));
    std::string pack = f.git.run(f.work, cat("pack-objects -q --stdout --thin --revs < '", f.tmp / "revs", "'"));
    std::string body = git::pkt(cat(f.tip, " ", broken, " refs/heads/main", std::string(1, '\0'), "report-status\n")) +
                       std::string(git::kFlushPkt) + pack;

    auto r = f.post("/git/fleet.git/git-receive-pack", body, "Bearer " + secret);
    CHECK(r.status == 200);
    CHECK(r.body == git::pkt("unpack ok\n") + git::pkt("ng refs/heads/main invalid bundles\n") + "0000");
    auto repo = git::open(f.bare);
    REQUIRE(repo.has_value());
    CHECK(*git::branch_head(*repo, "main") == f.tip);
    bool stored = false;
    for (auto& e : f.hub.store->events(20))
        if (e.kind == "rejected" && e.message.starts_with(cat("push to main by tok_ci refused (", broken.substr(0, 12), "): ")))
            stored = true;
    CHECK(stored);
}

TEST_CASE("git's probe before a large push gets an empty 200 through the endpoint") {
    Fixture f;
    auto r = f.post("/git/fleet.git/git-receive-pack", "0000");
    CHECK(r.status == 200);
    CHECK(r.content_type == "application/x-git-receive-pack-result");
    CHECK(r.body.empty());
}
