// Batch loops: a whole array of points through a filter, with the same per-point code as the streaming
// push, so the output is identical to pushing the points one at a time.
//
// Inputs and outputs are strided views (strides counted in elements), so the columns of an (n, 2) array
// are read and written in place. The batch is checked completely before the filter sees any point: a bad
// point raises InvalidArgument naming its index and leaves the filter unchanged.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tsquash/filters/common.hpp"

namespace tsquash::filters {

template <TimeType T>
struct Column {
    const T* data;
    ptrdiff_t stride = 1;
    const T& operator[](size_t i) const { return data[static_cast<ptrdiff_t>(i) * stride]; }
};

template <TimeType T>
struct OutColumn {
    T* data;
    ptrdiff_t stride = 1;
    T& operator[](size_t i) const { return data[static_cast<ptrdiff_t>(i) * stride]; }
};

// Upper bound on the points one batch of n can release: every emitted point has a distinct input time,
// and at most one of them (a point held back from an earlier batch) precedes the batch. The flush after
// it releases at most two more.
inline constexpr size_t max_batch_output(size_t n) { return n + 2; }

template <TimeType T>
void check_batch(bool started, T prev_t, Column<T> t, Column<double> v, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        const T ti = t[i];
        const double vi = v[i];
        bool ok = std::isfinite(vi) && (!started || ti > prev_t);
        if constexpr (std::is_same_v<T, double>) ok = ok && std::isfinite(ti);
        if (!ok) [[unlikely]]
            check_point(started, prev_t, ti, vi, i);  // throws with the message
        started = true;
        prev_t = ti;
    }
}

// Runs n points through f and writes the released points to (out_t, out_v), which must hold
// max_batch_output(n) entries. Returns the number written.
template <class F, TimeType T = typename F::time_type>
size_t run_batch(F& f, Column<T> t, Column<double> v, size_t n, OutColumn<T> out_t, OutColumn<double> out_v) {
    check_batch(f.started(), f.last_time(), t, v, n);
    size_t k = 0;
    auto emit = [&](T tt, double vv) {
        out_t[k] = tt;
        out_v[k] = vv;
        ++k;
    };
    for (size_t i = 0; i < n; ++i) f.push_unchecked(t[i], v[i], emit);
    return k;
}

// Contiguous convenience overload.
template <class F, TimeType T = typename F::time_type>
size_t run_batch(F& f, const T* t, const double* v, size_t n, T* out_t, double* out_v) {
    return run_batch(f, Column<T>{t, 1}, Column<double>{v, 1}, n, OutColumn<T>{out_t, 1}, OutColumn<double>{out_v, 1});
}

}  // namespace tsquash::filters
