// The inner loops of the downsamplers. Each scan is written as plain loops over independent lanes or
// fixed-size blocks, without early exits inside a block, so the compiler vectorises them; the public
// entry points are cloned for AVX2 and picked at run time (the default build targets baseline x86-64).
#include "kernels.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace tsquash::downsample::detail {
namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TSQ_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TSQ_CLONES
#endif
#define TSQ_INLINE inline __attribute__((always_inline))

constexpr size_t kBlock = 64;

template <class T>
constexpr T lowest_start() {
    if constexpr (std::numeric_limits<T>::has_infinity) return -std::numeric_limits<T>::infinity();
    else return std::numeric_limits<T>::lowest();
}
template <class T>
constexpr T highest_start() {
    if constexpr (std::numeric_limits<T>::has_infinity) return std::numeric_limits<T>::infinity();
    else return std::numeric_limits<T>::max();
}

// Smallest and largest non-NaN value (v < m ? v : m keeps m when v is NaN: the minps/minpd rule).
template <class T>
TSQ_INLINE bool min_max_tail(const T* p, size_t n, T& mn, T& mx) {
    bool nan = false;
    for (size_t i = 0; i < n; ++i) {
        const T v = p[i];
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        nan |= v != v;
    }
    return nan;
}

#if defined(__GNUC__) && !defined(__clang__)
// GCC vector extensions: without -ffast-math GCC does not vectorise a scalar min/max reduction, so the
// lanes are explicit. Two accumulators per side hide the compare latency. Returns whether a NaN was seen
// (looked for only when DetectNan).
template <bool DetectNan, class T>
TSQ_INLINE bool min_max_values(const T* p, size_t n, T& out_min, T& out_max) {
    typedef T V __attribute__((vector_size(32)));
    constexpr size_t L = 32 / sizeof(T);
    V mn0, mx0;
    for (size_t j = 0; j < L; ++j) {
        mn0[j] = highest_start<T>();
        mx0[j] = lowest_start<T>();
    }
    V mn1 = mn0, mx1 = mx0;
    typedef decltype(mn0 != mn0) M;
    M nan = mn0 != mn0;
    size_t i = 0;
    for (; i + 2 * L <= n; i += 2 * L) {
        V a, b;
        std::memcpy(&a, p + i, sizeof(V));
        std::memcpy(&b, p + i + L, sizeof(V));
        mn0 = a < mn0 ? a : mn0;
        mx0 = a > mx0 ? a : mx0;
        mn1 = b < mn1 ? b : mn1;
        mx1 = b > mx1 ? b : mx1;
        if constexpr (DetectNan) nan |= (a != a) | (b != b);
    }
    bool any_nan = false;
    if constexpr (DetectNan)
        for (size_t j = 0; j < L; ++j) any_nan |= nan[j] != 0;
    T a = highest_start<T>(), b = lowest_start<T>();
    for (size_t j = 0; j < L; ++j) {
        a = mn0[j] < a ? mn0[j] : a;
        a = mn1[j] < a ? mn1[j] : a;
        b = mx0[j] > b ? mx0[j] : b;
        b = mx1[j] > b ? mx1[j] : b;
    }
    any_nan |= min_max_tail(p + i, n - i, a, b);
    out_min = a;
    out_max = b;
    return any_nan;
}
#else
template <bool DetectNan, class T>
TSQ_INLINE bool min_max_values(const T* p, size_t n, T& out_min, T& out_max) {
    out_min = highest_start<T>();
    out_max = lowest_start<T>();
    return min_max_tail(p, n, out_min, out_max);
}
#endif

// Lane-wide flags, so the any-hit reduction needs no narrowing shuffles.
template <class T>
using Flag = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;

// First i with p[i] == v, or n.
template <class T>
TSQ_INLINE size_t find_first(const T* p, size_t n, T v) {
    size_t i = 0;
    for (; i + kBlock <= n; i += kBlock) {
        Flag<T> hit = 0;
        for (size_t j = 0; j < kBlock; ++j) hit |= static_cast<Flag<T>>(p[i + j] == v);
        if (hit) break;
    }
    for (; i < n; ++i)
        if (p[i] == v) return i;
    return n;
}

template <class T>
TSQ_INLINE size_t find_first_nan(const T* p, size_t n) {
    size_t i = 0;
    for (; i + kBlock <= n; i += kBlock) {
        Flag<T> hit = 0;
        for (size_t j = 0; j < kBlock; ++j) hit |= static_cast<Flag<T>>(p[i + j] != p[i + j]);
        if (hit) break;
    }
    for (; i < n; ++i)
        if (p[i] != p[i]) return i;
    return n;
}

template <class T>
TSQ_INLINE std::pair<size_t, size_t> first_positions(const T* p, size_t n, T mn, T mx) {
    // The search starts from (+inf, position 0) and (-inf, position 0) and only a strictly better value
    // moves it (as in the argminmax crate): a run of only NaN and +inf reports minimum 0, one of only NaN
    // and -inf reports maximum 0.
    const size_t imin = mn == highest_start<T>() ? 0 : find_first(p, n, mn);
    const size_t imax = mx == lowest_start<T>() ? 0 : find_first(p, n, mx);
    return {imin, imax};
}

#if defined(__GNUC__) && !defined(__clang__)
// One pass keeping, per lane, the value and position of the first minimum and maximum (strict < and >
// keep the earliest; NaN never compares, so it is skipped), then a reduction across lanes preferring the
// smaller position on equal values. Returns false when some side saw no value strictly inside
// (+inf, -inf), which only all-NaN or all-infinite runs produce; the caller then uses the exact two-pass
// search. nan_seen reports a NaN when DetectNan.
// NaNs are noticed through a running sum of the values, in one register (the loop already uses nearly all
// sixteen; a spilled accumulator costs more than the pass): a NaN makes the sum NaN. So can +inf and -inf, or an
// overflow followed by an infinity of the other sign, hence nan_seen means "maybe": the caller looks for the
// first NaN and, finding none, keeps this pass's positions.
template <bool DetectNan, class T>
TSQ_INLINE bool tracked_argminmax(const T* p, size_t n, size_t& imin, size_t& imax, bool& nan_seen) {
    using I = std::conditional_t<sizeof(T) == 8, int64_t, int32_t>;
    typedef T V __attribute__((vector_size(32)));
    typedef I IV __attribute__((vector_size(32)));
    constexpr size_t L = 32 / sizeof(T);
    if (n >= static_cast<size_t>(std::numeric_limits<I>::max()) - 2 * L) return false;
    V mn0, mx0;
    IV cur0;
    for (size_t j = 0; j < L; ++j) {
        mn0[j] = highest_start<T>();
        mx0[j] = lowest_start<T>();
        cur0[j] = static_cast<I>(j);
    }
    V mn1 = mn0, mx1 = mx0;
    // Both halves of a step record the position of the first half's lanes (the second half's are L further,
    // added back after the loop): one position vector fewer to keep in a register and to advance.
    IV imn0 = cur0 - cur0 - 1, imx0 = imn0, imn1 = imn0, imx1 = imn0;
    const IV step = cur0 - cur0 + static_cast<I>(2 * L);
    typedef decltype(mn0 != mn0) M;
    [[maybe_unused]] V sum = {};
    size_t i = 0;
    for (; i + 2 * L <= n; i += 2 * L) {
        V a, b;
        std::memcpy(&a, p + i, sizeof(V));
        std::memcpy(&b, p + i + L, sizeof(V));
        const M lta = a < mn0, gta = a > mx0, ltb = b < mn1, gtb = b > mx1;
        mn0 = lta ? a : mn0;
        imn0 = lta ? cur0 : imn0;
        mx0 = gta ? a : mx0;
        imx0 = gta ? cur0 : imx0;
        mn1 = ltb ? b : mn1;
        imn1 = ltb ? cur0 : imn1;
        mx1 = gtb ? b : mx1;
        imx1 = gtb ? cur0 : imx1;
        if constexpr (DetectNan) sum += a + b;
        cur0 += step;
    }
    imn1 = imn1 >= 0 ? imn1 + static_cast<I>(L) : imn1;
    imx1 = imx1 >= 0 ? imx1 + static_cast<I>(L) : imx1;
    T bmin = highest_start<T>(), bmax = lowest_start<T>();
    int64_t kmin = -1, kmax = -1;
    auto take = [&](T v, int64_t k, bool is_min) {
        if (k < 0) return;
        if (is_min) {
            if (kmin < 0 || v < bmin || (v == bmin && k < kmin)) bmin = v, kmin = k;
        } else {
            if (kmax < 0 || v > bmax || (v == bmax && k < kmax)) bmax = v, kmax = k;
        }
    };
    for (size_t j = 0; j < L; ++j) {
        take(mn0[j], imn0[j], true);
        take(mn1[j], imn1[j], true);
        take(mx0[j], imx0[j], false);
        take(mx1[j], imx1[j], false);
    }
    bool any_nan = false;
    if constexpr (DetectNan)
        for (size_t j = 0; j < L; ++j) any_nan |= sum[j] != sum[j];
    for (; i < n; ++i) {
        const T v = p[i];
        if (v < bmin || (kmin < 0 && v == bmin)) bmin = v, kmin = static_cast<int64_t>(i);
        if (v > bmax || (kmax < 0 && v == bmax)) bmax = v, kmax = static_cast<int64_t>(i);
        any_nan |= v != v;
    }
    nan_seen = any_nan;
    // An infinity equal to the start value is never "strictly" better: let the exact search decide.
    if (kmin < 0 || kmax < 0 || bmin == highest_start<T>() || bmax == lowest_start<T>()) return false;
    imin = static_cast<size_t>(kmin);
    imax = static_cast<size_t>(kmax);
    return true;
}
#endif

template <class T>
TSQ_INLINE std::pair<size_t, size_t> argminmax_impl(const T* p, size_t n) {
#if defined(__GNUC__) && !defined(__clang__)
    size_t a, b;
    bool nan;
    if (tracked_argminmax<false>(p, n, a, b, nan)) return {a, b};
#endif
    T mn, mx;
    min_max_values<false>(p, n, mn, mx);
    return first_positions(p, n, mn, mx);
}

template <class T>
TSQ_INLINE std::pair<size_t, size_t> nan_argminmax_impl(const T* p, size_t n) {
    if constexpr (std::numeric_limits<T>::has_quiet_NaN) {
#if defined(__GNUC__) && !defined(__clang__)
        size_t a, b;
        bool nan = false;
        const bool done = tracked_argminmax<true>(p, n, a, b, nan);
        if (nan) {
            const size_t k = find_first_nan(p, n);
            if (k < n) return {k, k};
        }
        if (done) return {a, b};
#endif
        T mn, mx;
        if (min_max_values<true>(p, n, mn, mx)) {
            const size_t k = find_first_nan(p, n);
            return {k, k};
        }
        return first_positions(p, n, mn, mx);
    } else {
        return argminmax_impl(p, n);
    }
}

// The area key of tsdownsample's LTTB: the double's bits with the sign bit cleared, compared as integers.
TSQ_INLINE int64_t area_key(double area) {
    return std::bit_cast<int64_t>(area) & 0x7FFF'FFFF'FFFF'FFFFLL;
}

// LTTB's pick in two passes: the largest key, then its first position (scanned in blocks).
template <class F>
TSQ_INLINE size_t first_max_key(size_t n, F&& key) {
    int64_t best = -1;
    for (size_t j = 0; j < n; ++j) {
        const int64_t k = key(j);
        best = k > best ? k : best;
    }
    for (size_t j = 0; j < n; ++j)
        if (key(j) == best) return j;
    return 0;
}

#if defined(__GNUC__) && !defined(__clang__)
// The 32-byte vector helpers below, lambdas included, are always inlined (even at -O0): a lambda's
// operator() does not inherit the AVX2 clone's target, so an out-of-line call would pass its vectors with
// the baseline ABI. Inlined, the ABI note GCC gives does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
typedef double V4 __attribute__((vector_size(32)));
typedef int64_t K4 __attribute__((vector_size(32)));

template <class T>
TSQ_INLINE V4 load4(const T* p) {
    if constexpr (std::is_same_v<T, double>) {
        V4 v;
        std::memcpy(&v, p, sizeof(v));
        return v;
    } else if constexpr (std::is_same_v<T, float>) {
        typedef float F4 __attribute__((vector_size(16)));
        F4 v;
        std::memcpy(&v, p, sizeof(v));
        return __builtin_convertvector(v, V4);
    } else {
        // AVX2 has no int64 -> double conversion; split v = hi * 2^32 + lo, convert the 32-bit halves
        // exactly, and let the one final addition round (the same rounding as a scalar conversion).
        // The low half is unsigned: flipping its top bit gives lo - 2^31 as a signed int32.
        typedef int32_t I4 __attribute__((vector_size(16)));
        typedef int32_t I8 __attribute__((vector_size(32)));
        I8 w;
        std::memcpy(&w, p, sizeof(w));
        const I4 hi = __builtin_shufflevector(w, w, 1, 3, 5, 7);
        const I4 lo = __builtin_shufflevector(w, w, 0, 2, 4, 6) ^ INT32_MIN;
        return __builtin_convertvector(hi, V4) * 4294967296.0 + (__builtin_convertvector(lo, V4) + 2147483648.0);
    }
}

TSQ_INLINE K4 area_keys(V4 area) {
    K4 k;
    std::memcpy(&k, &area, sizeof(k));
    return k & 0x7FFF'FFFF'FFFF'FFFFLL;
}

// The two passes of first_max_key over 4-lane vectors; area4(j) gives the areas of positions j .. j+3
// (j a multiple of 4), key1(j) the key of one position.
template <class A4, class K1>
TSQ_INLINE size_t first_max_key_v(size_t n, A4&& area4, K1&& key1) {
    const size_t n4 = n & ~size_t{3};
    K4 best4 = {-1, -1, -1, -1};
    for (size_t j = 0; j < n4; j += 4) {
        const K4 k = area_keys(area4(j));
        best4 = k > best4 ? k : best4;
    }
    int64_t best = -1;
    for (int l = 0; l < 4; ++l) best = best4[l] > best ? best4[l] : best;
    for (size_t j = n4; j < n; ++j) best = key1(j) > best ? key1(j) : best;
    constexpr size_t B = 16;
    size_t j = 0;
    for (; j + B <= n4; j += B) {
        K4 hit = {0, 0, 0, 0};
        for (size_t b = 0; b < B; b += 4) hit |= area_keys(area4(j + b)) == best;
        if (hit[0] | hit[1] | hit[2] | hit[3]) break;
    }
    for (; j < n; ++j)
        if (key1(j) == best) return j;
    return 0;
}

template <class Y>
TSQ_INLINE size_t lttb_pick_implicit_impl(const Y* y, size_t n, double d1, double d2, double ax0, double offset) {
    // ax0 - j is exact (integers below 2^53), so it equals tsdownsample's running ax_x -= 1.0.
    const V4 lane = {0.0, 1.0, 2.0, 3.0};
    auto area4 = [=](size_t j) __attribute__((always_inline)) {
        const V4 ax = (ax0 - static_cast<double>(j)) - lane;
        return d1 * load4(y + j) - ax * d2 - offset;
    };
    auto key1 = [=](size_t j) __attribute__((always_inline)) {
        const double ax = ax0 - static_cast<double>(j);
        return area_key(d1 * static_cast<double>(y[j]) - ax * d2 - offset);
    };
    return first_max_key_v(n, area4, key1);
}

template <class X, class Y>
TSQ_INLINE size_t lttb_pick_impl(const X* x, const Y* y, size_t n, double d1, double d2, double offset) {
    auto area4 = [=](size_t j) __attribute__((always_inline)) {
        return d1 * load4(y + j) + d2 * load4(x + j) - offset;
    };
    auto key1 = [=](size_t j) __attribute__((always_inline)) {
        return area_key(d1 * static_cast<double>(y[j]) + d2 * static_cast<double>(x[j]) - offset);
    };
    return first_max_key_v(n, area4, key1);
}
#else
template <class Y>
TSQ_INLINE size_t lttb_pick_implicit_impl(const Y* y, size_t n, double d1, double d2, double ax0, double offset) {
    return first_max_key(n, [=](size_t j) {
        const double ax = ax0 - static_cast<double>(j);
        return area_key(d1 * static_cast<double>(y[j]) - ax * d2 - offset);
    });
}

template <class X, class Y>
TSQ_INLINE size_t lttb_pick_impl(const X* x, const Y* y, size_t n, double d1, double d2, double offset) {
    return first_max_key(n, [=](size_t j) {
        return area_key(d1 * static_cast<double>(y[j]) + d2 * static_cast<double>(x[j]) - offset);
    });
}
#endif

template <class T>
TSQ_INLINE bool non_decreasing_impl(const T* p, size_t n) {
    Flag<T> bad = 0;  // lane-wide flags: no narrowing
    for (size_t i = 1; i < n; ++i) bad |= static_cast<Flag<T>>(!(p[i - 1] <= p[i]));
    return bad == 0;
}

#define TSQ_ARGMINMAX(T, NAME)                                                                       \
    TSQ_CLONES std::pair<size_t, size_t> argminmax_##NAME(const T* p, size_t n) {                    \
        return argminmax_impl(p, n);                                                                 \
    }                                                                                                \
    TSQ_CLONES std::pair<size_t, size_t> nan_argminmax_##NAME(const T* p, size_t n) {                \
        return nan_argminmax_impl(p, n);                                                             \
    }                                                                                                \
    TSQ_CLONES bool non_decreasing_##NAME(const T* p, size_t n) { return non_decreasing_impl(p, n); } \
    TSQ_CLONES size_t pick_implicit_##NAME(const T* y, size_t n, double d1, double d2, double ax0,   \
                                           double offset) {                                          \
        return lttb_pick_implicit_impl(y, n, d1, d2, ax0, offset);                                   \
    }
TSQ_ARGMINMAX(float, f32)
TSQ_ARGMINMAX(double, f64)
TSQ_ARGMINMAX(int64_t, i64)

#define TSQ_PICK(X, XN, Y, YN)                                                                         \
    TSQ_CLONES size_t pick_##XN##_##YN(const X* x, const Y* y, size_t n, double d1, double d2, double off) { \
        return lttb_pick_impl(x, y, n, d1, d2, off);                                                   \
    }
TSQ_PICK(float, f32, float, f32)
TSQ_PICK(float, f32, double, f64)
TSQ_PICK(float, f32, int64_t, i64)
TSQ_PICK(double, f64, float, f32)
TSQ_PICK(double, f64, double, f64)
TSQ_PICK(double, f64, int64_t, i64)
TSQ_PICK(int64_t, i64, float, f32)
TSQ_PICK(int64_t, i64, double, f64)
TSQ_PICK(int64_t, i64, int64_t, i64)

template <class T>
struct Tag {};
#define TSQ_DISPATCH1(T, NAME)                                                                            \
    std::pair<size_t, size_t> amm(Tag<T>, const T* p, size_t n) { return argminmax_##NAME(p, n); }       \
    std::pair<size_t, size_t> namm(Tag<T>, const T* p, size_t n) { return nan_argminmax_##NAME(p, n); } \
    bool nondec(Tag<T>, const T* p, size_t n) { return non_decreasing_##NAME(p, n); }                    \
    size_t pick_i(Tag<T>, const T* y, size_t n, double d1, double d2, double ax0, double off) {          \
        return pick_implicit_##NAME(y, n, d1, d2, ax0, off);                                             \
    }
TSQ_DISPATCH1(float, f32)
TSQ_DISPATCH1(double, f64)
TSQ_DISPATCH1(int64_t, i64)

#define TSQ_DISPATCH2(X, XN, Y, YN)                                                                       \
    size_t pick_x(Tag<X>, Tag<Y>, const X* x, const Y* y, size_t n, double d1, double d2, double off) { \
        return pick_##XN##_##YN(x, y, n, d1, d2, off);                                                  \
    }
TSQ_DISPATCH2(float, f32, float, f32)
TSQ_DISPATCH2(float, f32, double, f64)
TSQ_DISPATCH2(float, f32, int64_t, i64)
TSQ_DISPATCH2(double, f64, float, f32)
TSQ_DISPATCH2(double, f64, double, f64)
TSQ_DISPATCH2(double, f64, int64_t, i64)
TSQ_DISPATCH2(int64_t, i64, float, f32)
TSQ_DISPATCH2(int64_t, i64, double, f64)
TSQ_DISPATCH2(int64_t, i64, int64_t, i64)

}  // namespace

template <class T>
std::pair<size_t, size_t> argminmax(const T* p, size_t n) {
    return amm(Tag<T>{}, p, n);
}

template <class T>
std::pair<size_t, size_t> nan_argminmax(const T* p, size_t n) {
    return namm(Tag<T>{}, p, n);
}

template <class T>
bool non_decreasing(const T* p, size_t n) {
    return nondec(Tag<T>{}, p, n);
}

template <class T>
double sequential_sum(const T* p, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) s += static_cast<double>(p[i]);
    return s;
}

template <class Y>
size_t lttb_pick_implicit(const Y* y, size_t n, double d1, double d2, double ax0, double offset) {
    return pick_i(Tag<Y>{}, y, n, d1, d2, ax0, offset);
}

template <class X, class Y>
size_t lttb_pick(const X* x, const Y* y, size_t n, double d1, double d2, double offset) {
    return pick_x(Tag<X>{}, Tag<Y>{}, x, y, n, d1, d2, offset);
}

#define TSQ_INST1(T)                                                                          \
    template std::pair<size_t, size_t> argminmax<T>(const T*, size_t);                        \
    template std::pair<size_t, size_t> nan_argminmax<T>(const T*, size_t);                    \
    template double sequential_sum<T>(const T*, size_t);                                      \
    template bool non_decreasing<T>(const T*, size_t);                                        \
    template size_t lttb_pick_implicit<T>(const T*, size_t, double, double, double, double);
TSQ_INST1(float)
TSQ_INST1(double)
TSQ_INST1(int64_t)
#define TSQ_INST2(X, Y) template size_t lttb_pick<X, Y>(const X*, const Y*, size_t, double, double, double);
TSQ_INST2(float, float)
TSQ_INST2(float, double)
TSQ_INST2(float, int64_t)
TSQ_INST2(double, float)
TSQ_INST2(double, double)
TSQ_INST2(double, int64_t)
TSQ_INST2(int64_t, float)
TSQ_INST2(int64_t, double)
TSQ_INST2(int64_t, int64_t)

}  // namespace tsquash::downsample::detail
