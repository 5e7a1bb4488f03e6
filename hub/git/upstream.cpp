#include "hub/git/upstream.h"

#include <fcntl.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "common/text.h"

namespace drover::git {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------
// URL shapes

enum class UrlKind { scheme, scp, local };

struct UrlParts {
    UrlKind kind = UrlKind::local;
    std::string scheme;         // lower-case; scheme URLs only
    std::string_view userinfo;  // before the last '@' of the authority (scp: of the host part)
    bool has_userinfo = false;
    std::string_view host_port;  // scheme URLs: authority without userinfo; scp: host
    std::string_view path;
};

bool valid_scheme(std::string_view s) {
    if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// git's rule (connect.c url_is_local_not_ssh): a ':' with no '/' before it
// makes "host:path" scp-like; "scheme://" makes a URL; anything else is a
// local path.
UrlParts split_url(std::string_view url) {
    UrlParts parts;
    size_t colon = url.find(':');
    size_t slash = url.find('/');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon)) {
        parts.kind = UrlKind::local;
        parts.path = url;
        return parts;
    }
    if (url.substr(colon, 3) == "://" && valid_scheme(url.substr(0, colon))) {
        parts.kind = UrlKind::scheme;
        parts.scheme = lower(url.substr(0, colon));
        std::string_view rest = url.substr(colon + 3);
        size_t end = std::min(rest.find_first_of("/?#"), rest.size());
        std::string_view authority = rest.substr(0, end);
        parts.path = rest.substr(end);
        size_t at = authority.rfind('@');
        if (at != std::string_view::npos) {
            parts.has_userinfo = true;
            parts.userinfo = authority.substr(0, at);
            authority.remove_prefix(at + 1);
        }
        parts.host_port = authority;
        return parts;
    }
    // scp-like: [user@]host:path, where host may be a bracketed IPv6 address.
    parts.kind = UrlKind::scp;
    size_t sep = colon;
    size_t open = url.find('[');
    if (open != std::string_view::npos && open < colon) {
        size_t close = url.find("]:", open);
        if (close != std::string_view::npos) sep = close + 1;
    }
    std::string_view left = url.substr(0, sep);
    parts.path = url.substr(sep + 1);
    size_t at = left.rfind('@');
    if (at != std::string_view::npos) {
        parts.has_userinfo = true;
        parts.userinfo = left.substr(0, at);
        left.remove_prefix(at + 1);
    }
    parts.host_port = left;
    return parts;
}

bool is_ssh(const UrlParts& parts) {
    return parts.kind == UrlKind::scp ||
           (parts.kind == UrlKind::scheme &&
            (parts.scheme == "ssh" || parts.scheme == "ssh+git" || parts.scheme == "git+ssh"));
}

bool is_https(const UrlParts& parts) {
    return parts.kind == UrlKind::scheme && parts.scheme == "https";
}

// host, host:port, [v6] or [v6]:port. Returns the reason it is not, or "".
std::string check_host_port(std::string_view host_port, bool port_allowed) {
    if (host_port.empty()) return "has no host";
    std::string_view host = host_port, port;
    if (host_port.front() == '[') {
        size_t close = host_port.find(']');
        if (close == std::string_view::npos) return "has an unclosed '[' in its host";
        host = host_port.substr(1, close - 1);
        std::string_view after = host_port.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return "has characters after its bracketed host";
            port = after.substr(1);
            if (port.empty()) return "has an empty port";
        }
        if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
            return "has an invalid IPv6 host";
    } else {
        size_t colon = host_port.find(':');
        if (colon != std::string_view::npos) {
            host = host_port.substr(0, colon);
            port = host_port.substr(colon + 1);
            if (port.empty()) return "has an empty port";
        }
        if (host.empty()) return "has no host";
        bool ok = std::all_of(host.begin(), host.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
        });
        if (!ok) return cat("has an invalid host ", drover::quoted(host));
    }
    if (!port.empty()) {
        if (!port_allowed) return "cannot carry a port";
        auto n = parse_u64(port);
        if (!n || *n == 0 || *n > 65535) return cat("has an invalid port ", drover::quoted(port));
    }
    return "";
}

Result<void> check_url(const std::string& url) {
    if (url.empty()) return fail("upstream URL is empty");
    if (std::any_of(url.begin(), url.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
        return fail(
            cat("upstream URL ", drover::quoted(redacted_url(url)), " contains whitespace or a control character"));
    std::string shown = redacted_url(url);
    auto bad = [&shown](std::string_view why) { return fail(cat("upstream URL ", shown, " ", why)); };
    UrlParts parts = split_url(url);
    switch (parts.kind) {
        case UrlKind::local:
            if (parts.path.front() != '/')
                return bad("is neither https://, ssh://, user@host:path, file:///path nor an absolute path");
            return {};
        case UrlKind::scp: {
            if (redacted_url(url) != url) return bad("carries a password; an scp-like URL cannot");
            if (auto why = check_host_port(parts.host_port, false); !why.empty()) return bad(why);
            if (parts.has_userinfo && parts.userinfo.empty()) return bad("has an empty user name");
            if (parts.path.empty()) return bad("has no repository path after ':'");
            return {};
        }
        case UrlKind::scheme:
            break;
    }
    const std::string& scheme = parts.scheme;
    if (scheme == "http")
        return bad("uses plain http://, which lets anyone on the path change what the fleet runs: use https://");
    if (scheme == "git") return bad("uses git://, which does not authenticate the server: use https:// or ssh://");
    if (scheme == "file") {
        if (!parts.host_port.empty() || parts.has_userinfo) return bad("names a host: write file:///absolute/path");
        if (parts.path.size() < 2) return bad("has no repository path");
        return {};
    }
    if (scheme != "https" && !is_ssh(parts))
        return bad(cat("has the unsupported scheme ", scheme, ":// (use https://, ssh://, file:// or user@host:path)"));
    if (auto why = check_host_port(parts.host_port, true); !why.empty()) return bad(why);
    if (parts.has_userinfo && (parts.userinfo.empty() || parts.userinfo.front() == ':'))
        return bad("has an empty user name");
    if (parts.path.size() < 2 || parts.path.front() != '/') return bad("has no repository path");
    return {};
}

Result<void> check_branch_name(const std::string& branch) {
    auto bad = [&branch](std::string_view why) {
        return fail(cat("upstream branch ", drover::quoted(branch), " ", why));
    };
    if (branch.empty()) return fail("upstream branch is empty");
    if (starts_with(branch, "refs/"))
        return bad("is a ref name: give the branch name alone (main, not refs/heads/main)");
    GitLibrary library;
    int valid = 0;
    std::string ref = "refs/heads/" + branch;
    if (git_reference_name_is_valid(&valid, ref.c_str()) < 0 || !valid) return bad("is not a valid branch name");
    return {};
}

Result<void> check_credentials(const Upstream& upstream, const UrlParts& parts) {
    bool https_creds = !upstream.https_user.empty() || !upstream.https_password.empty();
    if (https_creds && !is_https(parts))
        return fail("https_user and https_password only apply to https:// upstream URLs");
    if (!upstream.https_user.empty() && upstream.https_password.empty())
        return fail("https_user is set without https_password");
    if (!upstream.https_password.empty() && upstream.https_user.empty() && parts.userinfo.empty())
        return fail(
            "https_password needs a user name: set https_user or put the user in the URL (https://user@host/...)");
    if (!upstream.ssh_key_path.empty()) {
        if (!is_ssh(parts)) return fail("ssh_key_path only applies to ssh upstream URLs (ssh://... or user@host:path)");
        if (access(upstream.ssh_key_path.c_str(), R_OK) != 0)
            return fail(cat("cannot read ssh key file ", upstream.ssh_key_path, ": ", std::strerror(errno)));
    }
    return {};
}

// ---------------------------------------------------------------------------
// A bounded socket stream for libgit2 (see "Bounds" in the header).

// What the fetch running on this thread allows; null on threads that are not
// inside fetch_upstream (they get kDefault* bounds and no total limit).
struct StreamBounds {
    milliseconds connect_timeout;
    milliseconds stall_timeout;
    Clock::time_point deadline;
    std::string failure;  // why a bound ended the fetch; TLS errors would otherwise hide it
};
thread_local StreamBounds* t_bounds = nullptr;

constexpr milliseconds kDefaultConnectTimeout = std::chrono::seconds(30);
constexpr milliseconds kDefaultStallTimeout = std::chrono::seconds(60);

// Sets t_bounds for one fetch and restores it however the fetch ends.
class BoundsScope {
public:
    explicit BoundsScope(StreamBounds* bounds) : previous_(t_bounds) { t_bounds = bounds; }
    ~BoundsScope() { t_bounds = previous_; }
    BoundsScope(const BoundsScope&) = delete;
    BoundsScope& operator=(const BoundsScope&) = delete;

private:
    StreamBounds* previous_;
};

// The first four members repeat libgit2 1.5's private git_socket_stream
// (parent, host, port, s): its ssh transport takes the socket out of any
// GIT_STREAM_STANDARD stream by that layout and hands it to libssh2.
// Allocated with new by timed_stream_new, deleted by libgit2 through
// timed_free.
struct TimedSocket {
    git_stream parent;
    char* host;
    char* port;
    int s;
    milliseconds connect_timeout;
    milliseconds stall_timeout;
    Clock::time_point deadline;
};
static_assert(std::is_standard_layout_v<TimedSocket>);
static_assert(offsetof(TimedSocket, parent) == 0);

TimedSocket* as_timed(git_stream* stream) {
    return reinterpret_cast<TimedSocket*>(stream);
}

// Records why a bound ended the fetch, for libgit2 and for fetch_upstream.
void bound_failed(std::string message) {
    git_error_set_str(GIT_ERROR_NET, message.c_str());
    if (t_bounds) t_bounds->failure = std::move(message);
}

void net_failed(std::string_view what) {
    git_error_set_str(GIT_ERROR_NET, cat(what, ": ", std::strerror(errno)).c_str());
}

std::string seconds_text(milliseconds ms) {
    if (ms.count() % 1000 == 0) return cat(ms.count() / 1000, " s");
    return cat(ms.count(), " ms");
}

int poll_ms(Clock::duration left) {
    auto ms = std::chrono::ceil<milliseconds>(left).count();
    return static_cast<int>(std::clamp<long long>(ms, 0, 1 << 30));
}

// Connects one address within `until`; the socket is left blocking, as
// libssh2 and libgit2's own stream expect. Returns the fd or -1 with errno
// set (ETIMEDOUT when the time ran out).
int connect_one(const addrinfo& address, Clock::time_point until) {
    int fd = socket(address.ai_family, address.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, address.ai_protocol);
    if (fd < 0) return -1;
    int rc = connect(fd, address.ai_addr, address.ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        for (;;) {
            auto now = Clock::now();
            if (now >= until) {
                errno = ETIMEDOUT;
                break;
            }
            rc = poll(&p, 1, poll_ms(until - now));
            if (rc < 0 && errno == EINTR) continue;
            if (rc == 0) {
                errno = ETIMEDOUT;
                rc = -1;
                break;
            }
            if (rc < 0) break;
            int err = 0;
            socklen_t len = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) break;
            if (err != 0) {
                errno = err;
                rc = -1;
                break;
            }
            rc = 0;
            break;
        }
    }
    if (rc != 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int timed_connect(git_stream* stream) {
    TimedSocket* st = as_timed(stream);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    addrinfo* raw = nullptr;
    // Resolving is bounded by the resolver (resolv.conf timeout x attempts), not here.
    if (int rc = getaddrinfo(st->host, st->port, &hints, &raw); rc != 0) {
        git_error_set_str(GIT_ERROR_NET, cat("cannot resolve ", st->host, ": ", gai_strerror(rc)).c_str());
        return -1;
    }
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> info(raw, freeaddrinfo);
    auto until = std::min(Clock::now() + st->connect_timeout, st->deadline);
    int last_errno = ECONNREFUSED;
    for (addrinfo* p = info.get(); p; p = p->ai_next) {
        int fd = connect_one(*p, until);
        if (fd >= 0) {
            st->s = fd;
            return 0;
        }
        last_errno = errno;
        if (errno == ETIMEDOUT) break;
    }
    if (last_errno == ETIMEDOUT && Clock::now() >= st->deadline) {
        bound_failed(cat("the transfer from ", st->host, " took longer than the total limit"));
    } else if (last_errno == ETIMEDOUT) {
        bound_failed(
            cat("connecting to ", st->host, ":", st->port, " timed out after ", seconds_text(st->connect_timeout)));
    } else {
        errno = last_errno;
        net_failed(cat("cannot connect to ", st->host, ":", st->port));
    }
    return -1;
}

// Waits until fd is ready for `events`, within the stall and total bounds.
// Returns false (error set) when a bound ran out or poll failed.
bool wait_ready(TimedSocket* st, short events) {
    auto stall_until = Clock::now() + st->stall_timeout;
    pollfd p{st->s, events, 0};
    for (;;) {
        auto now = Clock::now();
        if (now >= st->deadline) {
            bound_failed(cat("the transfer from ", st->host, " took longer than the total limit"));
            return false;
        }
        if (now >= stall_until) {
            bound_failed(
                cat("no progress talking to ", st->host, ":", st->port, " for ", seconds_text(st->stall_timeout)));
            return false;
        }
        int rc = poll(&p, 1, poll_ms(std::min(stall_until, st->deadline) - now));
        if (rc > 0) return true;
        if (rc < 0 && errno != EINTR) {
            net_failed("waiting for the socket");
            return false;
        }
    }
}

ssize_t timed_read(git_stream* stream, void* data, size_t len) {
    TimedSocket* st = as_timed(stream);
    for (;;) {
        if (!wait_ready(st, POLLIN)) return -1;
        ssize_t n = recv(st->s, data, len, MSG_DONTWAIT);
        if (n >= 0) return n;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            net_failed("error receiving socket data");
            return -1;
        }
    }
}

ssize_t timed_write(git_stream* stream, const char* data, size_t len, int flags) {
    TimedSocket* st = as_timed(stream);
    for (;;) {
        if (!wait_ready(st, POLLOUT)) return -1;
        ssize_t n = send(st->s, data, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) return n;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            net_failed("error sending data");
            return -1;
        }
    }
}

int timed_close(git_stream* stream) {
    TimedSocket* st = as_timed(stream);
    int rc = st->s >= 0 ? close(st->s) : 0;
    st->s = -1;
    return rc;
}

void timed_free(git_stream* stream) {
    TimedSocket* st = as_timed(stream);
    if (st->s >= 0) close(st->s);
    std::free(st->host);
    std::free(st->port);
    delete st;
}

int timed_stream_new(git_stream** out, const char* host, const char* port) {
    auto* st = new (std::nothrow) TimedSocket{};
    if (!st) {
        git_error_set_oom();
        return -1;
    }
    st->host = strdup(host);
    st->port = strdup(port ? port : "");
    st->s = -1;
    if (!st->host || !st->port) {
        timed_free(&st->parent);
        git_error_set_oom();
        return -1;
    }
    st->parent.version = GIT_STREAM_VERSION;
    st->parent.connect = timed_connect;
    st->parent.read = timed_read;
    st->parent.write = timed_write;
    st->parent.close = timed_close;
    st->parent.free = timed_free;
    st->connect_timeout = t_bounds ? t_bounds->connect_timeout : kDefaultConnectTimeout;
    st->stall_timeout = t_bounds ? t_bounds->stall_timeout : kDefaultStallTimeout;
    st->deadline = t_bounds ? t_bounds->deadline : Clock::time_point::max();
    *out = &st->parent;
    return 0;
}

// Idempotent; libgit2 keeps the registration for the life of the process.
// Only on the libgit2 whose private socket layout TimedSocket repeats (1.5):
// any other version fetches with libgit2's own, unbounded socket rather
// than risk handing its ssh transport a struct it reads differently.
Result<void> install_timed_stream() {
    int major = 0, minor = 0, rev = 0;
    git_libgit2_version(&major, &minor, &rev);
    if (major != 1 || minor != 5) return {};
    git_stream_registration registration{};
    registration.version = GIT_STREAM_VERSION;
    registration.init = timed_stream_new;
    if (git_stream_register(GIT_STREAM_STANDARD, &registration) < 0)
        return fail(cat("cannot install the bounded socket stream: ", last_error()));
    return {};
}

// ---------------------------------------------------------------------------
// Credentials: each method is offered once; asked again, the server refused it.

constexpr const char* kDefaultSshUser = "git";

struct CredentialState {
    const Upstream* upstream;
    bool ssh;
    unsigned tried = 0;
    std::string failure;
};

int give_up(CredentialState& state, std::string message) {
    git_error_set_str(GIT_ERROR_NET, message.c_str());
    state.failure = std::move(message);
    return GIT_EUSER;
}

bool first_try(CredentialState& state, unsigned method) {
    bool first = (state.tried & method) == 0;
    state.tried |= method;
    return first;
}

int offer_ssh_key(git_credential** out, CredentialState& state, const char* username_from_url) {
    const Upstream& up = *state.upstream;
    const char* user = username_from_url ? username_from_url : kDefaultSshUser;
    std::string key = up.ssh_key_path.empty() ? std::string("the keys in ssh-agent") : cat("key ", up.ssh_key_path);
    if (!first_try(state, GIT_CREDENTIAL_SSH_KEY))
        return give_up(state, cat("the ssh server refused ", key, " for user ", user));
    if (up.ssh_key_path.empty()) return git_credential_ssh_key_from_agent(out, user);
    return git_credential_ssh_key_new(out, user, nullptr, up.ssh_key_path.c_str(), nullptr);
}

int offer_password(git_credential** out, CredentialState& state, const char* username_from_url) {
    const Upstream& up = *state.upstream;
    if (state.ssh) return give_up(state, "the ssh server accepts no public key authentication");
    if (up.https_password.empty())
        return give_up(state,
                       "the server asks for credentials and none (other) are configured (https_user, https_password)");
    std::string user = !up.https_user.empty() ? up.https_user : std::string(username_from_url ? username_from_url : "");
    if (!first_try(state, GIT_CREDENTIAL_USERPASS_PLAINTEXT))
        return give_up(state, cat("the server refused the https credentials of user ", user));
    return git_credential_userpass_plaintext_new(out, user.c_str(), up.https_password.c_str());
}

int acquire_credential(git_credential** out, const char* /*url*/, const char* username_from_url, unsigned int allowed,
                       void* payload) {
    auto& state = *static_cast<CredentialState*>(payload);
    if (allowed & GIT_CREDENTIAL_USERNAME) {  // ssh asks for the user first when the URL names none
        if (!first_try(state, GIT_CREDENTIAL_USERNAME)) return give_up(state, "the ssh server refused the user name");
        return git_credential_username_new(out, kDefaultSshUser);
    }
    if (allowed & GIT_CREDENTIAL_SSH_KEY) return offer_ssh_key(out, state, username_from_url);
    if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) return offer_password(out, state, username_from_url);
    return give_up(state, "the server asks for an authentication method drover does not support");
}

// ---------------------------------------------------------------------------

struct RemoteFree {
    void operator()(git_remote* r) const { git_remote_free(r); }
};
using RemotePtr = std::unique_ptr<git_remote, RemoteFree>;

void replace_all(std::string& text, std::string_view secret, std::string_view with) {
    if (secret.empty()) return;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + with.size()))
        text.replace(at, secret.size(), with);
}

// libgit2's text with every secret we know of replaced.
// A user name is scrubbed only where redacted_url drops it too (http(s)).
std::string scrubbed(std::string text, const Upstream& upstream) {
    replace_all(text, upstream.url, redacted_url(upstream.url));
    UrlParts parts = split_url(upstream.url);
    if (parts.kind == UrlKind::scheme && parts.has_userinfo) {
        if (parts.scheme == "https" || parts.scheme == "http") replace_all(text, parts.userinfo, "***");
        if (size_t colon = parts.userinfo.find(':'); colon != std::string_view::npos)
            replace_all(text, parts.userinfo.substr(colon + 1), "***");
    }
    replace_all(text, upstream.https_password, "***");
    return text;
}

std::string oid_hex(const git_oid& oid) {
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, &oid);
    return hex;
}

bool is_directory(const std::string& path) {
    struct stat st {};
    return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string upstream_ref(std::string_view branch) {
    return cat("refs/drover/upstream/", branch);
}

std::string redacted_url(std::string_view url) {
    UrlParts parts = split_url(url);
    if (parts.kind == UrlKind::scp) {
        // "user:password@host:path" splits at the first ':' (host "user");
        // drop ":password" whatever the split made of it.
        size_t at = url.find('@');
        if (at == std::string_view::npos) return std::string(url);
        std::string_view before = url.substr(0, at);
        size_t colon = before.find(':');
        if (colon == std::string_view::npos || before.find('/') != std::string_view::npos) return std::string(url);
        return cat(url.substr(0, colon), url.substr(at));
    }
    if (parts.kind == UrlKind::scheme && parts.has_userinfo) {
        size_t start = parts.scheme.size() + 3;
        size_t end = start + parts.userinfo.size() + 1;  // through the '@'
        std::string keep;
        if (parts.scheme != "https" && parts.scheme != "http") {
            std::string_view user = parts.userinfo.substr(0, parts.userinfo.find(':'));
            if (!user.empty()) keep = cat(user, "@");
        }
        return cat(url.substr(0, start), keep, url.substr(end));
    }
    return std::string(url);
}

Result<void> check_upstream(const Upstream& upstream) {
    if (auto ok = check_url(upstream.url); !ok) return ok;
    if (auto ok = check_branch_name(upstream.branch); !ok) return ok;
    if (auto ok = check_credentials(upstream, split_url(upstream.url)); !ok) return ok;
    if (upstream.connect_timeout.count() <= 0 || upstream.stall_timeout.count() <= 0 ||
        upstream.total_timeout.count() <= 0)
        return fail("upstream timeouts must be positive");
    return {};
}

Result<std::string> fetch_upstream(Repo& repo, const Upstream& upstream) {
    if (auto ok = check_upstream(upstream); !ok) return std::unexpected(ok.error());
    const std::string& branch = upstream.branch;
    std::string where = cat("fetching ", redacted_url(upstream.url), " (branch ", branch, ")");
    auto failed = [&](std::string_view reason) {
        return fail(cat(where, ": ", scrubbed(std::string(reason), upstream)));
    };

    UrlParts parts = split_url(upstream.url);
    // libgit2 takes a path that is not a directory for an ssh host:path.
    if (parts.kind == UrlKind::local && !is_directory(upstream.url)) return failed("no such directory");
    if (auto ok = install_timed_stream(); !ok) return failed(ok.error().message);

    // Anonymous (no name: nothing written to the config), like
    // git_remote_create_anonymous, but without url.*.insteadOf rewriting:
    // the hub fetches the URL it was given, and libgit2 1.5 leaks a PCRE2
    // match block for every config entry that insteadOf scan reads.
    git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
    create.repository = repo.get();
    create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
    git_remote* raw_remote = nullptr;
    if (git_remote_create_with_opts(&raw_remote, upstream.url.c_str(), &create) < 0) return failed(last_error());
    RemotePtr remote(raw_remote);

    std::string refspec = cat("+refs/heads/", branch, ":", upstream_ref(branch));
    char* specs[] = {refspec.data()};
    git_strarray refspecs{specs, 1};

    CredentialState credentials{&upstream, is_ssh(parts)};
    git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
    options.callbacks.credentials = acquire_credential;
    options.callbacks.payload = &credentials;
    options.prune = GIT_FETCH_NO_PRUNE;
    options.update_fetchhead = 0;
    options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    options.proxy_opts.type = GIT_PROXY_AUTO;  // http.proxy, https_proxy/no_proxy, like git

    StreamBounds bounds{upstream.connect_timeout, upstream.stall_timeout, Clock::now() + upstream.total_timeout, {}};
    {
        BoundsScope scope(&bounds);
        git_error_clear();
        if (git_remote_fetch(remote.get(), &refspecs, &options, "drover: follow upstream") < 0) {
            if (!bounds.failure.empty()) return failed(bounds.failure);
            if (!credentials.failure.empty()) return failed(credentials.failure);
            return failed(last_error());
        }
    }

    // The advertisement stays readable after git_remote_fetch disconnects.
    const git_remote_head** heads = nullptr;
    size_t count = 0;
    if (git_remote_ls(&heads, &count, remote.get()) < 0) return failed(last_error());
    std::string wanted = "refs/heads/" + branch;
    const git_remote_head* head = nullptr;
    std::vector<std::string> branches;
    for (size_t i = 0; i < count; ++i) {
        std::string_view name = heads[i]->name;
        if (name == wanted) head = heads[i];
        if (starts_with(name, "refs/heads/")) branches.emplace_back(name.substr(11));
    }
    if (!head) {
        std::string known = branches.empty() ? std::string("it has no branches") : "it has: ";
        for (size_t i = 0; i < branches.size() && i < 10; ++i) known += cat(i ? ", " : "", branches[i]);
        if (branches.size() > 10) known += cat(" and ", branches.size() - 10, " more");
        return failed(cat("branch ", branch, " does not exist upstream (", known, ")"));
    }

    git_oid fetched;
    std::string ref = upstream_ref(branch);
    if (git_reference_name_to_id(&fetched, repo.get(), ref.c_str()) < 0)
        return failed(cat("cannot read ", ref, " after the fetch: ", last_error()));
    if (!git_oid_equal(&fetched, &head->oid))
        return failed(
            cat(ref, " is ", oid_hex(fetched), " after the fetch but upstream advertised ", oid_hex(head->oid)));
    git_object* raw_object = nullptr;
    if (git_object_lookup(&raw_object, repo.get(), &fetched, GIT_OBJECT_COMMIT) < 0)
        return failed(cat("upstream branch ", branch, " does not point at a commit"));
    ObjectPtr object(raw_object);
    return oid_hex(fetched);
}

}  // namespace drover::git
