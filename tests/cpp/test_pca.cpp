#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "tsquash/errors.hpp"
#include "tsquash/learned/pca.hpp"

using tsquash::learned::pca_fit;

namespace {

// Rank-2 data in 5 dimensions plus a mean: two components reconstruct it exactly.
std::vector<double> rank_two(size_t n) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> g;
    const double a[5] = {1, 2, 0, -1, 0.5}, b[5] = {0, 1, 1, 1, -2}, mu[5] = {10, -3, 0, 2, 7};
    std::vector<double> x(n * 5);
    for (size_t i = 0; i < n; ++i) {
        const double s = 3 * g(rng), t = g(rng);
        for (size_t j = 0; j < 5; ++j) x[i * 5 + j] = mu[j] + s * a[j] + t * b[j];
    }
    return x;
}

}  // namespace

TEST(Pca, RankTwoDataIsReconstructedByTwoOrthonormalComponents) {
    const size_t n = 200;
    auto x = rank_two(n);
    auto fit = pca_fit(x.data(), n, 5, 2);
    ASSERT_EQ(fit.n_components, 2u);
    for (size_t c = 0; c < 2; ++c) {
        for (size_t e = 0; e < 2; ++e) {
            double dot = 0;
            for (size_t j = 0; j < 5; ++j) dot += fit.components[c * 5 + j] * fit.components[e * 5 + j];
            EXPECT_NEAR(dot, c == e ? 1.0 : 0.0, 1e-12);
        }
    }
    EXPECT_GE(fit.singular_values[0], fit.singular_values[1]);
    double worst = 0;
    for (size_t i = 0; i < n; ++i) {
        double z[2] = {0, 0};
        for (size_t c = 0; c < 2; ++c)
            for (size_t j = 0; j < 5; ++j) z[c] += (x[i * 5 + j] - fit.mean[j]) * fit.components[c * 5 + j];
        for (size_t j = 0; j < 5; ++j) {
            const double r = fit.mean[j] + z[0] * fit.components[j] + z[1] * fit.components[5 + j];
            worst = std::max(worst, std::abs(r - x[i * 5 + j]));
        }
    }
    EXPECT_LT(worst, 1e-9);
}

TEST(Pca, ComponentsAreClampedToTheDataRank) {
    auto x = rank_two(3);
    EXPECT_EQ(pca_fit(x.data(), 3, 5, 10).n_components, 3u);
}

TEST(Pca, RejectsEmptyZeroComponentsAndNonFinite) {
    auto x = rank_two(4);
    EXPECT_THROW(pca_fit(x.data(), 0, 5, 1), tsquash::InvalidArgument);
    EXPECT_THROW(pca_fit(x.data(), 4, 5, 0), tsquash::InvalidArgument);
    x[7] = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(pca_fit(x.data(), 4, 5, 1), tsquash::InvalidArgument);
}
