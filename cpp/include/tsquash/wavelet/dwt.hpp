// Discrete wavelet transform on spans of float64: one level (dwt/idwt) and multilevel (wavedec/waverec), with
// PyWavelets' coefficient layout and boundary handling. The kernels allocate nothing while they run: callers
// size the outputs with the length functions of wavelet.hpp (or use the vector-returning conveniences).
#pragma once
#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "tsquash/wavelet/wavelet.hpp"

namespace tsquash::wavelet {

// One analysis level: ca and cd must each hold dwt_coeff_len(x.size(), w.length(), mode) values.
// Throws InvalidArgument for an empty x, wrong output sizes, or reflect/antireflect on a single sample.
void dwt(std::span<const double> x, const Wavelet& w, Mode mode, std::span<double> ca, std::span<double> cd);

// One synthesis level from ca and cd of equal length n (either may be empty: that band counts as zeros).
// out must hold idwt_len(n, w.length(), mode) values.
void idwt(std::span<const double> ca, std::span<const double> cd, const Wavelet& w, Mode mode,
          std::span<double> out);

// Reusable scratch space for wavedec/waverec: two ping-pong buffers for the intermediate approximations that
// grow to the largest size seen (uninitialised: every value is written before it is read), so a loop over
// windows allocates only on its first call.
class Workspace {
public:
    double* buffer(int which, size_t n);
    size_t capacity() const { return std::max(bufs_[0].capacity, bufs_[1].capacity); }

private:
    struct Free {
        void operator()(double* p) const;
    };
    struct Buf {
        std::unique_ptr<double[], Free> data;
        size_t capacity = 0;
    };
    Buf bufs_[2];
};

// Multilevel analysis into `out`, the bands concatenated in the order [cA_level, cD_level, ..., cD_1] with the
// lengths wavedec_lengths(x.size(), w.length(), mode, level). level >= 0 (0 copies x); any level is allowed,
// the caller decides whether one above dwt_max_level deserves a warning.
void wavedec(std::span<const double> x, const Wavelet& w, Mode mode, int level, std::span<double> out,
             Workspace& ws);

// Multilevel synthesis from bands laid out as wavedec writes them, with the given band lengths (cA first);
// out must hold waverec_len(lengths, ...) values.
void waverec(std::span<const double> coeffs, std::span<const size_t> lengths, const Wavelet& w, Mode mode,
             std::span<double> out, Workspace& ws);

// The same with each band in its own span (e.g. rows of separate arrays), in the same order.
void wavedec(std::span<const double> x, const Wavelet& w, Mode mode, int level,
             std::span<const std::span<double>> bands, Workspace& ws);
void waverec(std::span<const std::span<const double>> bands, const Wavelet& w, Mode mode, std::span<double> out,
             Workspace& ws);

// Conveniences that allocate their results.
std::vector<std::vector<double>> wavedec(std::span<const double> x, const Wavelet& w, Mode mode, int level);
std::vector<double> waverec(const std::vector<std::vector<double>>& bands, const Wavelet& w, Mode mode);

// The linear maps as dense row-major matrices, for models that apply the transform as a matrix product
// (e.g. per window in a learned downsampler). analysis_matrix(n, ...) has one row per coefficient (in wavedec's
// order) and n columns: coeffs = A x. synthesis_matrix(n, ...) has n rows and one column per coefficient:
// waverec(coeffs)[:n] = S coeffs (rows beyond n, which waverec may return for odd lengths, are dropped).
// For periodization with n a multiple of 2^level, S is the transpose of A (the transform is orthogonal).
std::vector<double> analysis_matrix(size_t n, const Wavelet& w, Mode mode, int level);
std::vector<double> synthesis_matrix(size_t n, const Wavelet& w, Mode mode, int level);

namespace detail {
// Signals of at least this many samples (2^25 by default) take the piecewise multilevel path; returns the
// previous value. For tests, which check that both paths give the same bits on short signals.
size_t set_piecewise_threshold(size_t samples);
}  // namespace detail

}  // namespace tsquash::wavelet
