// The TSXor encoder's hot loop: find the window entry that XORs with the new value to the most leading
// plus trailing zero bytes. With SSE2 (every x86-64 CPU) one compare covers 16 bytes of the window; the
// resulting 16-bit zero-byte mask is looked up in a table that already holds the best lane of the group
// and its score, so the loop does one load, one lookup and one compare per 16 bytes.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <utility>

#include "tsquash/codecs/tsxor.hpp"

#include "alp/kernels.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define TSQ_TSXOR_AVX512 1
#endif

namespace tsquash::codecs::tsxor_detail {
namespace {

// Score of one value from its zero-byte mask (bit i set when byte i, least significant first, is zero).
constexpr unsigned mask_score(unsigned m, unsigned nbytes) {
    unsigned lead = 0, trail = 0;
    while (lead < nbytes && (m >> (nbytes - 1 - lead) & 1)) ++lead;
    while (trail < nbytes && (m >> trail & 1)) ++trail;
    return lead + trail;
}

#if defined(__SSE2__)
// For every 16-bit mask of a 16-byte group: (best score << 3) | best lane, the highest lane on ties.
template <unsigned kBytes>
const std::array<uint8_t, 65536>& group_table() {
    static const auto table = [] {
        std::array<uint8_t, 65536> t{};
        constexpr unsigned kLanes = 16 / kBytes;
        for (unsigned m = 0; m < 65536; ++m) {
            unsigned best = 0, lane_of_best = 0;
            for (unsigned lane = 0; lane < kLanes; ++lane) {
                const unsigned sc = mask_score((m >> (lane * kBytes)) & ((1u << kBytes) - 1), kBytes);
                if (sc >= best) {
                    best = sc;
                    lane_of_best = lane;
                }
            }
            t[m] = static_cast<uint8_t>(best << 3 | lane_of_best);
        }
        return t;
    }();
    return table;
}
#endif

template <class U>
std::pair<unsigned, unsigned> scan(const U* w, unsigned n, U x) {
    constexpr unsigned kBytes = sizeof(U);
    unsigned best_score = 0, best_i = n - 1;
    unsigned i = n;
#if defined(__SSE2__)
    constexpr unsigned kLanes = 16 / kBytes;
    const auto& table = group_table<kBytes>();
    const __m128i vx = kBytes == 8 ? _mm_set1_epi64x(static_cast<long long>(x)) : _mm_set1_epi32(static_cast<int>(x));
    const __m128i zero = _mm_setzero_si128();
    while (i >= kLanes) {  // newest group first
        i -= kLanes;
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
        const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_xor_si128(v, vx), zero)));
        const unsigned entry = table[mask];
        if ((entry >> 3) > best_score) {
            best_score = entry >> 3;
            best_i = i + (entry & 7);
            if (best_score == 2 * kBytes) return {best_i, best_score};
        }
    }
#endif
    while (i-- > 0) {
        const U d = x ^ w[i];
        const unsigned score = (std::countl_zero(d) >> 3) + (std::countr_zero(d) >> 3);
        if (score > best_score) {
            best_score = score;
            best_i = i;
        }
    }
    return {best_i, best_score};
}

#ifdef TSQ_TSXOR_AVX512
// With AVX-512 (F and CD) a vector of entries is scored at once: leading zero bytes from the lanes' leading
// zero count (vplzcnt), trailing ones from that of the ones below the lowest set bit (64 for an equal
// value). Each lane keeps (score << 8) | index, and the largest key is the best entry, the newest on ties
// (the window holds at most 127 entries). Vectors go newest first and stop at an equal value, which no
// older entry can beat. TSXor's encode is 1.05-1.5x as fast as with the SSE2 loop on the shared series
// (a Zen 4), the same bytes.
// GCC 12 warns that the "undefined" vectors inside its AVX-512 intrinsics are used uninitialised (its bug
// 105593); they are not.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define TSQ_AVX512CD __attribute__((target("avx512f,avx512cd")))
TSQ_AVX512CD std::pair<unsigned, unsigned> scan_avx512(const uint64_t* w, unsigned n, uint64_t x) {
    const __m512i vx = _mm512_set1_epi64(static_cast<long long>(x));
    const __m512i one = _mm512_set1_epi64(1), width = _mm512_set1_epi64(64), equal = _mm512_set1_epi64(16);
    const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    __m512i best = _mm512_setzero_si512();
    for (unsigned i = n; i > 0;) {
        const unsigned take = std::min(i, 8u);
        i -= take;
        // Entries i to i + take - 1 (take < 8 only for the oldest entries, at the window's start).
        const __mmask8 valid = static_cast<__mmask8>((1u << take) - 1);
        const __m512i d = _mm512_xor_si512(_mm512_maskz_loadu_epi64(valid, w + i), vx);
        const __m512i below = _mm512_andnot_si512(d, _mm512_sub_epi64(d, one));
        const __m512i tz = _mm512_sub_epi64(width, _mm512_lzcnt_epi64(below));
        const __m512i score = _mm512_add_epi64(_mm512_srli_epi64(_mm512_lzcnt_epi64(d), 3), _mm512_srli_epi64(tz, 3));
        const __m512i index = _mm512_add_epi64(lane, _mm512_set1_epi64(i));
        const __m512i key = _mm512_or_si512(_mm512_slli_epi64(score, 8), index);
        best = _mm512_mask_max_epu64(best, valid, best, key);
        if (_mm512_mask_cmpeq_epi64_mask(valid, score, equal)) break;
    }
    const uint64_t k = _mm512_reduce_max_epu64(best);
    return {static_cast<unsigned>(k & 0xFF), static_cast<unsigned>(k >> 8)};
}
TSQ_AVX512CD std::pair<unsigned, unsigned> scan_avx512(const uint32_t* w, unsigned n, uint32_t x) {
    const __m512i vx = _mm512_set1_epi32(static_cast<int>(x));
    const __m512i one = _mm512_set1_epi32(1), width = _mm512_set1_epi32(32), equal = _mm512_set1_epi32(8);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512i best = _mm512_setzero_si512();
    for (unsigned i = n; i > 0;) {
        const unsigned take = std::min(i, 16u);
        i -= take;
        const __mmask16 valid = static_cast<__mmask16>((1u << take) - 1);
        const __m512i d = _mm512_xor_si512(_mm512_maskz_loadu_epi32(valid, w + i), vx);
        const __m512i below = _mm512_andnot_si512(d, _mm512_sub_epi32(d, one));
        const __m512i tz = _mm512_sub_epi32(width, _mm512_lzcnt_epi32(below));
        const __m512i score = _mm512_add_epi32(_mm512_srli_epi32(_mm512_lzcnt_epi32(d), 3), _mm512_srli_epi32(tz, 3));
        const __m512i index = _mm512_add_epi32(lane, _mm512_set1_epi32(int(i)));
        const __m512i key = _mm512_or_si512(_mm512_slli_epi32(score, 8), index);
        best = _mm512_mask_max_epu32(best, valid, best, key);
        if (_mm512_mask_cmpeq_epi32_mask(valid, score, equal)) break;
    }
    const uint32_t k = _mm512_reduce_max_epu32(best);
    return {static_cast<unsigned>(k & 0xFF), static_cast<unsigned>(k >> 8)};
}
#pragma GCC diagnostic pop

// The CPU has AVX-512 CD besides what the block codecs' kernels need, and their level is not capped below
// AVX-512 (tests compare the two loops by capping it).
bool avx512_scan() {
    static const bool cd = __builtin_cpu_supports("avx512cd");
    return cd && alp::kernels::avx512_usable();
}
#endif

template <class U>
std::pair<unsigned, unsigned> dispatch(const U* w, unsigned n, U x) {
#ifdef TSQ_TSXOR_AVX512
    if (avx512_scan()) return scan_avx512(w, n, x);
#endif
    return scan(w, n, x);
}

}  // namespace

template <>
std::pair<unsigned, unsigned> best_match<uint64_t>(const uint64_t* w, unsigned n, uint64_t x) {
    return dispatch(w, n, x);
}
template <>
std::pair<unsigned, unsigned> best_match<uint32_t>(const uint32_t* w, unsigned n, uint32_t x) {
    return dispatch(w, n, x);
}

}  // namespace tsquash::codecs::tsxor_detail
