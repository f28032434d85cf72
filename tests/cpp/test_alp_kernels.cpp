// The codec's kernels are compiled for the baseline x86-64, AVX2 and AVX-512 and picked at run time: every
// version this CPU runs must give the baseline's results exactly, or the same values would encode to
// different bytes, or the same bytes decode to different values, on different machines (a fused multiply-add in
// one of them would do that).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "../../cpp/src/codecs/alp/kernels.hpp"
#include "../../cpp/src/codecs/alp/sig.hpp"

namespace {

namespace kernels = tsquash::codecs::alp::kernels;
namespace alp = tsquash::codecs::alp;

// Doubles of many kinds: decimals of a few digits, values an ulp off them, random bit patterns, the specials.
std::vector<double> mixed_doubles(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) {
        const unsigned kind = unsigned(rng() % 6);
        const double dec = double(int64_t(rng() % 2000001) - 1000000) / std::pow(10.0, double(rng() % 8));
        if (kind == 0) v[i] = dec;
        else if (kind == 1) v[i] = std::nextafter(dec, 1e300);
        else if (kind == 2) v[i] = std::bit_cast<double>(rng());
        else if (kind == 3) v[i] = double(int64_t(rng() >> 11)) * (rng() % 2 ? 1 : -1);
        else if (kind == 4) v[i] = dec * 1e12;
        else v[i] = std::array<double, 6>{0.0, -0.0, std::numeric_limits<double>::infinity(),
                                          -std::numeric_limits<double>::infinity(), std::nan(""),
                                          std::numeric_limits<double>::denorm_min()}[rng() % 6];
    }
    return v;
}

struct Restore {
    ~Restore() { kernels::cap_isa_level(2); }
};

TEST(AlpKernels, EveryInstructionSetGivesTheBaselineResults) {
    Restore restore;
    const int top = kernels::isa_levels_available();
    const std::vector<double> d = mixed_doubles(1000, 7);
    std::vector<float> f(d.size());
    for (size_t i = 0; i < d.size(); ++i) f[i] = float(d[i]);
    std::vector<int64_t> walk(d.size());
    std::mt19937_64 rng(3);
    for (size_t i = 1; i < walk.size(); ++i) walk[i] = walk[i - 1] + int64_t(rng() % 2001) - 1000;
    walk[500] = std::numeric_limits<int64_t>::min();  // wrapping differences
    walk[501] = std::numeric_limits<int64_t>::max();

    auto run = [&](int level) {
        kernels::cap_isa_level(level);
        std::vector<int64_t> out;
        std::vector<int64_t> ints(d.size());
        std::vector<uint8_t> bad(d.size());
        for (unsigned e = 0; e <= 18; e += 3)
            for (unsigned ff = 0; ff <= e; ff += 2)
                for (bool specials : {false, true}) {
                    out.push_back(int64_t(kernels::alp_encode(d.data(), d.size(), e, ff, ints.data(), bad.data(), specials)));
                    out.insert(out.end(), ints.begin(), ints.end());
                    out.insert(out.end(), bad.begin(), bad.end());
                    if (e <= 10) {
                        out.push_back(int64_t(kernels::alp_encode(f.data(), f.size(), e, ff, ints.data(), bad.data(), specials)));
                        out.insert(out.end(), ints.begin(), ints.end());
                        out.insert(out.end(), bad.begin(), bad.end());
                    }
                    int64_t mn = 0, mx = 0;
                    out.push_back(int64_t(kernels::combo_range(d.data(), 200, e, ff, mn, mx)));
                    out.push_back(mn);
                    out.push_back(mx);
                }
        for (size_t m : {size_t(1), size_t(2), size_t(3), size_t(17), walk.size()}) {
            int64_t mn[3], mx[3];
            kernels::ranges3(walk.data(), m, mn, mx);
            out.insert(out.end(), mn, mn + 3);
            out.insert(out.end(), mx, mx + 3);
        }
        for (const alp::SigGrid& g : {alp::SigGrid{3, 4, 2}, alp::SigGrid{8, 6, 4}, alp::SigGrid{2, 1, 0}}) {
            out.push_back(int64_t(kernels::sig_encode(d.data(), d.size(), g.e, g.p, g.L, ints.data(), bad.data())));
            out.insert(out.end(), ints.begin(), ints.end());
            out.insert(out.end(), bad.begin(), bad.end());
            out.push_back(int64_t(kernels::sig_encode(f.data(), f.size(), g.e, g.p, g.L, ints.data(), bad.data())));
            out.insert(out.end(), ints.begin(), ints.end());
            out.insert(out.end(), bad.begin(), bad.end());
        }
        // The decoder's side: any integers (the walk's extremes too), every exponent and factor.
        std::vector<uint64_t> bits64(walk.size());
        std::vector<uint32_t> bits32(walk.size());
        for (unsigned e = 0; e <= 18; e += 2)
            for (unsigned ff = 0; ff <= e; ff += 3) {
                kernels::alp_decode(walk.data(), walk.size(), e, ff, bits64.data());
                out.insert(out.end(), bits64.begin(), bits64.end());
                if (e <= 10) {
                    kernels::alp_decode(walk.data(), walk.size(), e, ff, bits32.data());
                    out.insert(out.end(), bits32.begin(), bits32.end());
                }
            }
        std::vector<uint64_t> resid(walk.size());
        for (unsigned o = 0; o <= 2; ++o) {
            kernels::residuals(walk.data(), walk.size(), o, resid.data());
            out.insert(out.end(), resid.begin(), resid.end() - o);
        }
        out.push_back(int64_t(kernels::count_changes(d.data(), d.size())));
        out.push_back(int64_t(kernels::count_changes(f.data(), f.size())));
        out.push_back(int64_t(kernels::count_changes(walk.data(), walk.size())));
        // Dictionary codes over runs (repeats of the value before) and values outside the dictionary.
        std::vector<double> runs(d.size());
        std::vector<float> runs_f(d.size());
        std::vector<int64_t> runs_i(d.size());
        std::vector<uint32_t> entry(d.size());
        for (size_t i = 0; i < d.size(); ++i) {
            runs[i] = d[(i / (1 + i % 3)) % 97];
            runs_f[i] = float(runs[i]);
            runs_i[i] = walk[(i / (1 + i % 3)) % 97];
            entry[i] = i % 7 == 0 ? 0 : uint32_t(i % 41 + 1);
        }
        std::vector<int64_t> codes(d.size());
        for (size_t m : {size_t(0), size_t(1), size_t(5), d.size()}) {
            out.push_back(int64_t(kernels::dict_codes(runs.data(), entry.data(), m, codes.data())));
            out.insert(out.end(), codes.begin(), codes.begin() + long(m));
            out.push_back(int64_t(kernels::dict_codes(runs_f.data(), entry.data(), m, codes.data())));
            out.insert(out.end(), codes.begin(), codes.begin() + long(m));
            out.push_back(int64_t(kernels::dict_codes(runs_i.data(), entry.data(), m, codes.data())));
            out.insert(out.end(), codes.begin(), codes.begin() + long(m));
        }
        std::vector<double> pd(d.size());
        std::vector<float> pf(f.size());
        std::vector<int64_t> pw(walk.size());
        for (unsigned k : {1u, 3u, 6u}) {
            const size_t cd = kernels::hash_pick(d.data(), d.size(), k, pd.data());
            for (size_t i = 0; i < cd; ++i) out.push_back(std::bit_cast<int64_t>(pd[i]));
            const size_t cf = kernels::hash_pick(f.data(), f.size(), k, pf.data());
            for (size_t i = 0; i < cf; ++i) out.push_back(std::bit_cast<int32_t>(pf[i]));
            const size_t cw = kernels::hash_pick(walk.data(), walk.size(), k, pw.data());
            out.insert(out.end(), pw.begin(), pw.begin() + long(cw));
            out.push_back(int64_t(cd * 1000000 + cf * 1000 + cw));
        }
        // Lag scores over a tile of lags and a tail (the float sums must agree to the bit).
        std::vector<float> diffs(f.size());
        for (size_t i = 1; i < f.size(); ++i) diffs[i] = std::isfinite(f[i] - f[i - 1]) ? f[i] - f[i - 1] : 1.0f;
        const size_t anchors[2] = {400, 700};
        std::vector<float> scores(77);
        kernels::lag_scores(diffs.data(), anchors, 2, 32, 300, scores.size(), scores.data());
        for (float sc : scores) out.push_back(std::bit_cast<int32_t>(sc));
        return out;
    };
    const std::vector<int64_t> baseline = run(0);
    for (int level = 1; level <= top; ++level) EXPECT_EQ(run(level), baseline) << "instruction set level " << level;
}

// Dictionary codes against their definition: 1 for a repeat of the value before (by its bits: -0.0 after
// 0.0 is no repeat, NaN after the same NaN is), entry + 1 inside the dictionary, 0 outside it.
TEST(AlpKernels, DictionaryCodesMatchTheirDefinition) {
    Restore restore;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<double> v = {1.5, 1.5, 0.0, -0.0, nan, nan, 2.0, 3.0, 3.0, 3.0, 4.0, 1.5};
    const std::vector<uint32_t> entry = {3, 3, 0, 0, 0, 0, 7, 0, 0, 0, 0, 3};
    const std::vector<int64_t> want = {4, 1, 0, 0, 0, 1, 8, 0, 1, 1, 0, 4};
    for (int level = 0; level <= kernels::isa_levels_available(); ++level) {
        kernels::cap_isa_level(level);
        std::vector<int64_t> codes(v.size());
        EXPECT_EQ(kernels::dict_codes(v.data(), entry.data(), v.size(), codes.data()), 5u) << level;
        EXPECT_EQ(codes, want) << "instruction set level " << level;
    }
}

// The ranges against a plain reading of their definition (wrapping differences), at every length up to a
// few vectors and with the int64 extremes inside.
TEST(AlpKernels, RangesOfEveryOrderMatchTheirDefinition) {
    std::mt19937_64 rng(5);
    std::vector<int64_t> v(200);
    for (size_t i = 0; i < v.size(); ++i) v[i] = int64_t(rng() % 1000) - 500 + int64_t(i * i);
    v[50] = std::numeric_limits<int64_t>::min();
    v[51] = std::numeric_limits<int64_t>::max();
    v[120] = -7;
    for (size_t m = 1; m <= v.size(); ++m) {
        int64_t want_mn[3], want_mx[3];
        for (unsigned o = 0; o < 3; ++o) {
            want_mn[o] = std::numeric_limits<int64_t>::max();
            want_mx[o] = std::numeric_limits<int64_t>::min();
        }
        for (size_t i = 0; i < m; ++i) {
            const int64_t r[3] = {v[i], i >= 1 ? int64_t(uint64_t(v[i]) - uint64_t(v[i - 1])) : 0,
                                  i >= 2 ? int64_t(uint64_t(v[i]) - 2 * uint64_t(v[i - 1]) + uint64_t(v[i - 2])) : 0};
            for (unsigned o = 0; o < 3 && o <= i; ++o) {
                want_mn[o] = std::min(want_mn[o], r[o]);
                want_mx[o] = std::max(want_mx[o], r[o]);
            }
        }
        int64_t mn[3], mx[3];
        kernels::ranges3(v.data(), m, mn, mx);
        for (unsigned o = 0; o < 3; ++o) {
            EXPECT_EQ(mn[o], want_mn[o]) << "m " << m << " order " << o;
            EXPECT_EQ(mx[o], want_mx[o]) << "m " << m << " order " << o;
        }
    }
}

// The residuals of each order against their definition, at every length up to a few vectors (the
// vector loops' tails), with the int64 extremes inside, and nothing written past the m - order of them.
TEST(AlpKernels, ResidualsOfEveryOrderMatchTheirDefinition) {
    std::mt19937_64 rng(11);
    std::vector<int64_t> v(100);
    for (size_t i = 0; i < v.size(); ++i) v[i] = int64_t(rng());
    v[40] = std::numeric_limits<int64_t>::min();
    v[41] = std::numeric_limits<int64_t>::max();
    constexpr uint64_t kUntouched = 0x5A5A5A5A5A5A5A5Aull;
    for (size_t m = 1; m <= v.size(); ++m)
        for (unsigned o = 0; o <= 2 && o < m; ++o) {
            std::vector<uint64_t> r(m + 1, kUntouched);
            kernels::residuals(v.data(), m, o, r.data());
            for (size_t i = o; i < m; ++i) {
                const uint64_t d1 = uint64_t(v[i]) - (o >= 1 ? uint64_t(v[i - 1]) : 0);
                const uint64_t want = o == 2 ? d1 - (uint64_t(v[i - 1]) - uint64_t(v[i - 2])) : d1;
                ASSERT_EQ(r[i - o], want) << "m " << m << " order " << o << " at " << i;
            }
            for (size_t i = m - o; i <= m; ++i) ASSERT_EQ(r[i], kUntouched) << "m " << m << " order " << o;
        }
}

// The sig integer of one value by the format's definition: its decade from its magnitude, then the
// significand at that decade's decimals; valid when the decoder's reading of the integer (sig_bits) gives
// the value's exact bits back.
template <class T>
bool sig_by_definition(T v, const alp::SigGrid& g, int64_t& q) {
    using U = typename alp::Traits<T>::U;
    const double a = std::fabs(double(v));
    const double x = a * alp::kF10[g.e];
    if (!(x < 2251799813685248.0)) return false;
    const uint64_t n = uint64_t(alp::round_to_int(x));
    uint64_t qa = n;
    if (n >= g.lo()) {
        auto p10 = [](unsigned k) { return k <= 18 ? alp::kP10[k] : UINT64_MAX; };
        if (g.L == 0) return false;
        unsigned j = 0;
        while (j + 1 < g.L && n >= p10(g.p + j + 1)) ++j;
        if (n >= p10(g.p + j + 1)) return false;
        const uint64_t s = uint64_t(alp::round_to_int(a * alp::kF10[g.e - 1 - j]));
        if (s < g.base() || s >= g.lo()) return false;
        qa = g.lo() + j * g.span() + (s - g.base());
    }
    const bool neg = std::bit_cast<U>(v) >> (alp::Traits<T>::kBits - 1);
    q = neg ? -int64_t(qa) : int64_t(qa);
    return alp::sig_bits<T>(q, g) == std::bit_cast<U>(v);
}

// Values printed with a few significant digits at every decade a grid covers, and the mixed kinds, under
// grids of every shape (no decades above 10^p, several, decimals running out): the kernel's integers and
// verdicts against the definition's.
template <class T>
void check_sig_against_definition(unsigned max_p) {
    std::mt19937_64 rng(11);
    const std::vector<double> mixed = mixed_doubles(300, 12);
    for (unsigned e = 0; e <= 12; ++e)
        for (unsigned p = 1; p <= max_p; p += 2)
            for (unsigned L = 0; L <= std::min(e, 4u); ++L) {
                const alp::SigGrid g{e, p, L};
                std::vector<T> v;
                for (double x : mixed) v.push_back(T(x));
                for (int i = 0; i < 700; ++i) {
                    const uint64_t s = alp::kP10[p - 1] + rng() % (9 * alp::kP10[p - 1]);
                    const unsigned decimals = unsigned(rng() % (e + 3));
                    const T x = alp::sig_magnitude(s / (rng() % 3 == 0 ? 10 : 1), decimals, T{});
                    v.push_back(rng() % 2 ? -x : x);
                }
                std::vector<int64_t> q(v.size());
                std::vector<uint8_t> bad(v.size());
                const size_t nbad = kernels::sig_encode(v.data(), v.size(), e, p, L, q.data(), bad.data());
                size_t want_bad = 0, good = 0;
                for (size_t i = 0; i < v.size(); ++i) {
                    int64_t want = 0;
                    const bool ok = sig_by_definition(v[i], g, want);
                    want_bad += !ok;
                    good += ok;
                    ASSERT_EQ(bad[i], ok ? 0 : 1) << "e " << e << " p " << p << " L " << L << " value " << double(v[i]);
                    if (ok) {
                        ASSERT_EQ(q[i], want) << "e " << e << " p " << p << " L " << L << " value " << double(v[i]);
                    }
                }
                EXPECT_EQ(nbad, want_bad);
                if (L > 0) {
                    EXPECT_GT(good, v.size() / 10) << "e " << e << " p " << p << " L " << L;
                }
            }
}

TEST(AlpKernels, SigIntegersMatchTheirDefinition) {
    check_sig_against_definition<double>(15);
    check_sig_against_definition<float>(9);
}

}  // namespace

// The hash sample picks values by their bits alone (every copy of a value or none), keeps their order, and
// takes about 2^-k of distinct values.
TEST(AlpKernels, HashPickTakesEveryCopyOfAValueOrNone) {
    std::mt19937_64 rng(17);
    std::vector<int64_t> v(50000);
    for (auto& x : v) x = int64_t(rng() % 20000) * 7919;  // 20,000 values, each about 2.5 times
    std::vector<int64_t> picked(v.size());
    for (unsigned k : {1u, 2u, 4u, 5u}) {
        const size_t c = kernels::hash_pick(v.data(), v.size(), k, picked.data());
        std::vector<int64_t> in(picked.begin(), picked.begin() + long(c));
        std::vector<int64_t> in_sorted = in;
        std::sort(in_sorted.begin(), in_sorted.end());
        std::vector<int64_t> expect;  // every value of v whose bits were picked somewhere, in v's order
        for (int64_t x : v)
            if (std::binary_search(in_sorted.begin(), in_sorted.end(), x)) expect.push_back(x);
        EXPECT_EQ(in, expect) << "k " << k;
        in_sorted.erase(std::unique(in_sorted.begin(), in_sorted.end()), in_sorted.end());
        std::vector<int64_t> all = v;
        std::sort(all.begin(), all.end());
        all.erase(std::unique(all.begin(), all.end()), all.end());
        const double share = double(in_sorted.size()) / double(all.size());
        EXPECT_NEAR(share * double(1u << k), 1.0, 0.15) << "k " << k;
    }
}
