// How the encoder compares candidate blocks when the entropy stage follows (profile auto).
#pragma once
#include "encoder.hpp"

namespace tsquash::codecs::alp {

// Bytes a candidate block may take after the entropy stage: each logged integer stream at the smaller of
// its frame-of-reference size and an estimate of its entropy-coded size (bit-width classes of its
// residuals, plus the stream's fixed costs). A frame of reference pays the widest residual for every
// value, so comparing sizes before the entropy stage misjudges streams with a few large jumps: `sig`
// integers where the series changes decade, float bit patterns where the sign flips.
// `table_share`: bytes of a table each entropy-coded stream is charged (tables are shared by the whole
// series, so short series pay more of theirs a block).
double entropy_size_estimate(const Writer& w, const SeqLog& log, double table_share = 0);

}  // namespace tsquash::codecs::alp
