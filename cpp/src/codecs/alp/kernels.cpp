#include "kernels.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <type_traits>

#include "common.hpp"

namespace tsquash::codecs::alp::kernels {

namespace {

// Bodies are forced inline so that each copy is compiled for its clone's target.
template <class T>
[[gnu::always_inline]] inline size_t alp_encode_body(const T* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad,
                                                     bool specials = false) {
    using U = typename Traits<T>::U;
    constexpr U kExponent = sizeof(T) == 8 ? U(0x7FF0000000000000ull) : U(0x7F800000u);
    const uint8_t sp = specials;
    size_t nbad = 0;
    for (size_t i = 0; i < m; ++i) {
        const int64_t n = round_to_int(alp_encode_value(v[i], e, f));
        const U bits = std::bit_cast<U>(v[i]);
        const uint8_t special = sp & uint8_t((bits & kExponent) == kExponent);
        // A special value's integer is 0, which no pair turns back into it (its own one does).
        ints[i] = special ? 0 : n;
        const uint8_t b = (std::bit_cast<U>(alp_decode_value(n, e, f, T{})) != bits) | special;
        bad[i] = b;
        nbad += b;
    }
    return nbad;
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

template <class T>
[[gnu::always_inline]] inline size_t count_changes_body(const T* v, size_t m) {
    using U = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;
    size_t changes = 0;
    for (size_t i = 1; i < m; ++i) changes += std::bit_cast<U>(v[i]) != std::bit_cast<U>(v[i - 1]);
    return changes;
}

template <class T>
[[gnu::always_inline]] inline size_t combo_range_body(const T* s, size_t ns, unsigned e, unsigned f, int64_t& mn_out, int64_t& mx_out) {
    // The integers and their round trips first, in the loop that vectorises; then the range of those that
    // came back exactly, without a branch on which did.
    constexpr size_t kChunk = 64;
    int64_t ints[kChunk];
    uint8_t bad[kChunk];
    int64_t mn = std::numeric_limits<int64_t>::max(), mx = std::numeric_limits<int64_t>::min();
    size_t exc = 0;
    for (size_t at = 0; at < ns; at += kChunk) {
        const size_t c = std::min(kChunk, ns - at);
        exc += alp_encode_body(s + at, c, e, f, ints, bad);
        for (size_t i = 0; i < c; ++i) {
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

#define TSQ_KERNEL_SET(suffix, attr)                                                                           \
    attr size_t count_changes_f64_##suffix(const double* v, size_t m) { return count_changes_body(v, m); }     \
    attr size_t count_changes_f32_##suffix(const float* v, size_t m) { return count_changes_body(v, m); }      \
    attr size_t count_changes_i64_##suffix(const int64_t* v, size_t m) { return count_changes_body(v, m); }    \
    attr size_t combo_range_f64_##suffix(const double* s, size_t ns, unsigned e, unsigned f, int64_t& mn,      \
                                         int64_t& mx) {                                                        \
        return combo_range_body(s, ns, e, f, mn, mx);                                                          \
    }                                                                                                          \
    attr size_t combo_range_f32_##suffix(const float* s, size_t ns, unsigned e, unsigned f, int64_t& mn,       \
                                         int64_t& mx) {                                                        \
        return combo_range_body(s, ns, e, f, mn, mx);                                                          \
    }

TSQ_KERNEL_SET(generic, )

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

size_t count_changes(const double* v, size_t m) { TSQ_DISPATCH(count_changes_f64, v, m); }
size_t count_changes(const float* v, size_t m) { TSQ_DISPATCH(count_changes_f32, v, m); }
size_t count_changes(const int64_t* v, size_t m) { TSQ_DISPATCH(count_changes_i64, v, m); }
size_t combo_range(const double* s, size_t ns, unsigned e, unsigned f, int64_t& mn, int64_t& mx) {
    TSQ_DISPATCH(combo_range_f64, s, ns, e, f, mn, mx);
}
size_t combo_range(const float* s, size_t ns, unsigned e, unsigned f, int64_t& mn, int64_t& mx) {
    TSQ_DISPATCH(combo_range_f32, s, ns, e, f, mn, mx);
}

void ranges3(const int64_t* v, size_t m, int64_t* mn, int64_t* mx) {
#ifdef TSQ_HAVE_AVX2_CLONES
    if (has_avx512()) return ranges3_avx512(v, m, mn, mx);
    if (has_avx2()) return ranges3_avx2(v, m, mn, mx);
#endif
    ranges3_generic(v, m, mn, mx);
}

}  // namespace tsquash::codecs::alp::kernels
