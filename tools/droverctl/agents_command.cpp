#include "tools/droverctl/agents_command.h"

#include <algorithm>
#include <optional>
#include <ostream>
#include <set>

#include "common/text.h"
#include "tools/droverctl/json_fields.h"
#include "tools/droverctl/table.h"
#include "tools/droverctl/time_text.h"

namespace drover::ctl {

using nlohmann::json;

const char* const kAgentsHelp =
    "Usage: droverctl agents [-l SELECTOR] [--state STATE] [--limit N]\n"
    "\n"
    "Lists agents: online, or offline since how long; labels; each bundle's\n"
    "state; when the hub last heard from it. Every agent, page by page, unless\n"
    "--limit caps the rows.\n"
    "\n"
    "  -l, --selector SELECTOR  only agents whose labels match, e.g.\n"
    "                           'role=gateway,region!=eu,env in (a,b),!legacy,ring'\n"
    "  --state STATE            only agents with a bundle in STATE (Ready, NotReady,\n"
    "                           Failed, Modified, OutOfSync, Pending), or Offline ones\n"
    "  --limit N                at most N agents\n"
    "\n"
    "BUNDLES shows bundle:State; /OutOfSync means the agent still runs an older\n"
    "revision of it. -o json prints the hub's agent objects as one array.\n";

const char* const kAgentHelp =
    "Usage: droverctl agent NAME\n"
    "\n"
    "Shows one agent: online or offline since when, last seen, version, labels,\n"
    "facts, and each of its bundles with state, revision and message.\n"
    "-o json prints the hub's answer. Exit 4 when there is no such agent.\n";

namespace {

constexpr size_t kPageSize = 1000;  // the most the hub gives in one answer

}  // namespace

Result<AgentsQuery> parse_agents_args(std::span<const std::string> args) {
    auto parsed = parse_args(args, {"-l", "--selector", "--state", "--limit"});
    if (!parsed) return std::unexpected(parsed.error());
    if (!parsed->positionals.empty()) return fail(cat("unexpected argument ", quoted(parsed->positionals.front())));
    AgentsQuery q;
    auto short_form = parsed->value("-l"), long_form = parsed->value("--selector");
    if (short_form && long_form) return fail("-l and --selector are the same option: give one");
    q.selector = short_form ? *short_form : long_form.value_or("");
    q.state = parsed->value("--state").value_or("");
    if (auto limit = parsed->value("--limit")) {
        auto n = parse_u64(*limit);
        if (!n || *n == 0 || *n > 1'000'000'000)
            return fail(cat("--limit ", quoted(*limit), ": must be a whole number of at least 1"));
        q.limit = static_cast<size_t>(*n);
    }
    return q;
}

std::string agents_page_path(const AgentsQuery& query, size_t page_size, const std::string& cursor) {
    return "/api/v1/agents" + query_string({{"selector", query.selector},
                                            {"state", query.state},
                                            {"limit", std::to_string(page_size)},
                                            {"continue", cursor}});
}

std::string online_text(const json& agent, int64_t now_ms) {
    if (bool_field(agent, "online")) return "yes";
    std::string revoked = text_field(agent, "revoked_at");
    if (!revoked.empty()) {
        auto at = parse_rfc3339_ms(revoked);
        return at ? "revoked " + age_text(now_ms - *at) + " ago" : std::string("revoked");
    }
    std::string since = text_field(agent, "offline_since");
    if (since.empty()) since = text_field(agent, "last_seen");
    auto t = parse_rfc3339_ms(since);
    return t ? "offline since " + age_text(now_ms - *t) : std::string("offline");
}

std::string bundle_states_text(const json& agent) {
    std::string out;
    for (const json& b : array_field(agent, "bundles")) {
        if (!out.empty()) out += ' ';
        out += cat(text_field(b, "bundle"), ":", text_field(b, "state"));
        if (bool_field(b, "out_of_sync")) out += "/OutOfSync";
    }
    return out;
}

std::string format_agents(const json& items, int64_t now_ms) {
    Table table({"NAME", "ONLINE", "LABELS", "BUNDLES", "LAST SEEN"});
    for (const json& a : items)
        table.add_row({text_field(a, "name"), online_text(a, now_ms), labels_text(object_field(a, "labels")),
                       bundle_states_text(a), text_field(a, "last_seen")});
    return table.render();
}

std::string format_agent(const json& agent, int64_t now_ms) {
    std::string out;
    auto field = [&out](std::string_view name, const std::string& value) {
        out += cat(name, std::string(12 - std::min<size_t>(name.size(), 11), ' '), printable(value), "\n");
    };
    auto with_age = [now_ms](const std::string& time) {
        std::string age = age_of(time, now_ms);
        return age.empty() ? time : cat(time, " (", age, ")");
    };
    field("Name:", text_field(agent, "name"));
    field("ID:", text_field(agent, "id"));
    std::string since = text_field(agent, "offline_since");
    if (bool_field(agent, "online")) field("Online:", "yes");
    else field("Online:", since.empty() ? std::string("no") : "no, offline since " + with_age(since));
    std::string seen = text_field(agent, "last_seen");
    field("Last seen:", seen.empty() ? std::string("never") : with_age(seen));
    std::string revoked = text_field(agent, "revoked_at");
    if (!revoked.empty()) field("Revoked:", with_age(revoked) + ", refused by the hub");
    std::string certificate = text_field(agent, "client_certificate_since");
    if (!certificate.empty()) field("mTLS:", "client certificate required since " + with_age(certificate));
    std::string version = text_field(agent, "version");
    field("Version:", version.empty() ? std::string("-") : version);
    std::string labels = labels_text(object_field(agent, "labels"));
    field("Labels:", labels.empty() ? std::string("(none)") : labels);
    const json& facts = object_field(agent, "facts");
    if (facts.empty()) field("Facts:", "(none)");
    else out += "Facts:\n";
    for (const auto& [k, v] : facts.items())
        out += cat("  ", printable(k), ": ", printable(v.is_string() ? v.get<std::string>() : v.dump()), "\n");

    const json& bundles = array_field(agent, "bundles");
    out += "\n";
    if (bundles.empty()) return out + "No bundles target this agent.\n";
    Table table({"BUNDLE", "STATE", "REVISION", "IN SYNC", "MESSAGE"});
    for (const json& b : bundles) {
        std::string revision = text_field(b, "revision");
        table.add_row({text_field(b, "bundle"), text_field(b, "state"), short_commit(revision),
                       bool_field(b, "out_of_sync") ? "no" : "yes", text_field(b, "message")});
    }
    return out + table.render();
}

int run_agents(const Context& ctx, std::span<const std::string> args) {
    auto query = parse_agents_args(args);
    if (!query) return ctx.usage_error(query.error().message, "agents");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    json items = json::array();
    std::string cursor;
    std::set<std::string> cursors_seen;
    int64_t total = 0;
    // A hub that hands out fresh cursors forever is stopped after the pages
    // its first total needs, plus two for agents registered meanwhile.
    std::optional<int64_t> max_pages;
    for (int64_t pages = 1;; ++pages) {
        size_t page = query->limit ? std::min(kPageSize, query->limit - items.size()) : kPageSize;
        auto answer = client->get(agents_page_path(*query, page, cursor));
        if (!answer) return ctx.api_failure(answer.error());
        if (!answer->is_object() || !answer->contains("items") || !(*answer)["items"].is_array())
            return ctx.failure("hub answered GET /api/v1/agents without an items array");
        json& page_items = (*answer)["items"];
        for (json& item : page_items) {
            if (query->limit && items.size() == query->limit) break;
            items.push_back(std::move(item));
        }
        total = int_field(*answer, "total");
        if (!max_pages) max_pages = (std::max<int64_t>(total, 0) + kPageSize - 1) / kPageSize + 2;
        cursor = text_field(*answer, "continue");
        if (cursor.empty() || page_items.empty() || (query->limit && items.size() >= query->limit)) break;
        // A hub that hands out the same cursor twice would page forever.
        if (!cursors_seen.insert(cursor).second)
            return ctx.failure("hub answered GET /api/v1/agents with a continue cursor it gave before");
        if (pages >= *max_pages)
            return ctx.failure(cat("hub answered GET /api/v1/agents with more than ", *max_pages,
                                   " pages for a total of ", total, " agents"));
    }

    if (ctx.options.output == OutputFormat::json) {
        ctx.print_json(items);
        return kExitOk;
    }
    if (items.empty()) {
        bool filtered = !query->selector.empty() || !query->state.empty();
        ctx.out << (filtered ? "No agents match.\n"
                             : "No agents registered yet (create a token: droverctl token create).\n");
        return kExitOk;
    }
    ctx.out << format_agents(items, ctx.now_ms);
    if (total > static_cast<int64_t>(items.size()))
        ctx.err << items.size() << " of " << total << " matching agents shown (--limit)\n";
    return kExitOk;
}

int run_agent(const Context& ctx, std::span<const std::string> args) {
    auto parsed = parse_args(args, {});
    if (!parsed) return ctx.usage_error(parsed.error().message, "agent");
    if (parsed->positionals.size() != 1)
        return ctx.usage_error(parsed->positionals.empty() ? "agent needs an agent name" : "agent takes one agent name",
                               "agent");
    auto client = ctx.client();
    if (!client) return ctx.usage_error(client.error().message);

    auto agent = client->get("/api/v1/agents/" + escape_path_segment(parsed->positionals.front()));
    if (!agent) return ctx.api_failure(agent.error());
    if (!agent->is_object()) return ctx.failure("hub answered GET /api/v1/agents/NAME with something other than an object");
    if (ctx.options.output == OutputFormat::json) ctx.print_json(*agent);
    else ctx.out << format_agent(*agent, ctx.now_ms);
    return kExitOk;
}

}  // namespace drover::ctl
