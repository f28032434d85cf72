// The position predictor of the learned wavelet downsampler (built only with LibTorch). Tiny windows and
// models: the file trains for about a second.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "tsquash/errors.hpp"
#include "tsquash/learned/wavelet_scorer.hpp"
#include "tsquash/wavelet/dwt.hpp"

namespace {

using namespace tsquash::learned;
namespace tw = tsquash::wavelet;

ScorerConfig small_config() {
    ScorerConfig c;
    c.window = 64;
    c.level = 2;
    c.d_model = 8;
    c.heads = 2;
    c.ff = 16;
    return c;
}

// n windows of random walk + bursts, as periodization DWT coefficients in wavedec order (float32 rows).
std::vector<float> coefficient_rows(const ScorerConfig& c, int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> g;
    const auto& w = tw::wavelet(c.wavelet);
    std::vector<float> out;
    std::vector<double> x(static_cast<size_t>(c.window));
    for (int64_t i = 0; i < n; ++i) {
        double level = 0;
        for (int64_t t = 0; t < c.window; ++t) {
            level += g(rng);
            x[static_cast<size_t>(t)] = level + ((t + i) % 37 < 3 ? 6.0 : 0.0);
        }
        for (const auto& band : tw::wavedec(x, w, tw::Mode::periodization, c.level))
            for (double v : band) out.push_back(static_cast<float>(v));
    }
    return out;
}

// The approximation bands of the rows, and an all-unknown (NaN) detail array.
std::vector<float> approx_of(const std::vector<float>& rows, int64_t n, int64_t window, int64_t na) {
    std::vector<float> out;
    for (int64_t i = 0; i < n; ++i) out.insert(out.end(), rows.begin() + i * window, rows.begin() + i * window + na);
    return out;
}

TEST(WaveletScorer, ScoresAreRepeatableAndUseWhatIsKnown) {
    const auto c = small_config();
    WaveletScorer s(c, 3);
    EXPECT_EQ(s.approx_len(), 16);
    EXPECT_EQ(s.detail_len(), 48);
    const auto coeffs = coefficient_rows(c, 5, 1);
    const auto approx = approx_of(coeffs, 5, 64, 16);
    std::vector<float> unknown(5 * 48, NAN), a(5 * 48), b(5 * 48), one(48);
    s.score(approx.data(), unknown.data(), 5, a.data(), 1);
    s.score(approx.data(), unknown.data(), 5, b.data(), 2);
    EXPECT_EQ(a, b);  // windows are scored one at a time: bit-identical
    // A window's scores do not depend on the windows scored with it.
    s.score(approx.data() + 2 * 16, unknown.data(), 1, one.data(), 1);
    EXPECT_TRUE(std::equal(one.begin(), one.end(), a.begin() + 2 * 48));
    // Knowing some detail values changes the scores (second pass).
    auto known = unknown;
    for (int j = 0; j < 8; ++j) known[j] = coeffs[16 + j];
    s.score(approx.data(), known.data(), 5, b.data(), 1);
    EXPECT_NE(std::vector<float>(a.begin(), a.begin() + 48), std::vector<float>(b.begin(), b.begin() + 48));
    EXPECT_TRUE(std::equal(a.begin() + 48, a.end(), b.begin() + 48));
}

TEST(WaveletScorer, TrainingIsDeterministicAndTracksTheMagnitudeBaseline) {
    const auto c = small_config();
    const auto coeffs = coefficient_rows(c, 64, 2);
    ScorerTrainOptions opt;
    opt.epochs = 3;
    opt.batch_size = 16;
    opt.keep = 0.2;
    opt.threads = 1;
    WaveletScorer a(c, 7), b(c, 7);
    const auto ha = a.fit(coeffs.data(), 64, opt, 11);
    const auto hb = b.fit(coeffs.data(), 64, opt, 11);
    ASSERT_EQ(ha.size(), 3u);
    for (size_t i = 0; i < ha.size(); ++i) {
        EXPECT_EQ(ha[i].loss, hb[i].loss);
        EXPECT_GT(ha[i].loss, 0.0);
        EXPECT_LT(ha[i].loss, 1.0);
        // Keeping the top 20 % by magnitude of a walk's details drops well under half their energy, and no
        // prediction from the approximation can find more energy with as many coefficients.
        EXPECT_LT(ha[i].magnitude_loss, 0.5);
        EXPECT_LE(ha[i].magnitude_loss, ha[i].loss + 1e-9);
    }
    EXPECT_EQ(a.parameters(), b.parameters());
}

TEST(WaveletScorer, ParametersRoundTrip) {
    const auto c = small_config();
    const auto coeffs = coefficient_rows(c, 8, 4);
    WaveletScorer a(c, 1);
    ScorerTrainOptions opt;
    opt.epochs = 1;
    opt.threads = 1;
    a.fit(coeffs.data(), 8, opt, 0);
    WaveletScorer b(c, 99);
    const auto p = a.parameters();
    ASSERT_EQ(static_cast<int64_t>(p.size()), a.n_parameters());
    b.set_parameters(p.data(), p.size());
    const auto approx = approx_of(coeffs, 8, 64, 16);
    std::vector<float> unknown(8 * 48, NAN), sa(8 * 48), sb(8 * 48);
    a.score(approx.data(), unknown.data(), 8, sa.data(), 1);
    b.score(approx.data(), unknown.data(), 8, sb.data(), 1);
    EXPECT_EQ(sa, sb);
    EXPECT_THROW(b.set_parameters(p.data(), p.size() - 1), tsquash::InvalidArgument);
    auto bad = p;
    bad[3] = NAN;
    EXPECT_THROW(b.set_parameters(bad.data(), bad.size()), tsquash::InvalidArgument);
}

TEST(WaveletScorer, RejectsBadConfigurationsAndInputs) {
    auto c = small_config();
    c.window = 62;  // not a multiple of 2^2
    EXPECT_THROW(WaveletScorer(c, 0), tsquash::InvalidArgument);
    c = small_config();
    c.wavelet = "db99";
    EXPECT_THROW(WaveletScorer(c, 0), tsquash::InvalidArgument);
    c = small_config();
    c.heads = 3;
    EXPECT_THROW(WaveletScorer(c, 0), tsquash::InvalidArgument);
    c = small_config();
    c.level = 0;
    EXPECT_THROW(WaveletScorer(c, 0), tsquash::InvalidArgument);

    WaveletScorer s(small_config(), 0);
    std::vector<float> coeffs(64, 1.0f), known(48, NAN), scores(48);
    coeffs[5] = INFINITY;
    EXPECT_THROW(s.score(coeffs.data(), known.data(), 1, scores.data(), 1), tsquash::InvalidArgument);
    coeffs[5] = 1.0f;
    known[7] = -INFINITY;
    EXPECT_THROW(s.score(coeffs.data(), known.data(), 1, scores.data(), 1), tsquash::InvalidArgument);
    ScorerTrainOptions opt;
    opt.keep = 1.0;
    coeffs[5] = 0;
    EXPECT_THROW(s.fit(coeffs.data(), 1, opt, 0), tsquash::InvalidArgument);
    opt = ScorerTrainOptions{};
    EXPECT_THROW(s.fit(coeffs.data(), 0, opt, 0), tsquash::InvalidArgument);
}

}  // namespace
