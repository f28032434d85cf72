// Point-selection downsamplers: LTTB, MinMax, M4, MinMaxLTTB and EveryNth. Each returns the sorted indices of
// the points it keeps, chosen exactly as tsdownsample (the Rust library) chooses them, so plots made with
// either library are identical.
//
// x is optional: without it the points are taken as equally spaced (x = 0..n-1) and the bins are equal runs
// of indices; with it the bins are equal spans of x (MinMax, M4) and x must be non-decreasing. Multi-threaded
// calls give the same indices as single-threaded ones: threads only split independent bins.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tsquash::downsample {

using Indices = std::vector<int64_t>;

// What a bin containing NaN reports. ignore: NaNs are skipped (a bin of only NaNs reports its first point);
// keep: the bin reports its first NaN in place of both its minimum and maximum, so gaps stay visible.
// Integer data has no NaN and behaves the same either way.
enum class Nan { ignore, keep };

// Throws InvalidArgument naming the first position where x decreases (or holds a NaN).
template <class X>
void check_non_decreasing(std::span<const X> x);

// Largest-Triangle-Three-Buckets: the first and last point plus one point per bucket (n_out >= 3).
// check_x verifies that x is non-decreasing bucket by bucket while the bucket is in cache (the same
// InvalidArgument as check_non_decreasing), instead of a separate pass over x.
template <class Y>
Indices lttb(std::span<const Y> y, size_t n_out, unsigned n_threads = 1);
template <class X, class Y>
Indices lttb(std::span<const X> x, std::span<const Y> y, size_t n_out, unsigned n_threads = 1,
             bool check_x = false);

// The minimum and maximum of each of n_out / 2 bins (n_out even).
template <class Y>
Indices minmax(std::span<const Y> y, size_t n_out, Nan nan = Nan::ignore, unsigned n_threads = 1);
template <class X, class Y>
Indices minmax(std::span<const X> x, std::span<const Y> y, size_t n_out, Nan nan = Nan::ignore,
               unsigned n_threads = 1);

// First, minimum, maximum and last point of each of n_out / 4 bins (n_out a multiple of 4).
template <class Y>
Indices m4(std::span<const Y> y, size_t n_out, Nan nan = Nan::ignore, unsigned n_threads = 1);
template <class X, class Y>
Indices m4(std::span<const X> x, std::span<const Y> y, size_t n_out, Nan nan = Nan::ignore,
           unsigned n_threads = 1);

// MinMax preselection of n_out * ratio points (first and last always kept), then LTTB on those; plain LTTB
// when the series has at most ratio points per output point.
template <class Y>
Indices minmax_lttb(std::span<const Y> y, size_t n_out, size_t ratio = 4, Nan nan = Nan::ignore,
                    unsigned n_threads = 1);
template <class X, class Y>
Indices minmax_lttb(std::span<const X> x, std::span<const Y> y, size_t n_out, size_t ratio = 4,
                    Nan nan = Nan::ignore, unsigned n_threads = 1);

// Every ceil-free (n / n_out)-th index, the step being fractional: floor(i * n / n_out).
Indices every_nth(size_t n, size_t n_out);

}  // namespace tsquash::downsample
