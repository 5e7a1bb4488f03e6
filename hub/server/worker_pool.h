#pragma once
// A few threads for work that must not hold up the event loop: building
// packs for clones, indexing and validating pushes. Jobs run in the order
// given; a job that throws is logged and the thread goes on. The destructor
// (or stop) lets running jobs finish and drops queued ones.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace drover::hub {

class WorkerPool {
public:
    explicit WorkerPool(size_t threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void submit(std::function<void()> job);
    void stop();
    size_t queued() const;

private:
    void run();
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace drover::hub
