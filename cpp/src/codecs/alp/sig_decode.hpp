// The values of a `sig` block from its integers (sig.hpp), as bit patterns: float64 into uint64_t,
// float32 into uint32_t. Every |q[i]| must be below g.top() (the caller checks).
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>

#include "sig.hpp"

namespace tsquash::codecs::alp {

void sig_values(const int64_t* q, size_t m, const SigGrid& g, uint64_t* out);
void sig_values(const int64_t* q, size_t m, const SigGrid& g, uint32_t* out);

}  // namespace tsquash::codecs::alp
