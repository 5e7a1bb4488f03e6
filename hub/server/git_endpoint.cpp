#include "hub/server/git_endpoint.h"

#include "common/log.h"
#include "common/text.h"
#include "hub/git/receive_pack.h"
#include "hub/git/ref_advertisement.h"
#include "hub/git/repository.h"
#include "hub/git/upload_pack.h"
#include "hub/server/credentials.h"

namespace drover::hub {

namespace {

HttpResponse text(int status, const std::string& message) {
    return {status, "text/plain", message + "\n", {{"Cache-Control", "no-cache"}}};
}

const std::vector<std::pair<std::string, std::string>> kNoCache = {
    {"Cache-Control", "no-cache, max-age=0, must-revalidate"},
    {"Pragma", "no-cache"},
    {"Expires", "Fri, 01 Jan 1980 00:00:00 GMT"},
};

// Branches and tags (refs/drover/* is the hub's own), and HEAD first when
// the deploy branch exists and the client fetches.
Result<std::vector<git::AdvertisedRef>> advertised_refs(git::Repo& repo, const std::string& branch, bool head) {
    std::vector<git::AdvertisedRef> refs;
    git_reference_iterator* raw = nullptr;
    if (git_reference_iterator_new(&raw, repo.get()) < 0) return fail(cat("cannot list refs: ", git::last_error()));
    std::unique_ptr<git_reference_iterator, decltype(&git_reference_iterator_free)> it(raw, git_reference_iterator_free);
    git_reference* ref = nullptr;
    while (git_reference_next(&ref, it.get()) == 0) {
        git::ReferencePtr owned(ref);
        std::string name = git_reference_name(ref);
        if (!starts_with(name, "refs/heads/") && !starts_with(name, "refs/tags/")) continue;
        git_reference* resolved = nullptr;
        if (git_reference_resolve(&resolved, ref) < 0) continue;  // a dangling symbolic ref
        git::ReferencePtr target(resolved);
        char hex[GIT_OID_HEXSZ + 1];
        git_oid_tostr(hex, sizeof hex, git_reference_target(resolved));
        if (head && name == "refs/heads/" + branch) refs.push_back({"HEAD", hex});
        refs.push_back({name, hex});
    }
    return refs;
}

std::string service_of(const std::string& query) {
    for (auto& part : split(query, '&'))
        if (starts_with(part, "service=")) return part.substr(8);
    return "";
}

}  // namespace

GitEndpoint::GitEndpoint(Fleet& fleet, GitEndpointOptions options, PushHandler& push, WorkerPool& workers,
                         std::function<void(std::function<void()>)> post)
    : fleet_(fleet), options_(std::move(options)), push_(push), workers_(workers), post_(std::move(post)) {}

bool GitEndpoint::handles(const std::string& path) { return starts_with(path, "/git/"); }

GitEndpoint::Route GitEndpoint::route(const std::string& path) const {
    for (std::string_view repo : {"/git/fleet.git/", "/git/fleet/"}) {
        if (!starts_with(path, repo)) continue;
        std::string_view rest = std::string_view(path).substr(repo.size());
        if (rest == "info/refs") return Route::info_refs;
        if (rest == "git-upload-pack") return Route::upload_pack;
        if (rest == "git-receive-pack") return Route::receive_pack;
    }
    return Route::none;
}

std::optional<HttpResponse> GitEndpoint::refuse(const HttpRequest& request, bool push, std::string* caller) {
    if (!push && options_.anonymous_read) {
        *caller = "anonymous";
        return std::nullopt;
    }
    auto who = identify(fleet_, request.authorization);
    if (who) {
        *caller = who->id;
        return std::nullopt;
    }
    HttpResponse r = text(401, cat(who.error().message,
                                   ": use the admin token or a push token (droverctl token create --push) as the password"));
    r.headers.push_back({"WWW-Authenticate", "Basic realm=\"drover hub\", charset=\"UTF-8\""});
    return r;
}

HttpResponse GitEndpoint::advertise(bool push) {
    auto repo = git::open(options_.repo_path);
    if (!repo) {
        log::error("git: ", repo.error().message);
        return text(500, "the hub cannot open its repository (see its log)");
    }
    auto refs = advertised_refs(*repo, options_.branch, !push);
    if (!refs) {
        log::error("git: ", refs.error().message);
        return text(500, "the hub cannot read its repository (see its log)");
    }
    auto service = push ? git::Service::receive_pack : git::Service::upload_pack;
    std::string caps = push ? git::receive_pack_capabilities(options_.agent)
                            : git::upload_pack_capabilities(options_.branch, options_.agent);
    return {200, git::advertisement_content_type(service), git::ref_advertisement(service, std::move(*refs), caps),
            kNoCache};
}

GitBegin GitEndpoint::begin(const HttpRequest& request) {
    GitBegin b;
    Route r = route(request.path);
    if (r == Route::none) {
        b.reply = text(404, cat("repository not found: this hub serves /git/fleet.git"));
        return b;
    }
    bool push = r == Route::receive_pack;
    if (r == Route::info_refs) {
        if (request.method != "GET") {
            b.reply = text(405, "use GET for info/refs");
            return b;
        }
        std::string service = service_of(request.query);
        if (service != "git-upload-pack" && service != "git-receive-pack") {
            b.reply = text(403, "only git's smart HTTP protocol is served (info/refs?service=git-upload-pack or "
                                "git-receive-pack); the dumb protocol is not");
            return b;
        }
        push = service == "git-receive-pack";
    } else if (request.method != "POST") {
        b.reply = text(405, "use POST for git-upload-pack and git-receive-pack");
        return b;
    }
    if (push && !options_.mirror_of.empty()) {
        b.reply = text(403, cat("this hub mirrors ", options_.mirror_of, ": push there and the hub follows"));
        return b;
    }
    if (auto refused = refuse(request, push, &b.caller)) {
        b.reply = std::move(refused);
        return b;
    }
    if (r == Route::info_refs) {
        b.reply = advertise(push);
        return b;
    }
    // On disk either way: many clients (anonymous ones too, with
    // --git-anonymous-read) sending large fetch requests at once must not
    // cost the hub their size in memory.
    auto spool = BodySpool::on_disk(options_.repo_path, push ? options_.max_push_bytes : options_.max_fetch_request_bytes);
    if (!spool) {
        log::error("git: ", spool.error().message);
        b.reply = text(500, "the hub cannot store the request (see its log)");
        return b;
    }
    b.spool = std::move(*spool);
    return b;
}

void GitEndpoint::finish(const HttpRequest& request, const std::string& caller, BodySpool body, Respond respond) {
    auto spool = std::make_shared<BodySpool>(std::move(body));
    auto post = post_;
    if (route(request.path) == Route::upload_pack) {
        workers_.submit([spool, respond, post, options = options_] {
            HttpResponse r = text(500, "the hub failed to build the pack (see its log)");
            auto head = spool->head(spool->size());
            auto req = head ? git::parse_upload_request(*head) : std::unexpected(head.error());
            auto repo = git::open(options.repo_path);
            if (!req) {
                r = text(400, req.error().message);
            } else if (!repo) {
                log::error("git: ", repo.error().message);
            } else {
                std::vector<git_oid> tips;
                if (auto refs = advertised_refs(*repo, options.branch, false)) {
                    for (auto& ref : *refs) {
                        git_oid oid;
                        if (git_oid_fromstr(&oid, ref.oid_hex.c_str()) == 0) tips.push_back(oid);
                    }
                }
                auto pack = git::upload_pack_response(repo->get(), *req, tips);
                if (pack) r = {200, git::result_content_type(git::Service::upload_pack), std::move(*pack), kNoCache};
                else log::error("git: fetch failed: ", pack.error().message);
            }
            post([respond, r = std::move(r)]() mutable { respond(std::move(r)); });
        });
        return;
    }
    // A push: the fleet as it is now, for "N agents to update".
    auto context = std::make_shared<PushContext>();
    for (auto& agent : fleet_.store().agents()) context->agents.push_back({agent.name, agent.effective_labels()});
    context->current = fleet_.deployment();
    context->pusher = caller;
    Fleet* fleet = &fleet_;
    PushHandler* push = &push_;
    workers_.submit([spool, context, respond, post, fleet, push] {
        PushOutcome outcome = push->handle(*spool, *context);
        post([fleet, respond, outcome = std::move(outcome)]() mutable {
            for (auto& [kind, message] : outcome.events) fleet->store().add_event(kind, message, fleet->now_ms());
            respond(std::move(outcome.response));
        });
    });
}

}  // namespace drover::hub
