// Bin boundaries shared by MinMax and M4 (private to cpp/src/downsample).
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace tsquash::downsample::detail {

// A half-open index range [start, end); empty when start == end.
struct Bin {
    size_t start;
    size_t end;
};

// nb equal runs of indices over [0, n): bin i ends at floor((n - 1) / nb * (i + 1)) + 1 (tsdownsample's
// rounding, which can leave the last point out when the product rounds down).
inline Bin index_bin(size_t n, size_t nb, size_t i) {
    const double block = static_cast<double>(n - 1) / static_cast<double>(nb);
    const size_t start = i == 0 ? 0 : static_cast<size_t>(block * static_cast<double>(i)) + 1;
    const size_t end = static_cast<size_t>(block * static_cast<double>(i + 1)) + 1;
    return {start, end};
}

// The search value x0 + step * (i + 1) converted to X as Rust's FromPrimitive does: rounded for float,
// truncated toward zero for integers.
template <class X>
X bin_edge(double v) {
    if constexpr (std::is_floating_point_v<X>) {
        return static_cast<X>(v);
    } else {
        if (!(v > -9.2233720368547758e18)) return INT64_MIN;
        if (!(v < 9.2233720368547758e18)) return INT64_MAX;
        return static_cast<X>(v);
    }
}

// Edge k of nb bins over [x0, x_last]: x0 + step * k computed as tsdownsample does, in two halves plus
// 1e-12 (which keeps an edge that lands on a sample from rounding just below it).
inline double bin_edge_value(double x0, double step, size_t k) {
    const double half = static_cast<double>(k) / 2.0;
    return x0 + step * half + step * half + 1e-12;
}

// nb bins of equal x span over sorted x[0..n): bin i holds the points with x up to edge i + 1 not taken by
// an earlier bin; a bin whose first point already reaches its edge is empty. The end of a bin is the first
// index in [start, n - 1] with x >= the edge, one further when that x equals the edge (or is the last
// point and still below it).
template <class X>
std::vector<Bin> equidistant_bins(const X* x, size_t n, size_t nb) {
    const double nbd = static_cast<double>(nb);
    const double step = static_cast<double>(x[n - 1]) / nbd - static_cast<double>(x[0]) / nbd;
    const double x0 = static_cast<double>(x[0]);
    std::vector<Bin> bins(nb);
    size_t idx = 0;
    for (size_t i = 0; i < nb; ++i) {
        const size_t start = idx;
        const X edge = bin_edge<X>(bin_edge_value(x0, step, i + 1));
        if (start >= n || x[start] >= edge) {
            bins[i] = {start, start};
            continue;
        }
        size_t lo = idx, hi = n - 1;
        while (lo < hi) {
            const size_t mid = lo + (hi - lo) / 2;
            if (x[mid] < edge) lo = mid + 1;
            else hi = mid;
        }
        idx = x[lo] <= edge ? lo + 1 : lo;
        bins[i] = {start, idx};
    }
    return bins;
}

}  // namespace tsquash::downsample::detail
