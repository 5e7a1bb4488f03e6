// A driver for the fuzz targets in the normal (GCC) build, where libFuzzer is
// not available: runs LLVMFuzzerTestOneInput on every file of the corpus
// directories (or files) given, then on pseudo-random mutations of them.
//
//   TARGET [--runs N] [--seconds S] [--seed X] [--max-len BYTES] CORPUS...
//
// Deterministic for a given corpus and seed: mutation k is the same on every
// machine, so a failure in CI reproduces locally. It stops after N mutations
// or S seconds, whichever comes first (a slow machine runs fewer, never
// longer). A target that crashes takes the process down; the handler
// below first writes the input it was running to ./crash-<target>-input and
// names where it came from, so the input can become a regression seed.
//
// This is a smoke test of the targets, not a fuzzer: there is no coverage
// feedback. tools/fuzz runs the real thing (libFuzzer, clang).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

struct Seed {
    std::string name;
    std::string bytes;
};

// What the crash handler reports; set before each run. Plain globals: the
// handler may only read them.
const std::string* g_current = nullptr;
char g_origin[512] = "";
char g_crash_path[512] = "crash-input";

void write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return;
        p += w;
        n -= static_cast<size_t>(w);
    }
}

void on_crash(int sig) {
    const char head[] = "\nfuzz replay: crashed on ";
    write_all(2, head, sizeof head - 1);
    write_all(2, g_origin, strlen(g_origin));
    if (g_current) {
        int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            write_all(fd, g_current->data(), g_current->size());
            close(fd);
            const char saved[] = "; input written to ";
            write_all(2, saved, sizeof saved - 1);
            write_all(2, g_crash_path, strlen(g_crash_path));
        }
    }
    write_all(2, "\n", 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

void run(const std::string& input, const std::string& origin) {
    g_current = &input;
    snprintf(g_origin, sizeof g_origin, "%s", origin.c_str());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    g_current = nullptr;
}

std::vector<Seed> load(const std::vector<std::string>& paths) {
    std::vector<Seed> seeds;
    for (const auto& p : paths) {
        std::vector<std::filesystem::path> files;
        if (std::filesystem::is_directory(p)) {
            for (const auto& e : std::filesystem::directory_iterator(p))
                if (e.is_regular_file()) files.push_back(e.path());
            std::sort(files.begin(), files.end());  // directory order varies between file systems
        } else {
            files.push_back(p);
        }
        for (const auto& f : files) {
            std::ifstream in(f, std::ios::binary);
            if (!in) {
                std::fprintf(stderr, "fuzz replay: cannot read %s\n", f.c_str());
                std::exit(2);
            }
            std::ostringstream s;
            s << in.rdbuf();
            seeds.push_back({f.string(), s.str()});
        }
    }
    return seeds;
}

// One to four of libFuzzer's basic mutations: flip a bit, set a byte to an
// interesting value, insert or erase bytes, duplicate or move a span,
// truncate, or splice in part of another seed.
std::string mutate(const std::vector<Seed>& seeds, const std::string& base, std::mt19937_64& rng, size_t max_len) {
    static const uint8_t kInteresting[] = {0, 1, 0x7f, 0x80, 0xff, '\n', ':', '{', '[', '"', '0', '-', '*', '&'};
    std::string s = base;
    auto below = [&rng](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
    size_t count = 1 + below(4);
    for (size_t i = 0; i < count; ++i) {
        switch (below(8)) {
        case 0:
            if (!s.empty()) s[below(s.size())] ^= static_cast<char>(1u << below(8));
            break;
        case 1:
            if (!s.empty()) s[below(s.size())] = static_cast<char>(kInteresting[below(sizeof kInteresting)]);
            break;
        case 2: s.insert(below(s.size() + 1), below(8) + 1, static_cast<char>(rng())); break;
        case 3:
            if (!s.empty()) {
                size_t at = below(s.size());
                s.erase(at, below(std::min<size_t>(s.size() - at, 16)) + 1);
            }
            break;
        case 4:
            if (!s.empty()) {
                size_t at = below(s.size());
                std::string span = s.substr(at, below(64) + 1);
                s.insert(below(s.size() + 1), span);
            }
            break;
        case 5: s.resize(below(s.size() + 1)); break;
        case 6: {
            const std::string& other = seeds[below(seeds.size())].bytes;
            if (!other.empty()) {
                size_t at = below(other.size());
                s.insert(below(s.size() + 1), other.substr(at, below(256) + 1));
            }
            break;
        }
        case 7:
            if (s.size() > 1) {
                size_t a = below(s.size()), b = below(s.size());
                std::swap(s[a], s[b]);
            }
            break;
        }
    }
    if (s.size() > max_len) s.resize(max_len);
    return s;
}

[[noreturn]] void usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s [--runs N] [--seconds S] [--seed X] [--max-len BYTES] CORPUS...\n", argv0);
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t runs = 2000, seconds = 10, seed = 1;
    size_t max_len = 1 << 20;
    std::vector<std::string> paths;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto number = [&]() -> uint64_t {
            if (i + 1 >= argc) usage(argv[0]);
            char* end = nullptr;
            uint64_t v = std::strtoull(argv[++i], &end, 10);
            if (*end != '\0') usage(argv[0]);
            return v;
        };
        if (a == "--runs") runs = number();
        else if (a == "--seconds") seconds = number();
        else if (a == "--seed") seed = number();
        else if (a == "--max-len") max_len = number();
        else if (a.starts_with("--")) usage(argv[0]);
        else paths.push_back(a);
    }
    if (paths.empty()) usage(argv[0]);
    auto seeds = load(paths);
    if (seeds.empty()) {
        std::fprintf(stderr, "fuzz replay: no seeds in the corpus given\n");
        return 2;
    }
    std::string target = std::filesystem::path(argv[0]).filename().string();
    snprintf(g_crash_path, sizeof g_crash_path, "crash-%s-input", target.c_str());
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) signal(sig, on_crash);

    for (const auto& s : seeds) run(s.bytes, "seed " + s.name);

    std::mt19937_64 rng(seed);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    uint64_t done = 0;
    for (; done < runs && std::chrono::steady_clock::now() < deadline; ++done) {
        const Seed& base = seeds[rng() % seeds.size()];
        std::string input = mutate(seeds, base.bytes, rng, max_len);
        run(input, "mutation " + std::to_string(done) + " (--seed " + std::to_string(seed) + ") of " + base.name);
    }
    std::printf("%s: %zu seeds and %llu mutations ran without a crash\n", target.c_str(), seeds.size(),
                static_cast<unsigned long long>(done));
    return 0;
}
