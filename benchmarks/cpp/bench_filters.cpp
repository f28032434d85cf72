// Throughput of the error-bounded filters' C++ batch loops (single thread), in points per second.
//
//   build/dev/bench_filters --benchmark_counters_tabular=true
//
// Input: a 10-million-point random walk (step sd 1, values around 100) with int64 nanosecond or double
// second times; thresholds are a fraction of the walk's typical 1-step change, so the filters keep a
// realistic share of the points (reported as the "kept" counter).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "tsquash/filters/filters.hpp"

namespace {

using namespace tsquash::filters;

constexpr size_t kN = 10'000'000;

struct Data {
    std::vector<int64_t> t_ns;
    std::vector<double> t_s;
    std::vector<double> v;
};

const Data& data() {
    static const Data d = [] {
        Data x;
        std::mt19937_64 rng(42);
        std::normal_distribution<double> step(0.0, 1.0);
        x.t_ns.resize(kN);
        x.t_s.resize(kN);
        x.v.resize(kN);
        double acc = 100.0;
        for (size_t i = 0; i < kN; ++i) {
            x.t_ns[i] = 1'700'000'000'000'000'000 + int64_t(i) * 1'000'000'000;
            x.t_s[i] = 1.7e9 + double(i);
            acc += step(rng);
            x.v[i] = acc;
        }
        return x;
    }();
    return d;
}

template <class F, class T>
void run(benchmark::State& state, const std::vector<T>& t, double threshold, std::optional<T> max_interval) {
    const Data& d = data();
    std::vector<T> ot(max_batch_output(kN));
    std::vector<double> ov(max_batch_output(kN));
    size_t kept = 0;
    for (auto _ : state) {
        F f(threshold, max_interval);
        kept = run_batch(f, t.data(), d.v.data(), kN, ot.data(), ov.data());
        benchmark::DoNotOptimize(ot.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kN));
    state.counters["kept"] = double(kept) / double(kN);
}

// Threshold as a multiple of the step sd; max interval 60 samples (or none).
template <class F>
void BM_int64_times(benchmark::State& state) {
    const std::optional<int64_t> mi = state.range(1) ? std::optional<int64_t>(int64_t(60) * 1'000'000'000) : std::nullopt;
    run<F>(state, data().t_ns, double(state.range(0)) / 10.0, mi);
}

template <class F>
void BM_double_times(benchmark::State& state) {
    const std::optional<double> mi = state.range(1) ? std::optional<double>(60.0) : std::nullopt;
    run<F>(state, data().t_s, double(state.range(0)) / 10.0, mi);
}

// Point-by-point push through the same state machine (the streaming path, no Python).
void BM_sdt_push_stream(benchmark::State& state) {
    const Data& d = data();
    size_t kept = 0;
    for (auto _ : state) {
        Sdt<int64_t> f(2.0);
        kept = 0;
        auto emit = [&](int64_t, double) { ++kept; };
        for (size_t i = 0; i < kN; ++i) f.push(d.t_ns[i], d.v[i], emit);
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(kN));
    state.counters["kept"] = double(kept) / double(kN);
}

#define FILTER_ARGS ->Args({20, 0})->Args({20, 1})->Args({100, 0})->Unit(benchmark::kMillisecond)->UseRealTime()

BENCHMARK(BM_int64_times<Deadband<int64_t>>) FILTER_ARGS;
BENCHMARK(BM_int64_times<Hysteresis<int64_t>>) FILTER_ARGS;
BENCHMARK(BM_int64_times<Sdt<int64_t>>) FILTER_ARGS;
BENCHMARK(BM_double_times<Deadband<double>>) FILTER_ARGS;
BENCHMARK(BM_double_times<Hysteresis<double>>) FILTER_ARGS;
BENCHMARK(BM_double_times<Sdt<double>>) FILTER_ARGS;
BENCHMARK(BM_double_times<SdtCompat>) FILTER_ARGS;
BENCHMARK(BM_sdt_push_stream)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
