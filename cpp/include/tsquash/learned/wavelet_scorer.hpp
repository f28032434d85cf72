// The position predictor of the learned wavelet downsampler, behind a torch-free interface (LibTorch lives in
// wavelet_scorer.cpp only).
//
// A series is cut into windows of `window` samples; each window goes through an orthogonal multilevel DWT
// (periodization mode: exactly `window` coefficients, energy preserved). The approximation band is always
// stored. The scorer sees what a decoder also has, the approximation band and the detail values decoded so
// far, and scores every detail coefficient of the window: a high score predicts a large magnitude. Encoder
// and decoder run the same scorer on the same inputs, so the positions of the best-scored coefficients need
// not be stored; only their values are (tsquash.wavelet_downsample.LearnedDownsampler runs it twice: on the
// approximation alone, then with the values of the first pass's best coefficients known).
//
// The network: one token per approximation coefficient (its centred value and the local differences and
// curvature of the band around it, in units of the band's typical step, plus its position), two Transformer
// encoder layers over the window's tokens, and a linear head giving the 2^level - 1 detail coefficients that
// lie under the token in the wavelet tree (the token's coefficient at each detail level j and its 2^(level-j)
// descendants). The known detail values enter the token that owns them.
//
// Training makes the scores a log-energy forecast: per window, the softmax of the scores is fitted to the
// detail coefficients' share of the detail energy (cross-entropy), so that the top-scored coefficients are
// those that hold the most energy, the energy a kept coefficient removes from the reconstruction error. Each
// step trains both passes: the approximation alone, and with the values of a random number of each window's
// best first-pass coefficients known (the rest scored among itself).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tsquash::learned {

struct ScorerConfig {
    int64_t window = 256;     // samples per window; a multiple of 2^level
    std::string wavelet = "db4";
    int level = 2;            // 1..10
    int64_t d_model = 32;     // token width
    int64_t heads = 4;        // attention heads per layer; divides d_model
    int64_t ff = 64;          // hidden width of each layer's feed-forward network
    int64_t layers = 2;       // Transformer encoder layers (1..4)
};

inline constexpr int scorer_max_level = 10;
inline constexpr int64_t scorer_max_window = 1 << 14;

// Throws InvalidArgument naming the first problem (unknown wavelet, window not a multiple of 2^level, ...).
void validate(const ScorerConfig& c);
// Coefficients in the approximation band of one window: window / 2^level.
int64_t scorer_approx_len(const ScorerConfig& c);

struct ScorerTrainOptions {
    int64_t epochs = 20;
    int64_t batch_size = 32;  // windows per step
    double lr = 3e-3;
    double keep = 0.2;  // share of the detail coefficients the history's losses keep
    int threads = 0;    // LibTorch intra-op threads; 0 uses every hardware thread
};

struct ScorerEpoch {
    int64_t epoch;  // 1-based
    // Detail energy missed by the `keep` share of each window's detail coefficients with the highest scores,
    // divided by the detail energy (0: the prediction finds all of it). magnitude_loss is the same for the
    // `keep` share of largest magnitudes, which the predictor cannot beat (it sees no detail coefficient); it
    // would cost a stored position per coefficient.
    double loss;
    double magnitude_loss;
};

// Returning false stops training; an exception from it stops training and propagates.
using ScorerCallback = std::function<bool(const ScorerEpoch&)>;

class WaveletScorer {
public:
    // Throws InvalidArgument for an invalid configuration. Initial weights come from the seed.
    WaveletScorer(const ScorerConfig& config, uint64_t seed);
    ~WaveletScorer();
    WaveletScorer(WaveletScorer&&) noexcept;
    WaveletScorer& operator=(WaveletScorer&&) noexcept;

    const ScorerConfig& config() const;
    int64_t approx_len() const;
    int64_t detail_len() const;  // window - approx_len
    int64_t n_parameters() const;

    // coeffs: n windows' DWT coefficients (n * window finite float32, each row in wavedec order [cA_L, cD_L,
    // ..., cD_1], periodization mode). Deterministic for a seed, data and thread count. Several calls on one
    // scorer take turns.
    std::vector<ScorerEpoch> fit(const float* coeffs, int64_t n, const ScorerTrainOptions& opt, uint64_t seed,
                                 const ScorerCallback& on_epoch = {});
    // approx: n windows' approximation bands (n * approx_len() finite float32); known: n * detail_len() detail
    // values, NaN where the decoder does not know them. scores: n * detail_len() values in the detail order of a
    // wavedec row. Each window is scored on its own (a batch of one), so its scores do not depend on the other
    // windows; with the same thread count they are bit-identical from call to call, which lets a decoder
    // re-derive the encoder's positions.
    void score(const float* approx, const float* known, int64_t n, float* scores, int threads = 1) const;

    std::vector<float> parameters() const;  // in a fixed order, n_parameters() values
    // Throws InvalidArgument for the wrong count or a non-finite value.
    void set_parameters(const float* p, size_t n);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tsquash::learned
