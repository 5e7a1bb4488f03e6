// The real chaosproxy binary (CHAOSPROXY_BINARY): the stdout lines other
// tests parse, relaying, the control channel, --script, exit codes.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "common/testing/temp_dir.h"
#include "common/text.h"
#include "tools/chaosproxy/tests/echo_upstream.h"
#include "tools/chaosproxy/tests/running_proxy.h"
#include "tools/chaosproxy/tests/test_client.h"
#include "tools/chaosproxy/unique_fd.h"

using namespace drover::chaosproxy;
using namespace drover::chaosproxy::testing;
using namespace std::chrono_literals;
using drover::testing::TempDir;
using Event = TestClient::Event;

namespace {

// chaosproxy as a child process with its stdout and stderr on pipes.
class ProxyProcess {
public:
    explicit ProxyProcess(const std::vector<std::string>& args) {
        int out[2], err[2];
        REQUIRE(pipe2(out, O_CLOEXEC) == 0);
        REQUIRE(pipe2(err, O_CLOEXEC) == 0);
        out_.reset(out[0]);
        err_.reset(err[0]);
        UniqueFd out_w(out[1]), err_w(err[1]);
        // posix_spawn, not fork: the test process runs threads.
        std::string bin = CHAOSPROXY_BINARY;
        std::vector<std::string> copy = args;
        std::vector<char*> argv{bin.data()};
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
        posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
        int rc = posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE_MESSAGE(rc == 0, "cannot start ", bin);
    }
    ~ProxyProcess() {
        if (pid_ > 0 && !exited_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }

    // The next stdout line, or "" if none comes within timeout.
    std::string stdout_line(std::chrono::milliseconds timeout = 10s) {
        return read_line(out_, out_buffer_, timeout);
    }
    // Everything on stderr until the process closes it (or timeout).
    std::string all_stderr(std::chrono::milliseconds timeout = 10s) {
        std::string text;
        auto deadline = std::chrono::steady_clock::now() + timeout;
        char buffer[4096];
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{err_.get(), POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) continue;
            ssize_t n = read(err_.get(), buffer, sizeof buffer);
            if (n <= 0) break;
            text.append(buffer, static_cast<size_t>(n));
        }
        return text;
    }
    // Exit code (128 + signal if killed), or -1 if still running at timeout.
    int wait_exit(std::chrono::milliseconds timeout = 10s) {
        int status = 0;
        bool done = wait_until(
            [&] {
                if (!exited_ && waitpid(pid_, &status, WNOHANG) == pid_) {
                    exited_ = true;
                    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                }
                return exited_;
            },
            timeout);
        return done ? code_ : -1;
    }
    void terminate() { kill(pid_, SIGTERM); }

private:
    static std::string read_line(const UniqueFd& fd, std::string& buffer, std::chrono::milliseconds timeout) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            size_t newline = buffer.find('\n');
            if (newline != std::string::npos) {
                std::string line = buffer.substr(0, newline);
                buffer.erase(0, newline + 1);
                return line;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left <= 0ms) return {};
            pollfd p{fd.get(), POLLIN, 0};
            if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
            char chunk[1024];
            ssize_t n = read(fd.get(), chunk, sizeof chunk);
            if (n <= 0) return {};
            buffer.append(chunk, static_cast<size_t>(n));
        }
    }

    pid_t pid_ = -1;
    UniqueFd out_, err_;
    std::string out_buffer_;
    bool exited_ = false;
    int code_ = -1;
};

std::string control(TestClient& client, const std::string& line) {
    client.send(line + "\n");
    std::string answer;
    wait_until([&] {
        answer += client.receive_some(100ms);
        return answer.find('\n') != std::string::npos;
    });
    return answer.substr(0, answer.find('\n'));
}

// "PREFIX<port>" with a port of 1-65535 and nothing after it.
bool is_announcement(const std::string& line, const std::string& prefix) {
    if (!line.starts_with(prefix)) return false;
    auto port = drover::parse_u64(line.substr(prefix.size()));
    return port && *port > 0 && *port <= 65535;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

TEST_CASE("chaosproxy binary: announces its ports on stdout, relays, obeys control, stops on SIGTERM") {
    EchoUpstream echo;
    ProxyProcess proxy({"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + std::to_string(echo.port()),
                        "--control", "127.0.0.1:0", "--seed", "7"});
    std::string listening = proxy.stdout_line();
    std::string control_line = proxy.stdout_line();
    REQUIRE_MESSAGE(is_announcement(listening, "listening on 127.0.0.1:"), listening);
    REQUIRE_MESSAGE(is_announcement(control_line, "control on 127.0.0.1:"), control_line);

    TestClient client(port_of(listening));
    CHECK(client.exchange("through the binary", 10s) == "through the binary");
    TestClient ctl(port_of(control_line));
    CHECK(control(ctl, "cut") == "ok");
    CHECK(client.wait(5s) == Event::closed);
    CHECK(control(ctl, "stats").starts_with("ok {\"accepted\":1,\"open\":0,\"cut\":1,"));

    proxy.terminate();
    CHECK(proxy.wait_exit() == 0);
}

TEST_CASE("chaosproxy binary: --help prints the usage and exits 0") {
    ProxyProcess proxy({"--help"});
    CHECK(proxy.stdout_line().starts_with("usage: chaosproxy --listen ADDR:PORT --upstream HOST:PORT"));
    CHECK(proxy.wait_exit() == 0);
}

TEST_CASE("chaosproxy binary: bad input is one line on stderr and exit code 2") {
    ProxyProcess proxy({"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--rate", "fast"});
    CHECK(proxy.wait_exit() == 2);
    std::string err = proxy.all_stderr();
    CHECK(err == "chaosproxy: --rate: bad rate \"fast\" (expected bytes per second, e.g. 4096, 64KiB, 1MiB)\n");
}

TEST_CASE("chaosproxy binary: a bad script line exits 2 naming FILE:LINE") {
    TempDir dir;
    std::string script = dir / "plan.txt";
    write_file(script, "# plan\n0s rate 1MiB\n5s self-destruct\n");
    ProxyProcess proxy({"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--script", script});
    CHECK(proxy.wait_exit() == 2);
    CHECK(proxy.all_stderr().starts_with("chaosproxy: " + script + ":3: unknown command \"self-destruct\""));

    write_file(script, "1s chaos on\n");
    ProxyProcess no_ranges({"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--script", script});
    CHECK(no_ranges.wait_exit() == 2);
    CHECK(no_ranges.all_stderr() == "chaosproxy: " + script + ":1: chaos on needs --cut-every or --stall-every\n");
}

TEST_CASE("chaosproxy binary: script steps run at their times, 0s ones before the first connection") {
    EchoUpstream echo;
    TempDir dir;
    std::string script = dir / "plan.txt";
    write_file(script, "0s refuse on\n1s refuse off\n");
    ProxyProcess proxy({"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:" + std::to_string(echo.port()),
                        "--script", script});
    std::string listening = proxy.stdout_line();
    REQUIRE(listening.starts_with("listening on "));
    auto start = std::chrono::steady_clock::now();
    TestClient refused(port_of(listening));
    CHECK(refused.wait(5s) == Event::closed);
    // Refused until the 1s step; then connections go through.
    bool through = wait_until([&] {
        TestClient attempt(port_of(listening));
        return attempt.exchange("ping", 2s) == "ping";
    });
    CHECK(through);
    CHECK(std::chrono::steady_clock::now() - start >= 800ms);
    proxy.terminate();
    CHECK(proxy.wait_exit() == 0);
}
