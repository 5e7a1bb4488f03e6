#include "hub/server/push_handler.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "common/log.h"
#include "common/text.h"
#include "hub/git/quarantine.h"
#include "hub/git/receive_pack.h"
#include "hub/git/ref_advertisement.h"
#include "hub/git/repository.h"
#include "hub/render/render.h"

namespace drover::hub {

namespace {

constexpr const char* kRefMoved = "ref moved since you fetched (another push won); fetch and try again";

std::string hex(const git_oid& oid) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, &oid);
    return buf;
}

std::string short_hex(const git_oid& oid) { return hex(oid).substr(0, 12); }

HttpResponse text_response(int status, std::string text) {
    return {status, "text/plain", std::move(text) + "\n", {{"Cache-Control", "no-cache"}}};
}

// The ref's current id; a zero id when it does not exist.
Result<git_oid> current_id(git::Repo& repo, const std::string& ref) {
    git_oid oid{};
    int rc = git_reference_name_to_id(&oid, repo.get(), ref.c_str());
    if (rc == GIT_ENOTFOUND) return git_oid{};
    if (rc < 0) return fail(cat("cannot read ", ref, ": ", git::last_error()));
    return oid;
}

Result<git_object_t> object_type(git::Repo& repo, const git_oid& oid) {
    git_odb* raw = nullptr;
    if (git_repository_odb(&raw, repo.get()) < 0) return fail(git::last_error());
    git::OdbPtr odb(raw);
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, odb.get(), &oid) < 0) return fail(cat("object ", hex(oid), " is missing"));
    return type;
}

// New commits on the way from `from` (zero: none) to `to`, oldest first.
Result<std::vector<git_oid>> new_commits(git::Repo& view, const git_oid& from, const git_oid& to) {
    git_revwalk* raw = nullptr;
    if (git_revwalk_new(&raw, view.get()) < 0) return fail(git::last_error());
    git::RevwalkPtr walk(raw);
    git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    if (git_revwalk_push(walk.get(), &to) < 0) return fail(cat("cannot walk from ", hex(to), ": ", git::last_error()));
    if (!git_oid_is_zero(&from)) git_revwalk_hide(walk.get(), &from);
    std::vector<git_oid> out;
    git_oid oid;
    while (git_revwalk_next(&oid, walk.get()) == 0) out.push_back(oid);
    return out;
}

// One push answered with a report: accepted when every ref moved.
void count_push(HubMetrics* metrics, const std::vector<git::RefResult>& results,
                std::chrono::steady_clock::time_point started) {
    if (!metrics) return;
    bool accepted = std::all_of(results.begin(), results.end(), [](auto& r) { return r.refused.empty(); });
    (accepted ? metrics->pushes_accepted : metrics->pushes_rejected).inc();
    metrics->push_seconds.observe(seconds_since(started));
}

struct Validation {
    std::vector<std::string> messages;
    std::string first_problem;  // for the event
    std::shared_ptr<const Deployment> deployment;  // of the tip, when every commit rendered
    std::string tip_summary;
};

}  // namespace

namespace {

class PushRun {
public:
    PushRun(const PushSettings& s, const SigningKey& key, const PushContext& ctx, git::Repo& repo, git::Repo& view)
        : s_(s), key_(key), ctx_(ctx), repo_(repo), view_(view) {}

    // Renders every new commit from old to new on the deploy branch.
    Validation validate(const git::RefCommand& c) {
        auto started = std::chrono::steady_clock::now();
        ScopedTimer timer(s_.metrics ? &s_.metrics->validation_seconds : nullptr);
        Validation v;
        auto commits = new_commits(view_, c.old_id, c.new_id);
        if (!commits) {
            v.messages.push_back(commits.error().message);
            return v;
        }
        if (commits->empty()) commits->push_back(c.new_id);  // an older commit made the tip again
        size_t skip = commits->size() > s_.max_validated_commits ? commits->size() - s_.max_validated_commits : 0;
        if (skip)
            v.messages.push_back(cat("checking the newest ", s_.max_validated_commits, " of ", commits->size(),
                                     " new commits; older ones are not checked"));
        std::set<std::string> rendered_trees;
        bool bad = false;
        for (size_t i = skip; i < commits->size(); ++i) {
            const git_oid& oid = (*commits)[i];
            bool tip = i + 1 == commits->size();
            std::string id = hex(oid);
            std::string subject = git::commit_summary(view_, id).value_or("");
            if (!tip && !rendered_trees.insert(tree_of(oid)).second) continue;  // renders as before
            std::vector<render::Problem> problems;
            auto files = git::read_commit_files(view_, id, s_.limits);
            if (!files) {
                problems.push_back({"", 0, files.error().message});
            } else if (tip) {
                auto render_started = std::chrono::steady_clock::now();
                auto built = build_deployment(id, *files, key_, s_.limits);
                if (s_.metrics) s_.metrics->render_seconds.observe(seconds_since(render_started));
                if (built) v.deployment = *built;
                else problems = built.error();
                v.tip_summary = subject;
            } else {
                auto fleet = render::render_fleet(*files, s_.limits);
                if (!fleet) problems = fleet.error();
            }
            if (problems.empty()) continue;
            bad = true;
            if (!tip) v.messages.push_back(cat("commit ", short_hex(oid), " (", subject, ") has invalid bundles:"));
            else if (commits->size() > 1) v.messages.push_back(cat("commit ", short_hex(oid), " (", subject, "):"));
            if (v.first_problem.empty())  // the event already names the tip
                v.first_problem = tip ? problems.front().to_string()
                                      : cat("commit ", short_hex(oid), ": ", problems.front().to_string());
            for (auto& p : problems) v.messages.push_back(p.to_string());
        }
        if (!bad) {
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
            size_t checked = commits->size() - skip;
            v.messages.push_back(cat("checked ", checked, checked == 1 ? " commit" : " commits", " in ", ms.count(),
                                     " ms"));
        }
        if (bad) {
            v.deployment.reset();
            v.messages.push_back(cat("nothing was deployed; ", c.ref.substr(11), " stays at ",
                                     c.creates() ? std::string("nothing") : short_hex(c.old_id)));
        }
        return v;
    }

    // Why this command must be refused, or "" to go ahead.
    std::string check(const git::RefCommand& c) {
        bool branch = starts_with(c.ref, "refs/heads/");
        if (!branch && !starts_with(c.ref, "refs/tags/")) return "only branches and tags can be pushed to this hub";
        auto now = current_id(repo_, c.ref);
        if (!now) return now.error().message;
        if (!git_oid_equal(&*now, &c.old_id)) return kRefMoved;
        if (c.ref == deploy_ref() && c.deletes()) return "the deploy branch cannot be deleted";
        if (c.deletes()) return "";
        auto type = object_type(view_, c.new_id);
        if (!type) return type.error().message;
        if (branch && *type != GIT_OBJECT_COMMIT) return "a branch must point at a commit";
        if (branch && !c.creates() && !s_.allow_non_fast_forward && !git_oid_equal(&c.old_id, &c.new_id) &&
            git_graph_descendant_of(view_.get(), &c.new_id, &c.old_id) != 1)
            return "non-fast-forward (this hub refuses rewriting history; see drover-hub serve --git-allow-force-push)";
        return "";
    }

    std::string deploy_ref() const { return "refs/heads/" + s_.branch; }

    // Compare-and-swap: the ref moves only from the id the client saw.
    std::string update(const git::RefCommand& c) {
        if (c.deletes()) {
            git_reference* raw = nullptr;
            if (git_reference_lookup(&raw, repo_.get(), c.ref.c_str()) < 0) return kRefMoved;
            git::ReferencePtr ref(raw);
            const git_oid* at = git_reference_target(ref.get());
            if (!at || !git_oid_equal(at, &c.old_id)) return kRefMoved;
            int rc = git_reference_delete(ref.get());
            if (rc == GIT_EMODIFIED) return kRefMoved;
            if (rc < 0) return cat("cannot delete ", c.ref, ": ", git::last_error());
            return "";
        }
        git_reference* raw = nullptr;
        std::string message = cat("push by ", ctx_.pusher);
        int rc = git_reference_create_matching(&raw, repo_.get(), c.ref.c_str(), &c.new_id, 1, &c.old_id,
                                               message.c_str());
        git::ReferencePtr ref(raw);
        if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED) return kRefMoved;
        if (rc < 0) return cat("cannot update ", c.ref, ": ", git::last_error());
        return "";
    }

private:
    std::string tree_of(const git_oid& commit) {
        git_commit* raw = nullptr;
        if (git_commit_lookup(&raw, view_.get(), &commit) < 0) return hex(commit);
        git::CommitPtr c(raw);
        return hex(*git_commit_tree_id(c.get()));
    }

    const PushSettings& s_;
    const SigningKey& key_;
    const PushContext& ctx_;
    git::Repo& repo_;
    git::Repo& view_;
};

}  // namespace

PushOutcome PushHandler::handle(const BodySpool& body, const PushContext& ctx) {
    auto started = std::chrono::steady_clock::now();
    PushOutcome out;
    auto head = body.head(git::kMaxCommandListBytes);
    if (!head) {
        out.response = text_response(500, head.error().message);
        return out;
    }
    auto request = git::parse_push_request(*head, body.size());
    if (!request) {
        out.response = text_response(400, request.error().message);
        return out;
    }
    out.response = {200, git::result_content_type(git::Service::receive_pack), "", {{"Cache-Control", "no-cache"}}};
    if (request->probe) return out;

    auto repo = git::open(settings_.repo_path);
    if (!repo) {
        log::error("push: ", repo.error().message);
        out.response = text_response(500, "the hub cannot open its repository (see its log)");
        return out;
    }
    std::optional<git::Quarantine> quarantine;
    std::string unpack_error;
    if (request->has_pack()) {
        auto q = git::Quarantine::create(*repo);
        if (!q) {
            unpack_error = q.error().message;
        } else {
            quarantine.emplace(std::move(*q));
            uint64_t offset = request->pack_offset;
            auto stats = quarantine->index([&](char* buf, size_t n) -> Result<size_t> {
                auto got = body.read_at(offset, buf, n);
                if (got) offset += *got;
                return got;
            });
            if (!stats) unpack_error = stats.error().message;
        }
    }
    std::vector<git::RefResult> results;
    std::vector<std::string> messages;
    if (!unpack_error.empty()) {
        for (auto& c : request->commands) results.push_back({c.ref, "unpacker error"});
        out.response.body = git::receive_pack_response(*request, messages, unpack_error, results);
        count_push(settings_.metrics, results, started);
        return out;
    }
    std::optional<git::Repo> view;
    if (quarantine) {
        auto v = quarantine->view();
        if (!v) {
            log::error("push: ", v.error().message);
            out.response = text_response(500, "the hub cannot read the pushed objects (see its log)");
            return out;
        }
        view.emplace(std::move(*v));
    }
    git::Repo& objects = view ? *view : *repo;

    std::lock_guard lock(mutex_);  // one push validated and applied at a time
    PushRun run(settings_, key_, ctx, *repo, objects);
    std::optional<Validation> deploy;
    for (auto& c : request->commands) {
        std::string refused = run.check(c);
        if (refused.empty() && c.ref == run.deploy_ref()) {
            Validation v = run.validate(c);
            messages.insert(messages.end(), v.messages.begin(), v.messages.end());
            if (!v.deployment) {
                refused = "invalid bundles";
                std::string first = v.first_problem;
                out.events.push_back({"rejected", cat("push to ", settings_.branch, " by ", ctx.pusher, " refused (",
                                                      short_hex(c.new_id), "): ", utf8_prefix(first, 300))});
            } else {
                deploy = std::move(v);
            }
        }
        results.push_back({c.ref, refused});
    }
    bool any = false, refused_any = false;
    for (auto& r : results) {
        any = any || r.refused.empty();
        refused_any = refused_any || !r.refused.empty();
    }
    if (request->atomic && refused_any && any) {  // all or nothing
        for (auto& r : results)
            if (r.refused.empty()) r.refused = "atomic push failed: another ref was refused";
        any = false;
        deploy.reset();
    }
    if (any && quarantine) {
        if (auto ok = quarantine->accept(); !ok) {
            log::error("push: ", ok.error().message);
            for (auto& r : results)
                if (r.refused.empty()) r.refused = "the hub could not store the pack (see its log)";
            any = false;
            deploy.reset();
        } else {
            git_odb* odb = nullptr;
            if (git_repository_odb(&odb, repo->get()) == 0) {
                git_odb_refresh(odb);
                git_odb_free(odb);
            }
        }
    }
    for (size_t i = 0; any && i < results.size(); ++i) {
        if (!results[i].refused.empty()) continue;
        auto& c = request->commands[i];
        bool deploys = c.ref == run.deploy_ref() && deploy;
        if (deploys) offer_(GitUpdate{hex(c.new_id), deploy->tip_summary, deploy->deployment, false});
        results[i].refused = run.update(c);
        if (!deploys || !results[i].refused.empty()) continue;
        if (moved_) moved_();
        messages.push_back(cat("deploying ", short_hex(c.new_id), " (", deploy->tip_summary, "): ",
                               deploy->deployment->fleet.bundles.size(), " bundles"));
        for (auto& line : push_summary(ctx.current.get(), *deploy->deployment, ctx.agents)) messages.push_back(line);
        out.events.push_back({"push", cat(settings_.branch, " moved to ", short_hex(c.new_id), " (", deploy->tip_summary,
                                          ") by ", ctx.pusher)});
    }
    out.response.body = git::receive_pack_response(*request, messages, "", results);
    count_push(settings_.metrics, results, started);
    return out;
}

}  // namespace drover::hub
