#include "hub/server/metrics.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <thread>

#include "common/crypto.h"
#include "common/text.h"
#include "hub/server/http_api.h"
#include "hub/server/tests/session_fixture.h"

using namespace drover;
using namespace drover::hub;
using namespace drover::hub::testing;

namespace {

// A strict reader of the text exposition format 0.0.4, as Prometheus parses
// it: every line is a HELP, a TYPE or a sample; HELP and TYPE come once per
// family, before its samples; samples of a family are contiguous and named
// after it (histograms: _bucket, _sum, _count). Escapes are decoded.
struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct Family {
    std::string help;
    std::string type;
    std::vector<Sample> samples;
};

struct Scrape {
    std::map<std::string, Family> families;
    std::vector<std::string> order;

    const Family& family(const std::string& name) const {
        auto it = families.find(name);
        if (it == families.end()) throw std::runtime_error("no family " + name);
        return it->second;
    }
    // The value of the one sample of `name` with exactly these labels.
    double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
        for (auto& [fname, f] : families)
            for (auto& s : f.samples)
                if (s.name == name && s.labels == labels) return s.value;
        throw std::runtime_error("no sample " + name);
    }
};

bool is_name(std::string_view s, bool colon) {
    if (s.empty()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok) return false;
    }
    return true;
}

std::string unescape(std::string_view s, bool quote) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            if (quote && s[i] == '"') throw std::runtime_error("unescaped quote");
            if (s[i] == '\n') throw std::runtime_error("raw newline");
            out += s[i];
            continue;
        }
        if (++i == s.size()) throw std::runtime_error("dangling backslash");
        if (s[i] == '\\') out += '\\';
        else if (s[i] == 'n') out += '\n';
        else if (quote && s[i] == '"') out += '"';
        else throw std::runtime_error(cat("bad escape \\", s[i]));
    }
    return out;
}

double parse_value(const std::string& s) {
    if (s == "+Inf") return INFINITY;
    if (s == "-Inf") return -INFINITY;
    if (s == "NaN") return NAN;
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || s.find_first_of("xXpP") != std::string::npos)
        throw std::runtime_error("bad value " + drover::quoted(s));
    return v;
}

Sample parse_sample(std::string_view line) {
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!is_name(s.name, true)) throw std::runtime_error("bad metric name " + drover::quoted(s.name));
    if (i < line.size() && line[i] == '{') {
        ++i;
        while (true) {
            size_t eq = line.find('=', i);
            if (eq == std::string_view::npos) throw std::runtime_error("label without =");
            std::string name(line.substr(i, eq - i));
            if (!is_name(name, false)) throw std::runtime_error("bad label name " + drover::quoted(name));
            if (eq + 1 >= line.size() || line[eq + 1] != '"') throw std::runtime_error("label value not quoted");
            size_t j = eq + 2;
            while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
            if (j >= line.size()) throw std::runtime_error("unterminated label value");
            if (!s.labels.emplace(name, unescape(line.substr(eq + 2, j - eq - 2), true)).second)
                throw std::runtime_error("label " + name + " twice");
            i = j + 1;
            if (i < line.size() && line[i] == ',') {
                ++i;
                continue;
            }
            if (i < line.size() && line[i] == '}') {
                ++i;
                break;
            }
            throw std::runtime_error("expected , or } after a label");
        }
    }
    if (i >= line.size() || line[i] != ' ') throw std::runtime_error("expected one space before the value");
    std::string value(line.substr(i + 1));
    if (value.find(' ') != std::string::npos) throw std::runtime_error("timestamps are not expected");
    s.value = parse_value(value);
    return s;
}

void check_histogram(const std::string& name, const Family& f) {
    // Per series (labels without le): cumulative buckets ending with +Inf == _count.
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts, sums;
    for (auto& s : f.samples) {
        auto labels = s.labels;
        if (s.name == name + "_bucket") {
            REQUIRE(labels.count("le"));
            double le = parse_value(labels.at("le"));
            labels.erase("le");
            buckets[labels].push_back({le, s.value});
        } else if (s.name == name + "_count") {
            REQUIRE(counts.emplace(labels, s.value).second);
        } else if (s.name == name + "_sum") {
            REQUIRE(sums.emplace(labels, s.value).second);
        } else {
            FAIL("sample ", s.name, " in histogram ", name);
        }
    }
    REQUIRE_FALSE(buckets.empty());
    for (auto& [labels, series] : buckets) {
        for (size_t i = 1; i < series.size(); ++i) {
            CHECK(series[i].first > series[i - 1].first);    // le ascending
            CHECK(series[i].second >= series[i - 1].second);  // cumulative
        }
        CHECK(std::isinf(series.back().first));
        REQUIRE(counts.count(labels));
        REQUIRE(sums.count(labels));
        CHECK(series.back().second == counts.at(labels));
    }
}

Scrape parse(const std::string& text) {
    INFO(text);
    REQUIRE_FALSE(text.empty());
    REQUIRE(text.back() == '\n');
    Scrape out;
    std::string current;  // the family whose samples may follow
    for (auto& line : split(std::string_view(text).substr(0, text.size() - 1), '\n')) {
        INFO(line);
        REQUIRE_FALSE(line.empty());
        if (starts_with(line, "# HELP ") || starts_with(line, "# TYPE ")) {
            std::string_view rest = std::string_view(line).substr(7);
            size_t sp = rest.find(' ');
            REQUIRE(sp != std::string_view::npos);
            std::string name(rest.substr(0, sp));
            REQUIRE(is_name(name, true));
            std::string_view what = rest.substr(sp + 1);
            if (line[2] == 'H') {
                REQUIRE_MESSAGE(!out.families.count(name), "HELP of ", name, " twice or after its samples");
                out.families[name].help = unescape(what, false);
                out.order.push_back(name);
            } else {
                REQUIRE_MESSAGE(out.families.count(name), "TYPE of ", name, " before its HELP");
                auto& f = out.families[name];
                REQUIRE_MESSAGE(f.type.empty(), "TYPE of ", name, " twice");
                REQUIRE(f.samples.empty());
                REQUIRE((what == "counter" || what == "gauge" || what == "histogram"));
                f.type = what;
                current = name;
            }
            continue;
        }
        REQUIRE_MESSAGE(line[0] != '#', "unexpected comment");
        Sample s = parse_sample(line);
        REQUIRE_MESSAGE(!current.empty(), "sample before any TYPE");
        auto& f = out.families[current];
        bool named = f.type == "histogram"
                         ? s.name == current + "_bucket" || s.name == current + "_sum" || s.name == current + "_count"
                         : s.name == current;
        REQUIRE_MESSAGE(named, "sample ", s.name, " does not belong to family ", current);
        f.samples.push_back(std::move(s));
    }
    for (auto& [name, f] : out.families) {
        INFO(name);
        CHECK_FALSE(f.type.empty());
        if (f.type == "histogram") check_histogram(name, f);
    }
    return out;
}

}  // namespace

TEST_CASE("the registry renders HELP and TYPE once per family, escapes label values and help, and reads back") {
    MetricRegistry r;
    r.counter("t_requests_total", "Requests by code.", {{"code", "200"}}).inc(3);
    r.counter("t_requests_total", "Requests by code.", {{"code", "500"}}).inc();
    r.gauge("t_temperature", "A help line with a \\ backslash\nand a newline.").set(-1.5);
    r.counter("t_odd_total", "Odd label values.", {{"path", "C:\\dir \"quoted\"\nnext"}}).inc(7);
    auto& h = r.histogram("t_latency_seconds", "Latency.", {0.1, 1, 10}, {{"route", "a"}});
    h.observe(0.05);
    h.observe(0.1);  // upper bounds are inclusive
    h.observe(5);
    h.observe(100);  // beyond the last bound: +Inf only
    r.histogram("t_latency_seconds", "Latency.", {0.1, 1, 10}, {{"route", "b"}});
    r.add_collector([](Exposition& out) {
        out.family("t_computed", "Computed at scrape time.", MetricType::gauge);
        out.sample({{"state", "Ready"}}, 2);
        out.sample({{"state", "Failed"}}, 0);
    });

    std::string text = r.render();
    Scrape s = parse(text);
    CHECK(s.order == std::vector<std::string>{"t_requests_total", "t_temperature", "t_odd_total", "t_latency_seconds",
                                              "t_computed"});
    CHECK(s.family("t_requests_total").type == "counter");
    CHECK(s.value("t_requests_total", {{"code", "200"}}) == 3);
    CHECK(s.value("t_requests_total", {{"code", "500"}}) == 1);
    CHECK(s.family("t_temperature").help == "A help line with a \\ backslash\nand a newline.");
    CHECK(s.value("t_temperature") == -1.5);
    CHECK(s.value("t_odd_total", {{"path", "C:\\dir \"quoted\"\nnext"}}) == 7);
    CHECK(text.find(R"(t_odd_total{path="C:\\dir \"quoted\"\nnext"} 7)") != std::string::npos);
    CHECK(s.family("t_latency_seconds").type == "histogram");
    CHECK(s.value("t_latency_seconds_bucket", {{"route", "a"}, {"le", "0.1"}}) == 2);
    CHECK(s.value("t_latency_seconds_bucket", {{"route", "a"}, {"le", "1"}}) == 2);
    CHECK(s.value("t_latency_seconds_bucket", {{"route", "a"}, {"le", "10"}}) == 3);
    CHECK(s.value("t_latency_seconds_bucket", {{"route", "a"}, {"le", "+Inf"}}) == 4);
    CHECK(s.value("t_latency_seconds_count", {{"route", "a"}}) == 4);
    CHECK(s.value("t_latency_seconds_sum", {{"route", "a"}}) == doctest::Approx(105.15));
    CHECK(s.value("t_latency_seconds_count", {{"route", "b"}}) == 0);
    CHECK(s.value("t_computed", {{"state", "Ready"}}) == 2);
    // le is written as Prometheus writes it, bucket lines in order.
    CHECK(text.find("t_latency_seconds_bucket{route=\"a\",le=\"0.1\"} 2\n"
                    "t_latency_seconds_bucket{route=\"a\",le=\"1\"} 2\n"
                    "t_latency_seconds_bucket{route=\"a\",le=\"10\"} 3\n"
                    "t_latency_seconds_bucket{route=\"a\",le=\"+Inf\"} 4\n"
                    "t_latency_seconds_sum{route=\"a\"} 105.15\n"
                    "t_latency_seconds_count{route=\"a\"} 4\n") != std::string::npos);
}

TEST_CASE("bad names, conflicting registrations and a family written twice are refused as bugs") {
    MetricRegistry r;
    CHECK_THROWS_AS(r.counter("0starts_with_a_digit", "x"), std::logic_error);
    CHECK_THROWS_AS(r.counter("has-dash", "x"), std::logic_error);
    CHECK_THROWS_AS(r.counter("ok_total", "x", {{"bad-label", "v"}}), std::logic_error);
    CHECK_THROWS_AS(r.counter("ok_total", "x", {{"__reserved", "v"}}), std::logic_error);
    CHECK_THROWS_AS(r.histogram("h_seconds", "x", {1, 2}, {{"le", "1"}}), std::logic_error);
    CHECK_THROWS_AS(r.histogram("h_seconds", "x", {2, 1}), std::logic_error);
    CHECK_THROWS_AS(r.histogram("h_seconds", "x", {1, INFINITY}), std::logic_error);
    r.counter("ok_total", "x", {{"a", "1"}});
    CHECK_THROWS_AS(r.counter("ok_total", "x", {{"a", "1"}}), std::logic_error);
    CHECK_THROWS_AS(r.gauge("ok_total", "x", {{"a", "2"}}), std::logic_error);
    CHECK_THROWS_AS(r.counter("ok_total", "other help", {{"a", "2"}}), std::logic_error);
    r.add_collector([](Exposition& out) { out.family("ok_total", "x", MetricType::counter); });
    CHECK_THROWS_AS(r.render(), std::logic_error);
}

TEST_CASE("counters and histograms count every increment from concurrent threads") {
    MetricRegistry r;
    Counter& c = r.counter("t_total", "x");
    Histogram& h = r.histogram("t_seconds", "x", {0.5});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 20'000; ++i) {
                c.inc();
                h.observe(i % 2 ? 1.0 : 0.25);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(c.value() == 80'000);
    auto snap = h.snapshot();
    CHECK(snap.count == 80'000);
    CHECK(snap.cumulative == std::vector<uint64_t>{40'000, 80'000});
    CHECK(snap.sum == doctest::Approx(50'000));
}

namespace {

struct MetricsHub {
    Hub hub;
    std::string admin = "drv_admin_test";
    MetricsHub() { hub.store->set_setting("admin_token_sha256", sha256_hex(admin)); }
    HttpResponse get(const std::string& path, const std::string& token) {
        return handle_http(*hub.fleet, {.method = "GET", .path = path, .authorization = "Bearer " + token});
    }
    Scrape scrape() {
        auto r = get("/metrics", admin);
        INFO(r.body);
        REQUIRE(r.status == 200);
        CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
        return parse(r.body);
    }
};

std::string status_frame(uint64_t seq, const std::string& bundle, const std::string& digest, v1::State state) {
    v1::Envelope env;
    auto* s = env.mutable_status();
    s->set_seq(seq);
    s->set_bundle(bundle);
    s->set_digest(digest);
    s->set_state(state);
    return wire::encode(env);
}

}  // namespace

TEST_CASE("/metrics counts agents, connections, sessions and bundle states as the fleet changes") {
    MetricsHub m;
    auto s0 = m.scrape();
    for (auto* name : {"drover_agents_registered", "drover_agents_connected", "drover_agent_bundles",
                       "drover_frames_received_total", "drover_frames_sent_total", "drover_bytes_received_total",
                       "drover_bytes_sent_total", "drover_sessions_opened_total", "drover_sessions_closed_total",
                       "drover_push_duration_seconds", "drover_push_validation_duration_seconds",
                       "drover_render_duration_seconds", "drover_pushes_total", "drover_status_queue_depth",
                       "drover_send_queue_frames", "drover_send_queue_frames_max", "drover_deployed_bundles",
                       "drover_build_info", "process_start_time_seconds"}) {
        INFO(name);
        CHECK_NOTHROW(s0.family(name));
    }
    CHECK(s0.value("drover_agents_registered") == 0);
    CHECK(s0.value("drover_deployed_bundles") == 1);
    CHECK(s0.value("drover_pushes_total", {{"result", "accepted"}}) == 0);
    CHECK(s0.value("drover_pushes_total", {{"result", "rejected"}}) == 0);
    for (auto* state : {"Ready", "NotReady", "Failed", "Modified", "OutOfSync", "Pending"})
        CHECK(s0.value("drover_agent_bundles", {{"state", state}}) == 0);
    CHECK(s0.value("process_start_time_seconds") > 1.7e9);

    auto gw = std::make_unique<MemoryTransport>();
    auto gw_session = std::make_unique<AgentSession>(*m.hub.fleet, *gw);
    gw_session->on_frame(hello_frame("gw1", {{"role", "gw"}}, m.hub.token()));
    MemoryTransport db;
    AgentSession db_session(*m.hub.fleet, db);
    db_session.on_frame(hello_frame("db1", {{"role", "db"}}, m.hub.token()));
    m.hub.fleet->flush_queued();

    auto s1 = m.scrape();
    CHECK(s1.value("drover_agents_registered") == 2);
    CHECK(s1.value("drover_agents_connected") == 2);
    CHECK(s1.value("drover_sessions_opened_total") == 2);
    CHECK(s1.value("drover_agent_bundles", {{"state", "Pending"}}) == 1);  // web targets gw1 only
    // Welcome + DesiredState to gw1, Welcome + empty DesiredState to db1, none drained yet.
    CHECK(s1.value("drover_send_queue_frames") == static_cast<double>(gw->queued() + db.queued()));
    CHECK(s1.value("drover_send_queue_frames_max") == static_cast<double>(std::max(gw->queued(), db.queued())));

    std::string digest = m.hub.fleet->deployment()->desired_digest("web", {{"role", "gw"}}, "gw1");
    gw_session->on_frame(status_frame(1, "web", digest, v1::READY));
    CHECK(m.scrape().value("drover_status_queue_depth") == 1);  // stored with the loop's next flush
    m.hub.fleet->flush_queued();
    auto s2 = m.scrape();
    CHECK(s2.value("drover_status_queue_depth") == 0);
    CHECK(s2.value("drover_agent_bundles", {{"state", "Ready"}}) == 1);
    CHECK(s2.value("drover_agent_bundles", {{"state", "Pending"}}) == 0);

    // A new revision changes web's spec: gw1 now runs an old one.
    m.hub.deploy({{"web/bundle.yaml", "namespace: web\ntargets: [{selector: {matchLabels: {role: gw}}}]\n"},
                  {"web/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: '2'}\n"}},
                 "2222222222222222222222222222222222222222");
    CHECK(m.scrape().value("drover_agent_bundles", {{"state", "OutOfSync"}}) == 1);

    gw_session->on_closed();
    gw_session.reset();
    m.hub.fleet->flush_queued();
    auto s3 = m.scrape();
    CHECK(s3.value("drover_agents_connected") == 1);
    CHECK(s3.value("drover_agents_registered") == 2);
    CHECK(s3.value("drover_sessions_closed_total") == 1);
    // An offline agent counts with its last report.
    CHECK(s3.value("drover_agent_bundles", {{"state", "OutOfSync"}}) == 1);
}

TEST_CASE("/metrics takes the admin or a viewer token, never none or a push token") {
    MetricsHub m;
    std::string viewer = "drv_viewer_metrics";
    m.hub.store->add_token({.id = "tok_view", .created_ms = m.hub.now, .kind = TokenKind::viewer}, sha256_hex(viewer));
    std::string push = "drv_push_metrics";
    m.hub.store->add_token({.id = "tok_push", .created_ms = m.hub.now, .kind = TokenKind::push}, sha256_hex(push));

    CHECK(handle_http(*m.hub.fleet, {.method = "GET", .path = "/metrics"}).status == 401);
    CHECK(m.get("/metrics", "wrong").status == 401);
    CHECK(m.get("/metrics", push).status == 403);
    auto r = m.get("/metrics", viewer);
    CHECK(r.status == 200);
    CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(handle_http(*m.hub.fleet, {.method = "POST", .path = "/metrics", .authorization = "Bearer " + m.admin})
              .status == 405);
}

TEST_CASE("/readyz answers 503 until the deployed revision is loaded, then 200, without a token") {
    MetricsHub m;
    Fleet starting(*m.hub.store, m.hub.key.public_pem(), [] { return int64_t{1}; });
    starting.set_deployment_pending(true);
    auto r = handle_http(starting, {.method = "GET", .path = "/readyz"});
    CHECK(r.status == 503);
    CHECK(r.body == "not ready: the deployed revision is not loaded yet\n");
    CHECK(handle_http(starting, {.method = "GET", .path = "/healthz"}).status == 200);  // alive all the same

    starting.deploy(m.hub.fleet->deployment());
    r = handle_http(starting, {.method = "GET", .path = "/readyz"});
    CHECK(r.status == 200);
    CHECK(r.body == "ready\n");

    // A hub that never had a revision has nothing to load.
    Fleet fresh(*m.hub.store, m.hub.key.public_pem(), [] { return int64_t{1}; });
    CHECK(handle_http(fresh, {.method = "GET", .path = "/readyz"}).status == 200);
}

TEST_CASE("the fleet gauges count every state of a 10,000-agent fleet in one pass") {
    MetricsHub m;
    std::vector<AgentRecord> agents;
    for (int i = 0; i < 10'000; ++i)
        agents.push_back(m.hub.store->register_agent(cat("edge-", i), "cred", {{"role", i % 2 ? "gw" : "db"}}, 1));
    // Gateways (odd i) report: multiples of 7 Failed, of 5 NotReady (if not 7), the rest Ready.
    std::vector<StatusBatch> batches;
    for (int i = 1; i < 10'000; i += 2)
        batches.push_back(m.hub.web_status(agents[static_cast<size_t>(i)],
                                           i % 7 == 0 ? "Failed" : i % 5 == 0 ? "NotReady" : "Ready"));
    m.hub.store->record_statuses(batches);
    m.hub.fleet->store_changed();
    int failed = 0, not_ready = 0;
    for (int i = 1; i < 10'000; i += 2) {
        if (i % 7 == 0) ++failed;
        else if (i % 5 == 0) ++not_ready;
    }

    auto started = std::chrono::steady_clock::now();
    auto r = m.get("/metrics", m.admin);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    MESSAGE("one /metrics scrape at 10,000 agents: ", ms, " ms");
    REQUIRE(r.status == 200);
    auto s = parse(r.body);
    CHECK(s.value("drover_agents_registered") == 10'000);
    CHECK(s.value("drover_agent_bundles", {{"state", "Failed"}}) == failed);
    CHECK(s.value("drover_agent_bundles", {{"state", "NotReady"}}) == not_ready);
    CHECK(s.value("drover_agent_bundles", {{"state", "Ready"}}) == 5'000 - failed - not_ready);
    CHECK(s.value("drover_agent_bundles", {{"state", "Pending"}}) == 0);  // db agents are not targeted
}
