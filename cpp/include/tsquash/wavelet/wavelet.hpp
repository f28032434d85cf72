// Orthogonal wavelet filter banks (haar, db1..db20, sym2..sym20, coif1..coif17), the signal-extension modes and
// the coefficient-length rules of the discrete wavelet transform, following PyWavelets' conventions so that
// results agree with it.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tsquash::wavelet {

// How the signal is extended past its ends. Every mode except periodization gives floor((n + F - 1) / 2)
// coefficients per level (F = filter length); periodization gives ceil(n / 2) (an odd-length signal is first
// extended by repeating its last sample). With x[0..n) the signal:
//   zero           ... 0 0 | x | 0 0 ...
//   constant       ... x0 x0 | x | xn xn ...
//   symmetric      half-sample mirror:  x1 x0 | x0 x1 ... xn-1 | xn-1 xn-2
//   reflect        whole-sample mirror: x2 x1 | x0 x1 ... xn-1 | xn-2 xn-3
//   periodic       x repeated:          xn-2 xn-1 | x | x0 x1
//   smooth         first-order extrapolation from the two end samples
//   antisymmetric  half-sample mirror with the sign flipped: -x1 -x0 | x | -xn-1 -xn-2
//   antireflect    whole-sample point mirror: 2 x0 - x1 | x | 2 xn-1 - xn-2
//   periodization  periodic, with the minimal number of coefficients
// Extensions longer than the signal repeat the rule (mirrors of mirrors), as PyWavelets does.
enum class Mode { zero, constant, symmetric, reflect, periodic, smooth, antisymmetric, antireflect, periodization };

inline constexpr Mode kAllModes[] = {Mode::zero,   Mode::constant,      Mode::symmetric,   Mode::reflect,
                                     Mode::periodic, Mode::smooth, Mode::antisymmetric, Mode::antireflect,
                                     Mode::periodization};

// Throws InvalidArgument naming the known modes.
Mode parse_mode(std::string_view name);
const char* mode_name(Mode m);

// An orthogonal two-channel filter bank. rec_lo is the scaling filter (sum sqrt(2)); the others follow from it:
// dec_lo = reversed rec_lo, rec_hi[k] = (-1)^k rec_lo[F-1-k], dec_hi = reversed rec_hi.
struct Wavelet {
    std::string name;           // "db4"
    std::string family;         // "db", "sym", "coif" or "haar"
    int order = 0;              // N in dbN / symN / coifN (1 for haar)
    std::vector<double> dec_lo, dec_hi, rec_lo, rec_hi;
    size_t length() const { return rec_lo.size(); }
    int vanishing_moments() const { return family == "coif" ? 2 * order : order; }
};

// The bank named `name` (case-sensitive, as in PyWavelets). Throws InvalidArgument for an unknown name.
const Wavelet& wavelet(std::string_view name);
// Every supported name: haar, db1..db20, sym2..sym20, coif1..coif17.
const std::vector<std::string>& wavelet_names();

// Coefficients per band of one level on a signal of n samples. Throws InvalidArgument for n == 0.
size_t dwt_coeff_len(size_t n, size_t filter_len, Mode mode);
// Deepest level at which every coefficient still sees some real samples: floor(log2(n / (F - 1))), 0 when the
// signal is shorter than F - 1.
int dwt_max_level(size_t n, size_t filter_len);
// Samples produced by one inverse level from n coefficients per band: 2n for periodization, 2n - F + 2
// otherwise. Throws InvalidArgument when n is too short for the filter (n < F/2 outside periodization).
size_t idwt_len(size_t n, size_t filter_len, Mode mode);

// Lengths of the multilevel coefficient bands in PyWavelets' order [cA_level, cD_level, ..., cD_1].
std::vector<size_t> wavedec_lengths(size_t n, size_t filter_len, Mode mode, int level);
// Length waverec returns for bands of these lengths (PyWavelets' rule: a cA one longer than the next cD is
// trimmed by one). Throws InvalidArgument for lengths that do not fit together.
size_t waverec_len(std::span<const size_t> lengths, size_t filter_len, Mode mode);

}  // namespace tsquash::wavelet
