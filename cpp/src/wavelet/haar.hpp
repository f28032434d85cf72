// Multilevel transforms for two-tap filters (haar, db1) that run every level in one pass over the signal.
#pragma once
#include <span>

#include "tsquash/wavelet/wavelet.hpp"

namespace tsquash::wavelet::detail {

// wavedec into bands of the lengths wavedec_lengths gives, in any mode, when w has two taps, level >= 1 and
// the deepest level still transforms at least two samples; returns false (having written nothing) otherwise.
// Same bits as the level-by-level transform.
bool haar_wavedec(std::span<const double> x, const Wavelet& w, Mode mode, int level,
                  std::span<const std::span<double>> bands);

// waverec of checked bands (waverec_len accepted their lengths) when w has two taps and there are at least
// two bands; returns false otherwise. Same bits as the level-by-level transform.
bool haar_waverec(std::span<const std::span<const double>> bands, const Wavelet& w, std::span<double> out);

}  // namespace tsquash::wavelet::detail
