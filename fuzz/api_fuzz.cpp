// Fuzz target: the REST API (hub/server/http_api.h) on a fresh hub with
// two agents (one with a status), an event and the fixed tokens of
// fuzz_hub.h.
//
// The input is an HTTP request as text, the way the server hands it over:
//   METHOD PATH[?QUERY]
//   Header: value          (any number; see kHeaders, others ignored)
//                          (an empty line)
//   body
// Without an Authorization header the request carries the admin token.
// Beyond "no crash, no leak, no UB" it checks that the status is a real HTTP
// status and that a JSON response is JSON.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/text.h"
#include "fuzz/fuzz_hub.h"
#include "hub/server/http_api.h"

using namespace drover;

namespace {

std::string_view take_line(std::string_view& in) {
    size_t eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in.remove_prefix(eol == std::string_view::npos ? in.size() : eol + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
}

hub::HttpRequest parse_request(std::string_view in) {
    hub::HttpRequest r;
    auto first = take_line(in);
    size_t space = first.find(' ');
    r.method = std::string(first.substr(0, space));
    std::string_view target = space == std::string_view::npos ? "" : first.substr(space + 1);
    size_t q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    r.authorization = cat("Bearer ", fuzz::kAdminToken);
    while (!in.empty()) {
        auto line = take_line(in);
        if (line.empty()) break;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        auto name = line.substr(0, colon);
        auto value = std::string(line.substr(colon + 1));
        if (value.starts_with(' ')) value.erase(0, 1);
        if (name == "Authorization") r.authorization = value;
        else if (name == "Content-Type") r.content_type = value;
        else if (name == "Accept") r.accept = value;
        else if (name == "Accept-Encoding") r.accept_encoding = value;
        else if (name == "If-None-Match") r.if_none_match = value;
        else if (name == "Last-Event-ID") r.last_event_id = value;
        else if (name == "X-Hub-Signature-256") r.hub_signature_256 = value;
        else if (name == "X-Gitea-Signature") r.gitea_signature = value;
        else if (name == "X-Gitlab-Token") r.gitlab_token = value;
    }
    r.body = std::string(in);
    return r;
}

void populate(fuzz::FuzzHub& hub) {
    auto gw = hub.store->register_agent("edge-1", sha256_hex("cred-1"), {{"role", "gw"}}, hub.now);
    hub.store->register_agent("edge-2", sha256_hex("cred-2"), {{"site", "lab"}}, hub.now);
    auto deployment = hub.fleet->deployment();
    hub::StatusRecord st;
    st.bundle = "web";
    st.seq = 1;
    st.state = "Ready";
    st.message = "applied";
    st.revision = deployment->commit;
    st.digest = hex_encode(deployment->desired_digest("web", {{"role", "gw"}}, "edge-1"));
    hub.store->record_statuses(gw.id, {st}, 1);
    hub.store->add_event("deploy", "revision 1111111 deployed", hub.now);
    hub.fleet->store_changed();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto request = parse_request(std::string_view(reinterpret_cast<const char*>(data), size));
    fuzz::FuzzHub hub;
    populate(hub);
    if (hub::wants_event_stream(request)) {
        (void)hub::event_stream_options(*hub.fleet, request);
        return 0;
    }
    auto response = hub::handle_http(*hub.fleet, request);
    if (response.status < 100 || response.status > 599) fuzz::fail_run(cat("status ", response.status));
    if (response.content_type == "application/json" && !response.body.empty() &&
        nlohmann::json::parse(response.body, nullptr, false).is_discarded())
        fuzz::fail_run("a JSON response is not JSON: " + response.body);
    return 0;
}
