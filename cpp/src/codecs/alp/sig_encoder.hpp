// Encoder side of the block method `sig` (sig.hpp): choosing a grid from samples, writing a block.
#pragma once
#include <cstddef>

#include "encoder.hpp"
#include "sig.hpp"

namespace tsquash::codecs::alp {

// The grid that fits the sampled values, if they look like decimals with a fixed number of significant
// digits spread over several decades (otherwise false: one (e, f) pair per block does as well).
template <class T>
bool find_sig_grid(const T* s, size_t ns, SigGrid& g);

// Writes a `sig` block of m values under g; values the grid cannot give back are exceptions. The values'
// integers and verdicts (kernels::sig_encode's q and bad under g) may be given, where the caller has them.
template <class T>
void encode_sig(const T* v, size_t m, const SigGrid& g, unsigned max_order, Writer& out, SeqLog* log,
                OrderMemory* memory, const int64_t* given_q = nullptr, const uint8_t* given_bad = nullptr);

}  // namespace tsquash::codecs::alp
