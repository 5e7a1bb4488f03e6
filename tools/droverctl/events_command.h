#pragma once
// droverctl events [--kind K] [--limit N] [--follow]
//   GET /api/v1/events: the newest events (pushes, rejections, deployments,
//   registrations, tokens, revocations, label changes, mirror), shown oldest
//   first as TIME KIND MESSAGE.
//   --follow prints the newest few, then streams new ones from the same path
//   with Accept: text/event-stream (server-sent events) until interrupted
//   (SIGINT: exit 0). A dropped stream is reconnected with ?since=<the last
//   id seen>, after the delay the hub asks for ("retry:") doubling on each
//   failed attempt up to 30 s; one note per drop goes to stderr. A hub that
//   sends nothing (not even its 15 s ping) for idle_timeout_ms counts as a
//   drop. -o json prints one JSON object per line (NDJSON).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tools/droverctl/context.h"

namespace drover::ctl {

extern const char* const kEventsHelp;

struct EventsQuery {
    std::string kind;
    size_t limit = 0;  // 0: the hub's default (the list), 10 (--follow)
    bool follow = false;
    int64_t idle_timeout_ms = 45'000;  // --idle-timeout
};

// The arguments after "events": --kind, --limit, --follow, --idle-timeout.
Result<EventsQuery> parse_events_args(std::span<const std::string> args);

// The list table for the hub's answer (newest first), oldest first.
std::string format_events(const nlohmann::json& newest_first);
// One event as a follow-mode line: TIME and KIND in fixed-width columns.
std::string event_line(const nlohmann::json& event);
// The header over event_line rows.
std::string event_line_header();

int run_events(const Context& ctx, std::span<const std::string> args);

}  // namespace drover::ctl
