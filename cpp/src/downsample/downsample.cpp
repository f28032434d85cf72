// LTTB, MinMax, M4, MinMaxLTTB and EveryNth over the kernels in kernels.cpp. The arithmetic (bin edges,
// bucket bounds, averages, area expressions) follows tsdownsample operation for operation, because a
// different rounding would pick a different point whenever two candidates tie.
#include "tsquash/downsample/downsample.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "bins.hpp"
#include "kernels.hpp"
#include "../parallel.hpp"
#include "tsquash/errors.hpp"

namespace tsquash::downsample {
namespace {

using detail::Bin;

Indices all_indices(size_t n) {
    Indices out(n);
    std::iota(out.begin(), out.end(), int64_t{0});
    return out;
}

template <class Y>
std::pair<size_t, size_t> argminmax(const Y* p, size_t n, Nan nan) {
    return nan == Nan::keep ? detail::nan_argminmax(p, n) : detail::argminmax(p, n);
}

void require(bool ok, const std::string& what) {
    if (!ok) throw InvalidArgument(what);
}

template <class X>
void check_span(std::span<const X> x, size_t ny) {
    require(x.size() == ny, "x and y differ in length: " + std::to_string(x.size()) + " and " + std::to_string(ny));
}

// x spanning nothing has no equal-width bins.
template <class X>
void check_x_range(std::span<const X> x) {
    require(x.front() < x.back(), "x must increase somewhere (x[0] < x[-1]) to be split into bins of equal width");
}

// ------------------------------------------------------------------------------------------ LTTB

// Throws unless x[j - 1] <= x[j] for every j in [from, to) (NaN fails). Block-wise so the common case
// (sorted) vectorises; the exact position is looked for only on failure.
template <class X>
void check_pairs(std::span<const X> x, size_t from, size_t to) {
    constexpr size_t B = 1024;
    for (size_t s = std::max<size_t>(from, 1); s < to; s += B) {
        const size_t e = std::min(to, s + B);
        if (detail::non_decreasing(x.data() + s - 1, e - s + 1)) continue;
        for (size_t i = s; i < e; ++i)
            if (!(x[i - 1] <= x[i]))
                throw InvalidArgument("x must be non-decreasing (and free of NaN): x[" + std::to_string(i) +
                                      "] < x[" + std::to_string(i - 1) + "] or one of them is NaN");
    }
}

template <class Y>
double bucket_average(const Y* y, size_t start, size_t end) {
    return detail::sequential_sum(y + start, end - start) / static_cast<double>(end - start);
}

struct Buckets {
    double every;
    size_t avg_start(size_t i) const { return static_cast<size_t>(every * static_cast<double>(i + 1)) + 1; }
    size_t avg_end(size_t i, size_t n) const {
        return std::min(static_cast<size_t>(every * static_cast<double>(i + 2)) + 1, n);
    }
    size_t range_start(size_t i) const { return static_cast<size_t>(every * static_cast<double>(i)) + 1; }
};

// Sums of several buckets at once: each bucket is still added strictly left to right (its rounding is
// unchanged), but the independent chains overlap, so the adder's latency is paid once per group.
template <class Y>
void interleaved_averages(const Y* y, const size_t* start, const size_t* end, double* out) {
    constexpr size_t G = 4;
    double sum[G] = {0.0, 0.0, 0.0, 0.0};
    size_t common = end[0] - start[0];
    for (size_t k = 1; k < G; ++k) common = std::min(common, end[k] - start[k]);
    for (size_t j = 0; j < common; ++j)
        for (size_t k = 0; k < G; ++k) sum[k] += static_cast<double>(y[start[k] + j]);
    for (size_t k = 0; k < G; ++k) {
        for (size_t j = start[k] + common; j < end[k]; ++j) sum[k] += static_cast<double>(y[j]);
        out[k] = sum[k] / static_cast<double>(end[k] - start[k]);
    }
}

// The averages of the n_out - 2 "next" buckets, which do not depend on earlier choices: computed up front,
// four buckets at a time, split over threads when asked.
template <class Y>
std::vector<double> bucket_averages(const Y* y, size_t n, size_t n_out, const Buckets& b, unsigned n_threads) {
    std::vector<double> avg(n_out - 2);
    tsquash::detail::parallel_for(avg.size(), n_threads, [&](size_t lo, size_t hi) {
        size_t i = lo;
        for (; i + 4 <= hi; i += 4) {
            size_t s[4], e[4];
            for (size_t k = 0; k < 4; ++k) {
                s[k] = b.avg_start(i + k);
                e[k] = b.avg_end(i + k, n);
            }
            interleaved_averages(y, s, e, avg.data() + i);
        }
        for (; i < hi; ++i) avg[i] = bucket_average(y, b.avg_start(i), b.avg_end(i, n));
    });
    return avg;
}

void check_lttb(size_t n, size_t n_out) {
    require(n_out >= 3, "LTTB needs n_out >= 3 (first, last and one bucket)");
    // The bucket scan counts positions in 32 bits.
    require(n / (n_out - 2) < (size_t{1} << 30),
            "LTTB buckets of more than 2^30 points are not supported; raise n_out");
}

}  // namespace

template <class Y>
Indices lttb(std::span<const Y> y, size_t n_out, unsigned n_threads) {
    const size_t n = y.size();
    if (n_out >= n) return all_indices(n);
    check_lttb(n, n_out);
    const Buckets b{static_cast<double>(n - 2) / static_cast<double>(n_out - 2)};
    const std::vector<double> avg = bucket_averages(y.data(), n, n_out, b, n_threads);
    Indices out(n_out);
    out[0] = 0;
    size_t a = 0;
    for (size_t i = 0; i + 2 < n_out; ++i) {
        const size_t s = b.avg_start(i), e = b.avg_end(i, n);
        const double avg_y = avg[i];
        const double avg_x = static_cast<double>(s + e - 1) / 2.0;
        const size_t r0 = b.range_start(i);
        const double ay = static_cast<double>(y[a]);
        const double ax = static_cast<double>(a);
        const double d1 = ax - avg_x;
        const double d2 = avg_y - ay;
        const double ax0 = ax - static_cast<double>(r0);
        a = r0 + detail::lttb_pick_implicit(y.data() + r0, s - r0, d1, d2, ax0, d1 * ay);
        out[i + 1] = static_cast<int64_t>(a);
    }
    out[n_out - 1] = static_cast<int64_t>(n - 1);
    return out;
}

template <class X, class Y>
Indices lttb(std::span<const X> x, std::span<const Y> y, size_t n_out, unsigned n_threads, bool check_x) {
    const size_t n = y.size();
    check_span(x, n);
    if (n_out >= n) {
        if (check_x) check_non_decreasing(x);
        return all_indices(n);
    }
    check_lttb(n, n_out);
    const Buckets b{static_cast<double>(n - 2) / static_cast<double>(n_out - 2)};
    const std::vector<double> avg = bucket_averages(y.data(), n, n_out, b, n_threads);
    Indices out(n_out);
    out[0] = 0;
    size_t a = 0;
    for (size_t i = 0; i + 2 < n_out; ++i) {
        const size_t s = b.avg_start(i), e = b.avg_end(i, n);
        const double avg_y = avg[i];
        const double avg_x = (static_cast<double>(x[e - 1]) + static_cast<double>(x[s])) / 2.0;
        const size_t r0 = b.range_start(i);
        const double ax = static_cast<double>(x[a]);
        const double ay = static_cast<double>(y[a]);
        const double d1 = ax - avg_x;
        const double d2 = avg_y - ay;
        const double offset = d1 * ay + d2 * ax;
        a = r0 + detail::lttb_pick(x.data() + r0, y.data() + r0, s - r0, d1, d2, offset);
        out[i + 1] = static_cast<int64_t>(a);
        // The buckets [r0, s) tile 1 .. n-2; each check covers the pairs ending in its bucket.
        if (check_x) check_pairs(x, r0, s);
    }
    if (check_x) check_pairs(x, b.avg_start(n_out - 3), n);
    out[n_out - 1] = static_cast<int64_t>(n - 1);
    return out;
}

// ------------------------------------------------------------------------------------ MinMax, M4

namespace {

// points_per_bin = 2 (MinMax: min and max in index order) or 4 (M4: first, min, max, last).
template <class Y>
Indices binned_without_x(const Y* y, size_t n, size_t n_out, size_t per_bin, Nan nan, unsigned n_threads) {
    const size_t nb = n_out / per_bin;
    Indices out(nb * per_bin);
    tsquash::detail::parallel_for(nb, n_threads, [&](size_t lo, size_t hi) {
        for (size_t i = lo; i < hi; ++i) {
            const Bin bin = detail::index_bin(n, nb, i);
            auto [mn, mx] = argminmax(y + bin.start, bin.end - bin.start, nan);
            const int64_t first = static_cast<int64_t>(bin.start + std::min(mn, mx));
            const int64_t second = static_cast<int64_t>(bin.start + std::max(mn, mx));
            int64_t* o = out.data() + i * per_bin;
            if (per_bin == 2) {
                o[0] = first;
                o[1] = second;
            } else {
                o[0] = static_cast<int64_t>(bin.start);
                o[1] = first;
                o[2] = second;
                o[3] = static_cast<int64_t>(bin.end - 1);
            }
        }
    });
    return out;
}

// Bins of equal x span; a bin with at most per_bin points keeps them all, an empty bin keeps nothing.
template <class X, class Y>
Indices binned_with_x(const X* x, const Y* y, size_t n, size_t n_out, size_t per_bin, Nan nan,
                      unsigned n_threads) {
    const size_t nb = n_out / per_bin;
    const std::vector<Bin> bins = detail::equidistant_bins(x, n, nb);
    std::vector<int64_t> slots(nb * per_bin);
    std::vector<uint8_t> counts(nb);
    tsquash::detail::parallel_for(nb, n_threads, [&](size_t lo, size_t hi) {
        for (size_t i = lo; i < hi; ++i) {
            const Bin bin = bins[i];
            int64_t* o = slots.data() + i * per_bin;
            const size_t len = bin.end - bin.start;
            if (len <= per_bin) {
                for (size_t k = 0; k < len; ++k) o[k] = static_cast<int64_t>(bin.start + k);
                counts[i] = static_cast<uint8_t>(len);
                continue;
            }
            auto [mn, mx] = argminmax(y + bin.start, len, nan);
            const int64_t first = static_cast<int64_t>(bin.start + std::min(mn, mx));
            const int64_t second = static_cast<int64_t>(bin.start + std::max(mn, mx));
            if (per_bin == 2) {
                o[0] = first;
                o[1] = second;
            } else {
                o[0] = static_cast<int64_t>(bin.start);
                o[1] = first;
                o[2] = second;
                o[3] = static_cast<int64_t>(bin.end - 1);
            }
            counts[i] = static_cast<uint8_t>(per_bin);
        }
    });
    Indices out;
    out.reserve(nb * per_bin);
    for (size_t i = 0; i < nb; ++i) {
        const auto first = slots.begin() + static_cast<ptrdiff_t>(i * per_bin);
        out.insert(out.end(), first, first + counts[i]);
    }
    return out;
}

void check_multiple(size_t n_out, size_t k, const char* method) {
    require(n_out > 0 && n_out % k == 0,
            std::string(method) + " needs n_out to be a positive multiple of " + std::to_string(k) + ", got " +
                std::to_string(n_out));
}

void check_two_bins(size_t n_out, size_t k, const char* method) {
    require(n_out >= 2 * k, std::string(method) + " with x needs at least two bins (n_out >= " +
                                std::to_string(2 * k) + "), got n_out = " + std::to_string(n_out));
}

// MinMax (k = 2) and M4 (k = 4) differ only in how many points each bin keeps.
template <class Y>
Indices binned_selection(std::span<const Y> y, size_t n_out, size_t k, const char* method, Nan nan,
                         unsigned n_threads) {
    check_multiple(n_out, k, method);
    if (n_out >= y.size()) return all_indices(y.size());
    return binned_without_x(y.data(), y.size(), n_out, k, nan, n_threads);
}

template <class X, class Y>
Indices binned_selection(std::span<const X> x, std::span<const Y> y, size_t n_out, size_t k, const char* method,
                         Nan nan, unsigned n_threads) {
    check_multiple(n_out, k, method);
    check_span(x, y.size());
    if (n_out >= y.size()) return all_indices(y.size());
    check_two_bins(n_out, k, method);
    check_x_range(x);
    return binned_with_x(x.data(), y.data(), y.size(), n_out, k, nan, n_threads);
}

}  // namespace

template <class Y>
Indices minmax(std::span<const Y> y, size_t n_out, Nan nan, unsigned n_threads) {
    return binned_selection(y, n_out, 2, "MinMax", nan, n_threads);
}

template <class X, class Y>
Indices minmax(std::span<const X> x, std::span<const Y> y, size_t n_out, Nan nan, unsigned n_threads) {
    return binned_selection(x, y, n_out, 2, "MinMax", nan, n_threads);
}

template <class Y>
Indices m4(std::span<const Y> y, size_t n_out, Nan nan, unsigned n_threads) {
    return binned_selection(y, n_out, 4, "M4", nan, n_threads);
}

template <class X, class Y>
Indices m4(std::span<const X> x, std::span<const Y> y, size_t n_out, Nan nan, unsigned n_threads) {
    return binned_selection(x, y, n_out, 4, "M4", nan, n_threads);
}

// ---------------------------------------------------------------------------------- MinMaxLTTB

namespace {

void check_minmax_lttb(size_t n, size_t n_out, size_t ratio) {
    check_lttb(n, n_out);
    require(ratio >= 2, "MinMaxLTTB needs minmax_ratio >= 2, got " + std::to_string(ratio));
    require((n_out * ratio) % 2 == 0, "MinMaxLTTB needs n_out * minmax_ratio to be even (MinMax keeps pairs), got " +
                                          std::to_string(n_out) + " * " + std::to_string(ratio));
}

// The MinMax preselection over the inner points 1..n-2, with the first and last point added.
Indices with_ends(Indices inner, size_t n) {
    Indices idx;
    idx.reserve(inner.size() + 2);
    idx.push_back(0);
    for (int64_t i : inner) idx.push_back(i + 1);
    idx.push_back(static_cast<int64_t>(n - 1));
    return idx;
}

template <class T>
std::vector<T> gather(const T* p, const Indices& idx) {
    std::vector<T> out(idx.size());
    for (size_t k = 0; k < idx.size(); ++k) out[k] = p[idx[k]];
    return out;
}

Indices map_back(const Indices& picked, const Indices& idx) {
    Indices out(picked.size());
    for (size_t k = 0; k < picked.size(); ++k) out[k] = idx[static_cast<size_t>(picked[k])];
    return out;
}

}  // namespace

template <class Y>
Indices minmax_lttb(std::span<const Y> y, size_t n_out, size_t ratio, Nan nan, unsigned n_threads) {
    const size_t n = y.size();
    if (n_out >= n) return all_indices(n);
    check_minmax_lttb(n, n_out, ratio);
    if (n / n_out <= ratio) return lttb(y, n_out, n_threads);
    const Indices idx = with_ends(minmax(y.subspan(1, n - 2), n_out * ratio, nan, n_threads), n);
    const std::vector<Y> ys = gather(y.data(), idx);
    // The preselected points keep their original positions as x, so the triangles are those of plain LTTB.
    return map_back(lttb(std::span<const int64_t>(idx), std::span<const Y>(ys), n_out, 1), idx);
}

template <class X, class Y>
Indices minmax_lttb(std::span<const X> x, std::span<const Y> y, size_t n_out, size_t ratio, Nan nan,
                    unsigned n_threads) {
    const size_t n = y.size();
    check_span(x, n);
    if (n_out >= n) return all_indices(n);
    check_minmax_lttb(n, n_out, ratio);
    if (n / n_out <= ratio) return lttb(x, y, n_out, n_threads);
    require(x[1] < x[n - 2], "x must increase somewhere between x[1] and x[-2] to be split into bins of equal width");
    const Indices idx = with_ends(minmax(x.subspan(1, n - 2), y.subspan(1, n - 2), n_out * ratio, nan, n_threads), n);
    const std::vector<X> xs = gather(x.data(), idx);
    const std::vector<Y> ys = gather(y.data(), idx);
    return map_back(lttb(std::span<const X>(xs), std::span<const Y>(ys), n_out, 1), idx);
}

// ------------------------------------------------------------------------------------ EveryNth

Indices every_nth(size_t n, size_t n_out) {
    require(n_out > 0, "n_out must be positive");
    if (n == 0) return {};
    // numpy.arange(0, n - 0.1, max(1, n / n_out)) truncated to integers, as tsdownsample computes it.
    const double step = std::max(1.0, static_cast<double>(n) / static_cast<double>(n_out));
    const size_t count = static_cast<size_t>(std::ceil((static_cast<double>(n) - 0.1) / step));
    Indices out(count);
    for (size_t i = 0; i < count; ++i) out[i] = static_cast<int64_t>(static_cast<double>(i) * step);
    return out;
}

// ---------------------------------------------------------------------------------- validation

template <class X>
void check_non_decreasing(std::span<const X> x) {
    check_pairs(x, 1, x.size());
    if constexpr (std::is_floating_point_v<X>) {
        if (x.size() == 1 && std::isnan(x[0])) throw InvalidArgument("x holds NaN");
    }
}

#define TSQ_Y(Y)                                                                                     \
    template Indices lttb<Y>(std::span<const Y>, size_t, unsigned);                                  \
    template Indices minmax<Y>(std::span<const Y>, size_t, Nan, unsigned);                           \
    template Indices m4<Y>(std::span<const Y>, size_t, Nan, unsigned);                               \
    template Indices minmax_lttb<Y>(std::span<const Y>, size_t, size_t, Nan, unsigned);              \
    template void check_non_decreasing<Y>(std::span<const Y>);
#define TSQ_XY(X, Y)                                                                                        \
    template Indices lttb<X, Y>(std::span<const X>, std::span<const Y>, size_t, unsigned, bool);                  \
    template Indices minmax<X, Y>(std::span<const X>, std::span<const Y>, size_t, Nan, unsigned);           \
    template Indices m4<X, Y>(std::span<const X>, std::span<const Y>, size_t, Nan, unsigned);               \
    template Indices minmax_lttb<X, Y>(std::span<const X>, std::span<const Y>, size_t, size_t, Nan, unsigned);
TSQ_Y(float)
TSQ_Y(double)
TSQ_Y(int64_t)
TSQ_XY(float, float)
TSQ_XY(float, double)
TSQ_XY(float, int64_t)
TSQ_XY(double, float)
TSQ_XY(double, double)
TSQ_XY(double, int64_t)
TSQ_XY(int64_t, float)
TSQ_XY(int64_t, double)
TSQ_XY(int64_t, int64_t)

}  // namespace tsquash::downsample
