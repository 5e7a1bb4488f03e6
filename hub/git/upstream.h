#pragma once
// Mirror mode: following one branch of an upstream repository with a libgit2
// fetch into the hub's bare repository. The caller decides when to fetch
// (interval, webhook) and what to do with the new commit; this file only
// moves objects and one ref.
//
// Trust: whatever the upstream branch holds is what the fleet will run, so
// transports that cannot authenticate the server are refused (http://,
// git://). https verifies the server against the system CAs (libgit2's
// default; never disabled here). ssh accepts only host keys already in the
// hub user's ~/.ssh/known_hosts (libgit2 1.5's check; no callback overrides
// it).
//
// Bounds. libgit2 1.5 has no GIT_OPT_SET_SERVER_CONNECT_TIMEOUT (it arrived
// in 1.7) and its socket stream blocks without limit, so the first
// fetch_upstream replaces libgit2's plain socket stream, process-wide and
// for good (git_stream_register), by one that bounds:
//   - connecting (every address of the host together) by connect_timeout,
//   - every read and write by stall_timeout without progress,
//   - the sum of all reads and writes by total_timeout.
// https (TLS over that socket) and proxies get all three. ssh gets only the
// connect bound: libssh2 reads the socket itself, so a server that stalls
// after the ssh handshake can block the calling thread. Local transports
// (file://, plain paths) need no network. Name resolution is bounded by the
// resolver's own timeout (resolv.conf), not here. libgit2 network use on
// threads outside fetch_upstream gets 30 s / 60 s and no total bound.
//
// Credentials are offered at most once per method (https basic, ssh key),
// so a server that keeps refusing them ends the fetch instead of looping.
// Proxies come from http.proxy / https_proxy / no_proxy, as for git.
#include <chrono>
#include <string>
#include <string_view>

#include "common/error.h"
#include "hub/git/repository.h"

namespace drover::git {

struct Upstream {
    // https://host/path, ssh://[user@]host[:port]/path, [user@]host:path
    // (scp-like), file:///path or an absolute local path.
    std::string url;
    std::string branch = "main";
    // https basic authentication (user + token or password). The user may
    // instead come from the URL (https://user@host/...). https only.
    std::string https_user, https_password;
    // ssh private key file, not passphrase-protected (libssh2 derives the
    // public key from it). Empty: the keys in ssh-agent (SSH_AUTH_SOCK). The
    // ssh user is the URL's, else "git". ssh only.
    std::string ssh_key_path;
    // See "Bounds" above. Network transports only.
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
    std::chrono::milliseconds total_timeout{std::chrono::minutes(10)};
};

// The ref a fetch writes: refs/drover/upstream/<branch>.
std::string upstream_ref(std::string_view branch);

// Checks the URL's shape (scheme, host, path), the branch name and that the
// credentials fit the scheme, without any network or disk access except that
// ssh_key_path must be readable. The error names what is wrong; URLs in it
// are redacted.
Result<void> check_upstream(const Upstream& upstream);

// Fetches upstream.branch into repo as refs/drover/upstream/<branch>, forced
// (a rewritten upstream history is followed), and returns the commit id it
// now points at (40 hex). No other ref moves: not the deploy branch, no
// tags, and FETCH_HEAD stays empty (libgit2 truncates it). Runs
// check_upstream first. A branch missing upstream is an error naming it (the
// ref keeps its previous value). Other errors read
// "fetching <redacted url> (branch <b>): <reason>", the reason being
// libgit2's or the bound that ran out, with the URL's and the configured
// passwords scrubbed from it.
// Blocks the calling thread for up to the bounds above; call it off the
// event loop. One Repo per thread, like every Repo.
Result<std::string> fetch_upstream(Repo& repo, const Upstream& upstream);

// The URL as logs and events may show it: http(s) URLs lose their whole
// userinfo (a user name there is often a token), other URLs lose the
// password part of theirs ("ssh://git:pw@h/r" -> "ssh://git@h/r").
std::string redacted_url(std::string_view url);

}  // namespace drover::git
