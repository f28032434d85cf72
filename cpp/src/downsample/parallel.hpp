// Splitting independent work items over std::threads (private to cpp/src/downsample).
#pragma once
#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace tsquash::downsample::detail {

// Calls f(begin, end) on contiguous slices of [0, n) from up to n_threads threads (the caller's included).
// Each item is handled by exactly one call, so results written per item do not depend on n_threads.
template <class F>
void parallel_for(size_t n, unsigned n_threads, F&& f) {
    const size_t t = std::min<size_t>(std::max(1u, n_threads), n);
    if (t <= 1) {
        f(size_t{0}, n);
        return;
    }
    std::vector<std::thread> workers;
    workers.reserve(t - 1);
    for (size_t k = 1; k < t; ++k) workers.emplace_back([&f, n, t, k] { f(n * k / t, n * (k + 1) / t); });
    f(size_t{0}, n / t);
    for (auto& w : workers) w.join();
}

}  // namespace tsquash::downsample::detail
