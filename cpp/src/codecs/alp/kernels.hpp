// The encoder's per-value loops, compiled twice: for the baseline x86-64 (SSE2) and with AVX2, picked at run
// time. Baseline SSE2 has no 64-bit integer compare, so these loops only vectorise with AVX2; both versions
// compute exactly the same results (no FMA: contraction would change the decimal arithmetic).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tsquash::codecs::alp::kernels {

// ints[i] = round(v[i] * F[e] * I[f]); bad[i] = 1 where decoding ints[i] does not give v[i]'s exact bits.
// Returns how many are bad.
size_t alp_encode(const double* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad);
size_t alp_encode(const float* v, size_t m, unsigned e, unsigned f, int64_t* ints, uint8_t* bad);

// Ranges of the values, their first and their second differences (wrapping): mn[k], mx[k] for order k.
// m >= 1; orders that need more values than m keep min = INT64_MAX, max = INT64_MIN.
void ranges3(const int64_t* v, size_t m, int64_t* mn, int64_t* mx);

}  // namespace tsquash::codecs::alp::kernels
