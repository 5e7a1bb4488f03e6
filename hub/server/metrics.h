#pragma once
// Prometheus metrics without a library: counters, gauges and fixed-bucket
// histograms in a registry that renders the text exposition format 0.0.4
// (what GET /metrics serves).
//
// Recording is safe from any thread: counters and gauges are lock-free
// atomics; a histogram observation takes a short lock (histograms time
// events such as pushes and renders, never per-frame work). Registration and
// rendering take the registry's lock. Metric and label names are fixed by the
// code, so a bad or conflicting name is a bug (std::logic_error), never an
// input error.
//
// Values that are cheap to read at scrape time (agents online, queue depths,
// the store's size) are not kept up to date as they change: a collector
// computes them when the registry renders, on the rendering thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace drover::hub {

// The labels of one series, written in this order. Each family has a small
// fixed set of them; values are escaped when written.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { counter, gauge, histogram };

class Counter {
public:
    void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> value_{0};
};

class Gauge {
public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

// Observations fall into the first bucket whose upper bound (inclusive) is
// at least the value; above the last bound they count only towards +Inf.
class Histogram {
public:
    // Upper bounds, finite and strictly ascending (std::logic_error otherwise).
    explicit Histogram(std::vector<double> bounds);
    void observe(double value);  // NaN is ignored

    struct Snapshot {
        std::vector<uint64_t> cumulative;  // per bound, then +Inf (== count)
        uint64_t count = 0;
        double sum = 0;
    };
    Snapshot snapshot() const;
    const std::vector<double>& bounds() const { return bounds_; }

private:
    const std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::vector<uint64_t> counts_;  // per bucket (not cumulative), +Inf last
    double sum_ = 0;
};

inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Seconds from construction to destruction, observed into a histogram; a
// null histogram (metrics not wired, as in some tests) observes nothing.
class ScopedTimer {
public:
    explicit ScopedTimer(Histogram* histogram) : histogram_(histogram), start_(std::chrono::steady_clock::now()) {}
    ~ScopedTimer() {
        if (histogram_) histogram_->observe(seconds_since(start_));
    }
    ScopedTimer(const ScopedTimer&) = delete;
    ScopedTimer& operator=(const ScopedTimer&) = delete;

private:
    Histogram* histogram_;
    std::chrono::steady_clock::time_point start_;
};

// The text format, written family by family: `# HELP` and `# TYPE` once per
// family, then its samples. A family name written twice is a bug.
class Exposition {
public:
    void family(std::string_view name, std::string_view help, MetricType type);
    // A counter or gauge sample of the current family.
    void sample(const MetricLabels& labels, double value);
    // A histogram series of the current family: _bucket (cumulative, ending
    // with le="+Inf"), _sum and _count.
    void histogram(const MetricLabels& labels, const std::vector<double>& bounds, const Histogram::Snapshot& s);
    const std::string& text() const { return out_; }

private:
    void line(std::string_view suffix, const MetricLabels& labels, std::string_view extra_label, double value);
    std::string out_;
    std::string name_;  // the current family
    MetricType type_ = MetricType::counter;
    std::set<std::string, std::less<>> written_;
};

class MetricRegistry {
public:
    // A series of a family, registered once. Families are rendered in the
    // order of their first registration, series in registration order.
    // Registering the same name with another help or type, or the same
    // series twice, throws std::logic_error.
    Counter& counter(const std::string& name, const std::string& help, MetricLabels labels = {});
    Gauge& gauge(const std::string& name, const std::string& help, MetricLabels labels = {});
    Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> bounds,
                         MetricLabels labels = {});

    // Writes families computed at scrape time; runs inside render(), after
    // the registered families, in the order added.
    using Collector = std::function<void(Exposition&)>;
    void add_collector(Collector collector);

    std::string render() const;

private:
    using Metric = std::variant<Counter*, Gauge*, Histogram*>;
    struct Series {
        MetricLabels labels;
        Metric metric;
    };
    struct Family {
        std::string name, help;
        MetricType type;
        std::vector<Series> series;
    };
    Family& family_for(const std::string& name, const std::string& help, MetricType type, const MetricLabels& labels);

    mutable std::mutex mutex_;
    std::deque<Counter> counters_;  // deques: registered metrics never move
    std::deque<Gauge> gauges_;
    std::deque<Histogram> histograms_;
    std::vector<Family> families_;
    std::vector<Collector> collectors_;
};

// Bucket bounds for the hub's durations, in seconds: a small push validates
// in milliseconds, a 90 MiB one takes tens of seconds.
std::vector<double> duration_buckets();

// The hub's metrics: one object, owned by the Fleet (everything that records
// can reach it: sessions, the lws connections, main's push handler and Git
// watcher). The Fleet adds its own scrape-time collector (fleet_metrics.h);
// main adds the process's (worker queue, store size, open files).
struct HubMetrics {
    HubMetrics();
    HubMetrics(const HubMetrics&) = delete;
    HubMetrics& operator=(const HubMetrics&) = delete;

    MetricRegistry registry;
    // The agent link (websocket binary frames; bytes are frame payloads).
    Counter& frames_received;
    Counter& frames_sent;
    Counter& bytes_received;
    Counter& bytes_sent;
    // Sessions that authenticated (Hello accepted), and those that ended.
    Counter& sessions_opened;
    Counter& sessions_closed;
    // Pushes answered with a report: accepted when every ref moved.
    Counter& pushes_accepted;
    Counter& pushes_rejected;
    Histogram& push_seconds;        // a whole git push, pack to report
    Histogram& validation_seconds;  // rendering a push's new commits
    Histogram& render_seconds;      // render, sign and compress one revision
};

}  // namespace drover::hub
