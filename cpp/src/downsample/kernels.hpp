// Scans shared by the downsamplers (private to cpp/src/downsample).
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>

namespace tsquash::downsample::detail {

// Positions of the first minimum and the first maximum of p[0..n), n >= 1. NaNs are skipped; a side with no
// value strictly inside (+inf, -inf) reports position 0 (all-NaN gives (0, 0); [NaN, +inf] gives (0, 1)).
// -0.0 and +0.0 compare equal (the first one wins).
template <class T>
std::pair<size_t, size_t> argminmax(const T* p, size_t n);

// Like argminmax, but a NaN anywhere gives (first NaN, first NaN).
template <class T>
std::pair<size_t, size_t> nan_argminmax(const T* p, size_t n);

// Sum of p[0..n) as doubles, added strictly left to right (the order fixes the rounding, and so which point
// LTTB picks on a tie).
template <class T>
double sequential_sum(const T* p, size_t n);

// LTTB's choice within one bucket: the first position i in [0, n) maximising the triangle area key
// |d1 * y[i] + d2 * x[i] - offset| (x[i] = x0 + i when x is null), compared on the float's bits with the sign
// cleared so that NaN areas win over every number, as in tsdownsample.
template <class Y>
size_t lttb_pick_implicit(const Y* y, size_t n, double d1, double d2, double ax0, double offset);
template <class X, class Y>
size_t lttb_pick(const X* x, const Y* y, size_t n, double d1, double d2, double offset);

// Whether p[i - 1] <= p[i] for every i in [1, n) (false on NaN).
template <class T>
bool non_decreasing(const T* p, size_t n);

}  // namespace tsquash::downsample::detail
