#include "hub/git/upstream.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/fs.h"
#include "common/testing/temp_dir.h"
#include "common/text.h"
#include "hub/git/repository.h"
#include "hub/git/tests/git_cli.h"

extern char** environ;

using namespace drover;
using namespace std::chrono_literals;
using drover::testing::GitCli;
using drover::testing::TempDir;
using drover::testing::write_text;

namespace {

std::string error_of(const Result<std::string>& r) {
    return r ? cat("(ok: ", *r, ")") : r.error().message;
}
std::string error_of(const Result<void>& r) {
    return r ? std::string("(ok)") : r.error().message;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

// An upstream bare repository fed from a work clone with the git CLI, and a
// hub repository made by git::init_bare.
struct Fixture {
    TempDir tmp;
    GitCli git{tmp};
    std::string upstream = tmp / "upstream.git";
    std::string work = tmp / "work";
    std::string hub = tmp / "hub.git";

    Fixture() {
        git.run(tmp.path(), "init -q --bare upstream.git");
        git.run(tmp.path(), "clone -q upstream.git work");
        REQUIRE(git::init_bare(hub));
    }

    // Commits one file change in the work clone and pushes it to `branch`;
    // returns the new commit id.
    std::string commit_and_push(const std::string& file, const std::string& text, const std::string& branch = "main",
                                bool force = false) {
        write_text(work + "/" + file, text);
        git.run(work, "add -A");
        git.run(work, cat("commit -q -m ", drover::quoted("change " + file)));
        git.run(work, cat("push -q ", force ? "--force " : "", "origin HEAD:refs/heads/", branch));
        return head();
    }

    std::string head() { return std::string(trim(git.run(work, "rev-parse HEAD"))); }

    git::Repo open_hub() {
        auto repo = git::open(hub);
        REQUIRE(repo);
        return std::move(*repo);
    }
};

std::string ref_target(git::Repo& repo, const std::string& ref) {
    git_oid oid;
    if (git_reference_name_to_id(&oid, repo.get(), ref.c_str()) < 0) return "(missing)";
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &oid);
    return hex;
}

// All refs of the repository, for checking that nothing else moved.
std::vector<std::string> ref_names(git::Repo& repo) {
    git_strarray names{};
    REQUIRE(git_reference_list(&names, repo.get()) == 0);
    std::vector<std::string> out(names.strings, names.strings + names.count);
    git_strarray_dispose(&names);
    return out;
}

// A process this test started, stopped and reaped when the test ends.
class ChildProcess {
public:
    explicit ChildProcess(std::vector<std::string> argv) {
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        if (posix_spawnp(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) pid_ = -1;
    }
    ~ChildProcess() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    bool started() const { return pid_ > 0; }

private:
    pid_t pid_ = -1;
};

// Polls for a file the child writes once it is ready (the file appears by
// rename, whole).
std::optional<std::string> wait_for_file(const std::string& path, std::chrono::seconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (auto text = read_file(path)) return *text;
        std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
}

// A TCP listener on 127.0.0.1 that never accepts: the kernel completes
// `backlog` + 1 handshakes on its own and then drops further SYNs.
struct SilentListener {
    int fd = -1;
    int port = 0;
    explicit SilentListener(int backlog) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(listen(fd, backlog) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        port = ntohs(addr.sin_port);
    }
    ~SilentListener() { close(fd); }
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
};

}  // namespace

TEST_CASE("fetching over file:// and over a plain path stores the upstream branch under refs/drover/upstream") {
    Fixture f;
    std::string first = f.commit_and_push("web/bundle.yaml", "namespace: web\n");
    f.git.run(f.work, "tag v1");
    f.git.run(f.work, "push -q origin v1");
    auto repo = f.open_hub();

    auto via_url = git::fetch_upstream(repo, {.url = "file://" + f.upstream, .branch = "main"});
    REQUIRE_MESSAGE(via_url, error_of(via_url));
    CHECK(*via_url == first);
    CHECK(ref_target(repo, "refs/drover/upstream/main") == first);

    std::string second = f.commit_and_push("web/deploy.yaml", "kind: Deployment\n");
    auto via_path = git::fetch_upstream(repo, {.url = f.upstream, .branch = "main"});
    REQUIRE_MESSAGE(via_path, error_of(via_path));
    CHECK(*via_path == second);

    // Nothing else moved: no deploy branch, no tags, nothing in FETCH_HEAD
    // (libgit2 truncates it on every fetch, so it exists).
    CHECK(ref_names(repo) == std::vector<std::string>{"refs/drover/upstream/main"});
    CHECK(read_file(f.hub + "/FETCH_HEAD").value_or("(missing)").empty());
    auto files = git::read_commit_files(repo, second, render::Limits{});
    REQUIRE(files);
    CHECK(files->count("web/deploy.yaml") == 1);
}

TEST_CASE("a second fetch returns the new upstream commit and leaves the deploy branch where it was") {
    Fixture f;
    std::string first = f.commit_and_push("a.yaml", "a: 1\n");
    auto repo = f.open_hub();
    git::Upstream upstream{.url = "file://" + f.upstream};
    REQUIRE(git::fetch_upstream(repo, upstream));
    // The deploy branch is the caller's business: point it at the first commit.
    git_oid oid;
    REQUIRE(git_oid_fromstr(&oid, first.c_str()) == 0);
    git_reference* raw = nullptr;
    REQUIRE(git_reference_create(&raw, repo.get(), "refs/heads/main", &oid, 0, nullptr) == 0);
    git_reference_free(raw);

    std::string next = f.commit_and_push("a.yaml", "a: 2\n");
    auto again = git::fetch_upstream(repo, upstream);
    REQUIRE_MESSAGE(again, error_of(again));
    CHECK(*again == next);
    CHECK(ref_target(repo, "refs/heads/main") == first);

    auto unchanged = git::fetch_upstream(repo, upstream);
    REQUIRE(unchanged);
    CHECK(*unchanged == next);
}

TEST_CASE("a rewritten upstream history is followed (forced update)") {
    Fixture f;
    f.commit_and_push("a.yaml", "a: 1\n");
    std::string doomed = f.commit_and_push("a.yaml", "a: 2\n");
    auto repo = f.open_hub();
    git::Upstream upstream{.url = f.upstream};
    REQUIRE(git::fetch_upstream(repo, upstream).value_or("") == doomed);

    f.git.run(f.work, "reset -q --hard HEAD~1");
    std::string rewritten = f.commit_and_push("b.yaml", "b: 1\n", "main", true);
    REQUIRE(rewritten != doomed);
    auto fetched = git::fetch_upstream(repo, upstream);
    REQUIRE_MESSAGE(fetched, error_of(fetched));
    CHECK(*fetched == rewritten);
    CHECK(ref_target(repo, "refs/drover/upstream/main") == rewritten);
}

TEST_CASE("a branch other than main is fetched under its own name") {
    Fixture f;
    f.commit_and_push("a.yaml", "a: 1\n");
    std::string prod = f.commit_and_push("p.yaml", "p: 1\n", "release/prod");
    auto repo = f.open_hub();
    auto fetched = git::fetch_upstream(repo, {.url = f.upstream, .branch = "release/prod"});
    REQUIRE_MESSAGE(fetched, error_of(fetched));
    CHECK(*fetched == prod);
    CHECK(ref_names(repo) == std::vector<std::string>{"refs/drover/upstream/release/prod"});
}

TEST_CASE("a branch missing upstream is an error naming it and the branches that exist") {
    Fixture f;
    f.commit_and_push("a.yaml", "a: 1\n");
    auto repo = f.open_hub();
    auto r = git::fetch_upstream(repo, {.url = f.upstream, .branch = "staging"});
    CHECK(error_of(r) ==
          cat("fetching ", f.upstream, " (branch staging): branch staging does not exist upstream (it has: main)"));
    CHECK(ref_names(repo).empty());
}

TEST_CASE("a branch deleted upstream is an error and the last fetched commit stays") {
    Fixture f;
    f.commit_and_push("a.yaml", "a: 1\n");
    std::string feature = f.commit_and_push("f.yaml", "f: 1\n", "feature");
    auto repo = f.open_hub();
    REQUIRE(git::fetch_upstream(repo, {.url = f.upstream, .branch = "feature"}));
    f.git.run(f.work, "push -q origin :refs/heads/feature");
    auto r = git::fetch_upstream(repo, {.url = f.upstream, .branch = "feature"});
    CHECK(contains(error_of(r), "branch feature does not exist upstream"));
    CHECK(ref_target(repo, "refs/drover/upstream/feature") == feature);
}

TEST_CASE("an empty upstream repository has no branch to fetch") {
    Fixture f;
    auto repo = f.open_hub();
    auto r = git::fetch_upstream(repo, {.url = f.upstream});
    CHECK(contains(error_of(r), "branch main does not exist upstream (it has no branches)"));
}

TEST_CASE("an unreachable upstream is an error naming the URL") {
    Fixture f;
    auto repo = f.open_hub();
    auto by_url = git::fetch_upstream(repo, {.url = "file:///nonexistent/fleet.git"});
    REQUIRE_FALSE(by_url);
    CHECK(starts_with(by_url.error().message, "fetching file:///nonexistent/fleet.git (branch main): "));
    auto by_path = git::fetch_upstream(repo, {.url = "/nonexistent/fleet.git"});
    CHECK(error_of(by_path) == "fetching /nonexistent/fleet.git (branch main): no such directory");
}

TEST_CASE("fetch_upstream validates before it touches the network") {
    Fixture f;
    auto repo = f.open_hub();
    auto r = git::fetch_upstream(repo, {.url = "ftp://example.com/fleet.git"});
    CHECK(contains(error_of(r), "unsupported scheme ftp://"));
}

TEST_CASE("redacted_url removes passwords, and all userinfo of http(s) URLs") {
    CHECK(git::redacted_url("https://user:secret@git.example.com/fleet.git") == "https://git.example.com/fleet.git");
    CHECK(git::redacted_url("https://ghp_token@git.example.com/fleet.git") == "https://git.example.com/fleet.git");
    CHECK(git::redacted_url("https://git.example.com:8443/fleet.git") == "https://git.example.com:8443/fleet.git");
    CHECK(git::redacted_url("ssh://git:secret@git.example.com/fleet.git") == "ssh://git@git.example.com/fleet.git");
    CHECK(git::redacted_url("ssh://git@git.example.com:2222/fleet.git") == "ssh://git@git.example.com:2222/fleet.git");
    CHECK(git::redacted_url("git@github.com:acme/fleet.git") == "git@github.com:acme/fleet.git");
    CHECK(git::redacted_url("user:secret@host:fleet.git") == "user@host:fleet.git");
    CHECK(git::redacted_url("https://user:p@ss@host/x.git") == "https://host/x.git");
    CHECK(git::redacted_url("/srv/git/a@b:c.git") == "/srv/git/a@b:c.git");
    CHECK(git::redacted_url("file:///srv/fleet.git") == "file:///srv/fleet.git");
}

TEST_CASE("check_upstream accepts the supported URL shapes") {
    for (const char* url : {"https://git.example.com/fleet.git", "https://git.example.com:8443/acme/fleet",
                            "https://[2001:db8::1]/fleet.git", "ssh://git@git.example.com/fleet.git",
                            "ssh://git.example.com:2222/srv/fleet.git", "git@github.com:acme/fleet.git",
                            "gitea.local:fleet.git", "file:///srv/git/fleet.git", "/srv/git/fleet.git"}) {
        CAPTURE(url);
        auto r = git::check_upstream({.url = url, .branch = "main"});
        CHECK_MESSAGE(r, error_of(r));
    }
    CHECK(git::check_upstream({.url = "/srv/fleet.git", .branch = "release/v1.2"}));
}

TEST_CASE("check_upstream refuses garbage URLs with the reason") {
    auto error = [](const std::string& url) { return error_of(git::check_upstream({.url = url})); };
    CHECK(error("") == "upstream URL is empty");
    CHECK(contains(error("ftp://x"), "unsupported scheme ftp://"));
    CHECK(contains(error("http://git.example.com/fleet.git"), "plain http://"));
    CHECK(contains(error("git://git.example.com/fleet.git"), "git://"));
    CHECK(contains(error("https://"), "has no host"));
    CHECK(contains(error("https://git.example.com"), "has no repository path"));
    CHECK(contains(error("https://git.example.com:99999/x.git"), "invalid port"));
    CHECK(contains(error("https://git example.com/x.git"), "whitespace"));
    CHECK(contains(error("https://git.exa$mple.com/x.git"), "invalid host"));
    CHECK(contains(error("file://host/srv/fleet.git"), "file:///absolute/path"));
    CHECK(contains(error("fleet.git"), "absolute path"));
    CHECK(contains(error("./fleet.git"), "absolute path"));
    CHECK(contains(error("user:pw@host:fleet.git"), "password"));
    CHECK(contains(error("host:"), "no repository path"));
    // The password never appears in the error.
    CHECK_FALSE(contains(error("https://user:hunter2@git.example.com"), "hunter2"));
}

TEST_CASE("check_upstream refuses bad branch names") {
    auto error = [](const std::string& branch) {
        return error_of(git::check_upstream({.url = "/srv/fleet.git", .branch = branch}));
    };
    CHECK(error("") == "upstream branch is empty");
    CHECK(error("../x") == "upstream branch \"../x\" is not a valid branch name");
    CHECK(error("my branch") == "upstream branch \"my branch\" is not a valid branch name");
    CHECK(contains(error("a..b"), "not a valid branch name"));
    CHECK(contains(error("main:evil"), "not a valid branch name"));
    CHECK(contains(error("*"), "not a valid branch name"));
    CHECK(contains(error("refs/heads/main"), "give the branch name alone"));
}

TEST_CASE("check_upstream refuses credentials that do not fit the URL") {
    TempDir tmp;
    CHECK(contains(error_of(git::check_upstream({.url = "/srv/f.git", .https_user = "u", .https_password = "p"})),
                   "only apply to https://"));
    CHECK(contains(error_of(git::check_upstream({.url = "https://h/f.git", .https_user = "u"})),
                   "without https_password"));
    CHECK(contains(error_of(git::check_upstream({.url = "https://h/f.git", .https_password = "p"})),
                   "needs a user name"));
    CHECK(git::check_upstream({.url = "https://oauth2@h/f.git", .https_password = "p"}));
    CHECK(contains(error_of(git::check_upstream({.url = "https://h/f.git", .ssh_key_path = tmp / "id"})),
                   "only applies to ssh"));
    CHECK(contains(error_of(git::check_upstream({.url = "git@h:f.git", .ssh_key_path = tmp / "missing"})),
                   "cannot read ssh key file"));
    write_text(tmp / "id", "key\n");
    CHECK(git::check_upstream({.url = "git@h:f.git", .ssh_key_path = tmp / "id"}));
}

TEST_CASE("a server that accepts the connection and then says nothing ends the fetch after the stall timeout") {
    Fixture f;
    auto repo = f.open_hub();
    SilentListener silent(8);
    std::string url = cat("https://127.0.0.1:", silent.port, "/fleet.git");
    auto started = std::chrono::steady_clock::now();
    auto r = git::fetch_upstream(repo, {.url = url, .stall_timeout = 300ms});
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(error_of(r) ==
          cat("fetching ", url, " (branch main): no progress talking to 127.0.0.1:", silent.port, " for 300 ms"));
    CHECK(took < 10s);
}

TEST_CASE("the total timeout ends a fetch even while each wait is shorter than the stall timeout") {
    Fixture f;
    auto repo = f.open_hub();
    SilentListener silent(8);
    std::string url = cat("https://127.0.0.1:", silent.port, "/fleet.git");
    auto r = git::fetch_upstream(repo, {.url = url, .stall_timeout = 60s, .total_timeout = 300ms});
    CHECK(contains(error_of(r), "took longer than the total limit"));
}

TEST_CASE("connecting is bounded by the connect timeout when the server drops SYNs") {
    Fixture f;
    auto repo = f.open_hub();
    SilentListener full(0);
    // Fill the accept queue (backlog 0 holds one connection); later SYNs are dropped.
    int filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(full.port));
    REQUIRE(connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string url = cat("https://127.0.0.1:", full.port, "/fleet.git");
    auto r = git::fetch_upstream(repo, {.url = url, .connect_timeout = 300ms});
    close(filler);
    CHECK(error_of(r) ==
          cat("fetching ", url, " (branch main): connecting to 127.0.0.1:", full.port, " timed out after 300 ms"));
}

// An https server that answers every request with 401, run with python3 and
// a certificate made by the openssl CLI (CN only: mbedTLS 2.28 matches no IP
// subjectAltName); libgit2 is told to trust it. The
// server logs each request's Authorization header.
TEST_CASE("refused https credentials are offered once, then the fetch ends naming the user") {
    if (std::system("command -v python3 >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1") != 0) {
        MESSAGE("skipped: needs python3 and openssl");
        return;
    }
    Fixture f;
    std::string cert = f.tmp / "cert.pem", key = f.tmp / "key.pem";
    REQUIRE(std::system(cat("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 ",
                            "-subj /CN=127.0.0.1 -keyout '", key, "' -out '", cert, "' >/dev/null 2>&1")
                            .c_str()) == 0);
    std::string script = f.tmp / "server.py", port_file = f.tmp / "port", log = f.tmp / "requests.log";
    write_text(script, R"(import http.server, os, ssl, sys
cert, key, port_file, log = sys.argv[1:5]
class Refuse(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(log, 'a') as f:
            f.write(self.headers.get('Authorization', 'none') + '\n')
        self.send_response(401)
        self.send_header('WWW-Authenticate', 'Basic realm="fleet"')
        self.send_header('Content-Length', '0')
        self.end_headers()
    do_POST = do_GET
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(('127.0.0.1', 0), Refuse)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + '.tmp', 'w') as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + '.tmp', port_file)
server.serve_forever()
)");
    ChildProcess server({"python3", script, cert, key, port_file, log});
    REQUIRE(server.started());
    auto port = wait_for_file(port_file, 20s);
    REQUIRE_MESSAGE(port, "the python https server did not start");

    auto repo = f.open_hub();
    REQUIRE(git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, cert.c_str(), nullptr) == 0);
    std::string url = cat("https://127.0.0.1:", *port, "/fleet.git");
    auto r = git::fetch_upstream(repo, {.url = url, .https_user = "deployer", .https_password = "wrong-password"});
    CHECK(error_of(r) ==
          cat("fetching ", url, " (branch main): the server refused the https credentials of user deployer"));
    CHECK_FALSE(contains(error_of(r), "wrong-password"));

    auto requests = read_file(log);
    REQUIRE(requests);
    auto lines = split(trim(*requests), '\n');
    // "deployer:wrong-password" in base64.
    CHECK(std::count(lines.begin(), lines.end(), "Basic ZGVwbG95ZXI6d3JvbmctcGFzc3dvcmQ=") == 1);
    CHECK(lines.size() <= 3);

    // Without configured credentials the first 401 ends the fetch.
    auto anonymous = git::fetch_upstream(repo, {.url = url});
    CHECK(contains(error_of(anonymous), "the server asks for credentials and none (other) are configured"));
}
