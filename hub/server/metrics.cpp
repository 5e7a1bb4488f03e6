#include "hub/server/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "common/text.h"
#include "drover_config.h"

namespace drover::hub {

namespace {

bool name_char(char c, bool first, bool colon) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    return alpha || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view name, bool colon) {
    if (name.empty()) return false;
    for (size_t i = 0; i < name.size(); ++i)
        if (!name_char(name[i], i == 0, colon)) return false;
    return true;
}

void check_metric_name(std::string_view name) {
    if (!valid_name(name, true)) throw std::logic_error(cat("invalid metric name ", quoted(name)));
}

void check_labels(const MetricLabels& labels, MetricType type) {
    for (auto& [name, value] : labels) {
        if (!valid_name(name, false) || starts_with(name, "__"))
            throw std::logic_error(cat("invalid label name ", quoted(name)));
        if (type == MetricType::histogram && name == "le")
            throw std::logic_error("\"le\" is the bucket label of histograms");
    }
}

const char* type_name(MetricType type) {
    switch (type) {
        case MetricType::counter: return "counter";
        case MetricType::gauge: return "gauge";
        case MetricType::histogram: return "histogram";
    }
    return "untyped";
}

// Go's strconv.ParseFloat reads what to_chars writes (shortest round trip).
std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

// HELP text escapes backslash and newline; label values also the quote.
void append_escaped(std::string& out, std::string_view s, bool quote) {
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (quote && c == '"') out += "\\\"";
        else out += c;
    }
}

}  // namespace

// ---- Histogram ---------------------------------------------------------------

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {
    for (size_t i = 0; i < bounds_.size(); ++i)
        if (!std::isfinite(bounds_[i]) || (i && bounds_[i] <= bounds_[i - 1]))
            throw std::logic_error("histogram bounds must be finite and strictly ascending");
}

void Histogram::observe(double value) {
    if (std::isnan(value)) return;
    size_t bucket = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    std::lock_guard lock(mutex_);
    ++counts_[bucket];
    sum_ += value;
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    std::lock_guard lock(mutex_);
    s.cumulative.reserve(counts_.size());
    for (uint64_t n : counts_) s.cumulative.push_back(s.count += n);
    s.sum = sum_;
    return s;
}

// ---- Exposition ----------------------------------------------------------------

void Exposition::family(std::string_view name, std::string_view help, MetricType type) {
    check_metric_name(name);
    if (!written_.emplace(name).second) throw std::logic_error(cat("metric family ", name, " is written twice"));
    name_ = name;
    type_ = type;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_escaped(out_, help, false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type_name(type);
    out_ += '\n';
}

void Exposition::line(std::string_view suffix, const MetricLabels& labels, std::string_view extra_label, double value) {
    out_ += name_;
    out_ += suffix;
    if (!labels.empty() || !extra_label.empty()) {
        out_ += '{';
        bool first = true;
        for (auto& [k, v] : labels) {
            if (!first) out_ += ',';
            first = false;
            out_ += k;
            out_ += "=\"";
            append_escaped(out_, v, true);
            out_ += '"';
        }
        if (!extra_label.empty()) {
            if (!first) out_ += ',';
            out_ += extra_label;
        }
        out_ += '}';
    }
    out_ += ' ';
    out_ += format_value(value);
    out_ += '\n';
}

void Exposition::sample(const MetricLabels& labels, double value) {
    if (name_.empty() || type_ == MetricType::histogram)
        throw std::logic_error("a counter or gauge sample needs its family written first");
    check_labels(labels, type_);
    line("", labels, "", value);
}

void Exposition::histogram(const MetricLabels& labels, const std::vector<double>& bounds,
                           const Histogram::Snapshot& s) {
    if (name_.empty() || type_ != MetricType::histogram || s.cumulative.size() != bounds.size() + 1)
        throw std::logic_error("a histogram series needs its histogram family written first");
    check_labels(labels, type_);
    for (size_t i = 0; i < bounds.size(); ++i)
        line("_bucket", labels, cat("le=\"", format_value(bounds[i]), "\""), static_cast<double>(s.cumulative[i]));
    line("_bucket", labels, "le=\"+Inf\"", static_cast<double>(s.cumulative.back()));
    line("_sum", labels, "", s.sum);
    line("_count", labels, "", static_cast<double>(s.count));
}

// ---- MetricRegistry --------------------------------------------------------------

MetricRegistry::Family& MetricRegistry::family_for(const std::string& name, const std::string& help, MetricType type,
                                                   const MetricLabels& labels) {
    check_metric_name(name);
    check_labels(labels, type);
    auto it = std::find_if(families_.begin(), families_.end(), [&](const Family& f) { return f.name == name; });
    if (it == families_.end()) return families_.emplace_back(Family{name, help, type, {}});
    if (it->help != help || it->type != type)
        throw std::logic_error(cat("metric family ", name, " is registered with another help or type"));
    for (auto& s : it->series)
        if (s.labels == labels) throw std::logic_error(cat("series of ", name, " is registered twice"));
    return *it;
}

Counter& MetricRegistry::counter(const std::string& name, const std::string& help, MetricLabels labels) {
    std::lock_guard lock(mutex_);
    Family& f = family_for(name, help, MetricType::counter, labels);
    Counter& c = counters_.emplace_back();
    f.series.push_back({std::move(labels), &c});
    return c;
}

Gauge& MetricRegistry::gauge(const std::string& name, const std::string& help, MetricLabels labels) {
    std::lock_guard lock(mutex_);
    Family& f = family_for(name, help, MetricType::gauge, labels);
    Gauge& g = gauges_.emplace_back();
    f.series.push_back({std::move(labels), &g});
    return g;
}

Histogram& MetricRegistry::histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                                     MetricLabels labels) {
    std::lock_guard lock(mutex_);
    Family& f = family_for(name, help, MetricType::histogram, labels);
    Histogram& h = histograms_.emplace_back(std::move(bounds));
    f.series.push_back({std::move(labels), &h});
    return h;
}

void MetricRegistry::add_collector(Collector collector) {
    std::lock_guard lock(mutex_);
    collectors_.push_back(std::move(collector));
}

std::string MetricRegistry::render() const {
    std::lock_guard lock(mutex_);
    Exposition out;
    for (auto& f : families_) {
        out.family(f.name, f.help, f.type);
        for (auto& s : f.series) {
            if (auto* c = std::get_if<Counter*>(&s.metric)) out.sample(s.labels, static_cast<double>((*c)->value()));
            else if (auto* g = std::get_if<Gauge*>(&s.metric)) out.sample(s.labels, (*g)->value());
            else if (auto* h = std::get_if<Histogram*>(&s.metric))
                out.histogram(s.labels, (*h)->bounds(), (*h)->snapshot());
        }
    }
    for (auto& collect : collectors_) collect(out);
    return out.text();
}

std::vector<double> duration_buckets() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
}

// ---- HubMetrics ------------------------------------------------------------------

namespace {

void add_start_time(MetricRegistry& r) {
    Gauge& g = r.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.");
    g.set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void add_build_info(MetricRegistry& r) {
    r.gauge("drover_build_info", "The hub's version; always 1.", {{"version", DROVER_VERSION}}).set(1);
}

}  // namespace

HubMetrics::HubMetrics()
    : frames_received(registry.counter("drover_frames_received_total",
                                       "Complete frames received from agents on their websocket links.")),
      frames_sent(registry.counter("drover_frames_sent_total", "Frames written to agents' websocket links.")),
      bytes_received(registry.counter("drover_bytes_received_total",
                                      "Frame payload bytes received from agents (oversized frames included).")),
      bytes_sent(registry.counter("drover_bytes_sent_total", "Frame payload bytes written to agents.")),
      sessions_opened(registry.counter("drover_sessions_opened_total",
                                       "Agent sessions that authenticated (Hello accepted).")),
      sessions_closed(registry.counter("drover_sessions_closed_total", "Authenticated agent sessions that ended.")),
      pushes_accepted(registry.counter("drover_pushes_total", "git pushes answered with a report, by result.",
                                       {{"result", "accepted"}})),
      pushes_rejected(registry.counter("drover_pushes_total", "git pushes answered with a report, by result.",
                                       {{"result", "rejected"}})),
      push_seconds(registry.histogram("drover_push_duration_seconds",
                                      "Time to handle a git push: index the pack, validate, move the refs.",
                                      duration_buckets())),
      validation_seconds(registry.histogram("drover_push_validation_duration_seconds",
                                            "Time to render every new commit of a push to the deploy branch.",
                                            duration_buckets())),
      render_seconds(registry.histogram("drover_render_duration_seconds",
                                        "Time to render, sign and compress one revision for deployment.",
                                        duration_buckets())) {
    add_start_time(registry);
    add_build_info(registry);
}

}  // namespace drover::hub
