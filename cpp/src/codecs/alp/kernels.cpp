#include "kernels.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "common.hpp"
#include "sig.hpp"

namespace tsquash::codecs::alp::kernels {

namespace {

// Bodies are forced inline so that each copy is compiled for its clone's target.
// The integers of values v[0, c) under (e, f), and a flag as wide as the values for each that does not come
// back exactly (or, with sp = 1, is special: NaN, infinity; its integer is 0, which no pair turns back into
// it, its own one does). Flags as wide as the values keep this loop at four doubles a vector: a loop that
// also wrote bytes was vectorised for 32 values at a time, eight vectors of doubles that spilled out of the
// registers.
template <class T>
[[gnu::always_inline]] inline void alp_encode_wide(const T* v, size_t c, unsigned e, unsigned f, int64_t* ints,
                                                   typename Traits<T>::U* flag, typename Traits<T>::U sp) {
    using U = typename Traits<T>::U;
    constexpr U kExponent = sizeof(T) == 8 ? U(0x7FF0000000000000ull) : U(0x7F800000u);
    for (size_t i = 0; i < c; ++i) {
        const int64_t n = round_to_int(alp_encode_value(v[i], e, f));
        const U bits = std::bit_cast<U>(v[i]);
        const U special = sp & U((bits & kExponent) == kExponent);
        ints[i] = special ? 0 : n;
        flag[i] = U(std::bit_cast<U>(alp_decode_value(n, e, f, T{})) != bits) | special;
    }
}

constexpr size_t kEncodeTile = 256;

template <class T>
[[gnu::always_inline]] inline size_t alp_encode_body(const T* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad,
                                                     bool specials = false) {
    using U = typename Traits<T>::U;
    size_t nbad = 0;
    U flag[kEncodeTile];
    for (size_t i0 = 0; i0 < m; i0 += kEncodeTile) {
        const size_t c = std::min(kEncodeTile, m - i0);
        alp_encode_wide(v + i0, c, e, f, ints + i0, flag, U(specials));
        for (size_t i = 0; i < c; ++i) {
            bad[i0 + i] = uint8_t(flag[i]);
            nbad += size_t(flag[i]);
        }
    }
    return nbad;
}

// The decoder's per-value loop of a decimal block: one multiply-and-scale per integer.
template <class T>
[[gnu::always_inline]] inline void alp_decode_body(const int64_t* n, size_t m, unsigned e, unsigned f,
                                                   typename Traits<T>::U* out) {
    for (size_t i = 0; i < m; ++i) out[i] = std::bit_cast<typename Traits<T>::U>(alp_decode_value(n[i], e, f, T{}));
}

// The three orders in one pass once there are three values (each value loaded once per order, not once per
// order and loop).
[[gnu::always_inline]] inline void ranges3_body(const int64_t* v, size_t m, int64_t* mn, int64_t* mx) {
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
    int64_t a0 = v[0], b0 = v[0], a1 = kMax, b1 = kMin, a2 = kMax, b2 = kMin;
    if (m >= 2) {
        a0 = std::min(a0, v[1]);
        b0 = std::max(b0, v[1]);
        a1 = b1 = int64_t(uint64_t(v[1]) - uint64_t(v[0]));
    }
    for (size_t i = 2; i < m; ++i) {
        const int64_t d = int64_t(uint64_t(v[i]) - uint64_t(v[i - 1]));
        const int64_t dd = int64_t(uint64_t(d) - (uint64_t(v[i - 1]) - uint64_t(v[i - 2])));
        a0 = std::min(a0, v[i]);
        b0 = std::max(b0, v[i]);
        a1 = std::min(a1, d);
        b1 = std::max(b1, d);
        a2 = std::min(a2, dd);
        b2 = std::max(b2, dd);
    }
    mn[0] = a0, mx[0] = b0, mn[1] = a1, mx[1] = b1, mn[2] = a2, mx[2] = b2;
}

// An integer stream's residuals of delta order o (0, 1 or 2), wrapping: m - o of them.
[[gnu::always_inline]] inline void residuals_body(const int64_t* __restrict v, size_t m, unsigned o,
                                                  uint64_t* __restrict r) {
    const uint64_t* u = reinterpret_cast<const uint64_t*>(v);
    if (o == 0) {
        for (size_t i = 0; i < m; ++i) r[i] = u[i];
    } else if (o == 1) {
        for (size_t i = 1; i < m; ++i) r[i - 1] = u[i] - u[i - 1];
    } else {
        for (size_t i = 2; i < m; ++i) r[i - 2] = (u[i] - u[i - 1]) - (u[i - 1] - u[i - 2]);
    }
}

template <class T>
[[gnu::always_inline]] inline size_t count_changes_body(const T* v, size_t m) {
    using U = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;
    size_t changes = 0;
    for (size_t i = 1; i < m; ++i) changes += std::bit_cast<U>(v[i]) != std::bit_cast<U>(v[i - 1]);
    return changes;
}

// Dictionary codes (encoder.cpp, encode_dict): 1 where a value has the bits of the one before, else its
// entry + 1 (entry[i] being 0 outside the dictionary, whose code is 0). Returns how many codes are 0.
template <class T>
[[gnu::always_inline]] inline size_t dict_codes_body(const T* v, const uint32_t* entry, size_t m, int64_t* codes) {
    using U = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;
    if (m == 0) return 0;
    codes[0] = int64_t(entry[0]) + (entry[0] != 0);
    size_t zeros = codes[0] == 0;
    for (size_t i = 1; i < m; ++i) {
        const int64_t e = entry[i];
        codes[i] = std::bit_cast<U>(v[i]) == std::bit_cast<U>(v[i - 1]) ? 1 : e + (e != 0);
        zeros += codes[i] == 0;
    }
    return zeros;
}

// The latest j in [lo, i) where a[j - 1], a[j] equal a[i - 1], a[i] in their bits (lo >= 1), or 0: as a
// maximum over the window, without an early exit, so that it vectorises (a window with no match is the
// common case).
template <class T>
[[gnu::always_inline]] inline size_t last_pair_body(const T* a, size_t lo, size_t i) {
    using U = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;
    const U x0 = std::bit_cast<U>(a[i]), x1 = std::bit_cast<U>(a[i - 1]);
    U best = 0;
    for (U j = U(lo); j < U(i); ++j) {
        const U hit = U(std::bit_cast<U>(a[j]) == x0) & U(std::bit_cast<U>(a[j - 1]) == x1);
        best = std::max(best, j & (U(0) - hit));
    }
    return size_t(best);
}

template <class T>
[[gnu::always_inline]] inline size_t combo_range_body(const T* s, size_t ns, unsigned e, unsigned f, int64_t& mn_out, int64_t& mx_out) {
    // The integers and their round trips first, in the loop that vectorises; then the range of those that
    // came back exactly, without a branch on which did.
    using U = typename Traits<T>::U;
    constexpr size_t kChunk = 64;
    int64_t ints[kChunk];
    U bad[kChunk];
    int64_t mn = std::numeric_limits<int64_t>::max(), mx = std::numeric_limits<int64_t>::min();
    size_t exc = 0;
    for (size_t at = 0; at < ns; at += kChunk) {
        const size_t c = std::min(kChunk, ns - at);
        alp_encode_wide(s + at, c, e, f, ints, bad, U(0));
        for (size_t i = 0; i < c; ++i) {
            exc += size_t(bad[i]);
            const uint64_t drop = uint64_t(0) - uint64_t(bad[i]);  // all ones for a value that did not
            const uint64_t keep = uint64_t(ints[i]) & ~drop;
            const int64_t lo = int64_t(keep | (drop & uint64_t(std::numeric_limits<int64_t>::max())));
            const int64_t hi = int64_t(keep | (drop & uint64_t(std::numeric_limits<int64_t>::min())));
            mn = lo < mn ? lo : mn;
            mx = hi > mx ? hi : mx;
        }
    }
    mn_out = mn;
    mx_out = mx;
    return exc;
}

// Lag scores: kLagTile lags at a time, their sums kept in registers over every anchor and offset (a pass
// over all lags per offset read and wrote every score 64 times); each sum adds its terms in the same order
// (anchor, then offset) in every version, so the versions agree to the bit.
[[gnu::always_inline]] inline void lag_scores_body(const float* d, const size_t* anchor, size_t anchors, size_t window,
                                                   size_t longest, size_t lags, float* score) {
    constexpr size_t kLagTile = 32;
    size_t m0 = 0;
    for (; m0 + kLagTile <= lags; m0 += kLagTile) {
        float acc[kLagTile] = {};
        for (size_t q = 0; q < anchors; ++q)
            for (size_t k = 0; k < window; ++k) {
                const float t = d[anchor[q] + k];
                const float* s = d + anchor[q] + k - longest + m0;
                for (size_t j = 0; j < kLagTile; ++j) acc[j] += std::fabs(s[j] - t);
            }
        std::memcpy(score + m0, acc, sizeof(acc));
    }
    for (size_t m = m0; m < lags; ++m) score[m] = 0;
    for (size_t q = 0; q < anchors; ++q)
        for (size_t k = 0; k < window; ++k) {
            const float t = d[anchor[q] + k];
            const float* s = d + anchor[q] + k - longest;
            for (size_t m = m0; m < lags; ++m) score[m] += std::fabs(s[m] - t);
        }
}

// The sig method's integers (sig.hpp) without a branch or a scalar division per value, in passes over a
// chunk that each vectorise: the integers at the grid's finest decimals; the decade of each value, one pass
// per decade boundary; per decade, the significands at its decimals and the power of ten to divide them by,
// chosen with masks (a per-value power of ten from the table would be a gather, which the compiler does not
// vectorise here); then the round trips, one division a value instead of one per decade and value
// (ucr_facefour and cfd_baler encode 1-2.5% faster), the integers and verdicts. They are the same as reading
// each integer back through sig_bits, which derives the decade from the integer: for an integer made here,
// it finds the same decade and significand.
template <class T>
[[gnu::always_inline]] inline size_t sig_encode_body(const T* v, size_t m, unsigned e, unsigned p, unsigned L, int64_t* q,
                                                     uint8_t* bad) {
    using U = typename Traits<T>::U;
    constexpr unsigned kSign = Traits<T>::kBits - 1;
    // |v| * 10^e below 2^51 (not NaN nor inf), by the bits: a floating-point compare may trap on NaN. And
    // choices are made with masks: without AVX-512's masked operations, the compiler keeps a ?: as a branch.
    constexpr int64_t kTwo51Bits = int64_t(0x4320000000000000ull);
    auto in_range = [](double x) { return std::bit_cast<int64_t>(x) < kTwo51Bits; };  // x >= 0 or NaN
    auto pick = [](bool which, auto yes, auto no) {
        using I = decltype(yes);
        const I mask = I(0) - I(which);
        return I((yes & mask) | (no & ~mask));
    };
    // Signed compares throughout (AVX2 has no unsigned 64-bit compare): the integers are below 2^51, and
    // a significand that does not fit is rejected either way.
    auto p10 = [](unsigned k) { return k <= 18 ? int64_t(kP10[k]) : std::numeric_limits<int64_t>::max(); };
    const int64_t lo = p10(p), base = p10(p - 1), span = 9 * base;
    const int64_t top = L ? p10(p + L) : 0;  // integers at or above it are beyond the last decade
    const double fe = kF10[e];
    constexpr size_t kChunk = 64;
    double a[kChunk], dv[kChunk];
    int64_t n[kChunk], j[kChunk], s[kChunk];
    size_t nbad = 0;
    for (size_t at = 0; at < m; at += kChunk) {
        const size_t c = std::min(kChunk, m - at);
        const T* w = v + at;
        for (size_t i = 0; i < c; ++i) {
            a[i] = std::fabs(double(w[i]));
            const double x = a[i] * fe;
            n[i] = round_to_int(std::bit_cast<double>(pick(in_range(x), std::bit_cast<int64_t>(x), int64_t(0))));
            j[i] = 0;
            s[i] = n[i];
            dv[i] = fe;
        }
        for (unsigned k = 1; k < L; ++k) {
            const int64_t bound = p10(p + k);
            for (size_t i = 0; i < c; ++i) j[i] += n[i] >= bound;
        }
        for (unsigned k = 0; k < L; ++k) {
            const unsigned ek = e - 1 - k;  // L <= e
            const double scale = kF10[ek];
            for (size_t i = 0; i < c; ++i) {
                const int64_t sk = round_to_int(a[i] * scale);
                const bool here = (n[i] >= lo) & (j[i] == int64_t(k));
                s[i] = pick(here, sk, s[i]);
                dv[i] = std::bit_cast<double>(pick(here, std::bit_cast<int64_t>(scale), std::bit_cast<int64_t>(dv[i])));
            }
        }
        for (size_t i = 0; i < c; ++i) {
            const U back = std::bit_cast<U>(sig_magnitude_over(uint64_t(s[i]), dv[i], T{}));
            const U bits = std::bit_cast<U>(w[i]);
            const bool up = n[i] >= lo;
            const uint64_t qa = uint64_t(up ? lo + j[i] * span + (s[i] - base) : n[i]);
            const bool neg = ((bits >> kSign) != 0) & (qa != 0);
            const bool ok = in_range(a[i] * fe) & ((back | (U(neg) << kSign)) == bits) &
                            ((!up) | ((n[i] < top) & (s[i] >= base) & (s[i] < lo)));
            q[at + i] = neg ? -int64_t(qa) : int64_t(qa);
            bad[at + i] = !ok;
            nbad += !ok;
        }
    }
    return nbad;
}

// The values whose 32-bit hash is below 2^(32 - k): flags for a chunk in the loop that vectorises, then the
// few flagged values picked out. A 64-bit value's high half is multiplied before it is folded into the low
// one (a plain xor would give every value with equal halves the same hash), and the fold is multiplied
// again: 32-bit multiplies, which AVX2 has.
template <class T>
[[gnu::always_inline]] inline uint32_t pick_hash(T value) {
    using U = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;
    const U b = std::bit_cast<U>(value);
    uint32_t x = uint32_t(b);
    if constexpr (sizeof(U) == 8) x ^= uint32_t(b >> 32) * 0x85EBCA6Bu;
    return x * 0x9E3779B1u;
}

template <class T>
[[gnu::always_inline]] inline size_t hash_pick_body(const T* v, size_t n, unsigned k, T* out) {
    constexpr size_t kChunk = 64;
    const uint32_t limit = uint32_t(1) << (32 - k);
    size_t c = 0, at = 0;
    for (; at + kChunk <= n; at += kChunk) {
        uint8_t hit[kChunk];
        for (size_t i = 0; i < kChunk; ++i) hit[i] = pick_hash(v[at + i]) < limit;
        for (size_t w = 0; w < kChunk; w += 8) {
            uint64_t eight;
            std::memcpy(&eight, hit + w, 8);
            for (; eight; eight &= eight - 1) out[c++] = v[at + w + size_t(std::countr_zero(eight)) / 8];
        }
    }
    for (; at < n; ++at) {
        out[c] = v[at];
        c += pick_hash(v[at]) < limit;
    }
    return c;
}

#define TSQ_KERNEL_SET(suffix, attr)                                                                           \
    attr void residuals_##suffix(const int64_t* v, size_t m, unsigned o, uint64_t* r) {                        \
        residuals_body(v, m, o, r);                                                                            \
    }                                                                                                          \
    attr size_t count_changes_f64_##suffix(const double* v, size_t m) { return count_changes_body(v, m); }     \
    attr size_t count_changes_f32_##suffix(const float* v, size_t m) { return count_changes_body(v, m); }      \
    attr size_t count_changes_i64_##suffix(const int64_t* v, size_t m) { return count_changes_body(v, m); }    \
    attr size_t dict_codes_f64_##suffix(const double* v, const uint32_t* e, size_t m, int64_t* c) {            \
        return dict_codes_body(v, e, m, c);                                                                    \
    }                                                                                                          \
    attr size_t dict_codes_f32_##suffix(const float* v, const uint32_t* e, size_t m, int64_t* c) {             \
        return dict_codes_body(v, e, m, c);                                                                    \
    }                                                                                                          \
    attr size_t dict_codes_i64_##suffix(const int64_t* v, const uint32_t* e, size_t m, int64_t* c) {           \
        return dict_codes_body(v, e, m, c);                                                                    \
    }                                                                                                          \
    attr size_t hash_pick_f64_##suffix(const double* v, size_t n, unsigned k, double* out) {                   \
        return hash_pick_body(v, n, k, out);                                                                   \
    }                                                                                                          \
    attr size_t hash_pick_f32_##suffix(const float* v, size_t n, unsigned k, float* out) {                     \
        return hash_pick_body(v, n, k, out);                                                                   \
    }                                                                                                          \
    attr size_t hash_pick_i64_##suffix(const int64_t* v, size_t n, unsigned k, int64_t* out) {                \
        return hash_pick_body(v, n, k, out);                                                                   \
    }                                                                                                          \
    attr size_t combo_range_f64_##suffix(const double* s, size_t ns, unsigned e, unsigned f, int64_t& mn,      \
                                         int64_t& mx) {                                                        \
        return combo_range_body(s, ns, e, f, mn, mx);                                                          \
    }                                                                                                          \
    attr size_t combo_range_f32_##suffix(const float* s, size_t ns, unsigned e, unsigned f, int64_t& mn,       \
                                         int64_t& mx) {                                                        \
        return combo_range_body(s, ns, e, f, mn, mx);                                                          \
    }                                                                                                          \
    attr void alp_decode_f64_##suffix(const int64_t* n, size_t m, unsigned e, unsigned f, uint64_t* out) {    \
        alp_decode_body<double>(n, m, e, f, out);                                                              \
    }                                                                                                          \
    attr void alp_decode_f32_##suffix(const int64_t* n, size_t m, unsigned e, unsigned f, uint32_t* out) {    \
        alp_decode_body<float>(n, m, e, f, out);                                                               \
    }                                                                                                          \
    attr size_t sig_encode_f64_##suffix(const double* v, size_t m, unsigned e, unsigned p, unsigned L,          \
                                        int64_t* q, uint8_t* bad) {                                            \
        return sig_encode_body(v, m, e, p, L, q, bad);                                                         \
    }                                                                                                          \
    attr size_t sig_encode_f32_##suffix(const float* v, size_t m, unsigned e, unsigned p, unsigned L,           \
                                        int64_t* q, uint8_t* bad) {                                            \
        return sig_encode_body(v, m, e, p, L, q, bad);                                                         \
    }                                                                                                          \
    attr size_t last_pair_u32_##suffix(const uint32_t* a, size_t lo, size_t i) { return last_pair_body(a, lo, i); } \
    attr size_t last_pair_f64_##suffix(const double* a, size_t lo, size_t i) { return last_pair_body(a, lo, i); } \
    attr size_t last_pair_f32_##suffix(const float* a, size_t lo, size_t i) { return last_pair_body(a, lo, i); } \
    attr size_t last_pair_i64_##suffix(const int64_t* a, size_t lo, size_t i) { return last_pair_body(a, lo, i); } \
    attr void lag_scores_##suffix(const float* d, const size_t* anchor, size_t anchors, size_t window,         \
                                  size_t longest, size_t lags, float* score) {                                 \
        lag_scores_body(d, anchor, anchors, window, longest, lags, score);                                     \
    }

// Not inlined into the dispatchers, so that check_vectorised.py finds the baseline versions by name.
TSQ_KERNEL_SET(generic, [[gnu::noinline]])

size_t alp_encode_f64_generic(const double* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad,
                              bool specials) {
    return alp_encode_body(v, m, e, f, ints, bad, specials);
}
size_t alp_encode_f32_generic(const float* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad,
                              bool specials) {
    return alp_encode_body(v, m, e, f, ints, bad, specials);
}
void ranges3_generic(const int64_t* v, size_t m, int64_t* mn, int64_t* mx) { ranges3_body(v, m, mn, mx); }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TSQ_HAVE_AVX2_CLONES 1
__attribute__((target("avx2"))) size_t alp_encode_f64_avx2(const double* v, size_t m, unsigned e, unsigned f,
                                                            int64_t* ints, uint8_t* bad, bool specials) {
    return alp_encode_body(v, m, e, f, ints, bad, specials);
}
__attribute__((target("avx2"))) size_t alp_encode_f32_avx2(const float* v, size_t m, unsigned e, unsigned f,
                                                            int64_t* ints, uint8_t* bad, bool specials) {
    return alp_encode_body(v, m, e, f, ints, bad, specials);
}
__attribute__((target("avx2"))) void ranges3_avx2(const int64_t* v, size_t m, int64_t* mn, int64_t* mx) {
    ranges3_body(v, m, mn, mx);
}
TSQ_KERNEL_SET(avx2, __attribute__((target("avx2"))))
// AVX-512 (F, DQ, VL, BW) on 256-bit vectors: 64-bit integer min/max and compares in one instruction each,
// where AVX2 needs a compare and a blend.
#define TSQ_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,prefer-vector-width=256")))
TSQ_AVX512 size_t alp_encode_f64_avx512(const double* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad,
                                        bool specials) {
    return alp_encode_body(v, m, e, f, ints, bad, specials);
}
TSQ_AVX512 size_t alp_encode_f32_avx512(const float* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad,
                                        bool specials) {
    return alp_encode_body(v, m, e, f, ints, bad, specials);
}
TSQ_AVX512 void ranges3_avx512(const int64_t* v, size_t m, int64_t* mn, int64_t* mx) { ranges3_body(v, m, mn, mx); }
TSQ_KERNEL_SET(avx512, TSQ_AVX512)
#endif

int detected_level() {
#ifdef TSQ_HAVE_AVX2_CLONES
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw"))
        return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
#endif
    return 0;
}

std::atomic<int> level_cap{2};

[[maybe_unused]] bool has_avx512() { return std::min(isa_levels_available(), level_cap.load(std::memory_order_relaxed)) >= 2; }
[[maybe_unused]] bool has_avx2() { return std::min(isa_levels_available(), level_cap.load(std::memory_order_relaxed)) >= 1; }

}  // namespace

int isa_levels_available() {
    static const int level = detected_level();
    return level;
}

void cap_isa_level(int level) { level_cap.store(level, std::memory_order_relaxed); }

bool avx512_usable() { return has_avx512(); }
bool avx2_usable() { return has_avx2(); }

bool bmi2_usable() {
#ifdef TSQ_HAVE_AVX2_CLONES
    static const bool bmi2 = __builtin_cpu_supports("bmi2");
    return bmi2 && has_avx2();
#else
    return false;
#endif
}

size_t alp_encode(const double* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad, bool specials) {
#ifdef TSQ_HAVE_AVX2_CLONES
    if (has_avx512()) return alp_encode_f64_avx512(v, m, e, f, ints, bad, specials);
    if (has_avx2()) return alp_encode_f64_avx2(v, m, e, f, ints, bad, specials);
#endif
    return alp_encode_f64_generic(v, m, e, f, ints, bad, specials);
}

size_t alp_encode(const float* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad, bool specials) {
#ifdef TSQ_HAVE_AVX2_CLONES
    if (has_avx512()) return alp_encode_f32_avx512(v, m, e, f, ints, bad, specials);
    if (has_avx2()) return alp_encode_f32_avx2(v, m, e, f, ints, bad, specials);
#endif
    return alp_encode_f32_generic(v, m, e, f, ints, bad, specials);
}

#ifdef TSQ_HAVE_AVX2_CLONES
#define TSQ_DISPATCH(name, ...)                                                                                \
    return has_avx512() ? name##_avx512(__VA_ARGS__) : has_avx2() ? name##_avx2(__VA_ARGS__) : name##_generic(__VA_ARGS__)
#else
#define TSQ_DISPATCH(name, ...) return name##_generic(__VA_ARGS__)
#endif

void residuals(const int64_t* v, size_t m, unsigned order, uint64_t* out) { TSQ_DISPATCH(residuals, v, m, order, out); }
size_t count_changes(const double* v, size_t m) { TSQ_DISPATCH(count_changes_f64, v, m); }
size_t count_changes(const float* v, size_t m) { TSQ_DISPATCH(count_changes_f32, v, m); }
size_t count_changes(const int64_t* v, size_t m) { TSQ_DISPATCH(count_changes_i64, v, m); }
size_t dict_codes(const double* v, const uint32_t* entry, size_t m, int64_t* codes) {
    TSQ_DISPATCH(dict_codes_f64, v, entry, m, codes);
}
size_t dict_codes(const float* v, const uint32_t* entry, size_t m, int64_t* codes) {
    TSQ_DISPATCH(dict_codes_f32, v, entry, m, codes);
}
size_t dict_codes(const int64_t* v, const uint32_t* entry, size_t m, int64_t* codes) {
    TSQ_DISPATCH(dict_codes_i64, v, entry, m, codes);
}
size_t hash_pick(const double* v, size_t n, unsigned k, double* out) { TSQ_DISPATCH(hash_pick_f64, v, n, k, out); }
size_t hash_pick(const float* v, size_t n, unsigned k, float* out) { TSQ_DISPATCH(hash_pick_f32, v, n, k, out); }
size_t hash_pick(const int64_t* v, size_t n, unsigned k, int64_t* out) { TSQ_DISPATCH(hash_pick_i64, v, n, k, out); }
size_t combo_range(const double* s, size_t ns, unsigned e, unsigned f, int64_t& mn, int64_t& mx) {
    TSQ_DISPATCH(combo_range_f64, s, ns, e, f, mn, mx);
}
size_t combo_range(const float* s, size_t ns, unsigned e, unsigned f, int64_t& mn, int64_t& mx) {
    TSQ_DISPATCH(combo_range_f32, s, ns, e, f, mn, mx);
}

void alp_decode(const int64_t* n, size_t m, unsigned e, unsigned f, uint64_t* out) {
    TSQ_DISPATCH(alp_decode_f64, n, m, e, f, out);
}
void alp_decode(const int64_t* n, size_t m, unsigned e, unsigned f, uint32_t* out) {
    TSQ_DISPATCH(alp_decode_f32, n, m, e, f, out);
}

size_t sig_encode(const double* v, size_t m, unsigned e, unsigned p, unsigned L, int64_t* q, uint8_t* bad) {
    TSQ_DISPATCH(sig_encode_f64, v, m, e, p, L, q, bad);
}
size_t sig_encode(const float* v, size_t m, unsigned e, unsigned p, unsigned L, int64_t* q, uint8_t* bad) {
    TSQ_DISPATCH(sig_encode_f32, v, m, e, p, L, q, bad);
}

size_t last_pair(const uint32_t* a, size_t lo, size_t i) { TSQ_DISPATCH(last_pair_u32, a, lo, i); }
size_t last_pair(const double* a, size_t lo, size_t i) { TSQ_DISPATCH(last_pair_f64, a, lo, i); }
size_t last_pair(const float* a, size_t lo, size_t i) { TSQ_DISPATCH(last_pair_f32, a, lo, i); }
size_t last_pair(const int64_t* a, size_t lo, size_t i) { TSQ_DISPATCH(last_pair_i64, a, lo, i); }

void lag_scores(const float* d, const size_t* anchor, size_t anchors, size_t window, size_t longest, size_t lags,
                float* score) {
    TSQ_DISPATCH(lag_scores, d, anchor, anchors, window, longest, lags, score);
}

void ranges3(const int64_t* v, size_t m, int64_t* mn, int64_t* mx) {
#ifdef TSQ_HAVE_AVX2_CLONES
    if (has_avx512()) return ranges3_avx512(v, m, mn, mx);
    if (has_avx2()) return ranges3_avx2(v, m, mn, mx);
#endif
    ranges3_generic(v, m, mn, mx);
}

}  // namespace tsquash::codecs::alp::kernels
