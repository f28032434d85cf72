// The LibTorch autoencoder (built only with LibTorch). Models and data are tiny: the whole file trains for
// well under a second.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "tsquash/errors.hpp"
#include "tsquash/learned/autoencoder.hpp"
#include "tsquash/learned/pca.hpp"

namespace {

using namespace tsquash::learned;

// n samples of `width` values lying on a rank-2 subspace: an autoencoder with a 2-wide latent can fit them.
std::vector<float> low_rank(int64_t n, int64_t width, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g;
    std::vector<float> basis(static_cast<size_t>(2 * width));
    for (auto& b : basis) b = g(rng) * 0.5f;
    std::vector<float> x(static_cast<size_t>(n * width));
    for (int64_t i = 0; i < n; ++i) {
        const float a = g(rng), b = g(rng);
        for (int64_t j = 0; j < width; ++j) x[i * width + j] = a * basis[j] + b * basis[width + j];
    }
    return x;
}

Architecture dense(int64_t width) {
    Architecture a;
    a.input_shape = {width};
    a.layers = {16};
    a.latent = 2;
    return a;
}

TrainOptions quick(int64_t epochs) {
    TrainOptions o;
    o.epochs = epochs;
    o.batch_size = 32;
    o.lr = 5e-3;
    o.threads = 1;
    return o;
}

TEST(AutoEncoder, TrainingReducesTheLoss) {
    const auto x = low_rank(256, 6, 1);
    AutoEncoder ae(dense(6), 3);
    EXPECT_FALSE(ae.trained());
    const TrainHistory h = ae.fit(x.data(), 256, quick(40));
    EXPECT_TRUE(ae.trained());
    ASSERT_EQ(h.loss.size(), static_cast<size_t>(h.epochs_run));
    const double best = h.val_loss[static_cast<size_t>(h.best_epoch - 1)];
    EXPECT_LT(best, 0.2 * h.loss.front()) << "first " << h.loss.front() << " best " << best;
}

TEST(AutoEncoder, SameSeedSameModel) {
    const auto x = low_rank(128, 5, 2);
    AutoEncoder a(dense(5), 11), b(dense(5), 11), c(dense(5), 12);
    const auto ha = a.fit(x.data(), 128, quick(5));
    const auto hb = b.fit(x.data(), 128, quick(5));
    const auto hc = c.fit(x.data(), 128, quick(5));
    EXPECT_EQ(ha.loss, hb.loss);
    EXPECT_EQ(a.to_bytes(), b.to_bytes());
    EXPECT_NE(a.to_bytes(), c.to_bytes());
}

TEST(AutoEncoder, BytesRoundTripGivesIdenticalOutputs) {
    const auto x = low_rank(64, 6, 3);
    AutoEncoder ae(dense(6), 5);
    ae.fit(x.data(), 64, quick(3));
    const auto bytes = ae.to_bytes();
    const AutoEncoder back = AutoEncoder::from_bytes(bytes.data(), bytes.size());
    EXPECT_TRUE(back.trained());
    EXPECT_EQ(back.to_bytes(), bytes);
    std::vector<float> z1(64 * 2), z2(64 * 2), y1(64 * 6), y2(64 * 6);
    ae.encode(x.data(), 64, z1.data(), 1);
    back.encode(x.data(), 64, z2.data(), 1);
    EXPECT_EQ(std::memcmp(z1.data(), z2.data(), z1.size() * 4), 0);
    ae.decode(z1.data(), 64, y1.data(), 1);
    back.decode(z1.data(), 64, y2.data(), 1);
    EXPECT_EQ(std::memcmp(y1.data(), y2.data(), y1.size() * 4), 0);
}

TEST(AutoEncoder, CorruptedBytesAreRejected) {
    AutoEncoder ae(dense(4), 0);
    auto bytes = ae.to_bytes();
    bytes[bytes.size() / 2] ^= 1;
    EXPECT_THROW(AutoEncoder::from_bytes(bytes.data(), bytes.size()), tsquash::CorruptStream);
    EXPECT_THROW(AutoEncoder::from_bytes(bytes.data(), 10), tsquash::CorruptStream);
}

TEST(AutoEncoder, ConvShapesWithOddFrameSizes) {
    Architecture a;
    a.kind = Kind::conv;
    a.input_shape = {10, 7};  // 10 -> 5 -> 3 and 7 -> 4 -> 2: both need output padding on the way back
    a.channels = {3, 4};
    a.layers = {8};
    a.latent = 3;
    AutoEncoder ae(a, 0);
    EXPECT_EQ(ae.sample_size(), 70);
    const auto x = low_rank(24, 70, 4);
    const auto h = ae.fit(x.data(), 24, quick(4));
    EXPECT_EQ(h.epochs_run, 4);
    std::vector<float> z(24 * 3), y(24 * 70, NAN);
    ae.encode(x.data(), 24, z.data(), 1);
    ae.decode(z.data(), 24, y.data(), 1);
    for (float v : y) ASSERT_TRUE(std::isfinite(v));
    const auto bytes = ae.to_bytes();
    const auto back = AutoEncoder::from_bytes(bytes.data(), bytes.size());
    EXPECT_EQ(back.architecture().input_shape, a.input_shape);
    EXPECT_EQ(back.n_parameters(), ae.n_parameters());
}

TEST(AutoEncoder, CallbackStopsTrainingAndExceptionsPropagate) {
    const auto x = low_rank(64, 4, 5);
    AutoEncoder ae(dense(4), 0);
    std::vector<int64_t> seen;
    const auto h = ae.fit(x.data(), 64, quick(50), [&](const EpochReport& r) {
        seen.push_back(r.epoch);
        EXPECT_GT(r.lr, 0);
        return r.epoch < 3;
    });
    EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3}));
    EXPECT_EQ(h.epochs_run, 3);
    EXPECT_TRUE(h.stopped_by_callback);
    EXPECT_THROW(ae.fit(x.data(), 64, quick(50), [](const EpochReport&) -> bool { throw std::runtime_error("stop"); }),
                 std::runtime_error);
    EXPECT_TRUE(ae.trained());
}

TEST(AutoEncoder, EarlyStoppingAndSchedules) {
    const auto x = low_rank(64, 4, 6);
    AutoEncoder ae(dense(4), 0);
    TrainOptions o = quick(200);
    o.lr = 1e-7;  // too small to improve: patience ends the run
    o.patience = 3;
    o.schedule = Schedule::constant;
    const auto h = ae.fit(x.data(), 64, o);
    EXPECT_LT(h.epochs_run, 200);
    for (double lr : h.lr) EXPECT_EQ(lr, 1e-7);
    AutoEncoder cos(dense(4), 0);
    o = quick(10);
    o.schedule = Schedule::cosine;
    o.patience = 0;
    const auto hc = cos.fit(x.data(), 64, o);
    ASSERT_EQ(hc.lr.size(), 10u);
    EXPECT_EQ(hc.lr.front(), o.lr);
    for (size_t i = 1; i < hc.lr.size(); ++i) EXPECT_LT(hc.lr[i], hc.lr[i - 1]);
}

TEST(AutoEncoder, BadInputsAreArgumentErrors) {
    AutoEncoder ae(dense(3), 0);
    std::vector<float> x(30, 0.5f);
    x[7] = NAN;
    EXPECT_THROW(ae.fit(x.data(), 10, quick(1)), tsquash::InvalidArgument);
    x[7] = 0;
    EXPECT_THROW(ae.fit(x.data(), 0, quick(1)), tsquash::InvalidArgument);
    TrainOptions o = quick(1);
    o.val_fraction = 1.0;
    EXPECT_THROW(ae.fit(x.data(), 10, o), tsquash::InvalidArgument);
    Architecture bad = dense(3);
    bad.latent = 0;
    EXPECT_THROW(AutoEncoder(bad, 0), tsquash::InvalidArgument);
}

// A linear model initialised from PCA reconstructs as PCA does (float32 rounding apart), before any training;
// training from there keeps those weights unless an epoch beats them.
TEST(AutoEncoder, PcaInitReproducesPcaAndTrainingOnlyImproves) {
    const int64_t n = 200, w = 6;
    auto x = low_rank(n, w, 5);
    for (size_t i = 0; i < x.size(); ++i) x[i] += 0.3f * std::tanh(x[i]) * std::tanh(x[i]);  // a nonlinear part
    Architecture a = dense(w);
    a.linear = true;
    AutoEncoder ae(a, 1);
    ae.init_pca(x.data(), n);
    EXPECT_TRUE(ae.trained());
    const std::vector<double> xd(x.begin(), x.end());
    const PcaFit pca = pca_fit(xd.data(), n, w, 2);
    std::vector<float> z(static_cast<size_t>(n * 2)), y(static_cast<size_t>(n * w));
    ae.encode(x.data(), n, z.data(), 1);
    ae.decode(z.data(), n, y.data(), 1);
    double worst = 0;
    for (int64_t i = 0; i < n; ++i) {
        double zi[2] = {0, 0};
        for (int c = 0; c < 2; ++c)
            for (int64_t j = 0; j < w; ++j) zi[c] += (xd[i * w + j] - pca.mean[j]) * pca.components[c * w + j];
        for (int64_t j = 0; j < w; ++j) {
            const double r = pca.mean[j] + zi[0] * pca.components[j] + zi[1] * pca.components[w + j];
            worst = std::max(worst, std::abs(r - y[i * w + j]));
        }
    }
    EXPECT_LT(worst, 1e-5);

    TrainOptions o = quick(30);
    o.lr = 1e-3;
    const TrainHistory h = ae.fit(x.data(), n, o);
    ASSERT_TRUE(std::isfinite(h.initial_val_loss));
    EXPECT_LT(*std::min_element(h.val_loss.begin(), h.val_loss.end()), h.initial_val_loss);
    EXPECT_GT(h.best_epoch, 0);

    // A rate far too high ruins every epoch: the PCA start is kept, outputs unchanged.
    AutoEncoder bad(a, 1);
    bad.init_pca(x.data(), n);
    std::vector<float> before(y.size()), after(y.size());
    bad.decode(z.data(), n, before.data(), 1);
    TrainOptions wild = quick(2);
    wild.lr = 1e3;
    wild.linear_lr = 1;
    const TrainHistory hb = bad.fit(x.data(), n, wild);
    EXPECT_EQ(hb.best_epoch, 0);
    bad.decode(z.data(), n, after.data(), 1);
    EXPECT_EQ(before, after);

    // float64 decode matches float32 decode to float32 rounding
    std::vector<double> zd(z.begin(), z.end()), yd(y.size());
    ae.decode(zd.data(), n, yd.data(), 1);
    ae.decode(z.data(), n, y.data(), 1);
    for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(yd[i], y[i], 1e-4);
}

}  // namespace
