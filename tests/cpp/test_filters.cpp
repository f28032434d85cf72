// Error-bounded filters: the bounds on synthetic, adversarial and real data, streaming == batch ==
// save/restore mid-stream, max_interval, flush, pydbfilter's own expectations for the compat SDT, input
// checks and state corruption.
//
// The SDT bound is checked against a linear interpolation evaluated in long double, so the only slack is
// for the filter's own double rounding: kSdtSlack * (d + |v| + |v_a| + |v_b|), plus the underflow floor of
// the slopes over the segments next to t_a (64 * 2^-1074 * span) and, for double times, the rounding of the time
// differences (see LinearBound).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tsquash/errors.hpp"
#include "tsquash/filters/filters.hpp"

#ifndef TSQUASH_DATASETS_DIR
#define TSQUASH_DATASETS_DIR "../shared/datasets"
#endif

namespace {

using namespace tsquash::filters;
using tsquash::CorruptStream;
using tsquash::InvalidArgument;
namespace fs = std::filesystem;

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kSdtSlack = 64 * kEps;

template <class T>
struct Series {
    std::vector<T> t;
    std::vector<double> v;
};

template <class T>
struct Out {
    std::vector<T> t;
    std::vector<double> v;
    void add(T tt, double vv) {
        t.push_back(tt);
        v.push_back(vv);
    }
};

template <class F, class T = typename F::time_type>
Out<T> run_stream(F& f, const Series<T>& s, bool flush = true) {
    Out<T> out;
    auto emit = [&](T t, double v) { out.add(t, v); };
    for (size_t i = 0; i < s.t.size(); ++i) f.push(s.t[i], s.v[i], emit);
    if (flush) f.flush(emit);
    return out;
}

template <class F, class T = typename F::time_type>
Out<T> run_whole(F& f, const Series<T>& s, bool flush = true) {
    const size_t n = s.t.size();
    Out<T> out;
    out.t.resize(max_batch_output(n));
    out.v.resize(max_batch_output(n));
    const size_t k = run_batch(f, s.t.data(), s.v.data(), n, out.t.data(), out.v.data());
    out.t.resize(k);
    out.v.resize(k);
    if (flush) f.flush([&](T t, double v) { out.add(t, v); });
    return out;
}

template <class T>
long double as_ld(T t) {
    return static_cast<long double>(t);
}

// Largest violation of |v_i - linear(t_i)| <= d + slack_i over the input points up to the last output
// time, as a multiple of slack_i (> 1 means the bound is broken). Also fails when an input point lies
// before the first output or output times do not increase.
template <class T>
::testing::AssertionResult LinearBound(const Series<T>& in, const Out<T>& out, double d, bool double_times) {
    if (in.t.empty()) return out.t.empty() ? ::testing::AssertionSuccess() : ::testing::AssertionFailure() << "output from nothing";
    if (out.t.empty()) return ::testing::AssertionFailure() << "no output";
    for (size_t j = 1; j < out.t.size(); ++j)
        if (!(out.t[j] > out.t[j - 1])) return ::testing::AssertionFailure() << "output times not increasing at " << j;
    if (out.t.front() != in.t.front()) return ::testing::AssertionFailure() << "first point not emitted";
    size_t j = 0;
    for (size_t i = 0; i < in.t.size(); ++i) {
        const T t = in.t[i];
        if (t > out.t.back()) break;
        while (j + 1 < out.t.size() && out.t[j + 1] <= t) ++j;
        long double r;
        double va = out.v[j], vb = va;
        double span_t = 0;
        if (out.t[j] == t) {
            r = out.v[j];
        } else {
            vb = out.v[j + 1];
            const long double f = (as_ld(t) - as_ld(out.t[j])) / (as_ld(out.t[j + 1]) - as_ld(out.t[j]));
            r = static_cast<long double>(va) + (static_cast<long double>(vb) - va) * f;
            if (double_times)  // the filter rounds t - t_a, relative to |t|
                span_t = (std::fabs(double(t)) + std::fabs(double(out.t[j]))) / double(out.t[j + 1] - out.t[j]) *
                         std::fabs(vb - va);
        }
        const double err = static_cast<double>(std::fabs(static_cast<long double>(in.v[i]) - r));
        // The last term is the underflow floor of the slopes (subnormal values) over the segment.
        const double seg = elapsed(out.t[j == 0 ? 0 : j - 1], out.t[std::min(j + 1, out.t.size() - 1)]);
        const double slack = kSdtSlack * (d + std::fabs(in.v[i]) + std::fabs(va) + std::fabs(vb) + span_t) +
                             64 * std::numeric_limits<double>::denorm_min() * (1 + seg);
        if (err > d + slack)
            return ::testing::AssertionFailure() << "point " << i << " (t=" << format_time(t) << ", v=" << format_time(in.v[i])
                                                 << ") is " << format_time(err) << " from the interpolation, deviation "
                                                 << format_time(d) << " (+ slack " << format_time(slack) << ")";
    }
    return ::testing::AssertionSuccess();
}

// |v_i - step(t_i)| <= d exactly (as computed in double), for the points up to the last output time.
template <class T>
::testing::AssertionResult StepBound(const Series<T>& in, const Out<T>& out, double d) {
    if (in.t.empty()) return ::testing::AssertionSuccess();
    if (out.t.empty() || out.t.front() != in.t.front()) return ::testing::AssertionFailure() << "first point not emitted";
    size_t j = 0;
    for (size_t i = 0; i < in.t.size(); ++i) {
        while (j + 1 < out.t.size() && out.t[j + 1] <= in.t[i]) ++j;
        if (out.t[j] == in.t[i] && out.v[j] != in.v[i])
            return ::testing::AssertionFailure() << "emitted point " << j << " is not the input point " << i;
        if (!(std::fabs(in.v[i] - out.v[j]) <= d))
            return ::testing::AssertionFailure() << "point " << i << " is " << format_time(std::fabs(in.v[i] - out.v[j]))
                                                 << " from the held value, threshold " << format_time(d);
    }
    return ::testing::AssertionSuccess();
}

// Every emitted point must be an input point (deadband, hysteresis).
template <class T>
::testing::AssertionResult SubsetOfInput(const Series<T>& in, const Out<T>& out) {
    size_t i = 0;
    for (size_t j = 0; j < out.t.size(); ++j) {
        while (i < in.t.size() && in.t[i] < out.t[j]) ++i;
        if (i == in.t.size() || in.t[i] != out.t[j] || in.v[i] != out.v[j])
            return ::testing::AssertionFailure() << "output point " << j << " is not an input point";
    }
    return ::testing::AssertionSuccess();
}

// For every input point, the last output at or before it is less than max_interval earlier.
template <class T>
::testing::AssertionResult MaxIntervalHolds(const Series<T>& in, const Out<T>& out, T max_interval) {
    size_t j = 0;
    for (size_t i = 0; i < in.t.size(); ++i) {
        while (j + 1 < out.t.size() && out.t[j + 1] <= in.t[i]) ++j;
        if (out.t[j] > in.t[i] || reached(out.t[j], in.t[i], max_interval))
            return ::testing::AssertionFailure() << "input point " << i << " (t=" << format_time(in.t[i])
                                                 << ") is max_interval or more after the last output (t="
                                                 << format_time(out.t[j]) << ")";
    }
    return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult SameOutput(const Out<T>& a, const Out<T>& b) {
    if (a.t.size() != b.t.size()) return ::testing::AssertionFailure() << a.t.size() << " vs " << b.t.size() << " points";
    for (size_t i = 0; i < a.t.size(); ++i) {
        if (a.t[i] != b.t[i] || std::memcmp(&a.v[i], &b.v[i], 8) != 0)
            return ::testing::AssertionFailure() << "point " << i << " differs: (" << format_time(a.t[i]) << ", "
                                                 << format_time(a.v[i]) << ") vs (" << format_time(b.t[i]) << ", "
                                                 << format_time(b.v[i]) << ")";
    }
    return ::testing::AssertionSuccess();
}

// ---- inputs ----------------------------------------------------------------------------------------------

template <class T>
std::vector<T> regular_times(size_t n, T start, T step) {
    std::vector<T> t(n);
    for (size_t i = 0; i < n; ++i) t[i] = start + static_cast<T>(i) * step;
    return t;
}

template <class T>
std::vector<T> irregular_times(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<T> t(n);
    T acc = static_cast<T>(1'700'000'000);
    for (size_t i = 0; i < n; ++i) {
        // Mostly small steps, some tiny, some long gaps.
        const uint64_t r = rng() % 100;
        T step;
        if constexpr (std::is_same_v<T, int64_t>) step = r < 5 ? 1 : r < 95 ? T(1 + rng() % 1000) : T(100000 + rng() % 10000000);
        else step = r < 5 ? 1e-3 : r < 95 ? 0.5 + double(rng() % 1000) / 7.0 : 1e5 + double(rng() % 1000000);
        acc += step;
        t[i] = acc;
    }
    return t;
}

std::vector<std::pair<std::string, std::vector<double>>> adversarial_values(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0.0, 1.0);
    std::vector<std::pair<std::string, std::vector<double>>> cases;
    std::vector<double> walk(n), spikes(n), steps(n), plateaus(n), sawtooth(n), alternating(n), huge(n), tiny(n),
        mixed_scale(n), zigzag_drift(n);
    double acc = 0;
    for (size_t i = 0; i < n; ++i) {
        acc += g(rng);
        walk[i] = acc;
        spikes[i] = (rng() % 50 == 0) ? (rng() % 2 ? 1e3 : -1e3) : 0.01 * g(rng);
        steps[i] = double((i / 37) % 5) * 10.0 + ((i % 37 == 0) ? 0.0 : 1e-9 * double(i % 3));
        plateaus[i] = (i / 100) % 2 ? 5.0 : -5.0;
        sawtooth[i] = double(i % 17) * 0.3;
        alternating[i] = (i % 2) ? 1.0 : -1.0;
        huge[i] = 1e300 * g(rng);
        tiny[i] = 1e-300 * g(rng);
        mixed_scale[i] = (rng() % 10 == 0) ? 1e15 * g(rng) : g(rng);
        zigzag_drift[i] = 0.01 * double(i) + ((i % 3 == 0) ? 0.9 : -0.9);
    }
    cases = {{"walk", walk},           {"spikes", spikes}, {"steps", steps},         {"plateaus", plateaus},
             {"sawtooth", sawtooth},   {"alternating", alternating}, {"huge", huge}, {"tiny", tiny},
             {"mixed_scale", mixed_scale}, {"zigzag_drift", zigzag_drift}};
    std::vector<double> extremes = {1.7e308, -1.7e308, 1.7e308, 0.0, -1.7e308, 1e-308, 1.7e308, 1.7e308, -1.7e308};
    cases.push_back({"extremes", extremes});
    return cases;
}

double range_of(const std::vector<double>& v) {
    if (v.empty()) return 0;
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return *hi - *lo;
}

// ---- SDT -------------------------------------------------------------------------------------------------

template <class T>
void check_sdt_case(const std::string& name, const Series<T>& s, double d,
                    std::optional<std::type_identity_t<T>> max_interval) {
    SCOPED_TRACE(name + " d=" + format_time(d));
    Sdt<T> stream_f(d, max_interval), batch_f(d, max_interval);
    const auto a = run_stream(stream_f, s);
    const auto b = run_whole(batch_f, s);
    EXPECT_TRUE(SameOutput(a, b));
    EXPECT_TRUE(LinearBound(s, a, d, std::is_same_v<T, double>));
    EXPECT_EQ(a.t.back(), s.t.back());
    EXPECT_EQ(a.v.back(), s.v.back()) << "flush must release the exact last point";
    if (max_interval) {
        EXPECT_TRUE(MaxIntervalHolds(s, a, *max_interval));
    }
    EXPECT_EQ(stream_f.points_in(), s.t.size());
    EXPECT_EQ(stream_f.points_out(), a.t.size());
    // Emitted times are input times.
    for (T t : a.t) EXPECT_TRUE(std::binary_search(s.t.begin(), s.t.end(), t));
}

TEST(Sdt, BoundOnAdversarialInputsInt64Times) {
    const size_t n = 3000;
    for (const auto& [name, v] : adversarial_values(n, 11)) {
        Series<int64_t> s{irregular_times<int64_t>(v.size(), 5), v};
        const double r = range_of(v);
        for (double frac : {0.0, 1e-6, 0.001, 0.01, 0.1, 0.5}) {
            const double d = std::isfinite(r) ? r * frac : 1e300 * frac;
            check_sdt_case(name, s, d, std::nullopt);
            check_sdt_case(name + " max_interval", s, d, std::optional<int64_t>(5000));
        }
    }
}

TEST(Sdt, BoundOnAdversarialInputsDoubleTimes) {
    const size_t n = 3000;
    for (const auto& [name, v] : adversarial_values(n, 12)) {
        Series<double> s{irregular_times<double>(v.size(), 6), v};
        const double r = range_of(v);
        for (double frac : {0.0, 1e-6, 0.001, 0.01, 0.1, 0.5}) {
            const double d = std::isfinite(r) ? r * frac : 1e300 * frac;
            check_sdt_case(name, s, d, std::nullopt);
            check_sdt_case(name + " max_interval", s, d, std::optional<double>(3000.0));
        }
    }
}

TEST(Sdt, ExtremeTimes) {
    // Times spanning the whole int64 range: differences must not overflow.
    Series<int64_t> s;
    const int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
    s.t = {lo, lo + 1, lo + 2, -1, 0, 1, hi - 2, hi - 1, hi};
    s.v = {0, 1, 2, 3, 3, 3, 0, 1, 2};
    for (double d : {0.0, 0.5, 2.0, 100.0}) check_sdt_case("int64 extremes", s, d, std::nullopt);
    check_sdt_case("int64 extremes, max_interval", s, 1.0, std::optional<int64_t>(hi));
}

TEST(Sdt, DoorsCloseAtTheRightPoint) {
    // A ramp within the deviation is one segment; the corner is kept exactly.
    Series<int64_t> s{regular_times<int64_t>(21, 0, 1), {}};
    for (int i = 0; i <= 10; ++i) s.v.push_back(i * 1.0);
    for (int i = 11; i <= 20; ++i) s.v.push_back(10.0);
    Sdt<int64_t> f(0.1);
    const auto out = run_stream(f, s);
    ASSERT_EQ(out.t.size(), 3u);
    EXPECT_EQ(out.t[0], 0);
    EXPECT_EQ(out.t[1], 10);
    EXPECT_EQ(out.v[1], 10.0);
    EXPECT_EQ(out.t[2], 20);
}

TEST(Sdt, ClassicSdtCounterexampleIsAdjusted) {
    // Classic SDT would emit (10, -0.9): the line (0, 0) -> (10, -0.9) is 1.4 from (5, 0.95), beyond d = 1.
    // The bound forces an adjusted value at t = 10 instead.
    Series<int64_t> s{{0, 5, 10, 11}, {0.0, 0.95, -0.9, 50.0}};
    Sdt<int64_t> f(1.0);
    const auto out = run_stream(f, s);
    ASSERT_GE(out.t.size(), 3u);
    EXPECT_EQ(out.t[1], 10);
    EXPECT_NE(out.v[1], -0.9);
    EXPECT_LE(std::fabs(out.v[1] - -0.9), 1.0);
    EXPECT_TRUE(LinearBound(s, out, 1.0, false));
}

TEST(Sdt, FlushAddsAPointWhenTheExactLastValueWouldBreakTheBound) {
    // d = 1: (1, 1.5) limits the slopes from (0, 0) to [0.5, 2.5], (2, 0.4) to [-0.3, 0.7]; the window
    // [0.5, 0.7] is open, but the line to the exact last point (slope 0.2) misses (1, 1.5) by 1.1. flush
    // must emit a closing point at t = 1 and then the exact last point.
    Series<int64_t> s{{0, 1, 2}, {0.0, 1.5, 0.4}};
    Sdt<int64_t> f(1.0);
    Out<int64_t> out;
    auto emit = [&](int64_t t, double v) { out.add(t, v); };
    for (size_t i = 0; i < s.t.size(); ++i) f.push(s.t[i], s.v[i], emit);
    ASSERT_EQ(out.t.size(), 1u) << "the window still holds both points";
    f.flush(emit);
    ASSERT_EQ(out.t.size(), 3u);
    EXPECT_EQ(out.t[1], 1);
    EXPECT_LE(std::fabs(out.v[1] - 1.5), 1.0);
    EXPECT_EQ(out.t[2], 2);
    EXPECT_EQ(out.v[2], 0.4);
    EXPECT_TRUE(LinearBound(s, out, 1.0, false));
    // A second flush has nothing left to release.
    f.flush(emit);
    EXPECT_EQ(out.t.size(), 3u);
}

TEST(Sdt, MaxIntervalEmitsThePreviousPointThenTheCurrent) {
    // pydbfilter's timeout example, with tsquash's ">=": (200, -20) is 100 after (100, -20) and is forced
    // out; (301, -20) is 101 after it and forced out too.
    Series<int64_t> s{{100, 200, 301}, {-20, -20, -20}};
    Sdt<int64_t> f(10.0, std::optional<int64_t>(100));
    const auto out = run_stream(f, s, false);
    ASSERT_EQ(out.t.size(), 3u);
    EXPECT_EQ(out.t[1], 200);
    EXPECT_EQ(out.t[2], 301);
    // Regular data with a max interval: the held point before the gap is released, not the new one.
    Series<int64_t> r{regular_times<int64_t>(100, 0, 10), std::vector<double>(100, 1.0)};
    Sdt<int64_t> g(0.5, std::optional<int64_t>(95));
    const auto o = run_stream(g, r, false);
    EXPECT_TRUE(MaxIntervalHolds(r, o, int64_t(95)));
    ASSERT_GE(o.t.size(), 2u);
    EXPECT_EQ(o.t[1], 90);
}

TEST(Sdt, SaveRestoreMidStream) {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> g;
    Series<double> s{irregular_times<double>(2000, 9), {}};
    double acc = 0;
    for (size_t i = 0; i < 2000; ++i) s.v.push_back(acc += g(rng));
    Sdt<double> whole(0.7, std::optional<double>(2000.0));
    const auto expected = run_stream(whole, s);
    for (size_t cut : {0, 1, 2, 3, 500, 1999, 2000}) {
        Sdt<double> first(0.7, std::optional<double>(2000.0));
        Out<double> out;
        auto emit = [&](double t, double v) { out.add(t, v); };
        for (size_t i = 0; i < cut; ++i) first.push(s.t[i], s.v[i], emit);
        const auto bytes = first.state("note");
        std::string note;
        Sdt<double> second = Sdt<double>::from_state(bytes.data(), bytes.size(), &note);
        EXPECT_EQ(note, "note");
        EXPECT_EQ(second.points_in(), cut);
        for (size_t i = cut; i < s.t.size(); ++i) second.push(s.t[i], s.v[i], emit);
        second.flush(emit);
        EXPECT_TRUE(SameOutput(expected, out)) << "cut at " << cut;
        EXPECT_EQ(second.state(), whole.state()) << "cut at " << cut;
    }
}

TEST(Sdt, BatchesOfAnySizeMatchOneBatch) {
    std::mt19937_64 rng(4);
    std::normal_distribution<double> g;
    Series<int64_t> s{irregular_times<int64_t>(5000, 10), {}};
    double acc = 0;
    for (size_t i = 0; i < s.t.size(); ++i) s.v.push_back(acc += g(rng));
    Sdt<int64_t> one(1.0, std::optional<int64_t>(20000));
    const auto expected = run_whole(one, s);
    Sdt<int64_t> chunked(1.0, std::optional<int64_t>(20000));
    Out<int64_t> out;
    size_t i = 0, len = 1;
    while (i < s.t.size()) {
        const size_t k = std::min(len, s.t.size() - i);
        std::vector<int64_t> ot(max_batch_output(k));
        std::vector<double> ov(max_batch_output(k));
        const size_t m = run_batch(chunked, s.t.data() + i, s.v.data() + i, k, ot.data(), ov.data());
        ASSERT_LE(m, k + 1) << "a batch releases at most one point from before it";
        for (size_t j = 0; j < m; ++j) out.add(ot[j], ov[j]);
        i += k;
        len = len * 3 % 97 + 1;
    }
    chunked.flush([&](int64_t t, double v) { out.add(t, v); });
    EXPECT_TRUE(SameOutput(expected, out));
}

TEST(Sdt, StridedColumns) {
    // An (n, 2) row-major block read and written in place.
    const size_t n = 500;
    std::vector<double> rows(2 * n);
    for (size_t i = 0; i < n; ++i) {
        rows[2 * i] = double(i) * 0.5;
        rows[2 * i + 1] = std::sin(double(i) / 20.0);
    }
    std::vector<double> block(2 * max_batch_output(n));
    Sdt<double> f(0.01);
    const size_t m = run_batch(f, Column<double>{rows.data(), 2}, Column<double>{rows.data() + 1, 2}, n,
                               OutColumn<double>{block.data(), 2}, OutColumn<double>{block.data() + 1, 2});
    Series<double> s;
    for (size_t i = 0; i < n; ++i) {
        s.t.push_back(rows[2 * i]);
        s.v.push_back(rows[2 * i + 1]);
    }
    Sdt<double> g(0.01);
    const auto expected = run_whole(g, s, false);
    Out<double> got;
    for (size_t j = 0; j < m; ++j) got.add(block[2 * j], block[2 * j + 1]);
    EXPECT_TRUE(SameOutput(expected, got));
}

// ---- deadband and hysteresis -----------------------------------------------------------------------------

template <template <class> class F, class T>
void check_step_case(const std::string& name, const Series<T>& s, double d,
                     std::optional<std::type_identity_t<T>> max_interval) {
    SCOPED_TRACE(name + " d=" + format_time(d));
    F<T> stream_f(d, max_interval), batch_f(d, max_interval);
    const auto a = run_stream(stream_f, s);
    const auto b = run_whole(batch_f, s);
    EXPECT_TRUE(SameOutput(a, b));
    EXPECT_TRUE(StepBound(s, a, d));
    EXPECT_TRUE(SubsetOfInput(s, a));
    EXPECT_EQ(a.t.back(), s.t.back());
    if (max_interval) {
        EXPECT_TRUE(MaxIntervalHolds(s, a, *max_interval));
    }
}

TEST(Deadband, BoundAndSubset) {
    for (const auto& [name, v] : adversarial_values(3000, 21)) {
        Series<int64_t> si{irregular_times<int64_t>(v.size(), 1), v};
        Series<double> sd{irregular_times<double>(v.size(), 2), v};
        const double r = range_of(v);
        for (double frac : {0.0, 0.001, 0.05, 0.5}) {
            const double d = std::isfinite(r) ? r * frac : 1e300 * frac;
            check_step_case<Deadband>(name, si, d, std::nullopt);
            check_step_case<Deadband>(name, si, d, std::optional<int64_t>(3000));
            check_step_case<Deadband>(name, sd, d, std::optional<double>(1000.0));
        }
    }
}

TEST(Hysteresis, BoundAndSubset) {
    for (const auto& [name, v] : adversarial_values(3000, 22)) {
        Series<int64_t> si{irregular_times<int64_t>(v.size(), 3), v};
        Series<double> sd{irregular_times<double>(v.size(), 4), v};
        const double r = range_of(v);
        for (double frac : {0.0, 0.001, 0.05, 0.5}) {
            const double d = std::isfinite(r) ? r * frac : 1e300 * frac;
            check_step_case<Hysteresis>(name, si, d, std::nullopt);
            check_step_case<Hysteresis>(name, si, d, std::optional<int64_t>(3000));
            check_step_case<Hysteresis>(name, sd, d, std::optional<double>(1000.0));
        }
    }
}

TEST(Deadband, Semantics) {
    // Within the band: held; beyond it: emitted and becomes the new base.
    Series<int64_t> s{{0, 1, 2, 3, 4, 5}, {0.0, 1.0, -1.0, 1.5, 0.6, 0.55}};
    Deadband<int64_t> f(1.0);
    const auto out = run_stream(f, s, false);
    ASSERT_EQ(out.t.size(), 2u);
    EXPECT_EQ(out.t[1], 3);  // |1.5 - 0| > 1; |1.0 - 0| is not
    Out<int64_t> fl;
    f.flush([&](int64_t t, double v) { fl.add(t, v); });
    ASSERT_EQ(fl.t.size(), 1u);
    EXPECT_EQ(fl.t[0], 5);
}

TEST(Hysteresis, ReportsSwingsThatDeadbandHolds) {
    // +-0.6 around the base: deadband 1.0 never fires, hysteresis 1.0 does (spread 1.2).
    Series<int64_t> s{{0, 1, 2, 3}, {0.0, 0.6, -0.6, 0.0}};
    Hysteresis<int64_t> h(1.0);
    Deadband<int64_t> d(1.0);
    EXPECT_EQ(run_stream(h, s, false).t.size(), 2u);
    EXPECT_EQ(run_stream(d, s, false).t.size(), 1u);
}

TEST(Hysteresis, PydbfilterExpectations) {
    // pydbfilter's test_HysteresisFilter: (100,20) (110,10) (120,20) (140,40) (150,30) (160,45) (180,5)
    // with hysteresis 10 gives (100,20) (140,40) (160,45) (180,5).
    Series<int64_t> s{{100, 110, 120, 140, 150, 160, 180}, {20, 10, 20, 40, 30, 45, 5}};
    Hysteresis<int64_t> h(10.0, std::optional<int64_t>(100));
    const auto out = run_stream(h, s, false);
    EXPECT_EQ(out.t, (std::vector<int64_t>{100, 140, 160, 180}));
    EXPECT_EQ(out.v, (std::vector<double>{20, 40, 45, 5}));
}

TEST(StepFilters, SaveRestoreMidStream) {
    std::mt19937_64 rng(8);
    std::normal_distribution<double> g;
    Series<int64_t> s{irregular_times<int64_t>(1500, 12), {}};
    double acc = 0;
    for (size_t i = 0; i < s.t.size(); ++i) s.v.push_back(acc += g(rng));
    auto check = [&](auto make) {
        auto whole = make();
        const auto expected = run_stream(whole, s);
        for (size_t cut : {0, 1, 2, 700, 1500}) {
            auto first = make();
            Out<int64_t> out;
            auto emit = [&](int64_t t, double v) { out.add(t, v); };
            for (size_t i = 0; i < cut; ++i) first.push(s.t[i], s.v[i], emit);
            const auto bytes = first.state();
            auto second = decltype(first)::from_state(bytes.data(), bytes.size());
            for (size_t i = cut; i < s.t.size(); ++i) second.push(s.t[i], s.v[i], emit);
            second.flush(emit);
            EXPECT_TRUE(SameOutput(expected, out)) << "cut " << cut;
        }
    };
    check([] { return Deadband<int64_t>(1.5, std::optional<int64_t>(4000)); });
    check([] { return Hysteresis<int64_t>(1.5, std::optional<int64_t>(4000)); });
    check([] { return SdtCompat(1.5, std::optional<double>(4000.0)); });
}

// ---- pydbfilter-compatible SDT ---------------------------------------------------------------------------

TEST(SdtCompat, PydbfilterExpectations) {
    // pydbfilter's test_SdtFilter.test_filterpoint: SdtFilter(10, 100).
    Series<double> s{{100, 110, 120, 140, 150, 160, 180}, {20, 10, 20, 40, 30, 45, 5}};
    SdtCompat f(10.0, std::optional<double>(100.0));
    const auto out = run_stream(f, s, false);
    EXPECT_EQ(out.t, (std::vector<double>{100, 130, 166}));
    EXPECT_EQ(out.v, (std::vector<double>{20, 25, 33}));
    // test_timeout: (100,-20) (200,-20) (301,-20) -> (100,-20), then (200,-20) and (301,-20) at 301.
    SdtCompat g(10.0, std::optional<double>(100.0));
    Out<double> o;
    auto emit = [&](double t, double v) { o.add(t, v); };
    g.push(100, -20, emit);
    g.push(200, -20, emit);
    EXPECT_EQ(o.t.size(), 1u) << "pydbfilter's max interval is strict";
    g.push(301, -20, emit);
    EXPECT_EQ(o.t, (std::vector<double>{100, 200, 301}));
    // test_flush: (100,5) (110,5) (120,10) then flush -> (120,10).
    SdtCompat h(10.0, std::optional<double>(100.0));
    Out<double> p;
    auto emit2 = [&](double t, double v) { p.add(t, v); };
    h.push(100, 5, emit2);
    h.push(110, 5, emit2);
    h.push(120, 10, emit2);
    h.flush(emit2);
    EXPECT_EQ(p.t, (std::vector<double>{100, 120}));
    EXPECT_EQ(p.v, (std::vector<double>{5, 10}));
}

TEST(SdtCompat, BreaksTheBoundThatTheDefaultKeeps) {
    // The compat output of the pydbfilter example is 11.67 from (110, 10) at d = 10; the default SDT is not.
    Series<double> s{{100, 110, 120, 140, 150, 160, 180}, {20, 10, 20, 40, 30, 45, 5}};
    SdtCompat c(10.0);
    const auto co = run_stream(c, s);
    EXPECT_FALSE(LinearBound(s, co, 10.0, true));
    Sdt<double> f(10.0);
    EXPECT_TRUE(LinearBound(s, run_stream(f, s), 10.0, true));
}

TEST(SdtCompat, StreamEqualsBatch) {
    for (const auto& [name, v] : adversarial_values(2000, 31)) {
        if (name == "extremes" || name == "huge") continue;
        Series<double> s{irregular_times<double>(v.size(), 7), v};
        const double d = range_of(v) * 0.05;
        SdtCompat a(d, std::optional<double>(5000.0)), b(d, std::optional<double>(5000.0));
        const auto x = run_stream(a, s);
        const auto y = run_whole(b, s);
        EXPECT_TRUE(SameOutput(x, y)) << name;
        for (size_t j = 1; j < x.t.size(); ++j) ASSERT_GT(x.t[j], x.t[j - 1]) << name;
    }
}

// ---- input checks and state bytes ------------------------------------------------------------------------

TEST(FilterInput, BadPointsAreRejectedAndLeaveTheFilterUnchanged) {
    Sdt<int64_t> f(1.0);
    auto ignore = [](int64_t, double) {};
    f.push(10, 1.0, ignore);
    const auto before = f.state();
    EXPECT_THROW(f.push(10, 2.0, ignore), InvalidArgument);
    EXPECT_THROW(f.push(9, 2.0, ignore), InvalidArgument);
    EXPECT_THROW(f.push(11, std::nan(""), ignore), InvalidArgument);
    EXPECT_THROW(f.push(11, std::numeric_limits<double>::infinity(), ignore), InvalidArgument);
    EXPECT_EQ(f.state(), before);
    try {
        f.push(5, 1.0, ignore);
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("index 1"), std::string::npos) << e.what();
    }
    Deadband<double> g(1.0);
    auto ignore_d = [](double, double) {};
    EXPECT_THROW(g.push(std::nan(""), 1.0, ignore_d), InvalidArgument);

    // A batch with a bad point in the middle: error names its index, nothing is consumed.
    std::vector<int64_t> t = {11, 12, 12, 14};
    std::vector<double> v = {1, 2, 3, 4};
    std::vector<int64_t> ot(6);
    std::vector<double> ov(6);
    try {
        run_batch(f, t.data(), v.data(), 4, ot.data(), ov.data());
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("index 2"), std::string::npos) << e.what();
    }
    EXPECT_EQ(f.state(), before);
    v = {1, std::nan(""), 3, 4};
    t = {11, 12, 13, 14};
    EXPECT_THROW(run_batch(f, t.data(), v.data(), 4, ot.data(), ov.data()), InvalidArgument);
    EXPECT_EQ(f.state(), before);
}

TEST(FilterInput, BadParameters) {
    EXPECT_THROW(Sdt<int64_t>(-1.0), InvalidArgument);
    EXPECT_THROW(Sdt<double>(std::nan("")), InvalidArgument);
    EXPECT_THROW(Deadband<double>(std::numeric_limits<double>::infinity()), InvalidArgument);
    EXPECT_THROW(Hysteresis<int64_t>(1.0, std::optional<int64_t>(0)), InvalidArgument);
    EXPECT_THROW(Hysteresis<double>(1.0, std::optional<double>(std::nan(""))), InvalidArgument);
    EXPECT_THROW(SdtCompat(1.0, std::optional<double>(-3.0)), InvalidArgument);
}

TEST(FilterState, CorruptionAndMismatchesAreRejected) {
    Sdt<int64_t> f(0.5, std::optional<int64_t>(100));
    auto ignore = [](int64_t, double) {};
    for (int i = 0; i < 10; ++i) f.push(i * 7, std::sin(i), ignore);
    const auto good = f.state("annotation");
    // Every single-byte change and every truncation is caught by the checksum or the layout checks.
    for (size_t i = 0; i < good.size(); ++i) {
        auto bad = good;
        bad[i] ^= 0x5A;
        EXPECT_THROW(Sdt<int64_t>::from_state(bad.data(), bad.size()), CorruptStream) << "byte " << i;
    }
    for (size_t n = 0; n < good.size(); ++n)
        EXPECT_THROW(Sdt<int64_t>::from_state(good.data(), n), CorruptStream) << "length " << n;
    EXPECT_THROW(Sdt<double>::from_state(good.data(), good.size()), InvalidArgument);
    EXPECT_THROW(Deadband<int64_t>::from_state(good.data(), good.size()), InvalidArgument);
    const StateHeader h = peek_state(good.data(), good.size());
    EXPECT_EQ(h.kind, Kind::sdt);
    EXPECT_EQ(h.time, TimeCode::int64);
}

// ---- real data -------------------------------------------------------------------------------------------

std::vector<fs::path> dataset_files() {
    std::vector<fs::path> files;
    const fs::path root(TSQUASH_DATASETS_DIR);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return files;
    for (const auto& dir : fs::directory_iterator(root, ec)) {
        if (!dir.is_directory()) continue;
        for (const auto& f : fs::directory_iterator(dir.path(), ec))
            if (f.is_regular_file() && f.path().extension() == ".f64") files.push_back(f.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<double> read_f64(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<double> v(bytes.size() / 8);
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * 8);
    return v;
}

TEST(FilterDatasets, BoundsOnEverySeries) {
    const auto files = dataset_files();
    if (files.empty()) {
        std::printf("note: no datasets under %s; the synthetic tests cover the same code\n", TSQUASH_DATASETS_DIR);
        return;
    }
    size_t checked = 0;
    for (const auto& path : files) {
        SCOPED_TRACE(path.string());
        const auto v = read_f64(path);
        if (v.empty()) continue;
        Series<int64_t> s{regular_times<int64_t>(v.size(), 1'700'000'000'000'000'000, 1'000'000'000), v};
        const double r = range_of(v);
        for (double frac : {0.001, 0.01, 0.05}) {
            const double d = r * frac;
            Sdt<int64_t> a(d), b(d, std::optional<int64_t>(int64_t(50) * 1'000'000'000));
            const auto oa = run_whole(a, s);
            EXPECT_TRUE(LinearBound(s, oa, d, false));
            const auto ob = run_whole(b, s);
            EXPECT_TRUE(LinearBound(s, ob, d, false));
            EXPECT_TRUE(MaxIntervalHolds(s, ob, int64_t(50) * 1'000'000'000));
            Deadband<int64_t> db(d);
            EXPECT_TRUE(StepBound(s, run_whole(db, s), d));
            Hysteresis<int64_t> hy(d);
            EXPECT_TRUE(StepBound(s, run_whole(hy, s), d));
        }
        ++checked;
    }
    EXPECT_GT(checked, 0u);
}

}  // namespace
