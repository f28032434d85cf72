// The series reference of `auto` (docs/format.md, "Reference section"): series that repeat a shape with a
// fixed period are coded as differences from one reference period. Found where it pays, round trips in
// every dtype and domain, random access across periods and blocks, the same bytes for any thread count,
// and malformed reference sections rejected.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "../../cpp/src/codecs/alp/common.hpp"
#include "../../cpp/src/codecs/alp/encoder.hpp"  // encode_without_reference
#include "../../cpp/src/codecs/alp/reference.hpp"
#include "test_util.hpp"
#include "tsquash/codecs/alp.hpp"

namespace {

using namespace tsq_test;
namespace alp = tsquash::codecs::alp;
using alp::Profile;

// `frames` frames of a field of `cells` full-precision values (incompressible within a frame) that drifts by
// a few units in the last place of float32 from frame to frame: float32 numbers, widened when T is double.
template <class T>
std::vector<T> drifting_frames(size_t cells, size_t frames, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0.5f, 2.0f);
    std::vector<float> field(cells);
    for (float& f : field) f = u(rng);
    std::vector<T> v;
    for (size_t f = 0; f < frames; ++f)
        for (size_t c = 0; c < cells; ++c) {
            field[c] = std::nextafter(field[c], (rng() & 1) ? 3.0f : 0.25f);
            v.push_back(T(field[c]));
        }
    return v;
}

// The same shape in full double precision (no float32 domain), and as integers.
std::vector<double> drifting_doubles(size_t cells, size_t frames, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<double> field(cells);
    for (double& x : field) x = 1.0 + double(rng() >> 11) * 0x1p-53;
    std::vector<double> v;
    for (size_t f = 0; f < frames; ++f)
        for (size_t c = 0; c < cells; ++c) {
            field[c] = std::bit_cast<double>(std::bit_cast<uint64_t>(field[c]) + (rng() % 64) - 32);
            v.push_back(field[c]);
        }
    return v;
}

std::vector<int64_t> drifting_ints(size_t cells, size_t frames, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<int64_t> field(cells);
    for (int64_t& x : field) x = int64_t(rng() >> 24);
    std::vector<int64_t> v;
    for (size_t f = 0; f < frames; ++f)
        for (size_t c = 0; c < cells; ++c) {
            field[c] += int64_t(rng() % 9) - 4;
            v.push_back(field[c]);
        }
    return v;
}

template <class T>
std::vector<uint8_t> enc(const std::vector<T>& v, unsigned threads = 1) {
    return alp::encode<T>(v.data(), v.size(), Profile::automatic, threads);
}

template <class T>
std::vector<T> dec(const std::vector<uint8_t>& b, size_t n) {
    return alp_decode<T>(b, n);
}

bool has_reference(const std::vector<uint8_t>& b) { return !b.empty() && (b[0] & alp::kSectionReference); }

// Period and domain as written in the section (it comes first after the sections byte).
std::pair<uint64_t, uint8_t> section_of(const std::vector<uint8_t>& b) {
    alp::Reader r(b.data() + 1, b.size() - 1);
    const uint64_t period = r.varint("period");
    return {period, r.u8("domain")};
}

template <class T>
double bits_per_value(const std::vector<uint8_t>& b, size_t n) {
    return double(b.size()) * 8 / double(n);
}

TEST(AlpReference, FoundAndWorthItOnDriftingFrames) {
    // 2,000 cells (not a multiple of a block) over 40 frames. Within a frame the values are random, so
    // independent blocks cannot do better than about 23 bits a value; from the reference the drift costs a
    // few bits, and the reference itself 2,000 float32 values.
    const auto v = drifting_frames<double>(2000, 40, 1);
    const auto b = enc(v);
    ASSERT_TRUE(has_reference(b));
    EXPECT_EQ(section_of(b).first, 2000u);
    EXPECT_EQ(section_of(b).second, uint8_t(alp::RefDomain::float32));
    EXPECT_LT(bits_per_value<double>(b, v.size()), 10.0);
    EXPECT_TRUE(SameBits(v.data(), v.size(), dec<double>(b, v.size()).data(), v.size()));

    const auto f = drifting_frames<float>(2000, 40, 2);
    const auto bf = enc(f);
    ASSERT_TRUE(has_reference(bf));
    EXPECT_EQ(section_of(bf), (std::pair<uint64_t, uint8_t>{2000u, uint8_t(alp::RefDomain::bits)}));
    EXPECT_LT(bits_per_value<float>(bf, f.size()), 10.0);
    EXPECT_TRUE(SameBits(f.data(), f.size(), dec<float>(bf, f.size()).data(), f.size()));
}

TEST(AlpReference, FullPrecisionDoublesAndIntegers) {
    const auto v = drifting_doubles(1500, 30, 3);
    const auto b = enc(v);
    ASSERT_TRUE(has_reference(b));
    EXPECT_EQ(section_of(b), (std::pair<uint64_t, uint8_t>{1500u, uint8_t(alp::RefDomain::bits)}));
    EXPECT_LT(bits_per_value<double>(b, v.size()), 14.0);  // 6-bit drift plus the reference; 52 bits without
    EXPECT_TRUE(SameBits(v.data(), v.size(), dec<double>(b, v.size()).data(), v.size()));

    const auto w = drifting_ints(3000, 20, 4);
    const auto bi = enc(w);
    ASSERT_TRUE(has_reference(bi));
    EXPECT_EQ(section_of(bi).first, 3000u);
    EXPECT_EQ(dec<int64_t>(bi, w.size()), w);
}

// Frames of a 40 x 50 field of random cells moving one column to the right every frame, each cell also
// drifting by an ulp: a cell comes back a frame and a column later, so a period of 2,001 follows the cells
// (all but the one entering each row), where 2,000 would compare different cells.
TEST(AlpReference, FoundWhenTheShapeMovesBetweenPeriods) {
    constexpr size_t kRows = 40, kCols = 50, kFrames = 30;
    std::mt19937_64 rng(14);
    std::uniform_real_distribution<float> u(0.5f, 2.0f);
    std::vector<float> field(kRows * (kCols + kFrames));
    for (float& f : field) f = u(rng);
    std::vector<double> v;
    for (size_t f = 0; f < kFrames; ++f)
        for (size_t r = 0; r < kRows; ++r)
            for (size_t c = 0; c < kCols; ++c) {
                float& x = field[r * (kCols + kFrames) + (c + kFrames - f)];
                x = std::nextafter(x, (rng() & 1) ? 3.0f : 0.25f);
                v.push_back(double(x));
            }
    for (size_t shift : {0, 777, 1999}) {  // wherever the series starts
        std::vector<double> w(v.begin() + long(shift), v.end());
        const auto b = enc(w);
        ASSERT_TRUE(has_reference(b)) << shift;
        EXPECT_EQ(section_of(b).first, kRows * kCols + 1) << shift;
        EXPECT_LT(bits_per_value<double>(b, w.size()), 10.0) << shift;  // random cells: 23 bits a value plain
        EXPECT_TRUE(SameBits(w.data(), w.size(), dec<double>(b, w.size()).data(), w.size()));
    }
}

TEST(AlpReference, NotUsedWhereItDoesNotPay) {
    // Random values without a period, a smooth signal whose deltas are cheap, and frames too few to repeat.
    std::mt19937_64 rng(5);
    std::vector<double> noise(40000);
    for (double& x : noise) x = double(rng() >> 11) * 0x1p-53;
    EXPECT_FALSE(has_reference(enc(noise)));
    std::vector<double> smooth(40000);
    for (size_t i = 0; i < smooth.size(); ++i) smooth[i] = std::round(1000 * std::sin(double(i) / 500)) / 100;
    EXPECT_FALSE(has_reference(enc(smooth)));
    const auto few = drifting_frames<double>(6000, 3, 6);
    EXPECT_FALSE(has_reference(enc(few)));
}

// The reference is looked at early, once the first blocks are encoded, and may then be kept without a plain
// encode to compare it with (encode_payload). Whichever way it is decided, the result is never much larger
// than `auto` without the reference: on frames throughout, frames that stop halfway (for a flat tail, a
// tail of seven levels, or noise), and frames that start halfway.
TEST(AlpReference, NeverMuchLargerThanWithoutIt) {
    const auto frames = drifting_frames<double>(2000, 40, 9);
    const size_t half = frames.size() / 2;
    std::mt19937_64 rng(10);
    std::vector<std::vector<double>> cases(5, frames);
    for (size_t i = half; i < frames.size(); ++i) {
        cases[1][i] = 1.5;
        cases[2][i] = 1.0 + double(i % 7) * 0.25;
        cases[3][i] = double(rng() >> 11) * 0x1p-53;
        cases[4][i - half] = 1.0 + double(i % 7) * 0.25;
    }
    for (size_t c = 0; c < cases.size(); ++c) {
        const std::vector<double>& v = cases[c];
        const auto b = enc(v);
        const auto plain = alp::encode_without_reference<double>(v.data(), v.size(), Profile::automatic, 1);
        EXPECT_LE(double(b.size()), 1.015 * double(plain.size())) << "case " << c;
        EXPECT_TRUE(SameBits(v.data(), v.size(), dec<double>(b, v.size()).data(), v.size())) << "case " << c;
    }
    EXPECT_TRUE(has_reference(enc(cases[0])));
}

// A pattern repeated exactly (a schedule, a test signal, a lookup table played over and over) takes its period
// as the reference whatever it costs without one: the blocks then hold zeros, where without the reference
// each block codes a repeat of the pattern (dictionary codes at a lag) and zstd-19 beats them several times
// over. Found at the pattern's period when the pattern holds runs (a square wave), for periods longer than a
// block, from two periods on; a few values off the pattern stay exact.
template <class T>
void exact_patterns_take_their_period() {
    std::mt19937_64 rng(41);
    std::normal_distribution<double> g(0, 10);
    auto value = [&] { return std::is_integral_v<T> ? T(g(rng) * 1e6) : T(std::round(g(rng) * 1000) / 1000); };
    struct Case {
        size_t period, n;
        double most_bits;
    };
    for (const Case c : {Case{7, 20000, 0.1}, Case{88, 20000, 0.2}, Case{1440, 5000, 10.0}, Case{40, 30000, 0.1}}) {
        std::vector<T> shape(c.period);
        for (size_t k = 0; k < c.period; ++k) shape[k] = c.period == 40 ? T(k < 20 ? 3 : -2) : value();
        std::vector<T> v(c.n);
        for (size_t i = 0; i < c.n; ++i) v[i] = shape[i % c.period];
        const auto b = enc(v);
        ASSERT_TRUE(has_reference(b)) << c.period;
        EXPECT_EQ(section_of(b).first, c.period);
        EXPECT_LT(bits_per_value<T>(b, v.size()), c.most_bits) << c.period;
        EXPECT_TRUE(SameBits(v.data(), v.size(), dec<T>(b, v.size()).data(), v.size())) << c.period;
        const auto plain = alp::encode_without_reference<T>(v.data(), v.size(), Profile::automatic, 1);
        EXPECT_LT(b.size(), plain.size()) << c.period;
        for (size_t i : {size_t(100), c.n / 2, c.n - 3}) v[i] = value();
        const auto changed = enc(v);
        EXPECT_TRUE(has_reference(changed)) << c.period;
        EXPECT_TRUE(SameBits(v.data(), v.size(), dec<T>(changed, v.size()).data(), v.size())) << c.period;
    }
}

TEST(AlpReference, ExactPatternsTakeTheirPeriod) {
    exact_patterns_take_their_period<double>();
    exact_patterns_take_their_period<float>();
    exact_patterns_take_their_period<int64_t>();
}

TEST(AlpReference, RandomAccessAcrossPeriodsAndBlocks) {
    const auto v = drifting_frames<double>(2000, 40, 7);
    const auto b = enc(v);
    ASSERT_TRUE(has_reference(b));
    alp::Decoder<double> d(b.data(), b.size(), v.size());
    std::mt19937_64 rng(8);
    for (int trial = 0; trial < 100; ++trial) {
        const size_t first = rng() % v.size();
        const size_t n = rng() % std::min<size_t>(5000, v.size() - first + 1);
        std::vector<double> got(n);
        d.read_range(first, n, got.data());
        ASSERT_TRUE(SameBits(v.data() + first, n, got.data(), n)) << first << "+" << n;
    }
    std::vector<double> all(v.size());
    d.read_range(0, v.size(), all.data(), 3);
    EXPECT_TRUE(SameBits(v.data(), v.size(), all.data(), all.size()));
}

TEST(AlpReference, BytesDoNotDependOnTheThreadCount) {
    const auto v = drifting_frames<double>(2500, 60, 9);
    const auto one = enc(v, 1);
    ASSERT_TRUE(has_reference(one));
    for (unsigned t : {2u, 3u}) EXPECT_EQ(enc(v, t), one) << t;
}

TEST(AlpReference, UnalignedInputGivesTheSameBytes) {
    const auto v = drifting_frames<double>(2000, 40, 10);
    std::vector<uint8_t> raw(v.size() * 8 + 1);
    std::memcpy(raw.data() + 1, v.data(), v.size() * 8);
    EXPECT_EQ(alp::encode<double>(raw.data() + 1, v.size(), Profile::automatic), enc(v));
}

TEST(AlpReference, MalformedSectionsAreRejected) {
    const auto v = drifting_frames<double>(2000, 40, 11);
    const auto b = enc(v);
    ASSERT_TRUE(has_reference(b));
    // The section's fields: period varint (2000: two bytes), domain, u32 length, then the nested payload.
    auto mutate = [&](size_t at, uint8_t value) {
        auto t = b;
        t[at] = value;
        return t;
    };
    auto expect_corrupt = [&](const std::vector<uint8_t>& p, const char* what) {
        EXPECT_THROW(dec<double>(p, v.size()), CorruptStream) << what;
    };
    expect_corrupt(mutate(1, 0x80), "period varint runs into the domain");
    {
        auto t = b;  // period 0
        t[1] = 0x80;
        t[2] = 0x00;
        expect_corrupt(t, "period 0");
    }
    {
        auto t = b;  // a period longer than the series
        t[1] = 0xFF;
        t[2] = 0xFF;
        expect_corrupt(t, "period past the count");
    }
    expect_corrupt(mutate(3, 2), "unknown domain");
    expect_corrupt(mutate(4, 0xFF), "length past the payload");
    expect_corrupt(mutate(8, uint8_t(b[8] | alp::kSectionReference)), "a reference inside the reference");
    // float32 patterns are for float64 series only.
    const auto f = drifting_frames<float>(2000, 40, 12);
    auto bf = enc(f);
    ASSERT_TRUE(has_reference(bf));
    bf[3] = uint8_t(alp::RefDomain::float32);
    EXPECT_THROW(dec<float>(bf, f.size()), CorruptStream);
    // Truncations anywhere, and random flips: CorruptStream or values, never anything else.
    for (size_t len = 0; len < b.size(); len += 1 + len / 8) {
        const std::vector<uint8_t> t(b.begin(), b.begin() + long(len));
        EXPECT_THROW(dec<double>(t, v.size()), CorruptStream) << len;
    }
    std::mt19937_64 rng(13);
    for (int trial = 0; trial < 200; ++trial) {
        auto t = b;
        t[rng() % std::min<size_t>(t.size(), 64)] ^= uint8_t(1u << (rng() % 8));
        try {
            (void)dec<double>(t, v.size());
        } catch (const CorruptStream&) {
        }
    }
}

}  // namespace
