// The codec's per-value loops (the encoder's, and the decoder's decimal step), compiled three times: for
// the baseline x86-64 (SSE2), with AVX2 and with AVX-512 (on 256-bit vectors), picked at run time. Baseline
// SSE2 has no 64-bit integer compare, so the encoder's loops only vectorise from AVX2 on; AVX-512 adds
// 64-bit min/max in one instruction. All versions compute exactly the same results (kernels.cpp is built
// without FMA contraction, which would change the decimal arithmetic).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tsquash::codecs::alp::kernels {

// The kernel versions this CPU runs: 0 the baseline only, 1 also AVX2, 2 also AVX-512. The best is used
// unless capped (tests compare the versions with each other).
int isa_levels_available();
void cap_isa_level(int level);
// Whether the decoder's BMI2 loops may run: the CPU has BMI2 and the level is not capped below AVX2 (every
// AVX2 CPU has BMI2; the cap lets tests compare them with the baseline loops).
bool bmi2_usable();
// Whether loops written for AVX-512 (F, VL, BW, DQ) outside the kernels may run: the same as the kernels'
// choice (the level capped or not).
bool avx512_usable();
// Whether loops written for AVX2 outside the kernels may run (the same as the kernels' choice).
bool avx2_usable();

// ints[i] = round(v[i] * F[e] * I[f]); bad[i] = 1 where decoding ints[i] does not give v[i]'s exact bits, and
// with `specials` also where v[i] is NaN or infinite (those come back exactly, as a huge integer; their
// ints are then 0, so that no other pair brings them back either).
// Returns how many are bad.
size_t alp_encode(const double* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad, bool specials = false);
size_t alp_encode(const float* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad, bool specials = false);

// The decoder's values of a decimal block, as their bits: out[i] = n[i] * 10^f / 10^e (alp_decode_value,
// common.hpp); float64 into uint64_t, float32 into uint32_t.
void alp_decode(const int64_t* n, size_t m, unsigned e, unsigned f, uint64_t* out);
void alp_decode(const int64_t* n, size_t m, unsigned e, unsigned f, uint32_t* out);

// Ranges of the values, their first and their second differences (wrapping): mn[k], mx[k] for order k.
// m >= 1; orders that need more values than m keep min = INT64_MAX, max = INT64_MIN.
void ranges3(const int64_t* v, size_t m, int64_t* mn, int64_t* mx);

// An integer stream's residuals of delta order `order` (0, 1 or 2; wrapping): out[0 .. m - order).
void residuals(const int64_t* v, size_t m, unsigned order, uint64_t* out);

// How many neighbours differ in their bits (v[i] vs v[i - 1], i = 1..m-1).
size_t count_changes(const double* v, size_t m);
size_t count_changes(const float* v, size_t m);
size_t count_changes(const int64_t* v, size_t m);

// The series dictionary's codes of a block (encoder.cpp, encode_dict): codes[i] = 1 where v[i] has the bits
// of v[i - 1] (i >= 1), else entry[i] + 1 where entry[i] > 0 (the value's entry + 1), else 0 (an escape).
// Returns how many are 0.
size_t dict_codes(const double* v, const uint32_t* entry, size_t m, int64_t* codes);
size_t dict_codes(const float* v, const uint32_t* entry, size_t m, int64_t* codes);
size_t dict_codes(const int64_t* v, const uint32_t* entry, size_t m, int64_t* codes);

// The values of v[0 .. n) whose hash (a function of their bits alone) falls in the lowest 2^-k of its range
// (1 <= k <= 31), in order, into out (room for n); returns how many. Every copy of a value is picked or
// none is.
size_t hash_pick(const double* v, size_t n, unsigned k, double* out);
size_t hash_pick(const float* v, size_t n, unsigned k, float* out);
size_t hash_pick(const int64_t* v, size_t n, unsigned k, int64_t* out);

// One (e, f) pair on a sample: how many values do not come back exactly, and the range of the integers of
// those that do (min = INT64_MAX, max = INT64_MIN when none do).
size_t combo_range(const double* s, size_t ns, unsigned e, unsigned f, int64_t& mn, int64_t& mx);
size_t combo_range(const float* s, size_t ns, unsigned e, unsigned f, int64_t& mn, int64_t& mx);

// The sig method's integers of v under the grid (e, p, L) (sig.hpp, SigGrid): q[i], and bad[i] = 1 where
// the grid does not give v[i]'s exact bits back (q[i] is then meaningless). Returns how many are bad.
size_t sig_encode(const double* v, size_t m, unsigned e, unsigned p, unsigned L, int64_t* q, uint8_t* bad);
size_t sig_encode(const float* v, size_t m, unsigned e, unsigned p, unsigned L, int64_t* q, uint8_t* bad);

// The latest j in [lo, i) where a[j - 1] and a[j] have the bits of a[i - 1] and a[i], or 0 where there is none
// (1 <= lo <= i).
size_t last_pair(const uint32_t* a, size_t lo, size_t i);
size_t last_pair(const double* a, size_t lo, size_t i);
size_t last_pair(const float* a, size_t lo, size_t i);
size_t last_pair(const int64_t* a, size_t lo, size_t i);

// The series reference's lag scores (reference.cpp): for each m < lags, score[m] = the sum over anchors q and
// offsets k < window of |d[anchor[q] + k - longest + m] - d[anchor[q] + k]|, each sum taken over q, then k,
// in order. anchor[q] >= longest, and d holds anchor[q] + window values.
void lag_scores(const float* d, const size_t* anchor, size_t anchors, size_t window, size_t longest, size_t lags,
                float* score);

}  // namespace tsquash::codecs::alp::kernels
