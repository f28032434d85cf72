// A LibTorch autoencoder behind a torch-free interface (the LibTorch types live in autoencoder.cpp only),
// so including this header costs nothing and code that uses it need not see torch headers.
//
// Training is deterministic for a given seed, data and thread count: the validation split, the batch order
// and the initial weights come from the seed, and the CPU kernels involved are deterministic. A different
// thread count may change the floating-point summation order inside matrix products (docs/learned.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include "tsquash/learned/architecture.hpp"

namespace tsquash::learned {

enum class Schedule : uint8_t {
    constant = 0,
    plateau = 1,  // halve the rate when the monitored loss stops improving
    cosine = 2,   // cosine decay from lr to lr / 100 over the epochs
};

enum class Loss : uint8_t { mse = 0, l1 = 1 };

struct TrainOptions {
    int64_t epochs = 100;
    int64_t batch_size = 256;
    double lr = 1e-3;
    // The share of samples held out (chosen by the seed) for early stopping and the schedule. When it
    // rounds down to no sample, the training loss is monitored instead.
    double val_fraction = 0.1;
    int64_t patience = 20;  // epochs without improvement before stopping; 0 never stops early
    Schedule schedule = Schedule::plateau;
    int threads = 0;  // LibTorch intra-op threads; 0 uses every hardware thread
    // > 0: the latent is rounded to a grid of this fraction of each dimension's range (over the training
    // samples, remeasured every epoch) in training and validation, as the compressor stores it; gradients
    // pass the rounding unchanged (straight-through).
    double latent_step = 0;
    // mse, or l1: the mean absolute error, closer to what residual corrections cost (their size grows with
    // log |error| rather than error^2).
    Loss loss = Loss::mse;
    // The linear path's rate as a fraction of lr (0 freezes it at its PCA start). On the CFD frames 0.1
    // beat both 0 and 1 (docs/learned.md).
    double linear_lr = 0.1;
};

struct EpochReport {
    int64_t epoch;  // 1-based
    double loss;      // the training loss (TrainOptions::loss) over the epoch's batches
    double val_loss;  // on the held-out samples (the training loss when there are none)
    double lr;        // the rate used during this epoch
};

// Called after every epoch; returning false stops training (the best weights so far are kept). An exception
// thrown from it also stops training, keeps the best weights and propagates.
using EpochCallback = std::function<bool(const EpochReport&)>;

struct TrainHistory {
    std::vector<double> loss, val_loss, lr;
    int64_t epochs_run = 0;
    int64_t best_epoch = 0;  // the epoch whose weights the model keeps; 0: the weights it started with
    double initial_val_loss = std::numeric_limits<double>::quiet_NaN();  // of the starting weights, when the model was trained or initialised
    double seconds = 0;
    bool stopped_by_callback = false;
};

class AutoEncoder {
public:
    // Throws InvalidArgument for an invalid architecture. Initial weights come from the seed.
    AutoEncoder(const Architecture& arch, uint64_t seed);
    ~AutoEncoder();
    AutoEncoder(AutoEncoder&&) noexcept;
    AutoEncoder& operator=(AutoEncoder&&) noexcept;

    const Architecture& architecture() const;
    int64_t sample_size() const;
    int64_t n_parameters() const;
    bool trained() const;

    // Linear models only: the mean and the first `latent` principal components of x (an SVD in float64)
    // become the linear path, the networks' output layers are zeroed, so the model reproduces PCA exactly
    // and counts as trained. fit() does this itself on a linear model not yet trained.
    void init_pca(const float* x, int64_t n);

    // x holds n samples of sample_size() finite floats, row-major (frames row by row). Several calls may
    // run at once on one model; they take turns. A model that is already trained (or initialised from PCA)
    // keeps its starting weights unless an epoch beats their validation loss.
    TrainHistory fit(const float* x, int64_t n, const TrainOptions& opt, const EpochCallback& on_epoch = {});
    void encode(const float* x, int64_t n, float* z, int threads = 0) const;  // z: n * latent
    void decode(const float* z, int64_t n, float* x, int threads = 0) const;  // x: n * sample_size()
    // The same network evaluated in float64 (a copy of the float32 weights), so that a decoder on another
    // machine reproduces the output to float64 rounding rather than float32's.
    void decode(const double* z, int64_t n, double* x, int threads = 0) const;

    std::vector<uint8_t> to_bytes() const;                         // model_format.hpp
    static AutoEncoder from_bytes(const uint8_t* data, size_t n);  // CorruptStream on bad bytes

private:
    struct Impl;
    explicit AutoEncoder(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace tsquash::learned
