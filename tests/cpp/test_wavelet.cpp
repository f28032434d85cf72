// The wavelet transform in C++: the tabulated filter banks are orthonormal with the right vanishing moments,
// every mode reconstructs perfectly, periodization is an orthogonal transform, the streaming transform equals
// the whole-array one bit for bit, and its state bytes round-trip and reject corruption.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tsquash/errors.hpp"
#include "tsquash/io/crc32c.hpp"
#include "tsquash/wavelet/dwt.hpp"
#include "tsquash/wavelet/streaming.hpp"

namespace {

using namespace tsquash::wavelet;

std::vector<double> noise(size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> d;
    std::vector<double> v(n);
    for (double& x : v) x = d(rng);
    return v;
}

TEST(WaveletFilters, FiftySevenBanksInFamilyOrder) {
    const auto& names = wavelet_names();
    ASSERT_EQ(names.size(), 57u);
    EXPECT_EQ(names.front(), "haar");
    EXPECT_EQ(wavelet("db20").length(), 40u);
    EXPECT_EQ(wavelet("sym20").length(), 40u);
    EXPECT_EQ(wavelet("coif17").length(), 102u);
    EXPECT_THROW(wavelet("db21"), tsquash::InvalidArgument);
    EXPECT_THROW(parse_mode("mirror"), tsquash::InvalidArgument);
    for (Mode m : kAllModes) EXPECT_EQ(parse_mode(mode_name(m)), m);
}

// How exactly the tabulated filters are orthonormal. The db, coif and haar tables are exact to the last bit;
// the symlet tables (PyWavelets' published values, which tsquash keeps so its results equal PyWavelets') carry
// fewer correct digits, up to 1.4e-11 off for sym20.
double table_tolerance(const Wavelet& w) { return w.family == "sym" ? 2e-11 : 1e-14; }

// Sum sqrt(2), orthonormal under even shifts (the defining property of an orthogonal filter bank), high-pass
// orthogonal to low-pass, and p-th moments of the high-pass zero for p below the vanishing moments.
TEST(WaveletFilters, OrthonormalWithVanishingMoments) {
    for (const std::string& name : wavelet_names()) {
        const Wavelet& w = wavelet(name);
        const double tol = table_tolerance(w);
        const auto& h = w.rec_lo;
        const auto& g = w.rec_hi;
        const size_t F = w.length();
        double sum = 0;
        for (double v : h) sum += v;
        EXPECT_NEAR(sum, std::sqrt(2.0), std::max(tol, 1e-14)) << name;
        for (size_t s = 0; s < F; s += 2) {
            double hh = 0, gg = 0, hg = 0;
            for (size_t k = 0; k + s < F; ++k) {
                hh += h[k] * h[k + s];
                gg += g[k] * g[k + s];
                hg += h[k] * g[k + s] ;
            }
            EXPECT_NEAR(hh, s == 0 ? 1.0 : 0.0, tol) << name << " shift " << s;
            EXPECT_NEAR(gg, s == 0 ? 1.0 : 0.0, tol) << name << " shift " << s;
            EXPECT_NEAR(hg, 0.0, tol) << name << " shift " << s;
        }
        // Moments in centred, scaled coordinates keep the sums well conditioned for the long filters.
        for (int p = 0; p < w.vanishing_moments(); ++p) {
            double m = 0, scale = 0;
            for (size_t k = 0; k < F; ++k) {
                const double t = std::pow((double(k) - double(F - 1) / 2) / double(F), p);
                m += g[k] * t;
                scale += std::abs(g[k] * t);
            }
            EXPECT_LE(std::abs(m), 1e-10 * std::max(1.0, scale)) << name << " moment " << p;
        }
        for (size_t k = 0; k < F; ++k) {
            EXPECT_EQ(w.dec_lo[k], h[F - 1 - k]);
            EXPECT_EQ(w.dec_hi[k], g[F - 1 - k]);
        }
    }
}

TEST(WaveletTransform, PerfectReconstructionEveryWaveletAndMode) {
    for (const std::string& name : wavelet_names()) {
        const Wavelet& w = wavelet(name);
        for (Mode mode : kAllModes) {
            for (size_t n : {size_t(7), size_t(64), size_t(301)}) {
                const std::vector<double> x = noise(n, unsigned(n + w.length()));
                const int level = std::max(1, dwt_max_level(n, w.length()));
                const auto bands = wavedec(x, w, mode, level);
                const std::vector<double> y = waverec(bands, w, mode);
                ASSERT_GE(y.size(), n);
                ASSERT_LE(y.size(), n + 1);
                double err = 0;
                for (size_t i = 0; i < n; ++i) err = std::max(err, std::abs(y[i] - x[i]));
                EXPECT_LT(err, 1e-9) << name << " " << mode_name(mode) << " n=" << n;
            }
        }
    }
}

// The piecewise path for long signals gives the level-by-level path's bits (threshold lowered for the test).
TEST(WaveletTransform, PiecewiseEqualsLevelByLevel) {
    const std::vector<double> x = noise(70001, 9);
    for (const char* name : {"db2", "sym6"}) {
        const Wavelet& w = wavelet(name);
        for (Mode mode : {Mode::symmetric, Mode::smooth, Mode::zero}) {
            const auto plain = wavedec(x, w, mode, 5);
            const std::vector<double> plain_y = waverec(plain, w, mode);
            const size_t previous = detail::set_piecewise_threshold(65536);
            const auto piecewise = wavedec(x, w, mode, 5);
            const std::vector<double> piecewise_y = waverec(plain, w, mode);
            detail::set_piecewise_threshold(previous);
            EXPECT_EQ(piecewise, plain) << name << " " << mode_name(mode);
            EXPECT_EQ(piecewise_y, plain_y) << name << " " << mode_name(mode);
        }
    }
}

// Single-level calls, as a reference for the multilevel paths.
std::vector<std::vector<double>> level_by_level(const std::vector<double>& x, const Wavelet& w, Mode mode, int level) {
    std::vector<std::vector<double>> bands;
    std::vector<double> a = x;
    for (int l = 0; l < level; ++l) {
        const size_t m = dwt_coeff_len(a.size(), w.length(), mode);
        std::vector<double> ca(m), cd(m);
        dwt(a, w, mode, ca, cd);
        bands.insert(bands.begin(), cd);
        a = ca;
    }
    bands.insert(bands.begin(), a);
    return bands;
}

std::vector<double> inverse_level_by_level(const std::vector<std::vector<double>>& bands, const Wavelet& w,
                                           Mode mode) {
    std::vector<double> a = bands[0];
    for (size_t i = 1; i < bands.size(); ++i) {
        a.resize(bands[i].size());  // drop the extra value of an odd-length level
        std::vector<double> y(idwt_len(a.size(), w.length(), mode));
        idwt(a, bands[i], w, mode, y);
        a = y;
    }
    return a;
}

// Haar runs all levels in one pass (streaming the bands past the caches from 2^19 values): the
// single-level calls' bits in every mode, for odd lengths at any level and above the streaming size.
TEST(WaveletTransform, HaarAllLevelsAtOnceEqualsLevelByLevel) {
    const Wavelet& w = wavelet("haar");
    for (size_t n : {size_t(2), size_t(3), size_t(7), size_t(1000), size_t(70001)}) {
        const std::vector<double> x = noise(n, 13);
        for (Mode mode : kAllModes) {
            for (int level : {1, 3, dwt_max_level(n, 2)}) {
                if (level < 1 || (n < 8 && level == 3)) continue;
                const auto ref = level_by_level(x, w, mode, level);
                const auto got = wavedec(x, w, mode, level);
                EXPECT_EQ(got, ref) << mode_name(mode) << " n=" << n << " level=" << level;
                EXPECT_EQ(waverec(got, w, mode), inverse_level_by_level(ref, w, mode))
                    << mode_name(mode) << " n=" << n << " level=" << level;
            }
        }
    }
    std::vector<double> big((size_t(1) << 20) + 5);
    for (size_t i = 0; i < big.size(); ++i) big[i] = std::sin(0.001 * double(i)) + double(i % 7);
    const auto ref = level_by_level(big, w, Mode::reflect, 2);
    const auto got = wavedec(big, w, Mode::reflect, 2);
    EXPECT_EQ(got, ref);
    EXPECT_EQ(waverec(got, w, Mode::reflect), inverse_level_by_level(ref, w, Mode::reflect));
}

TEST(WaveletTransform, PeriodizationIsOrthogonal) {
    for (const char* name : {"haar", "db4", "sym7", "coif3"}) {
        const Wavelet& w = wavelet(name);
        const size_t n = 32;
        const std::vector<double> a = analysis_matrix(n, w, Mode::periodization, 2);
        const std::vector<double> s = synthesis_matrix(n, w, Mode::periodization, 2);
        for (size_t i = 0; i < n; ++i)
            for (size_t j = 0; j < n; ++j) {
                double dot = 0;
                for (size_t k = 0; k < n; ++k) dot += a[i * n + k] * a[j * n + k];
                EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-12 + 10 * table_tolerance(w)) << name;
                EXPECT_NEAR(s[i * n + j], a[j * n + i], 1e-12) << name;
            }
    }
}

TEST(WaveletTransform, LengthRulesAndErrors) {
    EXPECT_EQ(dwt_coeff_len(11, 8, Mode::symmetric), 9u);
    EXPECT_EQ(dwt_coeff_len(11, 8, Mode::periodization), 6u);
    EXPECT_EQ(dwt_max_level(1000, 8), 7);
    EXPECT_EQ(dwt_max_level(5, 8), 0);
    EXPECT_THROW(dwt_coeff_len(0, 8, Mode::zero), tsquash::InvalidArgument);
    const Wavelet& w = wavelet("db4");
    std::vector<double> one{1.0}, ca(4), cd(4);
    EXPECT_THROW(dwt(one, w, Mode::reflect, ca, cd), tsquash::InvalidArgument);
    std::vector<double> x(10), small(3);
    EXPECT_THROW(dwt(x, w, Mode::zero, small, small), tsquash::InvalidArgument);
    std::vector<double> a2(2), out(2);
    EXPECT_THROW(idwt(a2, a2, w, Mode::zero, out), tsquash::InvalidArgument);  // too short for 8 taps
    const std::vector<size_t> bad{3, 10};
    EXPECT_THROW(waverec_len(bad, 4, Mode::symmetric), tsquash::InvalidArgument);
}

TEST(WaveletStreaming, EqualsWholeArrayBitForBit) {
    for (const char* name : {"haar", "db4", "sym10", "coif5"}) {
        for (Mode mode : kAllModes) {
            if (mode == Mode::periodic || mode == Mode::periodization) {
                EXPECT_THROW(StreamingDwt(name, mode, 2), tsquash::InvalidArgument);
                continue;
            }
            for (size_t n : {size_t(2), size_t(29), size_t(1000)}) {
                const std::vector<double> x = noise(n, 7);
                StreamingDwt s(name, mode, 3);
                std::vector<std::vector<double>> ref;
                try {
                    ref = wavedec(x, wavelet(name), mode, 3);
                } catch (const tsquash::InvalidArgument&) {  // a level of one sample in reflect/antireflect
                    std::vector<std::vector<double>> sink;
                    s.push(x, sink);
                    EXPECT_THROW(s.finish(sink), tsquash::InvalidArgument) << name << " " << mode_name(mode);
                    continue;
                }
                std::vector<std::vector<double>> got;
                size_t pos = 0, step = 1;
                while (pos < n) {
                    const size_t k = std::min(step, n - pos);
                    s.push(std::span<const double>(x.data() + pos, k), got);
                    pos += k;
                    step = step * 3 + 1;
                    if (pos > n / 2 && pos - k <= n / 2) {  // checkpoint halfway
                        const std::vector<uint8_t> st = s.state();
                        s = StreamingDwt::restore(st.data(), st.size());
                    }
                }
                s.finish(got);
                ASSERT_EQ(got.size(), ref.size());
                for (size_t b = 0; b < ref.size(); ++b)
                    EXPECT_EQ(got[b], ref[b]) << name << " " << mode_name(mode) << " n=" << n << " band " << b;
                EXPECT_THROW(s.push(x, got), tsquash::InvalidArgument);
            }
        }
    }
}

TEST(WaveletStreaming, StateRejectsEveryCorruption) {
    StreamingDwt s("db3", Mode::symmetric, 2);
    std::vector<std::vector<double>> out;
    const std::vector<double> x = noise(50, 3);
    s.push(x, out);
    const std::vector<uint8_t> good = s.state();
    const StreamingDwt back = StreamingDwt::restore(good.data(), good.size());
    EXPECT_EQ(back.state(), good);
    for (size_t i = 0; i < good.size(); ++i) {
        std::vector<uint8_t> bad = good;
        bad[i] ^= 0x10;
        EXPECT_THROW(StreamingDwt::restore(bad.data(), bad.size()), tsquash::CorruptStream) << "byte " << i;
    }
    for (size_t n = 0; n < good.size(); n += 7)
        EXPECT_THROW(StreamingDwt::restore(good.data(), n), tsquash::CorruptStream) << "length " << n;
}

TEST(WaveletStreaming, StateRejectsAHugeOutputCountOfAnEmptyLevel) {
    // A finished state whose first level saw no input, with an output count near 2^62: once accepted, and
    // its consistency check overflowed a signed integer (found by fuzz_wavelet_state).
    StreamingDwt s("db7", Mode::symmetric, 1);  // one level: no later level's input count to disagree with
    std::vector<uint8_t> st = s.state();
    const size_t name_end = 9 + 3;  // "TSQW", version, mode, levels, finished flag, name length, "db7"
    ASSERT_EQ(std::string(st.begin() + 9, st.begin() + name_end), "db7");
    const auto reseal = [&st] {     // a valid checksum, so that the consistency check is what decides
        const uint32_t crc = tsquash::io::crc32c(st.data(), st.size() - 4);
        for (int k = 0; k < 4; ++k) st[st.size() - 4 + k] = uint8_t(crc >> (8 * k));
    };
    st[7] = 1;                      // finished
    reseal();
    EXPECT_NO_THROW(StreamingDwt::restore(st.data(), st.size()));
    st[name_end + 8 + 7] = 0x40;    // level 0: the top byte of next_out (after the 8 bytes of n_in)
    reseal();
    EXPECT_THROW(StreamingDwt::restore(st.data(), st.size()), tsquash::CorruptStream);
}

}  // namespace
