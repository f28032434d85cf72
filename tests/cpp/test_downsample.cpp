// Invariants of the point-selection downsamplers: first and last point kept, sorted indices in range, the
// promised count, NaN-aware bins reporting their NaN, thread-count independence, and the argmin/argmax
// rules (first occurrence, NaN skipped, infinities and signed zeros) against a plain scalar scan.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "tsquash/downsample/downsample.hpp"
#include "tsquash/errors.hpp"

namespace ds = tsquash::downsample;

namespace {

std::vector<double> random_walk(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> step(0.0, 1.0);
    std::vector<double> y(n);
    double v = 0.0;
    for (auto& e : y) e = v += step(rng);
    return y;
}

template <class T>
std::span<const T> sp(const std::vector<T>& v) {
    return {v.data(), v.size()};
}

void expect_sorted_in_range(const ds::Indices& idx, size_t n, bool strictly) {
    for (size_t k = 0; k < idx.size(); ++k) {
        ASSERT_GE(idx[k], 0);
        ASSERT_LT(idx[k], static_cast<int64_t>(n));
        if (k > 0) {
            if (strictly) ASSERT_LT(idx[k - 1], idx[k]) << "at " << k;
            else ASSERT_LE(idx[k - 1], idx[k]) << "at " << k;
        }
    }
}

// The pair a one-bin MinMax must return, in index order: the search starts at (+inf, 0) and (-inf, 0) and
// moves only on a strictly smaller (larger) value, so NaN never moves it and ties keep the first position.
std::pair<int64_t, int64_t> scalar_argminmax(const std::vector<double>& y) {
    const double inf = std::numeric_limits<double>::infinity();
    double vmin = inf, vmax = -inf;
    int64_t imin = 0, imax = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        if (y[i] < vmin) vmin = y[i], imin = static_cast<int64_t>(i);
        if (y[i] > vmax) vmax = y[i], imax = static_cast<int64_t>(i);
    }
    return {std::min(imin, imax), std::max(imin, imax)};
}

}  // namespace

TEST(Downsample, LttbKeepsEndsAndCount) {
    for (size_t n : {5u, 100u, 10007u}) {
        const auto y = random_walk(n, n);
        for (size_t n_out : {3u, 4u, 50u, 999u}) {
            if (n_out >= n) continue;
            const auto idx = ds::lttb(sp(y), n_out);
            ASSERT_EQ(idx.size(), n_out);
            EXPECT_EQ(idx.front(), 0);
            EXPECT_EQ(idx.back(), static_cast<int64_t>(n - 1));
            expect_sorted_in_range(idx, n, true);
            const auto mm = ds::minmax_lttb(sp(y), n_out, 4);
            ASSERT_EQ(mm.size(), n_out);
            EXPECT_EQ(mm.front(), 0);
            EXPECT_EQ(mm.back(), static_cast<int64_t>(n - 1));
            expect_sorted_in_range(mm, n, true);
        }
    }
}

TEST(Downsample, BinnedCountsWithoutX) {
    const auto y = random_walk(10000, 1);
    for (size_t n_out : {2u, 4u, 100u, 2000u}) {
        const auto mm = ds::minmax(sp(y), n_out);
        ASSERT_EQ(mm.size(), n_out);
        expect_sorted_in_range(mm, y.size(), false);
        if (n_out % 4 == 0) {
            const auto m4 = ds::m4(sp(y), n_out);
            ASSERT_EQ(m4.size(), n_out);
            expect_sorted_in_range(m4, y.size(), false);
            EXPECT_EQ(m4.front(), 0);  // first point of the first bin
        }
    }
}

TEST(Downsample, WithXAtMostNOutAndGapsLeaveEmptyBins) {
    const size_t n = 5000;
    const auto y = random_walk(n, 2);
    std::vector<int64_t> x(n);
    for (size_t i = 0; i < n; ++i) x[i] = static_cast<int64_t>(i) + (i >= n / 2 ? 100000 : 0);  // a big gap
    const auto mm = ds::minmax(sp(x), sp(y), 100);
    EXPECT_LT(mm.size(), 100u);  // the bins inside the gap are empty
    expect_sorted_in_range(mm, n, false);
    const auto m4 = ds::m4(sp(x), sp(y), 100);
    EXPECT_LT(m4.size(), 100u);
    expect_sorted_in_range(m4, n, false);
    const auto lt = ds::lttb(sp(x), sp(y), 100);
    EXPECT_EQ(lt.size(), 100u);
    expect_sorted_in_range(lt, n, true);
}

TEST(Downsample, ArgMinMaxRulesMatchScalarScan) {
    std::mt19937_64 rng(3);
    std::uniform_int_distribution<int> small(-3, 3);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double inf = std::numeric_limits<double>::infinity();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (int trial = 0; trial < 400; ++trial) {
        const size_t n = 3 + static_cast<size_t>(u(rng) * 300);  // n_out = 2 < n: one bin, not "all points"
        std::vector<double> y(n);
        for (auto& v : y) {
            const double r = u(rng);
            v = r < 0.1 ? nan : r < 0.13 ? inf : r < 0.16 ? -inf : r < 0.2 ? -0.0 : static_cast<double>(small(rng));
        }
        if (trial % 7 == 0)
            for (auto& v : y) v = nan;
        if (trial % 11 == 0)
            for (auto& v : y) v = inf;
        if (trial % 13 == 0)
            for (auto& v : y) v = u(rng) < 0.5 ? nan : (u(rng) < 0.5 ? inf : -inf);
        const auto idx = ds::minmax(sp(y), 2);  // one bin: the whole series
        const auto want = scalar_argminmax(y);
        ASSERT_EQ(idx.size(), 2u);
        EXPECT_EQ(idx[0], want.first) << "trial " << trial;
        EXPECT_EQ(idx[1], want.second) << "trial " << trial;
    }
}

TEST(Downsample, NanAwareBinsReportTheirFirstNan) {
    std::vector<double> y = random_walk(1000, 4);
    y[130] = std::numeric_limits<double>::quiet_NaN();
    y[140] = std::numeric_limits<double>::quiet_NaN();
    const auto keep = ds::minmax(sp(y), 20, ds::Nan::keep);  // bins of ~100 points; 130 in the second
    EXPECT_EQ(keep[2], 130);
    EXPECT_EQ(keep[3], 130);
    const auto skip = ds::minmax(sp(y), 20, ds::Nan::ignore);
    for (int64_t i : skip) EXPECT_FALSE(std::isnan(y[static_cast<size_t>(i)]));
    const auto m4 = ds::m4(sp(y), 40, ds::Nan::keep);
    EXPECT_EQ(m4[5], 130);
    EXPECT_EQ(m4[6], 130);
}

TEST(Downsample, ThreadsGiveIdenticalIndices) {
    const auto y = random_walk(50001, 5);
    std::vector<double> x(y.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i / 3) * 0.5;  // repeated x values
    for (unsigned t : {2u, 3u, 7u}) {
        EXPECT_EQ(ds::lttb(sp(y), 777, t), ds::lttb(sp(y), 777, 1));
        EXPECT_EQ(ds::lttb(sp(x), sp(y), 777, t), ds::lttb(sp(x), sp(y), 777, 1));
        EXPECT_EQ(ds::minmax(sp(y), 700, ds::Nan::ignore, t), ds::minmax(sp(y), 700));
        EXPECT_EQ(ds::minmax(sp(x), sp(y), 700, ds::Nan::ignore, t), ds::minmax(sp(x), sp(y), 700));
        EXPECT_EQ(ds::m4(sp(y), 700, ds::Nan::keep, t), ds::m4(sp(y), 700, ds::Nan::keep));
        EXPECT_EQ(ds::m4(sp(x), sp(y), 700, ds::Nan::ignore, t), ds::m4(sp(x), sp(y), 700));
        EXPECT_EQ(ds::minmax_lttb(sp(y), 500, 4, ds::Nan::ignore, t), ds::minmax_lttb(sp(y), 500, 4));
        EXPECT_EQ(ds::minmax_lttb(sp(x), sp(y), 500, 4, ds::Nan::ignore, t), ds::minmax_lttb(sp(x), sp(y), 500, 4));
    }
}

TEST(Downsample, EveryNthSteps) {
    EXPECT_EQ(ds::every_nth(10, 3), (ds::Indices{0, 3, 6}));
    EXPECT_EQ(ds::every_nth(10, 20).size(), 10u);
    EXPECT_EQ(ds::every_nth(0, 5).size(), 0u);
    const auto idx = ds::every_nth(1000003, 1000);
    EXPECT_EQ(idx.size(), 1000u);
    expect_sorted_in_range(idx, 1000003, true);
}

TEST(Downsample, InvalidArgumentsThrow) {
    const auto y = random_walk(100, 6);
    std::vector<double> x(100, 1.0);
    EXPECT_THROW(ds::lttb(sp(y), 2), tsquash::InvalidArgument);
    EXPECT_THROW(ds::minmax(sp(y), 7), tsquash::InvalidArgument);
    EXPECT_THROW(ds::m4(sp(y), 6), tsquash::InvalidArgument);
    EXPECT_THROW(ds::minmax_lttb(sp(y), 10, 1), tsquash::InvalidArgument);
    EXPECT_THROW(ds::minmax(sp(x), sp(y), 10), tsquash::InvalidArgument);  // x spans nothing
    std::vector<double> short_x(99, 0.0);
    EXPECT_THROW(ds::lttb(sp(short_x), sp(y), 10), tsquash::InvalidArgument);
    std::vector<double> down{0.0, 1.0, 0.5, 2.0};
    EXPECT_THROW(ds::check_non_decreasing(sp(down)), tsquash::InvalidArgument);
    std::vector<double> with_nan{0.0, std::numeric_limits<double>::quiet_NaN(), 2.0};
    EXPECT_THROW(ds::check_non_decreasing(sp(with_nan)), tsquash::InvalidArgument);
    std::vector<int64_t> flat(1000, 5);
    EXPECT_NO_THROW(ds::check_non_decreasing(sp(flat)));
}
