// How the encoder compares candidate blocks when the entropy stage follows (profile auto).
#pragma once
#include "encoder.hpp"

namespace tsquash::codecs::alp {

// Bytes a candidate block may take after the entropy stage: each logged integer stream at the smaller of
// its frame-of-reference size and an estimate of its entropy-coded size (bit-width classes of its
// residuals, plus the stream's fixed costs). A frame of reference pays the widest residual for every
// value, so comparing sizes before the entropy stage misjudges streams with a few large jumps: `sig`
// integers where the series changes decade, float bit patterns where the sign flips.
double entropy_size_estimate(const Writer& w, const SeqLog& log);

}  // namespace tsquash::codecs::alp
