// Independent work over std::threads, for the library's own loops (private to cpp/src).
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tsquash::detail {

// Calls task(i, worker) once for every i in [0, n), from up to `threads` threads (the caller's included).
// A worker index is used by one thread at a time, so per-worker scratch needs no lock; what a task writes
// per i does not depend on the thread count. The first exception a task throws is rethrown here.
template <class F>
void parallel_tasks(size_t n, unsigned threads, F&& task) {
    const unsigned workers = unsigned(std::min<size_t>(std::max(1u, threads), n));
    if (workers <= 1) {
        for (size_t i = 0; i < n; ++i) task(i, 0u);
        return;
    }
    std::atomic<size_t> next{0};
    std::exception_ptr error;
    std::mutex error_lock;
    auto run = [&](unsigned worker) {
        for (size_t i; (i = next.fetch_add(1)) < n;) {
            try {
                task(i, worker);
            } catch (...) {
                std::lock_guard<std::mutex> hold(error_lock);
                if (!error) error = std::current_exception();
                next = n;
                return;
            }
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    for (unsigned k = 1; k < workers; ++k) pool.emplace_back(run, k);
    run(0);
    for (std::thread& t : pool) t.join();
    if (error) std::rethrow_exception(error);
}

// Calls f(begin, end) on contiguous slices of [0, n), one slice per thread (up to `threads`, the caller's
// included). Each item is in exactly one slice, so results written per item do not depend on the count.
template <class F>
void parallel_for(size_t n, unsigned threads, F&& f) {
    const size_t t = std::min<size_t>(std::max(1u, threads), n);
    if (t <= 1) {
        f(size_t{0}, n);
        return;
    }
    parallel_tasks(t, unsigned(t), [&](size_t k, unsigned) { f(n * k / t, n * (k + 1) / t); });
}

}  // namespace tsquash::detail
