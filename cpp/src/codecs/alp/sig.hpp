// Block method `sig` (docs/format.md, "sig (7)"): decimals printed with a fixed number of significant
// digits (%.8g and the like), where the number of decimals falls as the magnitude grows. One (e, f) pair
// per block would give every value the decimals of the smallest ones and spend log2(10) bits on each
// extra digit; here each value carries its own exponent, derived from its magnitude, inside one integer
// that stays monotone in the value (so its deltas stay small on smooth series).
//
// The integer q of a value with the grid (e, p, L): below 10^p, q is the value times 10^e (p digits or
// fewer at e decimals); decade j (0 <= j < L) above that holds the p-digit significands s at e - j - 1
// decimals, q = 10^p + j * 9 * 10^(p-1) + (s - 10^(p-1)); negative values have q < 0 (the magnitude's
// q negated). The value is the significand divided by 10^(decimals), which IEEE division rounds
// correctly, so a float64 decimal always comes back exactly.
#pragma once
#include <cmath>
#include <cstdint>

#include "common.hpp"

namespace tsquash::codecs::alp {

inline constexpr uint64_t kP10[19] = {1ull,
                                      10ull,
                                      100ull,
                                      1000ull,
                                      10000ull,
                                      100000ull,
                                      1000000ull,
                                      10000000ull,
                                      100000000ull,
                                      1000000000ull,
                                      10000000000ull,
                                      100000000000ull,
                                      1000000000000ull,
                                      10000000000000ull,
                                      100000000000000ull,
                                      1000000000000000ull,
                                      10000000000000000ull,
                                      100000000000000000ull,
                                      1000000000000000000ull};

// Most significant digits a significand may have: every one must be an exact double (and below 2^51 for
// the magic-constant conversion); float32 needs at most 9 digits to tell any two floats apart.
template <class T>
inline constexpr unsigned kSigMaxDigits = Traits<T>::kBits == 64 ? 15 : 9;

struct SigGrid {
    unsigned e = 0, p = 1, L = 0;
    uint64_t lo() const { return kP10[p]; }         // first q of the decades
    uint64_t base() const { return kP10[p - 1]; }   // smallest p-digit significand
    uint64_t span() const { return 9 * kP10[p - 1]; }  // q values per decade
    uint64_t top() const { return lo() + L * span(); }  // |q| must stay below this
};

// The magnitude of a value from a significand and its decimals (ei <= 18), or the power of ten they stand for.
inline double sig_magnitude_over(uint64_t s, double p10, double) { return int_to_fp(int64_t(s), 0.0) / p10; }
inline float sig_magnitude_over(uint64_t s, double p10, float) { return float(int_to_fp(int64_t(s), 0.0) / p10); }
inline double sig_magnitude(uint64_t s, unsigned ei, double) { return sig_magnitude_over(s, kF10[ei], double{}); }
inline float sig_magnitude(uint64_t s, unsigned ei, float) { return sig_magnitude_over(s, kF10[ei], float{}); }

// The bits of the value of q under g. Needs |q| < g.top() (the caller checks), which also keeps the
// decimals e - 1 - j from going below zero.
template <class T>
inline typename Traits<T>::U sig_bits(int64_t q, const SigGrid& g) {
    using Ub = typename Traits<T>::U;
    const bool neg = q < 0;
    const uint64_t a = neg ? 0 - uint64_t(q) : uint64_t(q);
    const uint64_t lo = g.lo(), span = g.span();
    const bool up = a >= lo;
    const uint64_t t = a - lo;  // wraps when below lo; only used when up
    unsigned j = 0;
    for (unsigned k = 1; k < g.L; ++k) j += t >= k * span;
    const uint64_t s = up ? g.base() + t - j * span : a;
    const unsigned ei = up ? g.e - 1 - j : g.e;
    const Ub mag = std::bit_cast<Ub>(sig_magnitude(s, ei, T{}));
    return mag | (Ub(neg) << (Traits<T>::kBits - 1));
}

}  // namespace tsquash::codecs::alp
