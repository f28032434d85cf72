// The TSXor encoder's hot loop: find the window entry that XORs with the new value to the most leading
// plus trailing zero bytes. With SSE2 (every x86-64 CPU) one compare covers 16 bytes of the window; the
// resulting 16-bit zero-byte mask is looked up in a table that already holds the best lane of the group
// and its score, so the loop does one load, one lookup and one compare per 16 bytes.
#include <array>
#include <bit>
#include <cstdint>
#include <utility>

#include "tsquash/codecs/tsxor.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
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

}  // namespace

template <>
std::pair<unsigned, unsigned> best_match<uint64_t>(const uint64_t* w, unsigned n, uint64_t x) {
    return scan(w, n, x);
}
template <>
std::pair<unsigned, unsigned> best_match<uint32_t>(const uint32_t* w, unsigned n, uint32_t x) {
    return scan(w, n, x);
}

}  // namespace tsquash::codecs::tsxor_detail
