// The importance scorer of the learned wavelet downsampler, behind a torch-free interface (LibTorch lives in
// wavelet_scorer.cpp only).
//
// A series is cut into windows of `window` samples; each window goes through an orthogonal multilevel DWT
// (periodization mode, so the window's coefficients are exactly `window` values and the transform preserves
// energy). The approximation band is always kept. Every detail coefficient becomes a token (its value, level,
// position and the approximation around it); two Transformer encoder layers mix the tokens of a window and a
// linear head adds a learned correction g to the coefficient's log-magnitude: score = log|c| + g. Keeping the
// highest scores (per window, over a whole series, or above a threshold) is the downsampling.
//
// Training minimises the reconstruction error of what is kept: a soft mask sigmoid((score - tau) / T) with tau
// the batch's k-th largest score (the budget), the kept coefficients synthesised back to samples with the
// wavelet's synthesis matrix inside the graph, normalised by the detail energy, plus a penalty holding the
// soft mask's mass at the budget and, optionally, a peak-error term (ScorerTrainOptions::peak_weight).
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
    int64_t batch_size = 32;  // windows per step; the budget threshold is shared by the windows of a batch
    double lr = 3e-3;
    double keep = 0.2;         // share of the detail coefficients kept
    double temperature = 0.5;  // of the soft mask, in units of log-magnitude
    double budget_weight = 1.0;
    // Weight of a peak-error term: the root of the mean fourth power of each window's time-domain residual
    // (through the synthesis matrix), relative to the mean detail energy per sample. 0 trains for the squared
    // error alone, where the magnitude ranking is already optimal (orthogonal transform); a positive weight
    // trades some squared error for smaller worst-case deviations.
    double peak_weight = 0.0;
    int threads = 0;           // LibTorch intra-op threads; 0 uses every hardware thread
};

struct ScorerEpoch {
    int64_t epoch;  // 1-based
    // Detail energy lost with the hard selection (keep the top `keep` share of scores per batch), divided by
    // the detail energy: 0 is perfect, 1 keeps nothing useful. magnitude_loss is the same for score = log|c|
    // (the plain top-k by magnitude) on the same batches, the baseline the scorer has to beat.
    double loss;
    double magnitude_loss;
};

// Returning false stops training; an exception from it stops training and propagates.
using ScorerCallback = std::function<bool(const ScorerEpoch&)>;

class WaveletScorer {
public:
    // Throws InvalidArgument for an invalid configuration. Initial weights come from the seed; the head
    // starts at zero, so an untrained scorer ranks by magnitude.
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
    // scores: n * detail_len() values, the detail coefficients of each row in the same order.
    void score(const float* coeffs, int64_t n, float* scores, int threads = 0) const;

    std::vector<float> parameters() const;  // in a fixed order, n_parameters() values
    // Throws InvalidArgument for the wrong count or a non-finite value.
    void set_parameters(const float* p, size_t n);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tsquash::learned
