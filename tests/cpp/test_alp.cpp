// The block-framed codecs alp and auto: round trips on edge cases (NaN payloads, -0.0, infinities,
// subnormals, random bits, int64 extremes), the method each kind of data gets, random access, hand-built
// payloads decoded by the rules of docs/format.md, and rejection of malformed payloads (the decoder is
// driven directly here, without the stream checksums in the way).
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../../cpp/src/codecs/alp/common.hpp"   // pack / unpack, Reader, kth_smallest
#include "../../cpp/src/codecs/alp/encoder.hpp"  // cap_blocks_at_raw
#include "../../cpp/src/codecs/alp/entropy.hpp"  // read_models
#include "../../cpp/src/codecs/alp/kernels.hpp"  // cap_isa_level: the decoder's loops with and without BMI2
#include "../../cpp/src/codecs/alp/rd_split.hpp"  // find_rd_right
#include "test_util.hpp"
#include "tsquash/codecs/alp.hpp"

namespace {

using namespace tsq_test;
namespace alp = tsquash::codecs::alp;
using alp::Profile;

template <class T>
std::vector<uint8_t> enc(const std::vector<T>& v, Profile p) {
    return alp::encode<T>(v.data(), v.size(), p);
}

template <class T>
std::vector<T> dec(const std::vector<uint8_t>& b, size_t n) {
    return alp_decode<T>(b, n);
}

// ---- inputs ------------------------------------------------------------------------------------------------

template <class T>
std::vector<T> decimals(size_t n, int digits, double scale, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g(0, scale);
    const double p = std::pow(10.0, digits);
    std::vector<T> v(n);
    double x = 20;
    for (auto& y : v) {
        x += g(rng);
        y = T(std::round(x * p) / p);
    }
    return v;
}

// A smooth series crossing zero, printed with a fixed number of significant digits (%.8g; float32 %.6g)
// and parsed back: the larger the magnitude, the fewer the decimals.
template <class T>
std::vector<T> significant_digits(size_t n) {
    std::vector<T> v(n);
    for (size_t i = 0; i < n; ++i) {
        char buf[40];
        const double x = 3 * std::sin(double(i) / 60.0 + 0.3 * std::sin(double(i) / 7.0));
        std::snprintf(buf, sizeof buf, sizeof(T) == 8 ? "%.8g" : "%.6g", x);
        if constexpr (std::is_same_v<T, float>) v[i] = std::strtof(buf, nullptr);
        else v[i] = std::strtod(buf, nullptr);
    }
    return v;
}

template <class T>
std::vector<T> random_bits(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<bits_t<T>> u(n);
    for (auto& x : u) x = bits_t<T>(rng());
    return from_patterns<T>(u);
}

// `lanes` random walks of 2-decimal steps around far-apart levels, interleaved value by value (x, y, z, x,
// y, z, ...), `per_lane` values each.
template <class T>
std::vector<T> interleaved(unsigned lanes, size_t per_lane, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> step(0, 0.3);
    std::vector<double> level(lanes);
    for (unsigned c = 0; c < lanes; ++c) level[c] = 500.0 * c - 300;
    std::vector<T> v;
    for (size_t i = 0; i < per_lane; ++i)
        for (unsigned c = 0; c < lanes; ++c) v.push_back(T(std::round((level[c] += step(rng)) * 100) / 100));
    return v;
}

// Zeros with a spike of full precision at about one value in a hundred (and -0.0, which is not zero, at one
// in a thousand).
template <class T>
std::vector<T> sparse_spikes(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> spike(0, 1e4);
    std::vector<T> v(n, T(0));
    for (T& x : v) {
        const uint64_t r = rng() % 1000;
        if (r < 10) x = T(spike(rng));
        if (r == 10) x = T(-0.0);
    }
    return v;
}

template <class T>
std::map<std::string, std::vector<T>> float_cases() {
    using I = Ieee<T>;
    using U = bits_t<T>;
    std::map<std::string, std::vector<T>> c;
    const T inf = std::numeric_limits<T>::infinity();
    c["empty"] = {};
    c["one"] = {T(3.25)};
    c["one_nan"] = from_patterns<T>({U(I::kExpMask | 1)});
    c["two"] = {T(1.0), T(-2.5)};
    c["constant_3000"] = std::vector<T>(3000, T(2.5));
    c["zeros_1025"] = std::vector<T>(1025, T(0));
    c["signed_zeros"] = {T(0.0), T(-0.0), T(0.0), T(-0.0), T(-0.0), T(1.0), T(-0.0)};
    std::vector<U> nans = {U(I::kExpMask | I::kQuietBit), U(I::kExpMask | 1), U(I::kSign | I::kExpMask | I::kQuietBit),
                           U(I::kAllOnes), U(I::kExpMask | I::kQuietBit | 0x1234), U(I::kSign | I::kExpMask | 5)};
    std::vector<U> nan_mix;
    for (int r = 0; r < 300; ++r) nan_mix.push_back(nans[r % nans.size()]);
    c["nan_payloads"] = from_patterns<T>(nan_mix);
    c["infinities"] = {inf, -inf, inf, T(1.5), -inf, T(0), T(2.25)};
    std::vector<U> sub;
    for (U k = 1; k < 2000; k += 3) sub.push_back(k * 977 % I::kMantMask | (k % 2 ? I::kSign : 0));
    c["subnormals"] = from_patterns<T>(sub);
    c["extremes"] = {std::numeric_limits<T>::max(), -std::numeric_limits<T>::max(), std::numeric_limits<T>::min(),
                     std::numeric_limits<T>::denorm_min(), std::numeric_limits<T>::epsilon(), T(0)};
    c["random_bits_3000"] = random_bits<T>(3000, 7);
    c["decimals_2_5000"] = decimals<T>(5000, 2, 0.3, 1);
    c["decimals_5_2100"] = decimals<T>(2100, 5, 0.01, 2);
    c["decimals_1_1023"] = decimals<T>(1023, 1, 1.0, 3);
    c["decimals_0_1024"] = decimals<T>(1024, 0, 3.0, 4);
    c["significant_digits_3000"] = significant_digits<T>(3000);
    std::vector<T> big, tiny, sines, runs, mixed;
    for (int i = 0; i < 1500; ++i) big.push_back(T(double(i * 7919 % 100000) * 1e10));
    for (int i = 0; i < 1500; ++i) tiny.push_back(T(double(i % 977) * 1e-9));
    for (int i = 0; i < 2500; ++i) sines.push_back(T(std::sin(i / 37.0)));
    std::mt19937_64 rng(5);
    while (runs.size() < 4000) {
        const T v = T(std::round(std::normal_distribution<double>(0, 10)(rng) * 100) / 100);
        runs.insert(runs.end(), 1 + rng() % 20, v);
    }
    c["big_decimals"] = big;
    c["tiny_decimals"] = tiny;
    c["sines_2500"] = sines;
    c["runs_4000"] = runs;
    c["interleaved_3x1500"] = interleaved<T>(3, 1500, 6);
    c["sparse_spikes_4000"] = sparse_spikes<T>(4000, 7);
    // Every kind in one series, across block boundaries.
    for (const auto& [name, v] : c) mixed.insert(mixed.end(), v.begin(), v.end());
    c["everything"] = mixed;
    if constexpr (std::is_same_v<T, double>) {
        // float32 data printed with 17 digits and read back: within an ulp of a float32 value.
        std::vector<double> f32;
        for (int i = 0; i < 3000; ++i) {
            const double d = double(float(std::round(std::sin(i / 50.0) * 20000) / 1000));
            const int64_t ulps = d == 0 ? 0 : int64_t(i % 3) - 1;  // (no ulp below zero: that is a NaN)
            f32.push_back(std::bit_cast<double>(std::bit_cast<uint64_t>(d) + uint64_t(ulps)));
        }
        c["float32_derived"] = f32;
        std::vector<double> exact32;
        for (int i = 0; i < 2000; ++i) exact32.push_back(double(float(std::cos(i / 9.0) * 3.7)));
        c["float32_exact"] = exact32;
    }
    return c;
}

std::map<std::string, std::vector<int64_t>> int_cases() {
    std::map<std::string, std::vector<int64_t>> c;
    const int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
    std::mt19937_64 rng(9);
    c["empty"] = {};
    c["one"] = {1700000000000000000};
    c["extremes"] = {hi, lo, 0, hi, -1, lo, lo, 1, hi};
    std::vector<int64_t> regular, jitter, random, alternating, counter, runs;
    for (int64_t i = 0; i < 3000; ++i) regular.push_back(1700000000000000000 + i * 1000000000);
    for (int64_t i = 0; i < 3000; ++i) jitter.push_back(1700000000000 + i * 1000 + int64_t(rng() % 7) - 3);
    for (int i = 0; i < 2000; ++i) random.push_back(int64_t(rng()));
    for (int i = 0; i < 1500; ++i) alternating.push_back(i % 2 ? lo : hi);
    int64_t x = -40;
    for (int i = 0; i < 2049; ++i) counter.push_back(x += int64_t(rng() % 3));
    while (runs.size() < 3000) runs.insert(runs.end(), 1 + rng() % 30, int64_t(rng() % 1000) - 500);
    c["regular_ns"] = regular;
    c["jittered_ms"] = jitter;
    c["random"] = random;
    c["alternating_extremes"] = alternating;
    c["counter"] = counter;
    c["runs"] = runs;
    c["constant"] = std::vector<int64_t>(2500, -5);
    std::vector<int64_t> rows;  // (timestamp, count) rows stored row by row
    for (int64_t i = 0; i < 2000; ++i) rows.insert(rows.end(), {1700000000000 + i * 1000, int64_t(rng() % 50)});
    c["interleaved_rows"] = rows;
    return c;
}

// Method byte of each top-level block.
std::vector<int> block_methods(const std::vector<uint8_t>& p, size_t n) {
    std::vector<int> out;
    if (n == 0) return out;
    alp::Reader r(p.data(), p.size());
    const uint8_t sections = r.u8("sections");
    if (sections & 1) (void)alp::read_models(r);
    if (sections & 2) {
        (void)r.u32("dictionary size");
        r.take(r.u32("dictionary bytes"), "dictionary");
    }
    const size_t nb = (n + 1023) / 1024;
    const uint8_t* dir = r.take(2 * nb, "directory");
    size_t at = 0;
    for (size_t b = 0; b < nb; ++b) {
        out.push_back(r.pos()[at]);
        at += size_t(dir[2 * b]) | size_t(dir[2 * b + 1]) << 8;
    }
    return out;
}

// ---- round trips ---------------------------------------------------------------------------------------------

template <class T>
void round_trip_all(const std::map<std::string, std::vector<T>>& cases) {
    for (Profile p : {Profile::alp, Profile::automatic}) {
        for (const auto& [name, v] : cases) {
            const auto b = enc(v, p);
            std::vector<T> out;
            try {
                out = dec<T>(b, v.size());
            } catch (const std::exception& e) {
                ADD_FAILURE() << name << " (" << (p == Profile::alp ? "alp" : "auto") << "): " << e.what();
                continue;
            }
            EXPECT_TRUE(SameBits(v, out)) << name << (p == Profile::alp ? " alp" : " auto");
            EXPECT_EQ(b, enc(v, p)) << name << ": encoding is not deterministic";
            // No block exceeds the raw size plus its method byte.
            const size_t nb = (v.size() + 1023) / 1024;
            if (!v.empty()) {
                EXPECT_LE(b.size(), 1 + 3 * nb + v.size() * sizeof(T) + 64) << name;
            }
        }
    }
}

TEST(AlpRoundTrip, Float64EdgeCases) { round_trip_all(float_cases<double>()); }
TEST(AlpRoundTrip, Float32EdgeCases) { round_trip_all(float_cases<float>()); }
TEST(AlpRoundTrip, Int64EdgeCases) { round_trip_all(int_cases()); }

// The rANS and offset loops run as compiled for the baseline or with BMI2 (when the CPU has it): both give
// every case back exactly, including offsets wider than 57 bits and streams that end at the payload's end.
template <class T>
void decode_with_every_loop_set(const std::map<std::string, std::vector<T>>& cases) {
    const int top = alp::kernels::isa_levels_available();
    for (const auto& [name, v] : cases) {
        const auto b = enc(v, Profile::automatic);
        for (int level : {0, top}) {
            alp::kernels::cap_isa_level(level);
            try {
                EXPECT_TRUE(SameBits(v, dec<T>(b, v.size()))) << name << " at level " << level;
            } catch (const std::exception& e) {
                ADD_FAILURE() << name << " at level " << level << ": " << e.what();
            }
        }
        alp::kernels::cap_isa_level(2);
    }
}

// The cases both loop-set tests run: the edge cases, decimals, offsets wider than 57 bits, and states that
// renormalise often.
struct LoopSetCases {
    std::map<std::string, std::vector<double>> f64 = float_cases<double>();
    std::map<std::string, std::vector<float>> f32 = float_cases<float>();
    std::map<std::string, std::vector<int64_t>> i64 = int_cases();
    LoopSetCases() {
        f64["decimals"] = decimals<double>(5000, 2, 0.3, 4);
        f64["wide_decimals"] = decimals<double>(3000, 9, 1e6, 5);
        f32["decimals"] = decimals<float>(5000, 1, 0.3, 6);
        std::mt19937_64 rng(12);
        std::vector<int64_t> wide(4000), skewed(9000);
        for (auto& x : wide) x = int64_t(rng() >> (rng() % 8));  // residuals of 57 to 64 bits
        for (auto& x : skewed) x = int64_t(rng() % 3 == 0 ? rng() % 100000 : rng() % 7);
        i64["wide"] = wide;
        i64["skewed"] = skewed;
    }
};

TEST(AlpRoundTrip, DecoderLoopsOfEveryInstructionSetAgree) {
    const LoopSetCases c;
    decode_with_every_loop_set(c.f64);
    decode_with_every_loop_set(c.f32);
    decode_with_every_loop_set(c.i64);
}

// The encoder's loops as compiled for each instruction set this CPU runs (the kernels, the table ANS writer
// with BMI2, and the order estimates' sampler with LZCNT) write the same bytes as the baseline ones.
template <class T>
void encode_with_every_loop_set(const std::map<std::string, std::vector<T>>& cases) {
    const int top = alp::kernels::isa_levels_available();
    for (const auto& [name, v] : cases) {
        alp::kernels::cap_isa_level(0);
        const auto base = enc(v, Profile::automatic);
        for (int level = 1; level <= top; ++level) {
            alp::kernels::cap_isa_level(level);
            EXPECT_EQ(enc(v, Profile::automatic), base) << name << " at level " << level;
        }
        alp::kernels::cap_isa_level(2);
    }
}

TEST(AlpRoundTrip, EncoderLoopsOfEveryInstructionSetAgree) {
    const LoopSetCases c;
    encode_with_every_loop_set(c.f64);
    encode_with_every_loop_set(c.f32);
    encode_with_every_loop_set(c.i64);
}

// The hashed sample's bounds hold for series of every make-up (a few values repeated often, many repeated
// a little, mostly singles) and come close where the counts are large. They are three standard deviations
// out, so over the trials at most a few may miss.
TEST(AlpDictionary, HashedRepeatBoundsHoldAndComeClose) {
    std::mt19937_64 rng(23);
    size_t checks = 0, misses = 0, close = 0, large = 0;
    for (int t = 0; t < 120; ++t) {
        const size_t repeated = rng() % 3 == 0 ? rng() % 100 : rng() % 30000;
        const size_t max_copies = 2 + rng() % (rng() % 2 ? 3 : 200);
        const size_t singles = rng() % 3 == 0 ? rng() % 50 : rng() % 100000;
        std::vector<int64_t> v;
        size_t covered = 0;
        for (size_t r = 0; r < repeated; ++r) {
            const size_t copies = 2 + rng() % (max_copies - 1);
            covered += copies;
            v.insert(v.end(), copies, int64_t(r) * 1000003 + 5);
        }
        for (size_t s = 0; s < singles; ++s) v.push_back(-int64_t(s) * 999983 - 7);
        std::shuffle(v.begin(), v.end(), rng);
        const size_t n = v.size();
        const unsigned k = alp::hashed_repeats_shift(n);
        if (k == 0) continue;
        std::vector<double> as_doubles(n);
        for (size_t i = 0; i < n; ++i) as_doubles[i] = double(v[i]) * 0.001;
        for (const alp::RepeatBounds& b : {alp::hashed_repeats(v.data(), n, k), alp::hashed_repeats(as_doubles.data(), n, k)}) {
            checks += 2;
            misses += b.min_repeated > repeated;
            misses += b.max_covered < covered;
            if (repeated >= 20000 && singles >= 20000) {
                ++large;
                close += b.min_repeated * 2 > repeated && n - b.max_covered > singles / 2;
            }
        }
    }
    EXPECT_GT(checks, 300u);
    EXPECT_LE(misses, 2u);
    EXPECT_GT(large, 5u);
    EXPECT_EQ(close, large);
}

// The bound that rules the dictionary out without its scan (long runs: values equal to the one before them)
// never rules out one that the scan's estimate would let through: over random series shapes, a series with
// `equal` such values has at least that many covered (each and the one before it are repeats), and
// wherever dict_looks_smaller says yes, dict_may_be_smaller must too.
TEST(AlpDictionary, RunBoundNeverRulesOutWhatTheEstimateWouldTry) {
    std::mt19937_64 rng(41);
    size_t accepted = 0, ruled_out = 0;
    for (int t = 0; t < 200000; ++t) {
        const size_t n = 2 + rng() % 2000000;
        const size_t equal = rng() % n;                         // values equal to the one before
        const size_t covered = equal + rng() % (n - equal + 1);  // at least those
        const size_t d = 2 + rng() % std::max<size_t>(1, covered / 2 + 1);
        const size_t repeats = rng() % 2 ? equal : 0;           // counted for a few levels only
        // From a hundredth of a bit to 64 bits a value.
        const double bytes = double(n) / 8.0 * std::exp2(double(rng() % 1300) / 100.0 - 6.7);
        const bool looks = alp::dict_looks_smaller(n, d, covered, repeats, bytes);
        const bool may = alp::dict_may_be_smaller(equal, bytes);
        accepted += looks;
        ruled_out += !may;
        if (looks) {
            ASSERT_TRUE(may) << n << " " << equal << " " << covered << " " << d << " " << repeats << " " << bytes;
        }
    }
    EXPECT_GT(accepted, 1000u);  // the property was exercised on both sides
    EXPECT_GT(ruled_out, 1000u);
}

// A series whose second half is made only of values the sample picks (found by asking hash_pick) puts far
// more distinct values in the sample's table than it is sized for, after a first half that filled it as
// expected: the table must not fill up (a new value's probe would then go round forever). It gives no
// bounds instead, at every size around the chunks.
TEST(AlpDictionary, HashedRepeatsGiveUpWhenTheSampleOverflows) {
    for (size_t n : {2048u, 4096u, 4100u, 8192u, 8199u, 20000u, 70000u}) {
        const unsigned k = alp::hashed_repeats_shift(n);
        ASSERT_GT(k, 0u) << n;
        std::vector<int64_t> v;
        for (size_t i = 0; i < n / 2; ++i) v.push_back(-int64_t(i) * 104729 - 1);
        std::vector<int64_t> candidates(4096), picked(4096);
        for (int64_t next = 1; v.size() < n;) {
            for (int64_t& c : candidates) c = next++ * 7919;
            const size_t c = alp::kernels::hash_pick(candidates.data(), candidates.size(), k, picked.data());
            v.insert(v.end(), picked.begin(), picked.begin() + long(std::min(c, n - v.size())));
        }
        const alp::RepeatBounds b = alp::hashed_repeats(v.data(), n, k);
        EXPECT_EQ(b.min_repeated, 0u) << n;  // no value repeats
        if (n >= 8192) {
            EXPECT_EQ(b.max_covered, n) << n;  // over half the table: no bounds
        }
    }
}

// Over 2^19 distinct values that each come three times: the dictionary's scan needs a table larger than the
// one a thread keeps between calls (made fresh, its keys not zeroed, on huge pages where there are some),
// and the series must still come back exactly through its dictionary.
TEST(AlpDictionary, LargeDictionariesRoundTrip) {
    std::mt19937_64 rng(31);
    std::uniform_real_distribution<double> u(0, 1);
    const size_t distinct = 560000;
    std::vector<double> v(3 * distinct);
    for (size_t i = 0; i < distinct; ++i) v[3 * i] = v[3 * i + 1] = v[3 * i + 2] = u(rng);
    std::shuffle(v.begin(), v.end(), rng);
    const auto b = enc(v, Profile::automatic);
    ASSERT_FALSE(b.empty());
    EXPECT_TRUE(b[0] & alp::kSectionDict);
    EXPECT_LT(b.size(), v.size() * 6);  // a dictionary entry is far cheaper than the 8 bytes of a value
    EXPECT_TRUE(SameBits(v, dec<double>(b, v.size())));
}

// A few levels drawn at random: a sixth of the values equal the one before by chance, and coded as "again"
// they cost 0.2 bits a value over the levels' own entropy (2.94 bits a value for 6 levels, log2(6) = 2.58).
// The encoder leaves the again code out of such blocks, and keeps it where the repeats are runs.
TEST(AlpDictionary, AgainCodesOnlyWhereRepeatsAreRuns) {
    std::mt19937_64 rng(44);
    std::normal_distribution<double> g(0, 1);
    double levels[8];
    for (double& l : levels) l = g(rng);
    std::vector<double> drawn(100000), runs(100000);
    size_t at = 0;
    for (size_t i = 0; i < drawn.size(); ++i) {
        drawn[i] = levels[rng() % 6];
        if (rng() % 20 == 0) at = (at + 1) % 8;  // runs of about 20
        runs[i] = levels[at];
    }
    const auto a = enc(drawn, Profile::automatic), b = enc(runs, Profile::automatic);
    EXPECT_TRUE(SameBits(drawn, dec<double>(a, drawn.size())));
    EXPECT_TRUE(SameBits(runs, dec<double>(b, runs.size())));
    EXPECT_LT(a.size() * 8.0 / drawn.size(), std::log2(6.0) + 0.2);
    EXPECT_LT(b.size() * 8.0 / runs.size(), 0.6);  // a run's first value and its length cost about 0.45
}

// Vectors of the encoder's allocator keep their values as they grow from small buffers past
// kLargeAllocBytes (mapped on huge pages on Linux) and from one large buffer to a larger one, and every
// byte of a large buffer is writable.
// A caller that encodes over and over hands the last stream back: the next one is written into its memory,
// with the same bytes as without it.
TEST(AlpAllocator, PayloadTakesOverTheStorageItIsGiven) {
    const auto v = decimals<double>(50000, 2, 0.3, 8);
    const auto plain = alp::encode<double>(v.data(), v.size(), Profile::automatic);
    std::vector<uint8_t> storage(2 * plain.size(), 0xAB);
    const uint8_t* memory = storage.data();
    const auto reused = alp::encode<double>(v.data(), v.size(), Profile::automatic, 1, std::move(storage));
    EXPECT_EQ(reused, plain);
    EXPECT_EQ(reused.data(), memory);
    std::vector<uint8_t> again = container::encode(container::CodecId::automatic, container::Dtype::float64, {},
                                                   v.data(), v.size());
    const uint8_t* stream_memory = again.data();
    const auto stream = container::encode(container::CodecId::automatic, container::Dtype::float64, {}, v.data(),
                                          v.size(), 1, std::move(again));
    EXPECT_EQ(stream.data(), stream_memory);
    EXPECT_EQ(stream, container::encode(container::CodecId::automatic, container::Dtype::float64, {}, v.data(),
                                        v.size()));
}

TEST(AlpAllocator, GrowsPastTheLargeSizeKeepingValues) {
    std::vector<uint64_t, alp::UninitAllocator<uint64_t>> v;
    const size_t n = 3 * alp::kLargeAllocBytes / sizeof(uint64_t) + 12345;
    for (size_t i = 0; i < n; ++i) v.push_back(i * 0x9E3779B97F4A7C15ull);
    ASSERT_GE(v.capacity() * sizeof(uint64_t), 3 * alp::kLargeAllocBytes);
    size_t wrong = 0;
    for (size_t i = 0; i < n; ++i) wrong += v[i] != i * 0x9E3779B97F4A7C15ull;
    EXPECT_EQ(wrong, 0u);
    v.resize(v.capacity());
    std::memset(v.data(), 0xA5, v.size() * sizeof(uint64_t));
    EXPECT_EQ(v.back(), 0xA5A5A5A5A5A5A5A5ull);
}

TEST(AlpRoundTrip, EveryLengthAroundBlockEdges) {
    const auto v = decimals<double>(5000, 3, 0.2, 11);
    for (size_t n : {1u, 2u, 3u, 31u, 32u, 33u, 1023u, 1024u, 1025u, 2047u, 2048u, 2049u, 4097u}) {
        const std::vector<double> part(v.begin(), v.begin() + n);
        for (Profile p : {Profile::alp, Profile::automatic})
            EXPECT_TRUE(SameBits(part, dec<double>(enc(part, p), n))) << n;
    }
}

TEST(AlpRoundTrip, UnalignedInputGivesTheSameBytes) {
    const auto v = decimals<double>(3000, 2, 0.5, 12);
    std::vector<uint8_t> buf(v.size() * 8 + 1);
    std::memcpy(buf.data() + 1, v.data(), v.size() * 8);
    for (Profile p : {Profile::alp, Profile::automatic})
        EXPECT_EQ(alp::encode<double>(buf.data() + 1, v.size(), p), enc(v, p));
}

// ---- which method each kind of data gets -------------------------------------------------------------------

TEST(AlpMethods, EachKindOfDataGetsItsMethod) {
    EXPECT_EQ(block_methods(enc(decimals<double>(1024, 2, 0.3, 1), Profile::alp), 1024), std::vector<int>{1});
    EXPECT_EQ(block_methods(enc(decimals<float>(1024, 1, 0.3, 1), Profile::alp), 1024), std::vector<int>{1});
    EXPECT_EQ(block_methods(enc(random_bits<double>(1024, 3), Profile::alp), 1024), std::vector<int>{0});
    std::vector<double> sines(1024);
    for (size_t i = 0; i < sines.size(); ++i) sines[i] = std::sin(double(i) / 37.0);
    EXPECT_EQ(block_methods(enc(sines, Profile::alp), 1024), std::vector<int>{2});
    // Random low bits under four leading patterns: the high-precision split wins in `auto` too (it is
    // passed over only where a candidate is already smaller than its right parts alone).
    std::mt19937_64 rng(5);
    std::vector<double> four_scales(4096);
    for (double& x : four_scales) x = double(1 << (rng() % 4)) * (1.0 + double(rng() >> 20) * 0x1p-52);
    for (int m : block_methods(enc(four_scales, Profile::automatic), four_scales.size())) EXPECT_EQ(m, 2);
    const auto ints = int_cases();
    const auto& ts = ints.at("regular_ns");
    for (int m : block_methods(enc(ts, Profile::alp), ts.size())) EXPECT_EQ(m, 3);
    const auto& runs = ints.at("runs");
    for (int m : block_methods(enc(runs, Profile::automatic), runs.size())) EXPECT_EQ(m, 4);
    const auto f = float_cases<double>();
    for (const char* name : {"float32_derived", "float32_exact"}) {
        const auto& v = f.at(name);
        for (int m : block_methods(enc(v, Profile::automatic), v.size())) EXPECT_EQ(m, 6) << name;
    }
}

// Channels interleaved value by value: every block splits them (stride blocks), at under half of what one
// series of them costs.
template <class T>
void interleaved_channels_take_stride_blocks() {
    for (unsigned lanes : {2u, 3u, 5u}) {
        const std::vector<T> v = interleaved<T>(lanes, 20000 / lanes, lanes);
        const auto b = enc(v, Profile::automatic);
        ASSERT_TRUE(SameBits(dec<T>(b, v.size()), v)) << lanes;
        for (int m : block_methods(b, v.size())) EXPECT_EQ(m, 8) << lanes;
        EXPECT_LT(2 * b.size(), enc(v, Profile::alp).size()) << lanes;
    }
}
// Zeros with rare spikes: the spikes' positions and values alone (sparse blocks).
template <class T>
void sparse_spikes_take_sparse_blocks() {
    const std::vector<T> v = sparse_spikes<T>(50000, 3);
    const auto b = enc(v, Profile::automatic);
    ASSERT_TRUE(SameBits(dec<T>(b, v.size()), v));
    // Most blocks: where two of a block's 32 samples are not zero, it is not tried.
    const auto methods = block_methods(b, v.size());
    EXPECT_GE(4 * std::count(methods.begin(), methods.end(), 9), 3 * long(methods.size()));
}
TEST(AlpMethods, SparseSpikesTakeSparseBlocks) {
    sparse_spikes_take_sparse_blocks<double>();
    sparse_spikes_take_sparse_blocks<float>();
    std::vector<int64_t> events(30000, 0);
    std::mt19937_64 rng(4);
    for (int64_t& x : events) x = rng() % 200 == 0 ? int64_t(rng() >> 20) : 0;
    const auto b = enc(events, Profile::automatic);
    EXPECT_EQ(dec<int64_t>(b, events.size()), events);
    const auto methods = block_methods(b, events.size());
    EXPECT_GE(4 * std::count(methods.begin(), methods.end(), 9), 3 * long(methods.size()));
}

TEST(AlpMethods, InterleavedChannelsTakeStrideBlocks) {
    interleaved_channels_take_stride_blocks<double>();
    interleaved_channels_take_stride_blocks<float>();
    const auto rows = int_cases().at("interleaved_rows");
    const auto b = enc(rows, Profile::automatic);
    EXPECT_EQ(dec<int64_t>(b, rows.size()), rows);
    for (int m : block_methods(b, rows.size())) EXPECT_EQ(m, 8);
    EXPECT_LT(2 * b.size(), enc(rows, Profile::alp).size());
}

// Float32 blocks that keep losing (zeros with rare 3-decimal spikes are float32 values too, and decimal or
// run blocks beat them) are left out for a while; when float32 data follows in the same row group, the
// other methods' blocks turn far costlier and float32 is tried again at once: every block of it is float32.
TEST(AlpMethods, Float32DataAfterLosingFloat32BlocksIsStillFound) {
    std::mt19937_64 rng(13);
    std::vector<double> v(20 * 1024, 0.0);
    for (size_t i = 0; i < 10 * 1024; i += 700) v[i] = double(rng() % 2000) / 1000.0;
    float walk = 20.0f;
    for (size_t i = 10 * 1024; i < v.size(); ++i) {
        walk += float(int64_t(rng() % 2001) - 1000) * 1e-3f * 0.37f;
        v[i] = double(walk);
    }
    const auto b = enc(v, Profile::automatic);
    EXPECT_EQ(dec<double>(b, v.size()), v);
    const auto methods = block_methods(b, v.size());
    ASSERT_EQ(methods.size(), 20u);
    for (size_t k = 0; k < 10; ++k) EXPECT_NE(methods[k], 6) << k;
    for (size_t k = 10; k < 20; ++k) EXPECT_EQ(methods[k], 6) << k;
}

// The decoder's summary reads the same method bytes as the test's own walk of the framing, and names each.
TEST(AlpMethods, SummaryReportsEachBlocksMethod) {
    std::vector<double> mixed = decimals<double>(3000, 2, 0.3, 7);
    const auto bits = random_bits<double>(2000, 8);
    mixed.insert(mixed.end(), bits.begin(), bits.end());
    mixed.insert(mixed.end(), 2048, 1.5);
    for (Profile p : {Profile::alp, Profile::automatic}) {
        const auto b = enc(mixed, p);
        const alp::BlockSummary sum = alp::Decoder<double>(b.data(), b.size(), mixed.size()).summary();
        const auto want = block_methods(b, mixed.size());
        ASSERT_EQ(sum.methods.size(), want.size());
        for (size_t k = 0; k < want.size(); ++k) {
            EXPECT_EQ(int(sum.methods[k]), want[k]) << k;
            EXPECT_NE(alp::block_method_name(sum.methods[k]), nullptr);
        }
        EXPECT_EQ(sum.reference_period, 0u);
    }
    EXPECT_STREQ(alp::block_method_name(0), "raw");
    EXPECT_STREQ(alp::block_method_name(6), "float32");
    EXPECT_STREQ(alp::block_method_name(8), "stride");
    EXPECT_STREQ(alp::block_method_name(9), "sparse");
    EXPECT_STREQ(alp::block_method_name(10), "alp_exc");
    EXPECT_STREQ(alp::block_method_name(11), "sig_exc");
    EXPECT_STREQ(alp::block_method_name(12), "near");
    EXPECT_EQ(alp::block_method_name(13), nullptr);
    // Six full-precision levels in random order take the series dictionary: its entries are reported.
    std::mt19937_64 rng(9);
    std::vector<double> levels(8192);
    for (double& x : levels) x = std::ldexp(double(rng() % 6 + 1) * 0.123456789, 3);
    const auto b = enc(levels, Profile::automatic);
    const alp::BlockSummary sum = alp::Decoder<double>(b.data(), b.size(), levels.size()).summary();
    EXPECT_EQ(sum.dictionary_entries, 6u);
    EXPECT_GT(sum.entropy_tables, 0u);
}

TEST(AlpMethods, SignificantDigitsGetTheirMethod) {
    const auto v64 = significant_digits<double>(8192);
    const auto v32 = significant_digits<float>(8192);
    const auto m64 = block_methods(enc(v64, Profile::automatic), v64.size());
    const auto m32 = block_methods(enc(v32, Profile::automatic), v32.size());
    EXPECT_GE(std::count(m64.begin(), m64.end(), 7), 6);
    EXPECT_GE(std::count(m32.begin(), m32.end(), 7), 6);
    // One exponent per block would pay log2(10) bits for each decimal the larger values lack.
    EXPECT_LT(double(enc(v64, Profile::automatic).size()), 0.9 * double(enc(v64, Profile::alp).size()));
    EXPECT_LT(double(enc(v32, Profile::automatic).size()), 0.9 * double(enc(v32, Profile::alp).size()));
    // Decimals with a fixed number of decimals keep the plain decimal method.
    for (int m : block_methods(enc(decimals<double>(8192, 2, 0.3, 5), Profile::automatic), 8192)) EXPECT_NE(m, 7);
}

// Runs of significant-digit values (the runs' nested block takes its sig integers from its block's, which
// the encoder keeps for that block only): they round-trip, and a buffer refilled with other values at the
// same address gets the same bytes as a fresh copy of them.
TEST(AlpMethods, RunsOfSignificantDigitsTakeOnlyTheirOwnBlocksIntegers) {
    const auto base = significant_digits<double>(8192);
    std::vector<double> first(2 * base.size()), second(first.size());
    for (size_t i = 0; i < first.size(); ++i) {
        first[i] = base[i / 2];                        // runs of two
        second[i] = base[(i / 2 + 777) % base.size()];  // the same kind of values, elsewhere
    }
    std::vector<double> buf = first;
    const auto a = alp::encode<double>(buf.data(), buf.size(), Profile::automatic);
    EXPECT_TRUE(SameBits(first, dec<double>(a, first.size())));
    buf = second;  // the same address, other values
    const auto b = alp::encode<double>(buf.data(), buf.size(), Profile::automatic);
    EXPECT_TRUE(SameBits(second, dec<double>(b, second.size())));
    EXPECT_EQ(b, enc(second, Profile::automatic));
    const auto methods = block_methods(a, first.size());
    EXPECT_GE(std::count(methods.begin(), methods.end(), 4), 1);  // some blocks are runs
}

TEST(AlpMethods, AlpProfileUsesOnlyTheFastMethods) {
    for (const auto& [name, v] : float_cases<double>())
        for (int m : block_methods(enc(v, Profile::alp), v.size())) EXPECT_LE(m, 3) << name;
    for (const auto& [name, v] : int_cases())
        for (int m : block_methods(enc(v, Profile::alp), v.size())) EXPECT_TRUE(m == 0 || m == 3) << name;
}

TEST(AlpMethods, AutoIsNeverLargerThanAlp) {
    for (const auto& [name, v] : float_cases<double>())
        EXPECT_LE(enc(v, Profile::automatic).size(), enc(v, Profile::alp).size()) << name;
    for (const auto& [name, v] : int_cases())
        EXPECT_LE(enc(v, Profile::automatic).size(), enc(v, Profile::alp).size()) << name;
}

TEST(AlpMethods, BlocksLargerThanTheirRawValuesAreWrittenRaw) {
    // auto chooses candidates by their estimated entropy-coded size, so a block may still hold a frame of
    // reference wider than its raw values when it reaches the output; the encoder then writes it raw.
    const size_t n = 2 * alp::kBlockValues + 5;
    std::vector<double> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = double(i) * 0.25 - 7.0;
    alp::Writer out;
    out.u8(0xAB);  // bytes before the block area stay
    const std::vector<uint8_t> small = {3, 1, 2, 3};
    const std::vector<uint8_t> wide(1 + alp::kBlockValues * 8 + 40, 3);  // one block over its raw size
    const std::vector<uint8_t> tail(1 + 5 * 8 + 1, 3);                    // the short last block, also over
    std::vector<uint16_t> dir = {uint16_t(small.size()), uint16_t(wide.size()), uint16_t(tail.size())};
    for (const auto* b : {&small, &wide, &tail}) out.append(b->data(), b->size());
    alp::cap_blocks_at_raw(out, 1, dir, reinterpret_cast<const uint8_t*>(v.data()), n, sizeof(double));
    ASSERT_EQ(dir, (std::vector<uint16_t>{4, uint16_t(1 + alp::kBlockValues * 8), 1 + 5 * 8}));
    ASSERT_EQ(out.size(), size_t(1) + dir[0] + dir[1] + dir[2]);
    EXPECT_EQ(out.bytes[0], 0xAB);
    EXPECT_TRUE(std::equal(small.begin(), small.end(), out.bytes.begin() + 1));
    EXPECT_EQ(out.bytes[1 + 4], 0);  // raw method
    EXPECT_EQ(std::memcmp(out.bytes.data() + 1 + 4 + 1, v.data() + alp::kBlockValues, alp::kBlockValues * 8), 0);
    EXPECT_EQ(out.bytes[1 + 4 + dir[1]], 0);
    EXPECT_EQ(std::memcmp(out.bytes.data() + 1 + 4 + dir[1] + 1, v.data() + 2 * alp::kBlockValues, 5 * 8), 0);
    // Within bounds everywhere: nothing changes.
    alp::Writer again = out;
    std::vector<uint16_t> dir2 = dir;
    alp::cap_blocks_at_raw(again, 1, dir2, reinterpret_cast<const uint8_t*>(v.data()), n, sizeof(double));
    EXPECT_EQ(again.bytes, out.bytes);
    EXPECT_EQ(dir2, dir);
}

TEST(AlpMethods, DecimalsCostTheirDigits) {
    // A 2-decimal random walk with steps of about 0.3 spans a few thousand hundredths per block: about
    // 12-14 bits with the frame of reference, far below the 64 a double takes.
    const auto v = decimals<double>(20480, 2, 0.3, 21);
    const double bits = enc(v, Profile::alp).size() * 8.0 / v.size();
    EXPECT_LT(bits, 16.0);
    EXPECT_GT(bits, 4.0);
}

// A sawtooth of period 100 in steps of 0.5: a block's samples 32 apart see only its even phases, whole
// numbers, and take integer exponents with half its values as exceptions (3.2 bits a value with `auto`).
// Samples spread over every phase find the one-decimal exponents among the row group's candidates: under a
// bit a value, in float64 and float32. (`alp` ranks fewer candidates, all with integer exponents here, from
// the row group's evenly spaced sample: it still round-trips, at 26-46 bits a value.)
template <class T>
void sawtooth_codes_its_decimals() {
    std::vector<T> v(20000);
    for (size_t i = 0; i < v.size(); ++i) v[i] = T(double(i % 100) * 0.5);
    EXPECT_EQ(dec<T>(enc(v, Profile::alp), v.size()), v);
    const auto b = enc(v, Profile::automatic);
    EXPECT_EQ(dec<T>(b, v.size()), v);
    EXPECT_LT(b.size() * 8.0 / v.size(), 1.0);
}
TEST(AlpMethods, PeriodicDecimalsAreNotAliasedBySampling) {
    sawtooth_codes_its_decimals<double>();
    sawtooth_codes_its_decimals<float>();
}

// Residuals that all lie on one side of zero (a counter stepping by 0 to 4, timestamps stepping by 997 to 1003
// ms) are priced by their distance from their own median when the entropy coder's delta order is chosen:
// priced by their distance from zero, the counter's steps looked like 3.5 bits a value, lost to second
// differences (3 bits, frame of reference) and the series was never entropy-coded (3.07 bits a value where
// its steps carry log2(5) = 2.32).
TEST(AlpMethods, OneSidedStepsAreEntropyCoded) {
    std::mt19937_64 rng(12);
    std::vector<int64_t> counter(50000), stamps(50000);
    int64_t c = 1000, t = 1700000000000;
    for (size_t i = 0; i < counter.size(); ++i) {
        counter[i] = c += int64_t(rng() % 5);
        stamps[i] = t += 997 + int64_t(rng() % 7);
    }
    const auto a = enc(counter, Profile::automatic), b = enc(stamps, Profile::automatic);
    EXPECT_EQ(dec<int64_t>(a, counter.size()), counter);
    EXPECT_EQ(dec<int64_t>(b, stamps.size()), stamps);
    EXPECT_LT(a.size() * 8.0 / counter.size(), 2.6);  // log2(5) = 2.32, and each block's header and states
    EXPECT_LT(b.size() * 8.0 / stamps.size(), 3.05);  // log2(7) = 2.81
}

// A stretch of a few full-precision levels (set points) at the end of a record that takes no dictionary:
// priced by their bit widths from a centre, the levels (of both signs) looked like 60-bit noise, and their
// blocks were split doubles at 51 bits a value; priced as a few levels they are entropy-coded deltas of
// order 0, about log2(7) bits each.
TEST(AlpMethods, FewLevelsWithoutADictionaryAreEntropyCoded) {
    std::mt19937_64 rng(36);
    std::normal_distribution<double> g(0, 1000);
    std::vector<double> walk(28 * alp::kBlockValues);
    double x = 1e6;
    for (double& w : walk) w = x += double(int64_t(rng() % 7) - 3);
    double levels[7];
    for (double& l : levels) l = g(rng);
    std::vector<double> both = walk;
    for (size_t i = 0; i < 4 * alp::kBlockValues; ++i) both.push_back(levels[rng() % 7]);
    const auto a = enc(walk, Profile::automatic), b = enc(both, Profile::automatic);
    ASSERT_TRUE(SameBits(both, dec<double>(b, both.size())));
    EXPECT_LT(double(b.size() - a.size()) * 8 / (4 * alp::kBlockValues), std::log2(7.0) + 1);
}

// NaN and infinities among decimals (missing readings): under every decimal pair they are exceptions, so
// they must not sway which pair a block takes. Sampled as integers near 2^62, they gave every pair the same
// width and a 3-decimal walk with 20 NaN in each block took 8-decimal pairs (16.9 bits a value against 10.8
// without them). Here the stream may grow by no more than an exception's worth (position and bits) for each
// of them over the same walk without them.
template <class T>
void non_finite_values_leave_the_pair_alone() {
    auto v = decimals<T>(20480, 3, 0.3, 41);
    const size_t plain = enc(v, Profile::automatic).size();
    size_t specials = 0;
    for (size_t b = 0; b < v.size() / alp::kBlockValues; ++b)
        for (size_t i = 0; i < 20; ++i, ++specials)  // a stretch of them (a gap in the readings)
            v[b * alp::kBlockValues + 500 + i] = i % 5 == 4 ? T(INFINITY) : T(NAN);
    const auto with = enc(v, Profile::automatic);
    const auto back = dec<T>(with, v.size());
    ASSERT_TRUE(SameBits(v.data(), v.size(), back.data(), back.size()));
    EXPECT_LE(with.size(), plain + specials * (2 + sizeof(T)) + 64) << plain;
}
TEST(AlpMethods, NonFiniteValuesDoNotSwayTheDecimalPair) {
    non_finite_values_leave_the_pair_alone<double>();
    non_finite_values_leave_the_pair_alone<float>();
}

// Missing readings (NaN) scattered over a decimal walk, one value in 20: `auto` writes the exceptions of
// those blocks as integer streams (alp_exc), their gaps and one repeated bit pattern, at a few bits each where
// raw exceptions take 16 and the value's bits.
template <class T>
void missing_readings_cost_a_few_bits() {
    auto v = decimals<T>(40960, 3, 0.3, 43);
    const size_t plain = enc(v, Profile::automatic).size();
    std::mt19937_64 rng(44);
    size_t missing = 0;
    for (T& x : v)
        if (rng() % 20 == 0) x = T(NAN), ++missing;
    const auto b = enc(v, Profile::automatic);
    ASSERT_TRUE(SameBits(v, dec<T>(b, v.size())));
    EXPECT_LT(b.size() * 8.0, plain * 8.0 + missing * 8.0) << plain << " bytes without them";
    const alp::BlockSummary sum = alp::Decoder<T>(b.data(), b.size(), v.size()).summary();
    EXPECT_GT(std::count(sum.methods.begin(), sum.methods.end(), uint8_t(10)), 30);
}
TEST(AlpMethods, MissingReadingsCostAFewBits) {
    missing_readings_cost_a_few_bits<double>();
    missing_readings_cost_a_few_bits<float>();
}

// ---- random access -----------------------------------------------------------------------------------------

TEST(AlpRandomAccess, RangesMatchTheWholeDecode) {
    const auto cases = float_cases<double>();
    const std::vector<double> channels = interleaved<double>(3, 3000, 1);  // stride blocks in `auto`
    for (const auto* series : {&cases.at("everything"), &channels}) {
        const auto& v = *series;
        for (Profile p : {Profile::alp, Profile::automatic}) {
            const auto b = enc(v, p);
            alp::Decoder<double> d(b.data(), b.size(), v.size());
            EXPECT_EQ(d.block_count(), (v.size() + 1023) / 1024);
            std::mt19937_64 rng(3);
            for (int trial = 0; trial < 200; ++trial) {
                const size_t first = rng() % v.size();
                const size_t n = rng() % std::min<size_t>(3000, v.size() - first + 1);
                // An odd offset into a byte buffer: the decoder must cope with unaligned output.
                std::vector<uint8_t> raw(n * 8 + 1);
                d.read_range(first, n, raw.data() + 1);
                std::vector<double> got(n);
                if (n) std::memcpy(got.data(), raw.data() + 1, n * 8);
                ASSERT_TRUE(SameBits(v.data() + first, n, got.data(), n)) << first << "+" << n;
            }
            std::vector<double> tmp(1);
            EXPECT_THROW(d.read_range(v.size(), 1, tmp.data()), InvalidArgument);
        }
    }
}

// ---- threads -----------------------------------------------------------------------------------------------

// Several row groups of different kinds (decimals, values drawn from a few thousand random doubles, so the
// series dictionary and the entropy models are in play, and float32 values printed as doubles).
std::vector<double> mixed_row_groups() {
    std::vector<double> v = decimals<double>(70000, 2, 0.3, 31);
    const auto pool = random_bits<double>(3000, 32);
    std::mt19937_64 rng(33);
    for (size_t i = 0; i < 70000; ++i) {
        double x = pool[rng() % pool.size()];
        if (std::isnan(x)) x = 1.5;
        v.push_back(x);
    }
    for (float f : decimals<float>(60000, 3, 0.2, 34)) v.push_back(double(f));
    return v;
}

TEST(AlpThreads, BytesDoNotDependOnTheThreadCount) {
    const auto v = mixed_row_groups();
    for (Profile p : {Profile::alp, Profile::automatic}) {
        const auto one = alp::encode<double>(v.data(), v.size(), p, 1);
        for (unsigned t : {2u, 4u, 7u}) EXPECT_EQ(alp::encode<double>(v.data(), v.size(), p, t), one) << t;
    }
    const auto f = decimals<float>(150000, 2, 0.5, 35);
    EXPECT_EQ(alp::encode<float>(f.data(), f.size(), Profile::automatic, 4),
              alp::encode<float>(f.data(), f.size(), Profile::automatic, 1));
    std::vector<int64_t> ts(140000);
    for (size_t i = 0; i < ts.size(); ++i) ts[i] = int64_t(1700000000000 + 1000 * i + (i % 7 == 0 ? 3 : 0));
    EXPECT_EQ(alp::encode<int64_t>(ts.data(), ts.size(), Profile::automatic, 4),
              alp::encode<int64_t>(ts.data(), ts.size(), Profile::automatic, 1));
}

// Each thread keeps the encoders of its last encodes for the next: the bytes of an input must not depend on
// what the thread encoded before (another dtype, profile, thread count or length, a dictionary or a
// reference in between). Each input's bytes from a thread of its own (fresh encoders) are the reference.
TEST(AlpThreads, BytesDoNotDependOnWhatTheThreadEncodedBefore) {
    struct Input {
        std::string name;
        std::function<std::vector<uint8_t>()> encode;
    };
    std::vector<Input> inputs;
    // Float32 values stored as doubles, coded by a nested float32 encoder: a short series (its blocks judged
    // by packed size) before a longer one (judged as the entropy stage will code them), sparse decimals
    // where the two judge differently.
    for (size_t n : {size_t(1000), size_t(6000)}) {
        std::mt19937_64 rng(40 + n);
        std::vector<double> v(n);
        for (double& x : v) x = double(float(double(rng() % 50) + (rng() % 10 == 0 ? 0.1 * double(1 + rng() % 9) : 0.0)));
        inputs.push_back({"sparse float32 decimals " + std::to_string(n),
                          [v] { return alp::encode<double>(v.data(), v.size(), Profile::automatic, 1); }});
    }
    for (Profile p : {Profile::automatic, Profile::alp})
        for (unsigned t : {1u, 2u}) {
            const std::string tag = std::string(p == Profile::alp ? " alp" : " auto") + " threads " + std::to_string(t);
            for (const auto& [name, v] : float_cases<double>())
                inputs.push_back({name + tag, [v, p, t] { return alp::encode<double>(v.data(), v.size(), p, t); }});
            for (const auto& [name, v] : float_cases<float>())
                inputs.push_back({name + " f32" + tag, [v, p, t] { return alp::encode<float>(v.data(), v.size(), p, t); }});
            for (const auto& [name, v] : int_cases())
                inputs.push_back({name + " i64" + tag, [v, p, t] { return alp::encode<int64_t>(v.data(), v.size(), p, t); }});
        }
    const auto mixed = mixed_row_groups();
    inputs.push_back({"mixed row groups", [mixed] { return alp::encode<double>(mixed.data(), mixed.size(), Profile::automatic, 1); }});
    std::vector<std::vector<uint8_t>> fresh(inputs.size());
    for (size_t k = 0; k < inputs.size(); ++k) std::thread([&] { fresh[k] = inputs[k].encode(); }).join();
    std::vector<std::vector<uint8_t>> forward(inputs.size()), backward(inputs.size());
    std::thread([&] {
        for (size_t k = 0; k < inputs.size(); ++k) forward[k] = inputs[k].encode();
        for (size_t k = inputs.size(); k-- > 0;) backward[k] = inputs[k].encode();
    }).join();
    for (size_t k = 0; k < inputs.size(); ++k) {
        EXPECT_TRUE(forward[k] == fresh[k]) << inputs[k].name << " (after the inputs before it)";
        EXPECT_TRUE(backward[k] == fresh[k]) << inputs[k].name << " (after the inputs after it)";
    }
}

TEST(AlpThreads, ThreadedDecodeMatches) {
    const auto v = mixed_row_groups();
    const auto b = enc(v, Profile::automatic);
    alp::Decoder<double> d(b.data(), b.size(), v.size());
    std::vector<double> all(v.size());
    d.read_range(0, v.size(), all.data(), 4);
    ASSERT_TRUE(SameBits(v.data(), v.size(), all.data(), all.size()));
    std::mt19937_64 rng(36);
    for (int trial = 0; trial < 40; ++trial) {
        const size_t first = rng() % v.size();
        const size_t n = rng() % (v.size() - first + 1);
        const bool odd = trial % 2;  // unaligned output goes through the block buffer
        std::vector<uint8_t> raw(n * 8 + 1);
        d.read_range(first, n, raw.data() + odd, 3);
        std::vector<double> got(n);
        if (n) std::memcpy(got.data(), raw.data() + odd, n * 8);
        ASSERT_TRUE(SameBits(v.data() + first, n, got.data(), n)) << first << "+" << n;
    }
    // Sequential reads with threads, in pieces that cut blocks.
    alp::Decoder<double> s(b.data(), b.size(), v.size());
    std::vector<double> seq(v.size());
    for (size_t at = 0; at < v.size();) {
        const size_t take = std::min<size_t>(v.size() - at, 5000 + at % 3001);
        s.read(seq.data() + at, take, 4);
        at += take;
    }
    s.expect_end();
    EXPECT_TRUE(SameBits(v.data(), v.size(), seq.data(), seq.size()));
}

TEST(AlpThreads, ThreadedDecodeRejectsACorruptBlock) {
    const auto v = decimals<double>(50000, 2, 0.3, 37);
    auto b = enc(v, Profile::automatic);
    b[b.size() - 3] ^= 0x5A;  // inside the last block
    alp::Decoder<double> d(b.data(), b.size(), v.size());
    std::vector<double> out(v.size());
    // Either a clear error from the worker that met the bad bytes, or (a flip that still parses) values
    // that differ: never a crash.
    try {
        d.read_range(0, v.size(), out.data(), 4);
        EXPECT_FALSE(SameBits(v.data(), v.size(), out.data(), out.size()));
    } catch (const CorruptStream&) {
    }
}

// ---- bit packing -------------------------------------------------------------------------------------------

TEST(AlpBitPacking, EveryWidthAndLengthRoundTrips) {
    std::mt19937_64 rng(1);
    for (unsigned w = 0; w <= 64; ++w) {
        for (size_t m : {1u, 7u, 8u, 9u, 63u, 64u, 100u, 1000u, 1024u}) {
            const uint64_t mask = w == 64 ? ~0ull : (1ull << w) - 1;
            std::vector<uint64_t> v(m);
            for (size_t i = 0; i < m; ++i) v[i] = (i % 5 == 0 ? ~0ull : rng()) & mask;
            alp::Writer out;
            alp::pack(v.data(), m, w, out);
            ASSERT_EQ(out.size(), alp::packed_size(m, w));
            for (size_t slack : {0u, 3u, 64u}) {
                std::vector<uint8_t> buf(out.bytes);
                buf.resize(buf.size() + slack, 0xAB);  // garbage after the field must not leak in
                std::vector<uint64_t> got(m + 8, 0);
                alp::unpack(buf.data(), buf.data() + buf.size(), m, w, got.data());
                got.resize(m);
                ASSERT_EQ(got, v) << "w=" << w << " m=" << m << " slack=" << slack;
            }
        }
    }
}

// ---- hand-built payloads ---------------------------------------------------------------------------------------

struct Bytes {
    std::vector<uint8_t> b;
    Bytes& u8(unsigned v) {
        b.push_back(uint8_t(v));
        return *this;
    }
    Bytes& u16(unsigned v) { return u8(v & 0xFF).u8(v >> 8); }
    Bytes& u32(uint32_t v) { return u16(v & 0xFFFF).u16(v >> 16); }
    Bytes& u64(uint64_t v) { return u32(uint32_t(v)).u32(uint32_t(v >> 32)); }
    Bytes& varint(uint64_t v) {
        while (v >= 0x80) {
            u8(unsigned(v & 0x7F) | 0x80);
            v >>= 7;
        }
        return u8(unsigned(v));
    }
    Bytes& zz(int64_t v) { return varint(alp::zigzag(v)); }
    Bytes& add(const Bytes& o) {
        b.insert(b.end(), o.b.begin(), o.b.end());
        return *this;
    }
    // Frame-of-reference integer stream, order 0.
    // An integer stream with frame of reference: delta order 0-2, or with a lag (order 3; `lag`, written
    // as given, may be one the reader refuses).
    Bytes& ints(const std::vector<int64_t>& v, unsigned order = 0, uint64_t lag = 0) {
        std::vector<uint64_t> r;
        u8(order);
        if (order == 3) varint(lag);
        if (order >= 1) zz(v[0]);
        if (order == 2) zz(int64_t(uint64_t(v[1]) - uint64_t(v[0])));
        const size_t first = order == 3 ? 1 : order;
        for (size_t i = first; i < v.size(); ++i) {
            uint64_t x = uint64_t(v[i]);
            if (order == 3) x -= uint64_t(v[i < lag ? i - 1 : i - lag]);
            else if (order >= 1) x -= uint64_t(v[i - 1]);
            if (order == 2) x -= uint64_t(v[i - 1]) - uint64_t(v[i - 2]);
            r.push_back(x);
        }
        int64_t mn = r.empty() ? 0 : int64_t(r[0]);
        for (uint64_t x : r) mn = std::min(mn, int64_t(x));
        uint64_t span = 0;
        for (auto& x : r) span = std::max(span, x -= uint64_t(mn));
        const unsigned w = unsigned(std::bit_width(span));
        u8(w).zz(mn);
        alp::Writer out;
        alp::pack(r.data(), r.size(), w, out);
        b.insert(b.end(), out.bytes.begin(), out.bytes.end());
        return *this;
    }
};

// A payload of one block (no sections).
std::vector<uint8_t> one_block(const Bytes& block, uint8_t sections = 0) {
    Bytes p;
    p.u8(sections).u16(unsigned(block.b.size())).add(block);
    return p.b;
}

TEST(AlpFormat, AlpBlockFollowsTheDocumentedFormula) {
    Bytes blk;
    blk.u8(1).u8(2).u8(0).varint(1).varint(0).ints({1234, -5, 0});
    blk.u16(1).u64(0x7FF8DEADBEEF0001ull);  // exception at position 1: a NaN with a payload
    const auto out = dec<double>(one_block(blk), 3);
    EXPECT_EQ(bits_of(out[0]), bits_of(1234.0 * 1.0 * 0.01));
    EXPECT_EQ(bits_of(out[1]), 0x7FF8DEADBEEF0001ull);
    EXPECT_EQ(bits_of(out[2]), bits_of(0.0));
    // float32: e = 3, f = 1 -> n * 10 * 0.001.
    Bytes b32;
    b32.u8(1).u8(3).u8(1).varint(0).varint(0).ints({-271, 5});
    const auto f = dec<float>(one_block(b32), 2);
    // float32: the same double arithmetic, rounded to float once.
    EXPECT_EQ(bits_of(f[0]), bits_of(float(-271.0 * 10.0 * 0.001)));
    EXPECT_EQ(bits_of(f[1]), bits_of(float(5.0 * 10.0 * 0.001)));
}

TEST(AlpFormat, AlpSecondPairDecodesItsPositions) {
    // Main pair (2, 0); position 1 decodes through the second pair (17, 15) from the same integer.
    Bytes blk;
    blk.u8(1).u8(2).u8(0).varint(0).varint(1).u8(17).u8(15).ints({1234, 777, 5}).u16(1);
    const auto out = dec<double>(one_block(blk), 3);
    EXPECT_EQ(bits_of(out[0]), bits_of(1234.0 * 1.0 * 0.01));
    EXPECT_EQ(bits_of(out[1]), bits_of(777.0 * 1e15 * 1e-17));
    EXPECT_EQ(bits_of(out[2]), bits_of(5.0 * 1.0 * 0.01));
    Bytes bad;
    bad.u8(1).u8(2).u8(0).varint(0).varint(1).u8(17).u8(18).ints({1, 2}).u16(0);
    EXPECT_THROW(dec<double>(one_block(bad), 2), CorruptStream);  // factor above exponent
    Bytes unordered;
    unordered.u8(1).u8(2).u8(0).varint(0).varint(2).u8(3).u8(1).ints({1, 2}).u16(1).u16(1);
    EXPECT_THROW(dec<double>(one_block(unordered), 2), CorruptStream);
}

TEST(AlpFormat, SigBlockFollowsTheDocumentedMapping) {
    // e = 9, p = 8, L = 2: below 10^8 the integer is the significand at 9 decimals; decade 0 holds 8-digit
    // significands at 8 decimals from q = 10^8, decade 1 at 7 decimals from q = 10^8 + 9 * 10^7.
    Bytes blk;
    blk.u8(7).u8(9).u8(8).u8(2).varint(1).ints({12345678, 100000000 + 87997431, 190000000 + 5869918,
                                                 -(190000000 + 5869918), 0, 189999999});
    blk.u16(4).u64(bits_of(-0.0));
    const auto out = dec<double>(one_block(blk), 6);
    EXPECT_EQ(bits_of(out[0]), bits_of(0.012345678));
    EXPECT_EQ(bits_of(out[1]), bits_of(0.97997431));
    EXPECT_EQ(bits_of(out[2]), bits_of(1.5869918));
    EXPECT_EQ(bits_of(out[3]), bits_of(-1.5869918));
    EXPECT_EQ(bits_of(out[4]), bits_of(-0.0));
    EXPECT_EQ(bits_of(out[5]), bits_of(0.99999999));
    // float32: the correctly rounded double quotient, rounded to float once more.
    Bytes b32;
    b32.u8(7).u8(5).u8(6).u8(1).varint(0).ints({-123456, 1000000 + 234567});
    const auto f = dec<float>(one_block(b32), 2);
    EXPECT_EQ(bits_of(f[0]), bits_of(float(-123456.0 / 1e5)));
    EXPECT_EQ(bits_of(f[1]), bits_of(float(334567.0 / 1e4)));
}

// alp_exc: an alp block whose exceptions are two integer streams (positions, then bit patterns), and whose
// second-pair positions follow as in alp.
TEST(AlpFormat, AlpExcBlock) {
    const uint64_t nan = 0x7FF8000000000000ull, inf = 0x7FF0000000000000ull;
    Bytes blk;  // e = 2, f = 0: hundredths; exceptions at 1 and 3 (positions as first differences)
    blk.u8(10).u8(2).u8(0).varint(2).varint(0).ints({1234, -5, 0, 7, 250});
    blk.ints({1, 3}, 1).ints({int64_t(nan), int64_t(inf)});
    const auto out = dec<double>(one_block(blk), 5);
    EXPECT_EQ(bits_of(out[0]), bits_of(12.34));
    EXPECT_EQ(bits_of(out[1]), nan);
    EXPECT_EQ(bits_of(out[2]), bits_of(0.0));
    EXPECT_EQ(bits_of(out[3]), inf);
    EXPECT_EQ(bits_of(out[4]), bits_of(2.5));
    // float32, with a second pair: its positions after the two streams.
    Bytes b32;
    b32.u8(10).u8(1).u8(0).varint(2).varint(1).u8(2).u8(1).ints({15, 25, 30});
    b32.ints({0, 2}).ints({int64_t(bits_of(-0.0f)), int64_t(bits_of(-0.0f))}).u16(1);
    const auto f = dec<float>(one_block(b32), 3);
    EXPECT_EQ(bits_of(f[0]), bits_of(-0.0f));
    EXPECT_EQ(bits_of(f[1]), bits_of(float(25.0 * 1e1 * 1e-2)));
    EXPECT_EQ(bits_of(f[2]), bits_of(-0.0f));
}

// near: corrections in units in the last place (an integer stream), then the decimals as a nested block;
// value i has the bits of decimal i plus correction i, in the dtype's width.
TEST(AlpFormat, NearBlock) {
    Bytes blk;  // corrections 0, 1, -1, 0; nested alp block (e = 2, f = 0): 12.34, 0.1, 2.5, 7.0
    blk.u8(12).ints({0, 1, -1, 0}).u8(1).u8(2).u8(0).varint(0).varint(0).ints({1234, 10, 250, 700});
    const auto out = dec<double>(one_block(blk), 4);
    EXPECT_EQ(bits_of(out[0]), bits_of(12.34));
    EXPECT_EQ(bits_of(out[1]), bits_of(0.1) + 1);
    EXPECT_EQ(bits_of(out[2]), bits_of(2.5) - 1);
    EXPECT_EQ(bits_of(out[3]), bits_of(7.0));
    // float32: a correction wraps in 32 bits (0.0f less one unit is the largest negative NaN pattern).
    Bytes b32;
    b32.u8(12).ints({-1, 2}).u8(1).u8(1).u8(0).varint(0).varint(0).ints({0, 15});
    const auto f = dec<float>(one_block(b32), 2);
    EXPECT_EQ(bits_of(f[0]), 0xFFFFFFFFu);
    EXPECT_EQ(bits_of(f[1]), bits_of(1.5f) + 2);
}

// Sums of two decimal series (a quarter of them an ulp off the decimal in binary), and the same with a few
// NaN: near blocks, exact, and as small as the decimals themselves and a bit or so a value. (float32 sums are
// also exact with 6 decimals, which the pair ranking takes on some blocks; the row group's near pair is
// tried there too: without that, float32 came to 14.2 bits a value against 9.5 for the rounded values.)
template <class T>
void decimal_sums_are_near_blocks() {
    std::mt19937_64 rng(71);
    std::normal_distribution<double> g(0, 0.3);
    std::vector<T> v(20000);
    double walk = 20;
    for (T& x : v) {
        walk += g(rng);
        x = T(std::round(walk * 100) / 100) + T(double(int64_t(rng() % 1000)) / 100);
    }
    const auto a = enc(v, Profile::automatic);
    ASSERT_TRUE(SameBits(v, dec<T>(a, v.size())));
    const auto methods = block_methods(a, v.size());
    EXPECT_GT(std::count(methods.begin(), methods.end(), int(alp::kNear)), 0);
    std::vector<T> rounded(v.size());
    for (size_t i = 0; i < v.size(); ++i) rounded[i] = T(std::round(double(v[i]) * 100) / 100);
    const auto r = enc(rounded, Profile::automatic);
    EXPECT_LT(double(a.size()) * 8 / double(v.size()), double(r.size()) * 8 / double(v.size()) + 1.5);
    for (size_t i = 0; i < v.size(); i += 97) v[i] = std::numeric_limits<T>::quiet_NaN();
    EXPECT_TRUE(SameBits(v, dec<T>(enc(v, Profile::automatic), v.size())));
}
// An exact pattern shorter than half a block, over and over (a schedule, a test signal, one cycle stored
// sample by sample), after a stretch of a walk (so that no series reference takes it: AlpReference): its
// values are series dictionary entries, and their codes repeat at the pattern's length, which the entropy
// stage codes as differences at that lag. Without the lag the codes took 7-9 bits a value (as many as the
// pattern's distinct values need); the series came to 6.7 and 8.6 bits a value for patterns of 88 and 300.
template <class T>
void periodic_patterns_are_coded_at_their_lag() {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> g(0, 10);
    for (size_t period : {7, 88, 300}) {
        std::vector<T> v;
        double walk = 0;
        for (int i = 0; i < 4000; ++i) v.push_back(T(std::round((walk += g(rng) / 30) * 10) / 10));
        std::vector<T> shape(period);
        for (T& x : shape) x = std::is_integral_v<T> ? T(g(rng) * 1e9) : T(std::round(g(rng) * 1000) / 1000);
        for (size_t i = 0; i < 20000; ++i) v.push_back(shape[i % period]);
        const auto a = enc(v, Profile::automatic);
        ASSERT_TRUE(SameBits(v, dec<T>(a, v.size()))) << period;
        EXPECT_LT(double(a.size()) * 8 / double(v.size()), period < 100 ? 3.0 : 5.5) << period;
    }
}

TEST(AlpMethods, PeriodicPatternsAreCodedAtTheirLag) {
    periodic_patterns_are_coded_at_their_lag<double>();
    periodic_patterns_are_coded_at_their_lag<float>();
    periodic_patterns_are_coded_at_their_lag<int64_t>();
}

TEST(AlpMethods, DecimalSumsAreNearBlocks) {
    decimal_sums_are_near_blocks<double>();
    decimal_sums_are_near_blocks<float>();
}

// sig_exc: a sig block whose exceptions are two integer streams, as in alp_exc.
TEST(AlpFormat, SigExcBlock) {
    const uint64_t nan = 0x7FF8000000000000ull;
    Bytes blk;  // e = 3, 2 significant digits, 1 decade above: 0.012, NaN, 0.99, NaN
    blk.u8(11).u8(3).u8(2).u8(1).varint(2).ints({12, 0, 189, 0}).ints({1, 3}, 1).ints({int64_t(nan), int64_t(nan)});
    const auto out = dec<double>(one_block(blk), 4);
    EXPECT_EQ(bits_of(out[0]), bits_of(0.012));
    EXPECT_EQ(bits_of(out[1]), nan);
    EXPECT_EQ(bits_of(out[2]), bits_of(0.99));
    EXPECT_EQ(bits_of(out[3]), nan);
}

TEST(AlpFormat, AlpRdBlock) {
    Bytes blk;
    blk.u8(2).u8(48).u8(2).u16(0x3FF0).u16(0x4000).varint(1);  // r = 48, two left values, one exception
    alp::Writer codes, rights;
    const uint64_t c[2] = {1, 0}, r[2] = {5, 7};
    alp::pack(c, 2, 1, codes);
    alp::pack(r, 2, 48, rights);
    blk.b.insert(blk.b.end(), codes.bytes.begin(), codes.bytes.end());
    blk.b.insert(blk.b.end(), rights.bytes.begin(), rights.bytes.end());
    blk.u16(1).u16(0xC000);
    const auto out = dec<double>(one_block(blk), 2);
    EXPECT_EQ(bits_of(out[0]), 0x4000ull << 48 | 5);
    EXPECT_EQ(bits_of(out[1]), 0xC000ull << 48 | 7);
}

// The decoder gives short runs a fixed 32 bytes of copies that the next runs write over: runs of every
// length up to past that, ending at the block's last value, come out exact, and nothing beyond the block
// is written (the block decodes straight into the caller's buffer).
template <class T>
void check_short_runs_stay_in_block() {
    std::vector<int64_t> lengths;
    for (int64_t len = 1; len <= 10; ++len) lengths.push_back(len);
    for (int64_t len : {1, 1, 2, 1, 3, 1}) lengths.push_back(len);
    for (int64_t last = 1; last <= 9; ++last) {
        std::vector<int64_t> runs = lengths;
        runs.push_back(last);
        Bytes blk;
        blk.u8(4).varint(runs.size());
        std::vector<int64_t> coded;
        for (int64_t len : runs) coded.push_back(len - 1);
        blk.ints(coded).u8(0);
        std::vector<T> want;
        for (size_t j = 0; j < runs.size(); ++j) {
            const T x = T(0.25) * T(j + 1);
            if constexpr (sizeof(T) == 8) blk.u64(bits_of(x)); else blk.u32(bits_of(x));
            want.insert(want.end(), size_t(runs[j]), x);
        }
        const std::vector<uint8_t> payload = one_block(blk);
        alp::Decoder<T> d(payload.data(), payload.size(), want.size());
        const T guard = T(-7.0);
        std::vector<T> out(want.size() + 16, guard);
        d.read_range(0, want.size(), out.data());
        EXPECT_TRUE(SameBits(std::vector<T>(out.begin(), out.begin() + long(want.size())), want)) << last;
        for (size_t i = want.size(); i < out.size(); ++i) EXPECT_EQ(bits_of(out[i]), bits_of(guard)) << last;
    }
}

TEST(AlpFormat, ShortRunsStayInTheirBlock) {
    check_short_runs_stay_in_block<double>();
    check_short_runs_stay_in_block<float>();
}

TEST(AlpFormat, DeltaRleF32AndDictBlocks) {
    Bytes d2;
    d2.u8(3).ints({10, 13, 17, 22, 28}, 2);
    EXPECT_EQ(dec<int64_t>(one_block(d2), 5), (std::vector<int64_t>{10, 13, 17, 22, 28}));
    Bytes d1;
    d1.u8(3).ints({5, -3, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}, 1);
    EXPECT_EQ(dec<int64_t>(one_block(d1), 4),
              (std::vector<int64_t>{5, -3, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}));

    Bytes rle;
    rle.u8(4).varint(2).ints({2, 0}).u8(0).u64(bits_of(1.5)).u64(bits_of(-2.0));
    EXPECT_TRUE(SameBits(dec<double>(one_block(rle), 4), std::vector<double>{1.5, 1.5, 1.5, -2.0}));

    Bytes f32;
    f32.u8(6).u8(1).ints({1, -1}).u8(0).u32(bits_of(1.5f)).u32(bits_of(2.5f));
    const auto g = dec<double>(one_block(f32), 2);
    EXPECT_EQ(bits_of(g[0]), bits_of(1.5) + 1);
    EXPECT_EQ(bits_of(g[1]), bits_of(2.5) - 1);

    Bytes dict_payload;  // nested payload: sections 0, one raw block with 7.0 and 9.0
    Bytes raw2;
    raw2.u8(0).u64(bits_of(7.0)).u64(bits_of(9.0));
    dict_payload.u8(0).u16(unsigned(raw2.b.size())).add(raw2);
    Bytes blk;
    blk.u8(5).ints({2, 0, 3, 1}).u8(0).u64(bits_of(3.0));  // entry 0, escape, entry 1, repeat
    Bytes p;
    p.u8(2).u32(2).u32(uint32_t(dict_payload.b.size())).add(dict_payload).u16(unsigned(blk.b.size())).add(blk);
    EXPECT_TRUE(SameBits(dec<double>(p.b, 4), std::vector<double>{7.0, 3.0, 9.0, 9.0}));

    // Three channels of 7 values: channel c holds values c, c + 3, ...: 3, 2 and 2 of them.
    Bytes stride;
    stride.u8(8).u8(3);
    stride.u8(3).ints({10, 11, 12}, 1);
    stride.u8(3).ints({20, 21}, 1);
    stride.u8(0).u64(30).u64(31);
    EXPECT_EQ(dec<int64_t>(one_block(stride), 7), (std::vector<int64_t>{10, 20, 30, 11, 21, 31, 12}));

    // Nonzero values at 1, 2 and 6 of 8 (gaps 1, 0, 3), the rest zero.
    Bytes sparse;
    sparse.u8(9).varint(3).ints({1, 0, 3}).u8(0).u64(bits_of(2.5)).u64(bits_of(-0.0)).u64(bits_of(7.0));
    EXPECT_TRUE(SameBits(dec<double>(one_block(sparse), 8), std::vector<double>{0, 2.5, -0.0, 0, 0, 0, 7.0, 0}));
}

// ---- malformed payloads --------------------------------------------------------------------------------------

template <class T>
void expect_corrupt(const std::vector<uint8_t>& p, size_t n, const std::string& what) {
    EXPECT_THROW(dec<T>(p, n), CorruptStream) << what;
}

// Order 3: the first value, first differences below the lag, then differences from the value `lag` back.
TEST(AlpFormat, LaggedIntegerStream) {
    const std::vector<int64_t> v{4, 9, -2, 4, 9, -2, 5, 9, std::numeric_limits<int64_t>::min()};
    EXPECT_EQ(dec<int64_t>(one_block(Bytes().u8(3).ints(v, 3, 3)), v.size()), v);
    EXPECT_EQ(dec<int64_t>(one_block(Bytes().u8(3).ints(v, 3, 8)), v.size()), v);
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).ints(v, 3, 1)), v.size(), "lag 1");
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).ints(v, 3, 0)), v.size(), "lag 0");
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).ints(v, 3, v.size())), v.size(), "lag m");
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).u8(3).varint(uint64_t(1) << 40)), v.size(), "huge lag");
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).u8(3)), v.size(), "lag missing");
}

TEST(AlpFormat, MalformedPayloadsAreRejected) {
    Bytes good;
    good.u8(1).u8(2).u8(0).varint(0).varint(0).ints({1234, -5, 0});
    ASSERT_NO_THROW(dec<double>(one_block(good), 3));
    expect_corrupt<double>(one_block(good, 8), 3, "unknown section bit");
    expect_corrupt<double>(one_block(Bytes().u8(12)), 1, "unknown method");
    expect_corrupt<double>(one_block(Bytes().u8(1).u8(19).u8(0).varint(0).varint(0).ints({1})), 1, "exponent 19");
    expect_corrupt<float>(one_block(Bytes().u8(1).u8(11).u8(0).varint(0).varint(0).ints({1})), 1, "float32 exponent 11");
    expect_corrupt<double>(one_block(Bytes().u8(1).u8(2).u8(3).varint(0).varint(0).ints({1})), 1, "factor above exponent");
    expect_corrupt<double>(one_block(Bytes().u8(1).u8(2).u8(0).varint(2).varint(0).ints({1, 2}).u16(1).u16(1).u64(0).u64(0)), 2,
                           "repeated exception position");
    expect_corrupt<double>(one_block(Bytes().u8(1).u8(2).u8(0).varint(1).varint(0).ints({1, 2}).u16(2).u64(0)), 2,
                           "exception position past the block");
    expect_corrupt<double>(one_block(Bytes().u8(1).u8(2).u8(0).varint(3).varint(0).ints({1, 2})), 2, "more exceptions than values");
    expect_corrupt<int64_t>(one_block(Bytes().u8(1).u8(2).u8(0).varint(0).varint(0).ints({1})), 1, "alp in an int64 stream");
    expect_corrupt<float>(one_block(Bytes().u8(6).u8(0).u8(0).u32(0)), 1, "f32 in a float32 stream");
    expect_corrupt<double>(one_block(Bytes().u8(6).u8(2).u8(0).u32(0)), 1, "unknown f32 flags");
    // near
    expect_corrupt<int64_t>(one_block(Bytes().u8(12).ints({0}).u8(0).u64(1)), 1, "near in an int64 stream");
    expect_corrupt<double>(one_block(Bytes().u8(12).ints({0, 0}).u8(12).ints({0, 0})), 2, "near nested in near");
    expect_corrupt<double>(one_block(Bytes().u8(12).ints({0, 0})), 2, "near without its nested block");
    // alp_exc
    auto alp_exc = [](uint64_t k, std::vector<int64_t> at, std::vector<int64_t> bits) {
        return one_block(Bytes().u8(10).u8(2).u8(0).varint(k).varint(0).ints({1, 2, 3}).ints(at).ints(bits));
    };
    ASSERT_NO_THROW(dec<double>(alp_exc(2, {0, 2}, {5, 6}), 3));
    expect_corrupt<double>(one_block(Bytes().u8(10).u8(2).u8(0).varint(0).varint(0).ints({1, 2, 3})), 3,
                           "alp_exc without exceptions");
    expect_corrupt<double>(alp_exc(2, {2, 2}, {5, 6}), 3, "alp_exc repeated position");
    expect_corrupt<double>(alp_exc(2, {2, 0}, {5, 6}), 3, "alp_exc positions out of order");
    expect_corrupt<double>(alp_exc(2, {0, 3}, {5, 6}), 3, "alp_exc position past the block");
    expect_corrupt<double>(alp_exc(2, {0, -1}, {5, 6}), 3, "alp_exc negative position");
    expect_corrupt<double>(alp_exc(4, {0, 1, 2, 3}, {5, 6, 7, 8}), 3, "alp_exc exceptions above m");
    expect_corrupt<double>(one_block(Bytes().u8(10).u8(2).u8(0).varint(2).varint(0).ints({1, 2, 3}).ints({0, 2})), 3,
                           "alp_exc without its values stream");
    expect_corrupt<float>(one_block(Bytes().u8(10).u8(2).u8(0).varint(1).varint(0).ints({1}).ints({0}).ints({int64_t(1) << 32})),
                          1, "alp_exc value wider than float32");
    expect_corrupt<int64_t>(alp_exc(2, {0, 2}, {5, 6}), 3, "alp_exc in an int64 stream");
    // sig_exc
    ASSERT_NO_THROW(dec<double>(one_block(Bytes().u8(11).u8(3).u8(2).u8(1).varint(1).ints({189, 0}).ints({1}).ints({5})), 2));
    expect_corrupt<double>(one_block(Bytes().u8(11).u8(3).u8(2).u8(1).varint(0).ints({189})), 1, "sig_exc without exceptions");
    expect_corrupt<double>(one_block(Bytes().u8(11).u8(3).u8(2).u8(1).varint(1).ints({189, 0}).ints({2}).ints({5})), 2,
                           "sig_exc position past the block");
    expect_corrupt<float>(one_block(Bytes().u8(11).u8(3).u8(2).u8(1).varint(1).ints({189}).ints({0}).ints({int64_t(1) << 32})),
                          1, "sig_exc value wider than float32");
    // sig
    ASSERT_NO_THROW(dec<double>(one_block(Bytes().u8(7).u8(3).u8(2).u8(1).varint(0).ints({189, -189})), 2));
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(3).u8(2).u8(1).varint(0).ints({190})), 1, "sig past the last decade");
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(3).u8(2).u8(1).varint(0).ints({-190})), 1, "sig past it, negative");
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(3).u8(2).u8(0).varint(0).ints({100})), 1, "sig without decades");
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(3).u8(2).u8(1).varint(0).ints({std::numeric_limits<int64_t>::min()})),
                           1, "sig integer INT64_MIN");
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(19).u8(2).u8(1).varint(0).ints({1})), 1, "sig exponent 19");
    expect_corrupt<float>(one_block(Bytes().u8(7).u8(11).u8(2).u8(1).varint(0).ints({1})), 1, "sig float32 exponent 11");
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(3).u8(0).u8(1).varint(0).ints({1})), 1, "sig with 0 digits");
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(3).u8(16).u8(1).varint(0).ints({1})), 1, "sig with 16 digits");
    expect_corrupt<float>(one_block(Bytes().u8(7).u8(3).u8(10).u8(1).varint(0).ints({1})), 1, "sig float32 10 digits");
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(3).u8(2).u8(4).varint(0).ints({1})), 1, "sig decades above e");
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(3).u8(2).u8(1).varint(2).ints({1})), 1, "sig exceptions above m");
    expect_corrupt<double>(one_block(Bytes().u8(7).u8(3).u8(2).u8(1).varint(1).ints({1, 2}).u16(2).u64(0)), 2,
                           "sig exception past the block");
    expect_corrupt<int64_t>(one_block(Bytes().u8(7).u8(3).u8(2).u8(1).varint(0).ints({1})), 1, "sig in an int64 stream");
    // integer streams
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).u8(0x10).u8(0).zz(0)), 1, "integer header high bits");
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).u8(3).zz(0).zz(0).zz(0).u8(0).zz(0)), 4, "order 3");
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).u8(1).zz(5).u8(0).zz(0)), 1, "order not below m");
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).u8(0).u8(65).zz(0)), 1, "width 65");
    expect_corrupt<int64_t>(one_block(Bytes().u8(3).u8(4).u8(0)), 1, "entropy stream without models");
    // alp_rd
    expect_corrupt<double>(one_block(Bytes().u8(2).u8(47).u8(1).u16(0).varint(0)), 1, "right width below W-16");
    expect_corrupt<double>(one_block(Bytes().u8(2).u8(64).u8(1).u16(0).varint(0)), 1, "right width W");
    expect_corrupt<double>(one_block(Bytes().u8(2).u8(60).u8(0).u16(0)), 1, "empty left dictionary");
    expect_corrupt<double>(one_block(Bytes().u8(2).u8(60).u8(1).u16(16).varint(0).u64(0)), 1, "left entry too wide");
    {
        Bytes b;  // three entries, 2-bit codes, one code is 3
        b.u8(2).u8(60).u8(3).u16(1).u16(2).u16(3).varint(0).u8(0x03).u8(0);
        expect_corrupt<double>(one_block(b), 1, "code outside the dictionary");
    }
    // rle / dict / nesting
    expect_corrupt<double>(one_block(Bytes().u8(4).varint(2).ints({0, 0}).u8(0).u64(0).u64(0)), 3, "runs short of m");
    expect_corrupt<double>(one_block(Bytes().u8(4).varint(0)), 1, "zero runs");
    expect_corrupt<double>(one_block(Bytes().u8(4).varint(1).ints({1}).u8(4).varint(1).ints({1}).u8(0).u64(0)), 2,
                           "rle nested in rle");
    expect_corrupt<double>(one_block(Bytes().u8(5).ints({2, 2})), 2, "dict block without a dictionary");
    // stride
    const Bytes two_lanes = Bytes().u8(0).u64(1).u8(0).u64(2);
    ASSERT_NO_THROW(dec<double>(one_block(Bytes().u8(8).u8(2).add(two_lanes)), 2));
    expect_corrupt<double>(one_block(Bytes().u8(8).u8(1).u8(0).u64(1).u64(2)), 2, "stride 1");
    expect_corrupt<double>(one_block(Bytes().u8(8).u8(0)), 2, "stride 0");
    expect_corrupt<double>(one_block(Bytes().u8(8).u8(3).add(two_lanes)), 2, "stride above m");
    expect_corrupt<double>(one_block(Bytes().u8(8).u8(17)), 100, "stride 17");
    expect_corrupt<double>(one_block(Bytes().u8(8).u8(2).u8(0).u64(1)), 2, "a channel missing");
    expect_corrupt<double>(one_block(Bytes().u8(8).u8(2).u8(4).varint(1).ints({0}).u8(0).u64(1).add(two_lanes)), 2,
                           "rle nested in stride");
    expect_corrupt<double>(one_block(Bytes().u8(4).varint(1).ints({1}).u8(8).u8(2).add(two_lanes)), 2,
                           "stride nested in rle");
    // sparse
    ASSERT_NO_THROW(dec<double>(one_block(Bytes().u8(9).varint(1).ints({2}).u8(0).u64(1)), 3));
    expect_corrupt<double>(one_block(Bytes().u8(9).varint(0)), 3, "no nonzero value");
    expect_corrupt<double>(one_block(Bytes().u8(9).varint(3).ints({0, 0, 0}).u8(0).u64(1).u64(1).u64(1)), 3,
                           "every value nonzero");
    expect_corrupt<double>(one_block(Bytes().u8(9).varint(1).ints({3}).u8(0).u64(1)), 3, "position past the block");
    expect_corrupt<double>(one_block(Bytes().u8(9).varint(2).ints({1, 1}).u8(0).u64(1).u64(1)), 3,
                           "second position past the block");
    expect_corrupt<double>(one_block(Bytes().u8(9).varint(1).ints({-1}).u8(0).u64(1)), 3, "negative gap");
    // directory and framing
    {
        auto p = one_block(good);
        p.push_back(0);
        EXPECT_THROW(dec<double>(p, 3), CorruptStream);
        try {
            dec<double>(p, 3);
        } catch (const CorruptStream& e) {
            EXPECT_NE(std::string(e.what()).find("left over"), std::string::npos) << e.what();
        }
        p.pop_back();
        p[1] += 1;  // directory claims one byte more
        expect_corrupt<double>(p, 3, "directory larger than the payload");
    }
    expect_corrupt<double>(Bytes().u8(0).u16(0).b, 1, "empty block");
    expect_corrupt<double>(std::vector<uint8_t>{0}, 1, "no directory");
    expect_corrupt<double>(std::vector<uint8_t>{0}, 0, "bytes for an empty series");
    {
        auto p = one_block(good);
        p.push_back(0);  // the block keeps a byte the method does not use
        p[1] += 1;
        expect_corrupt<double>(p, 3, "bytes left over inside a block");
    }
    // dictionary section
    {
        Bytes raw1;
        raw1.u8(0).u64(bits_of(7.0));
        Bytes dp;
        dp.u8(0).u16(unsigned(raw1.b.size())).add(raw1);
        Bytes blk;
        blk.u8(5).ints({2, 3});
        auto build = [&](uint32_t d, uint8_t inner_sections) {
            Bytes inner = dp;
            inner.b[0] = inner_sections;
            Bytes p;
            p.u8(2).u32(d).u32(uint32_t(inner.b.size())).add(inner).u16(unsigned(blk.b.size())).add(blk);
            return p.b;
        };
        expect_corrupt<double>(build(1, 0), 2, "code above the dictionary size");
        expect_corrupt<double>(build(0, 0), 2, "empty dictionary");
        expect_corrupt<double>(build(3, 0), 2, "dictionary larger than the series");
        expect_corrupt<double>(build(1, 2), 2, "dictionary with its own sections");
        blk = Bytes();
        blk.u8(5).ints({1, 2});
        expect_corrupt<double>(build(1, 0), 2, "repeat code at the start of a block");
    }
}

TEST(AlpCorruption, TruncationsAndMutationsThrowOrDecode) {
    const auto cases = float_cases<double>();
    std::mt19937_64 rng(77);
    for (const char* name : {"everything", "float32_derived", "runs_4000", "sines_2500"}) {
        const auto& v = cases.at(name);
        for (Profile p : {Profile::alp, Profile::automatic}) {
            const auto b = enc(v, p);
            // Every truncation breaks the directory arithmetic.
            for (size_t len = 0; len < b.size(); len += 1 + len / 16) {
                const std::vector<uint8_t> t(b.begin(), b.begin() + len);
                EXPECT_THROW(dec<double>(t, v.size()), CorruptStream) << name << " cut at " << len;
            }
            // Mutations: the decoder either throws CorruptStream or returns values; never anything else.
            for (int trial = 0; trial < 300; ++trial) {
                auto t = b;
                const int flips = 1 + int(rng() % 4);
                for (int k = 0; k < flips; ++k) t[rng() % t.size()] ^= uint8_t(1u << (rng() % 8));
                try {
                    (void)dec<double>(t, v.size());
                } catch (const CorruptStream&) {
                }
            }
        }
    }
}

// ---- through the stream container --------------------------------------------------------------------------

TEST(AlpStream, ContainerAndStreamingEncoderAgree) {
    const auto v = float_cases<double>().at("everything");
    for (auto id : {container::CodecId::alp, container::CodecId::automatic}) {
        const auto whole = container::encode(id, container::Dtype::float64, {}, v.data(), v.size());
        container::Encoder e(id, container::Dtype::float64, {});
        for (size_t at = 0; at < v.size(); at += 777) e.push(v.data() + at, std::min<size_t>(777, v.size() - at));
        EXPECT_EQ(e.finish(), whole);
        container::Decoder d(whole.data(), whole.size());
        std::vector<double> out(v.size());
        size_t at = 0;
        while (size_t got = d.read(out.data() + at, 333)) at += got;
        EXPECT_EQ(at, v.size());
        EXPECT_TRUE(SameBits(v, out));
    }
}

}  // namespace

namespace {

// A model depends only on the values of its sample, not on their order: the order decides where the
// counting window sits and whether its entries are found by a scan or through marks (scattered residuals),
// and the window's counts are kept, cleared, from one model to the next. Narrow, scattered, wide and mixed
// samples, each in several orders, built one after the other.
TEST(AlpEntropy, ModelsDependOnlyOnTheSampleValues) {
    std::mt19937_64 rng(23);
    auto bins_of = [](std::vector<int64_t> sample, size_t population) {
        const alp::Model m = alp::build_model(sample, population, std::numeric_limits<int64_t>::min(),
                                              std::numeric_limits<int64_t>::max());
        std::vector<uint64_t> out;
        for (const alp::Bin& b : m.bins) out.insert(out.end(), {b.lower, uint64_t(b.width), uint64_t(b.weight)});
        return out;
    };
    const std::vector<std::function<int64_t()>> kinds = {
        [&] { return int64_t(rng() % 41) - 20; },                                   // narrow
        [&] { return int64_t(rng() % 20001) - 8000; },                              // scattered over a window
        [&] { return int64_t(rng() >> 1) - (int64_t(1) << 62); },                   // wide: nearly all distinct
        [&] { return rng() % 4 ? int64_t(rng() % 301) - 150 : int64_t(rng() % 200001) - 100000; },  // mixed
    };
    for (size_t kind = 0; kind < kinds.size(); ++kind)
        for (size_t n : {size_t(40), size_t(3000), size_t(20000)}) {
            std::vector<int64_t> sample(n);
            for (int64_t& v : sample) v = kinds[kind]();
            const std::vector<uint64_t> want = bins_of(sample, 4 * n);
            std::vector<int64_t> other = sample;
            std::sort(other.begin(), other.end());
            EXPECT_EQ(bins_of(other, 4 * n), want) << "kind " << kind << " n " << n << " sorted";
            std::reverse(other.begin(), other.end());
            EXPECT_EQ(bins_of(other, 4 * n), want) << "kind " << kind << " n " << n << " reversed";
            for (int k = 0; k < 3; ++k) {
                std::shuffle(other.begin(), other.end(), rng);
                EXPECT_EQ(bins_of(other, 4 * n), want) << "kind " << kind << " n " << n << " shuffled";
            }
        }
}

// kth_smallest against std::nth_element for every k: random values (few distinct, or nearly all distinct),
// sorted or reversed runs, lengths on both sides of the small-input path, int64 and double.
TEST(AlpSelect, KthSmallestIsTheValueNthElementFinds) {
    std::mt19937_64 rng(41);
    auto check = [&](auto zero, size_t n, int kind) {
        using T = decltype(zero);
        std::vector<T> v(n);
        for (size_t i = 0; i < n; ++i) {
            const int64_t r = kind == 0 ? int64_t(rng() % 5) : kind == 1 ? int64_t(rng() >> 1) - (int64_t(1) << 62)
                                                                           : int64_t(i);
            v[i] = T(r);
        }
        if (kind == 2 && rng() % 2) std::reverse(v.begin(), v.end());
        for (size_t k = 0; k < n; ++k) {
            std::vector<T> a = v, b = v, spare(n);
            std::nth_element(b.begin(), b.begin() + long(k), b.end());
            const T got = alp::kth_smallest(a.data(), n, k, spare.data());
            ASSERT_EQ(got, b[k]) << "n " << n << " k " << k << " kind " << kind;
        }
    };
    int64_t none[1] = {7}, spare[1];
    EXPECT_EQ(alp::kth_smallest(none, 0, 0, spare), 0);  // an empty range: no value, and no endless loop
    for (size_t n : {size_t(1), size_t(2), size_t(3), size_t(7), size_t(64), size_t(65), size_t(256),
                     size_t(257), size_t(600)})
        for (int kind = 0; kind < 3; ++kind) {
            check(int64_t{}, n, kind);
            check(double{}, n, kind);
        }
}

// The split width (find_rd_right, which counts the 16-bit left parts once and merges them for narrower
// widths) against its definition: for every width of 1 to 16 bits, the left parts counted afresh, their
// best dictionary's bits plus the right parts' bits, the first smallest kept. Samples of few and many left
// parts, all equal, one value and none, float64 and float32.
template <class T>
unsigned rd_right_by_definition(const std::vector<T>& s, alp::KeyCounter& kc) {
    constexpr unsigned W = alp::Traits<T>::kBits;
    unsigned best_rb = W - 16;
    uint64_t best = UINT64_MAX;
    for (unsigned lw = 1; lw <= 16; ++lw) {
        kc.reset();
        for (T x : s) kc.add(uint16_t(std::bit_cast<typename alp::Traits<T>::U>(x) >> (W - lw)));
        uint64_t dict_bits = 0;
        alp::best_dict_size(kc.top8(), s.size(), &dict_bits);
        const uint64_t cost = dict_bits + uint64_t(s.size()) * (W - lw);
        if (cost < best) {
            best = cost;
            best_rb = W - lw;
        }
    }
    return best_rb;
}

template <class T>
void check_rd_right() {
    std::mt19937_64 rng(11);
    alp::KeyCounter kc;
    std::vector<std::vector<T>> samples = {{}, {T(1.5)}, std::vector<T>(128, T(-3.25))};
    for (unsigned scales : {1u, 3u, 9u, 40u}) {
        std::vector<T> s(128);
        for (T& x : s) {
            const double mant = 1.0 + double(rng() >> 12) * 0x1p-52;
            x = T(std::ldexp(mant, int(rng() % scales)) * ((rng() & 1) ? 1 : -1));
        }
        samples.push_back(s);
    }
    std::vector<T> smooth(128);
    for (size_t i = 0; i < smooth.size(); ++i) smooth[i] = T(20.0 + std::sin(double(i) / 9.0));
    samples.push_back(smooth);
    for (const auto& s : samples) EXPECT_EQ(alp::find_rd_right(s.data(), s.size(), kc), rd_right_by_definition(s, kc)) << s.size();
}

TEST(AlpRd, SplitWidthMatchesItsDefinition) {
    check_rd_right<double>();
    check_rd_right<float>();
}

// The exceptions' positions and their neighbours' integers (flagged_positions, take_neighbours) against
// the one pass over every value that they replace: flags none, sparse, dense and all set, leading runs of
// them, lengths that are not a multiple of 8, and flag bytes other than 1.
TEST(AlpExceptions, PositionsAndNeighboursMatchAPassOverEveryValue) {
    std::mt19937_64 rng(43);
    for (size_t m : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(9), size_t(63), size_t(1000), size_t(1024)})
        for (int density : {0, 1, 30, 90, 100})
            for (int lead : {0, 3, 20}) {
                std::vector<uint8_t> bad(m);
                std::vector<int64_t> ints(m);
                for (size_t i = 0; i < m; ++i) {
                    bad[i] = int(rng() % 100) < density || i < size_t(lead) ? uint8_t(1 + rng() % 3) : 0;
                    ints[i] = int64_t(rng() % 1000) - 500;
                }
                // The one pass: positions in order; each flagged value takes the running value, which starts
                // at the first unflagged value's integer (0 where there is none).
                std::vector<uint16_t> want_pos;
                std::vector<int64_t> want = ints;
                size_t first_ok = 0;
                while (first_ok < m && bad[first_ok]) ++first_ok;
                int64_t last = first_ok < m ? ints[first_ok] : 0;
                for (size_t i = 0; i < m; ++i) {
                    if (bad[i]) want_pos.push_back(uint16_t(i));
                    want[i] = bad[i] ? last : want[i];
                    last = want[i];
                }
                std::vector<uint16_t> pos(m + 1);
                const size_t n = alp::flagged_positions(bad.data(), m, pos.data());
                ASSERT_EQ(n, want_pos.size()) << "m " << m << " density " << density << " lead " << lead;
                ASSERT_TRUE(std::equal(want_pos.begin(), want_pos.end(), pos.begin()));
                alp::take_neighbours(ints.data(), pos.data(), n, m);
                ASSERT_EQ(ints, want) << "m " << m << " density " << density << " lead " << lead;
            }
}

// Samples at the ends of the int64 range, and samples that wrap from one end to the other (residuals of
// values near both ends): the bins still go up from the lowest int64, and every residual of the sample is in
// the bin the lookup finds. (A counting window placed across the wrap once handed out its atoms out of
// order, and the bins came out unsorted, where the lookup's searches assume them sorted.)
TEST(AlpEntropy, SamplesAtTheEndsOfTheRangeMakeOrderedBins) {
    std::mt19937_64 rng(31);
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
    for (const int64_t centre : {kMin, kMin + 3000, kMax - 3000, kMax, int64_t(0)})
        for (const uint64_t span : {uint64_t(5), uint64_t(3000), uint64_t(20000), uint64_t(1) << 40})
            for (const size_t n : {size_t(500), size_t(5000)}) {
                std::vector<int64_t> sample(n);
                for (int64_t& v : sample) v = int64_t(uint64_t(centre) + rng() % span - span / 2);
                const auto [lo, hi] = std::minmax_element(sample.begin(), sample.end());
                std::vector<int64_t> copy = sample;
                const alp::Model m = alp::build_model(copy, n, *lo, *hi);
                for (size_t b = 1; b < m.bins.size(); ++b)
                    ASSERT_LT(int64_t(m.bins[b - 1].lower), int64_t(m.bins[b].lower))
                        << "centre " << centre << " span " << span << " n " << n << " bin " << b;
                std::vector<uint16_t> bins(n);
                double bits = 0;
                ASSERT_TRUE(m.code_bits(reinterpret_cast<const uint64_t*>(sample.data()), n, bins.data(), bits))
                    << "centre " << centre << " span " << span << " n " << n;
                for (size_t i = 0; i < n; ++i) {
                    const alp::Bin& b = m.bins[bins[i]];
                    ASSERT_TRUE(b.width >= 64 || ((uint64_t(sample[i]) - b.lower) >> b.width) == 0) << i;
                }
            }
}

// The encoder's bin lookup, by every path (a direct table over all bins or over most of their weight, cells),
// against its definition: the last bin whose lower bound is at or below the residual, if that bin holds it.
// Residuals like the sample's, anywhere in the int64 range, and at its ends.
TEST(AlpEntropy, EveryLookupFindsTheBinHoldingTheResidual) {
    std::mt19937_64 rng(5);
    auto heavy = [&] {  // magnitudes spread over many octaves, as residuals of rough data are
        const int64_t m = int64_t(rng() >> (rng() % 60 + 4));
        return rng() % 2 ? m : -m;
    };
    const std::vector<std::function<int64_t()>> kinds = {
        [&] { return int64_t(rng() % 41) - 20; },
        [&] { return rng() % 64 ? int64_t(rng() % 2001) - 1000 : heavy(); },  // a dense middle, far tails
        heavy,
        [&] { return int64_t(rng() % 3000001) + 5000000; },  // wide and off centre
    };
    bool narrow = false, wide_direct = false, cells = false, below_tried = false;
    // Models over the whole int64 range (a first bin catches everything below the sample), and over the
    // sample's own range, as the entropy stage builds them (residuals below it are in no bin).
    for (size_t kind = 0; kind < kinds.size(); ++kind)
        for (size_t n : {size_t(300), size_t(20000)})
            for (bool whole : {true, false}) {
                std::vector<int64_t> sample(n);
                for (int64_t& v : sample) v = kinds[kind]();
                const auto [lowest, highest] = std::minmax_element(sample.begin(), sample.end());
                const alp::Model m =
                    alp::build_model(sample, 4 * n, whole ? std::numeric_limits<int64_t>::min() : *lowest,
                                     whole ? std::numeric_limits<int64_t>::max() : *highest);
                const uint64_t span = m.bins.back().lower - m.bins[m.bins.size() > 1 && m.bins[0].lower == uint64_t(1) << 63].lower;
                narrow |= m.cells.empty() && span < m.lut.size();
                wide_direct |= m.cells.empty() && span >= m.lut.size();
                cells |= !m.cells.empty() && m.lut.empty();
                std::vector<uint64_t> resid;
                for (int k = 0; k < 3000; ++k) resid.push_back(uint64_t(kinds[kind]()));
                for (int k = 0; k < 500; ++k) resid.push_back(rng());
                for (int64_t e : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), int64_t(0),
                                  int64_t(-1)})
                    resid.push_back(uint64_t(e));
                for (const alp::Bin& b : m.bins)
                    for (int64_t d : {-1, 0, 1}) resid.push_back(b.lower + uint64_t(d));
                std::vector<uint64_t> held_resid;
                std::vector<uint16_t> held_bins;
                for (const uint64_t r : resid) {
                    const int64_t v = int64_t(r);
                    size_t want = m.bins.size();  // none
                    for (size_t b = 0; b < m.bins.size(); ++b)
                        if (int64_t(m.bins[b].lower) <= v) want = b;
                    const bool held = want < m.bins.size() &&
                                      (m.bins[want].width >= 64 || ((r - m.bins[want].lower) >> m.bins[want].width) == 0);
                    uint16_t bin = 0xFFFF;
                    double bits = 0;
                    const bool found = m.code_bits(&r, 1, &bin, bits);
                    ASSERT_EQ(found, held) << "kind " << kind << " n " << n << " residual " << v;
                    if (held) {
                        ASSERT_EQ(bin, want) << "kind " << kind << " n " << n << " residual " << v;
                        held_resid.push_back(r);
                        held_bins.push_back(bin);
                    }
                }
                // Runs of residuals (looked up several at a time): the same bins, and one residual that no bin
                // holds fails the run wherever it sits.
                std::vector<uint16_t> bins(held_resid.size());
                double bits = 0;
                ASSERT_TRUE(m.code_bits(held_resid.data(), held_resid.size(), bins.data(), bits));
                EXPECT_EQ(bins, held_bins) << "kind " << kind << " n " << n;
                // (Both ways to be in no bin: below the lowest, past a bin's end.)
                bool tried[2] = {false, false};
                for (const uint64_t r : resid) {
                    uint16_t bin;
                    double one = 0;
                    const bool below = int64_t(r) < int64_t(m.bins[0].lower);
                    if (tried[below] || m.code_bits(&r, 1, &bin, one)) continue;
                    tried[below] = true;
                    for (size_t at : {size_t(0), size_t(5), held_resid.size() / 2, held_resid.size() - 1}) {
                        std::vector<uint64_t> run = held_resid;
                        run[at] = r;
                        EXPECT_FALSE(m.code_bits(run.data(), run.size(), bins.data(), bits))
                            << "kind " << kind << " at " << at << (below ? " below" : " past");
                    }
                }
                below_tried |= tried[1];
            }
    EXPECT_TRUE(narrow && wide_direct && cells && below_tried);
}

// The entropy coders on their own: residuals that fall in the rarest bins (the weight-1 gap bins a model
// keeps for values its sample never saw, whose division step the rANS encoder handles apart, and which take
// the most state bits in table ANS) come back exactly, with table ANS (coder 3) and rANS (coder 2).
TEST(AlpEntropy, ResidualsInWeightOneBinsComeBack) {
    std::mt19937_64 rng(11);
    std::vector<int64_t> sample(4000);
    for (int64_t& v : sample) v = int64_t(rng() % 201) - 100;
    const int64_t lo = -(int64_t(1) << 40), hi = int64_t(1) << 40;
    alp::Model model = alp::build_model(sample, sample.size(), lo, hi);
    size_t weight_one = 0;
    for (const alp::Bin& b : model.bins) weight_one += b.weight == 1;
    ASSERT_GE(weight_one, 2u);  // the gaps below and above the sampled range
    std::vector<uint64_t> resid(1000);
    for (uint64_t& r : resid) r = uint64_t(int64_t(rng() % 201) - 100);
    resid[3] = uint64_t(lo);
    resid[500] = uint64_t(hi);
    resid[501] = uint64_t(int64_t(-5000));
    resid[999] = uint64_t(int64_t(123456789));
    std::vector<uint16_t> bins(resid.size());
    double bits = 0;
    ASSERT_TRUE(model.code_bits(resid.data(), resid.size(), bins.data(), bits));
    for (size_t i : {size_t(3), size_t(500), size_t(501), size_t(999)}) EXPECT_EQ(model.bins[bins[i]].weight, 1u) << i;
    alp::Writer section;
    alp::write_models({model}, section);
    alp::Reader mr(section.bytes.data(), section.size());
    const std::vector<alp::Model> decoding = alp::read_models(mr);
    for (const unsigned coder : {2u, 3u}) {
        alp::Writer out;
        alp::ans_encode(resid.data(), bins.data(), resid.size(), model, out, coder == 2);
        std::vector<uint64_t> back(resid.size());
        out.bytes.resize(out.size() + 32);  // the decoder may read whole words past the field
        alp::Reader r(out.bytes.data(), out.size() - 32, out.bytes.data() + out.size());
        alp::ans_decode(r, back.size(), decoding[0], back.data(), 0, coder);
        EXPECT_EQ(r.left(), 0u) << coder;
        EXPECT_EQ(back, resid) << coder;
    }
}

// Residuals spread over 2^spread values for every width class of the offsets that the decoders read
// differently (up to 14 bits, four a load; up to 28, two; up to 57, one; wider): a model built from a
// sample of them, the residuals' bins and the model as a decoder reads it.
struct EntropyCase {
    unsigned spread;
    std::vector<uint64_t> resid;
    alp::Model model, decoding;
    std::vector<uint16_t> bins;
};
std::vector<EntropyCase> entropy_cases() {
    std::mt19937_64 rng(5);
    std::vector<EntropyCase> out;
    for (const unsigned spread : {6u, 20u, 40u, 62u}) {
        EntropyCase c;
        c.spread = spread;
        std::vector<int64_t> sample(3000);
        auto draw = [&] { return int64_t(rng() >> (64 - spread)) - (int64_t(1) << (spread - 1)); };
        for (int64_t& v : sample) v = draw();
        c.resid.resize(1000);
        for (uint64_t& r : c.resid) r = uint64_t(draw());
        std::vector<int64_t> all = sample;
        for (uint64_t r : c.resid) all.push_back(int64_t(r));
        const auto [mn, mx] = std::minmax_element(all.begin(), all.end());
        c.model = alp::build_model(sample, sample.size(), *mn, *mx);
        c.bins.resize(c.resid.size());
        double bits = 0;
        EXPECT_TRUE(c.model.code_bits(c.resid.data(), c.resid.size(), c.bins.data(), bits)) << spread;
        alp::Writer section;
        alp::write_models({c.model}, section);
        alp::Reader mr(section.bytes.data(), section.size());
        c.decoding = alp::read_models(mr)[0];
        out.push_back(std::move(c));
    }
    unsigned classes = 0;
    for (const EntropyCase& c : out) {
        const unsigned w = c.model.max_width;
        classes |= 1u << (w <= 14 ? 0 : w <= 28 ? 1 : w <= 57 ? 2 : 3);
    }
    EXPECT_EQ(classes, 15u);
    return out;
}

// A run decoded with `room` bytes of the buffer past it (0: the run ends the buffer, where the decoder reads
// a padded copy); the reader must end exactly at the run's end.
std::vector<uint64_t> decode_run(std::vector<uint8_t> run, const alp::Model& model, size_t rc, unsigned coder,
                                 size_t room) {
    const size_t n = run.size();
    run.resize(n + room);
    alp::Reader r(run.data(), n, run.data() + run.size());
    std::vector<uint64_t> back(rc);
    alp::ans_decode(r, rc, model, back.data(), 0, coder);
    EXPECT_EQ(r.left(), 0u);
    return back;
}

// A table ANS run (coder 3) decodes to its residuals in every width class, in place and at the very end of
// the buffer, with every delta order; a run whose byte count, states, state bits or their padding are off
// is refused.
TEST(AlpEntropy, TableAnsRunsComeBackAndBadOnesAreRefused) {
    for (const EntropyCase& c : entropy_cases()) {
        alp::Writer out;
        alp::ans_encode(c.resid.data(), c.bins.data(), c.resid.size(), c.model, out);
        for (const size_t room : {size_t(0), size_t(8192)})
            EXPECT_EQ(decode_run(out.bytes, c.decoding, c.resid.size(), 3, room), c.resid)
                << "spread " << c.spread << " room " << room;
        // Delta orders: the values rebuilt by running sums from the starts before dst (order 1: the first
        // value; order 2: the first value and the first difference).
        for (const unsigned order : {1u, 2u}) {
            std::vector<uint64_t> back(c.resid.size() + 2, 0), want(c.resid.size());
            back[0] = 7, back[1] = 3;
            uint64_t prev = order == 1 ? 3 : 10, d = 3;
            for (size_t i = 0; i < c.resid.size(); ++i) {
                if (order == 1) prev += c.resid[i];
                else d += c.resid[i], prev += d;
                want[i] = prev;
            }
            std::vector<uint8_t> run = out.bytes;
            run.resize(run.size() + 64);
            alp::Reader r(run.data(), out.size(), run.data() + run.size());
            alp::ans_decode(r, c.resid.size(), c.decoding, back.data() + 2, order, 3);
            EXPECT_EQ(std::vector<uint64_t>(back.begin() + 2, back.end()), want) << "order " << order;
        }
        alp::Reader head(out.bytes.data(), out.size());
        const uint64_t tbytes = head.varint("count");
        const size_t count_bytes = out.size() - head.left();
        const std::vector<uint8_t> body(out.bytes.begin() + ptrdiff_t(count_bytes), out.bytes.end());
        for (const uint64_t wrong : {tbytes + 1, tbytes ? tbytes - 1 : tbytes + 2}) {
            alp::Writer bad;
            bad.varint(wrong);
            bad.append(body.data(), body.size());
            EXPECT_THROW(decode_run(bad.bytes, c.decoding, c.resid.size(), 3, 64), CorruptStream) << c.spread;
        }
        std::vector<uint8_t> bad_state = out.bytes;
        bad_state[count_bytes + 1] = 0xFF;  // state 0 at or above 2^L (L <= 14)
        EXPECT_THROW(decode_run(bad_state, c.decoding, c.resid.size(), 3, 64), CorruptStream) << c.spread;
        // Every single-bit flip in the state bits is refused or decodes to other residuals, never a crash.
        size_t refused = 0;
        for (size_t k = 0; k < 8 * tbytes; k += 7) {
            std::vector<uint8_t> flipped = out.bytes;
            flipped[count_bytes + 8 + k / 8] ^= uint8_t(1u << (k % 8));
            try {
                EXPECT_NE(decode_run(flipped, c.decoding, c.resid.size(), 3, 0), c.resid);
            } catch (const CorruptStream&) {
                ++refused;
            }
        }
        EXPECT_GT(refused, 0u) << c.spread;
    }
}

// A rANS run as coder 2 wrote it (the words' count first) and as coder 1 runs were written (the same bytes
// without the count) decode to the same residuals, for offsets of every width class, in place and from a
// run at the very end of the buffer; a count that is off is refused.
TEST(AlpEntropy, CountedAndUncountedRunsDecodeAlike) {
    for (const EntropyCase& c : entropy_cases()) {
        alp::Writer out;
        alp::ans_encode(c.resid.data(), c.bins.data(), c.resid.size(), c.model, out, /*rans=*/true);
        alp::Reader count_reader(out.bytes.data(), out.size());
        const uint64_t nw = count_reader.varint("count");
        const size_t count_bytes = out.size() - count_reader.left();
        const std::vector<uint8_t> counted = out.bytes;
        const std::vector<uint8_t> uncounted(out.bytes.begin() + ptrdiff_t(count_bytes), out.bytes.end());
        for (const size_t room : {size_t(0), size_t(8192)}) {
            EXPECT_EQ(decode_run(counted, c.decoding, c.resid.size(), 2, room), c.resid)
                << "spread " << c.spread << " room " << room;
            EXPECT_EQ(decode_run(uncounted, c.decoding, c.resid.size(), 1, room), c.resid)
                << "spread " << c.spread << " room " << room;
        }
        for (const uint64_t wrong : {nw + 1, nw ? nw - 1 : nw + 2}) {
            alp::Writer bad;
            bad.varint(wrong);
            bad.append(uncounted.data(), uncounted.size());
            EXPECT_THROW(decode_run(bad.bytes, c.decoding, c.resid.size(), 2, 64), CorruptStream) << c.spread;
        }
    }
}

// Payloads written by earlier encoders, kept in the fuzz corpus beside the same values written now (table
// ANS, coder 3): `*_coder1` from before entropy-coded streams gave their words' count, `*_coder2` from
// before table ANS. All decode to the same values, and the older ones differ from the newer ones' bytes.
TEST(AlpEntropy, OlderCoderPayloadsStillDecode) {
    const std::string dir = std::string(TSQUASH_FIXTURE_DIR) + "/../fuzz/corpus/alp/";
    auto slurp = [](const std::string& path) {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        std::vector<uint8_t> bytes;
        if (!f) return bytes;
        for (int c; (c = std::fgetc(f)) != EOF;) bytes.push_back(uint8_t(c));
        std::fclose(f);
        return bytes;
    };
    // The seed layout of fuzz_alp: dtype byte (0 float64, 1 float32, 2 int64), profile byte, u16 count,
    // then the payload. The values come back as their bit patterns.
    auto values = [](const std::vector<uint8_t>& seed) {
        const unsigned dtype = seed.at(0) & 3;
        const size_t n = size_t(seed.at(2)) | size_t(seed.at(3)) << 8;
        const std::vector<uint8_t> payload(seed.begin() + 4, seed.end());
        std::vector<uint64_t> out;
        if (dtype == 0) {
            for (double x : dec<double>(payload, n)) out.push_back(std::bit_cast<uint64_t>(x));
        } else if (dtype == 1) {
            for (float x : dec<float>(payload, n)) out.push_back(std::bit_cast<uint32_t>(x));
        } else {
            for (int64_t x : dec<int64_t>(payload, n)) out.push_back(uint64_t(x));
        }
        return out;
    };
    size_t pairs = 0;
    for (const char* name : {"f64_blocks_auto", "f64_frames_auto", "f64_significant_digits_auto",
                             "f32_significant_digits_auto", "i64_timestamps_auto"})
        for (const char* older : {"_coder1", "_coder2"}) {
            const std::vector<uint8_t> old_seed = slurp(dir + name + older), new_seed = slurp(dir + name);
            ASSERT_FALSE(old_seed.empty()) << name << older;
            ASSERT_FALSE(new_seed.empty()) << name;
            EXPECT_NE(old_seed, new_seed) << name << older;
            EXPECT_EQ(values(old_seed), values(new_seed)) << name << older;
            ++pairs;
        }
    EXPECT_EQ(pairs, 10u);
}

}  // namespace
