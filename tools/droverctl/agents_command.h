#pragma once
// droverctl agents [-l SELECTOR] [--state STATE] [--limit N]
//   GET /api/v1/agents, every page (following "continue") unless --limit
//   caps the rows. Table NAME, ONLINE, LABELS, BUNDLES, LAST SEEN; -o json
//   prints the items of all pages as one array.
// droverctl agent NAME
//   GET /api/v1/agents/NAME: labels, facts, version, online or offline since
//   when, last seen, and a table of its bundles. Exit 4 when there is no
//   such agent.
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kAgentsHelp;
extern const char* const kAgentHelp;

// What an agents listing asks the hub for.
struct AgentsQuery {
    std::string selector;
    std::string state;
    size_t limit = 0;  // 0: every agent
};

// The arguments after "agents": -l/--selector, --state, --limit.
Result<AgentsQuery> parse_agents_args(std::span<const std::string> args);

// The request path for one page: "/api/v1/agents?selector=..&limit=..".
std::string agents_page_path(const AgentsQuery& query, size_t page_size, const std::string& cursor);

// "yes", "offline since 2h" (from offline_since, else last_seen, at now_ms),
// "revoked 5m ago" for a revoked agent, or "offline" when the hub gives no
// time.
std::string online_text(const nlohmann::json& agent, int64_t now_ms);
// Each bundle as bundle:State, "/OutOfSync" appended when the agent runs
// another revision than the deployed one: "web:Ready db:Failed/OutOfSync".
std::string bundle_states_text(const nlohmann::json& agent);

// The table for a list of agent_json items.
std::string format_agents(const nlohmann::json& items, int64_t now_ms);
// The detail page for one agent_json.
std::string format_agent(const nlohmann::json& agent, int64_t now_ms);

int run_agents(const Context& ctx, std::span<const std::string> args);
int run_agent(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
