#include "tools/droverctl/rollout_command.h"

#include <chrono>
#include <ostream>
#include <thread>

#include "common/text.h"
#include "tools/droverctl/json_fields.h"
#include "tools/droverctl/table.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kRolloutsHelp =
    "Usage: droverctl rollouts\n"
    "\n"
    "Lists each bundle's staged rollout (bundle.yaml rollout: or paused: true):\n"
    "the revision it spreads, its phase (canary, soaking, batches, complete,\n"
    "halted, aborted) and how far it got.\n"
    "-o json prints the hub's answer to GET /api/v1/rollouts.\n";

const char* const kRolloutHelp =
    "Usage: droverctl rollout status BUNDLE [--follow]\n"
    "       droverctl rollout pause|resume|abort BUNDLE\n"
    "\n"
    "  status   the rollout's phase, progress, why it halted, and which agents\n"
    "           have the new revision; --follow prints a line each time the\n"
    "           progress changes until the rollout ends (exit 0 complete,\n"
    "           1 halted or aborted)\n"
    "  pause    updates no more agents until resumed\n"
    "  resume   goes on with a paused rollout\n"
    "  abort    gives every agent that has the new revision the previous one\n"
    "           back; the revision stays deployed in Git until the next push\n"
    "\n"
    "A halted rollout is aborted or superseded by a new push (git revert, or a fix).\n"
    "Exit 4 when the bundle has no rollout.\n";

namespace {

constexpr int64_t kFollowPollMs = 1000;

bool finished(const json& r) {
    std::string phase = text_field(r, "phase");
    return phase == "complete" || phase == "halted" || phase == "aborted";
}

std::string phase_text(const json& r) {
    std::string phase = text_field(r, "phase");
    return bool_field(r, "paused") && !finished(r) ? phase + " (paused)" : phase;
}

}  // namespace

std::string rollout_progress_line(const json& r) {
    const json& p = object_field(r, "progress");
    std::string line = cat(phase_text(r), ": ", int_field(p, "updated"), "/", int_field(p, "targeted"), " updated, ",
                           int_field(p, "ready"), " Ready, ", int_field(p, "failed"), " failed, ",
                           int_field(p, "waiting"), " waiting");
    if (int64_t skipped = int_field(p, "offline_skipped")) line += cat(" (", skipped, " offline, skipped)");
    std::string reason = text_field(r, "reason");
    if (!reason.empty()) line += ": " + printable(reason);
    return line;
}

std::string format_rollouts(const json& rollouts) {
    Table table({"BUNDLE", "REVISION", "FROM", "PHASE", "UPDATED", "READY", "FAILED", "WAITING"});
    for (const json& r : rollouts) {
        const json& p = object_field(r, "progress");
        std::string from = text_field(r, "from");
        table.add_row({printable(text_field(r, "bundle")), short_commit(text_field(r, "target")),
                       from.empty() ? "-" : short_commit(from), phase_text(r),
                       cat(int_field(p, "updated"), "/", int_field(p, "targeted")), cat(int_field(p, "ready")),
                       cat(int_field(p, "failed")), cat(int_field(p, "waiting"))});
    }
    return table.render();
}

std::string format_rollout(const json& r) {
    std::string from = text_field(r, "from");
    std::string out = cat("Bundle:    ", printable(text_field(r, "bundle")), "\n",
                          "Revision:  ", short_commit(text_field(r, "target")), "\n",
                          "From:      ", from.empty() ? std::string("(a new bundle)") : short_commit(from), "\n",
                          "Started:   ", text_field(r, "started_at"), "\n",
                          "Progress:  ", rollout_progress_line(r), "\n\n");
    const json& agents = array_field(r, "agents");
    if (agents.empty()) return out + "No agents are targeted.\n";
    Table table({"AGENT", "REVISION", "STATE", "ONLINE", "MESSAGE"});
    for (const json& a : agents) {
        std::string state = text_field(a, "state");
        table.add_row({printable(text_field(a, "name")),
                       bool_field(a, "updated") ? short_commit(text_field(a, "revision")) + " (new)"
                                                : (text_field(a, "revision").empty() ? std::string("none yet")
                                                                                     : short_commit(text_field(a, "revision"))),
                       state.empty() ? "-" : state, bool_field(a, "online") ? "yes" : "no",
                       printable(utf8_prefix(text_field(a, "message"), 60))});
    }
    return out + table.render();
}

int run_rollouts(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {});
    if (!parsed) return ctx.usage_error(parsed.error().message, "rollouts");
    if (!parsed->positionals.empty())
        return ctx.usage_error(cat("unexpected argument ", quoted(parsed->positionals.front())), "rollouts");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);
    auto rollouts = client->get("/api/v1/rollouts");
    if (!rollouts) return ctx.api_failure(rollouts.error());
    if (!rollouts->is_array()) return ctx.failure("hub answered GET /api/v1/rollouts with something other than an array");
    if (ctx.options.output == OutputFormat::json) ctx.print_json(*rollouts);
    else if (rollouts->empty()) ctx.out << "No rollouts (no bundle has a rollout: policy or paused: true).\n";
    else ctx.out << format_rollouts(*rollouts);
    return kExitOk;
}

namespace {

int follow(const Context& ctx, ApiClient& client, const std::string& path) {
    std::string last;
    while (true) {
        auto r = client.get(path);
        if (!r) return ctx.api_failure(r.error());
        if (!r->is_object()) return ctx.failure("hub answered GET " + path + " with something other than an object");
        std::string line = ctx.options.output == OutputFormat::json ? r->dump() : rollout_progress_line(*r);
        if (line != last) {
            ctx.out << line << "\n";
            ctx.out.flush();
            last = line;
        }
        if (finished(*r)) return text_field(*r, "phase") == "complete" ? kExitOk : kExitHubFailed;
        auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kFollowPollMs);
        while (std::chrono::steady_clock::now() < until) {
            if (ctx.interrupted->load()) return kExitOk;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

}  // namespace

int run_rollout(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {}, {"--follow"});
    if (!parsed) return ctx.usage_error(parsed.error().message, "rollout");
    auto& words = parsed->positionals;
    if (words.empty()) return ctx.usage_error("rollout needs status, pause, resume or abort", "rollout");
    const std::string& action = words.front();
    if (action != "status" && action != "pause" && action != "resume" && action != "abort")
        return ctx.usage_error(cat("unknown rollout action ", quoted(action), " (status, pause, resume or abort)"), "rollout");
    if (words.size() != 2)
        return ctx.usage_error(cat("rollout ", action, words.size() < 2 ? " needs a bundle name" : " takes one bundle name"),
                               "rollout");
    bool following = parsed->has("--follow");
    if (following && action != "status") return ctx.usage_error("--follow goes with rollout status", "rollout");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);
    std::string path = "/api/v1/rollouts/" + escape_path_segment(words[1]);
    if (following) return follow(ctx, *client, path);
    auto reply = action == "status" ? client->get(path) : client->post(path + "/" + action, json::object());
    if (!reply) return ctx.api_failure(reply.error());
    if (!reply->is_object()) return ctx.failure("hub answered " + path + " with something other than an object");
    if (ctx.options.output == OutputFormat::json) ctx.print_json(*reply);
    else if (action == "status") ctx.out << format_rollout(*reply);
    else if (action == "abort")
        ctx.out << "aborted the rollout of " << printable(text_field(*reply, "bundle"))
                << ": agents that had its revision get the previous one back\n";
    else ctx.out << (action == "pause" ? "paused" : "resumed") << " the rollout of "
                 << printable(text_field(*reply, "bundle")) << ": " << rollout_progress_line(*reply) << "\n";
    return kExitOk;
}

}  // namespace drover::ctl
