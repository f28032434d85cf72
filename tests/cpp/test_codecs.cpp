// Every float codec over float and double (typed tests): bit-exact round trips of edge-case and random data,
// payload truncation, and garbage payloads fed straight to the decoders. Then the int64 delta-of-delta mode.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../cpp/src/codecs/alp/kernels.hpp"
#include "test_util.hpp"

namespace {

using namespace tsq_test;

template <class C>
class CodecTest : public ::testing::Test {
protected:
    using T = typename C::value_type;
    using U = bits_t<T>;
    using F = Ieee<T>;

    // Encode, decode the same count, require the payload to end there, compare bit patterns. Also checks
    // that the container wraps exactly this payload, so the direct and stream paths stay the same codec.
    void round_trip(const std::vector<T>& v) {
        const auto payload = encode_payload<C>(v);
        std::vector<T> back;
        try {
            back = decode_payload<C>(payload, v.size());
        } catch (const std::exception& e) {
            FAIL() << C::name() << ": decoding its own payload of " << v.size() << " values threw: " << e.what();
        }
        ASSERT_TRUE(SameBits(v, back)) << C::name();

        const auto stream = container::encode(C::id(), dtype_of<T>(), C::params(), v.data(), v.size());
        const auto h = container::read_header(stream.data(), stream.size());
        ASSERT_EQ(h.count, v.size());
        ASSERT_EQ(h.payload_size, payload.size());
        ASSERT_TRUE(std::equal(payload.begin(), payload.end(), stream.begin() + h.header_size))
            << C::name() << ": stream payload differs from the codec's own encoding";
        std::vector<T> out(v.size());
        container::decode(stream.data(), stream.size(), out.data());
        ASSERT_TRUE(SameBits(v, out)) << C::name() << " (through the stream)";
    }

    void round_trip_patterns(const std::vector<U>& u) { round_trip(from_patterns<T>(u)); }

    // Interesting single values as bit patterns.
    static std::vector<U> specials() {
        return {
            U(0),                                   // +0
            F::kSign,                               // -0
            F::kExpMask,                            // +inf
            F::kSign | F::kExpMask,                 // -inf
            F::kExpMask | F::kQuietBit,             // canonical quiet NaN
            F::kSign | F::kExpMask | F::kQuietBit,  // negative quiet NaN
            F::kExpMask | 1,                        // signalling NaN, smallest payload
            F::kExpMask | (F::kQuietBit >> 1),      // signalling NaN, top payload bit
            F::kSign | F::kExpMask | 0x5,           // negative signalling NaN
            F::kExpMask | F::kMantMask,             // quiet NaN, all payload bits
            F::kAllOnes,                            // negative quiet NaN, every bit set
            U(1),                                   // smallest subnormal
            F::kMantMask,                           // largest subnormal
            F::kSign | 1,                           // negative smallest subnormal
            U(F::kMantMask + 1),                    // smallest normal
            bits_of(std::numeric_limits<T>::max()),
            bits_of(std::numeric_limits<T>::lowest()),
            bits_of(std::numeric_limits<T>::epsilon()),
            bits_of(T(1)),
            bits_of(T(-1)),
            bits_of(T(0.1)),
            bits_of(T(1e-30)),
            U(F::kSign - 1),  // the largest positive pattern (a NaN)
        };
    }
};

using CodecTypes = ::testing::Types<
    RawCodec<double>, GorillaCodec<double>, ChimpCodec<double>, Chimp128Codec<double>, TSXorCodec<double, 1>,
    TSXorCodec<double, 2>, TSXorCodec<double, 16>, TSXorCodec<double, 127>, FpcCodec<double, 1>,
    FpcCodec<double, 4>, FpcCodec<double, 10>, FpcCodec<double, 16>, RawCodec<float>, GorillaCodec<float>,
    ChimpCodec<float>, Chimp128Codec<float>, TSXorCodec<float, 1>, TSXorCodec<float, 2>, TSXorCodec<float, 16>,
    TSXorCodec<float, 127>, FpcCodec<float, 1>, FpcCodec<float, 4>, FpcCodec<float, 10>, FpcCodec<float, 16>>;

struct CodecName {
    template <class C>
    static std::string GetName(int) {
        return C::name() + (std::is_same_v<typename C::value_type, double> ? "_f64" : "_f32");
    }
};

TYPED_TEST_SUITE(CodecTest, CodecTypes, CodecName);

TYPED_TEST(CodecTest, Empty) {
    using C = TypeParam;
    auto enc = C::encoder();
    const auto payload = enc.finish();
    auto dec = C::decoder(payload.data(), payload.size());
    EXPECT_NO_THROW(dec.expect_end());
    this->round_trip({});
}

TYPED_TEST(CodecTest, OneValue) {
    for (auto u : this->specials()) this->round_trip_patterns({u});
}

TYPED_TEST(CodecTest, Constant) {
    using T = typename TypeParam::value_type;
    for (auto u : this->specials()) this->round_trip(std::vector<T>(1000, from_bits<T>(u)));
}

TYPED_TEST(CodecTest, SpecialValuesEveryOrder) {
    // Every ordered pair of special values next to each other, so each XOR between them is coded once.
    const auto s = this->specials();
    std::vector<bits_t<typename TypeParam::value_type>> u;
    for (auto a : s)
        for (auto b : s) {
            u.push_back(a);
            u.push_back(b);
        }
    this->round_trip_patterns(u);
}

TYPED_TEST(CodecTest, SignedZerosAlternate) {
    using F = typename TestFixture::F;
    std::vector<bits_t<typename TypeParam::value_type>> u;
    for (int i = 0; i < 500; ++i) u.push_back(i % 2 ? F::kSign : 0);
    this->round_trip_patterns(u);
    u.clear();
    for (int i = 0; i < 500; ++i) u.push_back((i / 3) % 2 ? F::kSign : 0);  // runs of three
    this->round_trip_patterns(u);
}

TYPED_TEST(CodecTest, NaNPayloads) {
    using F = typename TestFixture::F;
    using U = typename TestFixture::U;
    std::mt19937_64 rng(11);
    std::vector<U> u;
    for (int i = 0; i < 2000; ++i) {
        U payload = U(rng()) & F::kMantMask;
        if (payload == 0) payload = 1;  // a zero payload would be infinity
        const U sign = (rng() & 1) ? F::kSign : 0;
        u.push_back(sign | F::kExpMask | payload);  // quiet or signalling, whichever the payload says
        if (i % 7 == 0) {  // the same payload with the quiet bit cleared: a signalling NaN
            const U sp = U(payload & ~F::kQuietBit);
            u.push_back(U(sign | F::kExpMask | (sp ? sp : U(1))));
        }
        if (i % 5 == 0) u.push_back(bits_of(typename TypeParam::value_type(i) * 0.5f));  // interleaved numbers
    }
    this->round_trip_patterns(u);
}

TYPED_TEST(CodecTest, Infinities) {
    using F = typename TestFixture::F;
    using T = typename TypeParam::value_type;
    std::vector<T> v;
    for (int i = 0; i < 300; ++i) {
        switch (i % 5) {
            case 0: v.push_back(from_bits<T>(F::kExpMask)); break;
            case 1: v.push_back(from_bits<T>(F::kSign | F::kExpMask)); break;
            case 2: v.push_back(std::numeric_limits<T>::max()); break;
            case 3: v.push_back(from_bits<T>(F::kExpMask)); break;
            default: v.push_back(T(i)); break;
        }
    }
    this->round_trip(v);
}

TYPED_TEST(CodecTest, Subnormals) {
    using F = typename TestFixture::F;
    using U = typename TestFixture::U;
    std::mt19937_64 rng(12);
    std::vector<U> u;
    for (int i = 0; i < 2000; ++i) {
        const U m = U(rng()) & F::kMantMask;
        u.push_back(((rng() & 3) == 0 ? F::kSign : 0) | m);  // subnormal (or zero)
        if (i % 9 == 0) u.push_back(U(i));                   // tiny subnormals: XORs with many leading zeros
    }
    this->round_trip_patterns(u);
}

TYPED_TEST(CodecTest, MinMaxFinite) {
    using T = typename TypeParam::value_type;
    using L = std::numeric_limits<T>;
    std::vector<T> v;
    for (int i = 0; i < 400; ++i) {
        const T pick[] = {L::max(), L::lowest(), L::min(), -L::min(), L::denorm_min(), L::epsilon()};
        v.push_back(pick[i % 6]);
        if (i % 4 == 0) v.push_back(std::nextafter(L::max(), T(0)));
    }
    this->round_trip(v);
}

TYPED_TEST(CodecTest, RandomBitPatterns) {
    using T = typename TypeParam::value_type;
    for (uint64_t seed = 0; seed < 4; ++seed) this->round_trip(random_bit_patterns<T>(3000, seed));
}

TYPED_TEST(CodecTest, RandomWalks) {
    using T = typename TypeParam::value_type;
    this->round_trip(random_walk<T>(5000, 21));
    this->round_trip(random_walk<T>(5000, 22, 0.5, -3.0));
    this->round_trip(random_walk<T>(5000, 23, 1e-6, 1e6));
    this->round_trip(gaussian_walk<T>(5000, 24));
}

// XORs with bit 0 and the top bit set have no leading and no trailing zeros: a full-width meaningful
// window. Gorilla must write the length 64 (32) as 0 in its 6-bit (5-bit) field.
TYPED_TEST(CodecTest, FullWidthXor) {
    using F = typename TestFixture::F;
    using U = typename TestFixture::U;
    std::mt19937_64 rng(31);
    std::vector<U> u;
    // Straight from zero to a pattern with both end bits set, and back.
    u = {0, U(F::kSign | 1), 0, U(F::kSign | 1), F::kAllOnes, 0, F::kAllOnes};
    this->round_trip_patterns(u);
    // Each step XORs the previous value with (top | random middle | 1).
    U x = U(rng());
    u.clear();
    for (int i = 0; i < 2000; ++i) {
        u.push_back(x);
        const U d = U(U(rng()) | F::kSign | 1);
        x ^= d;
    }
    this->round_trip_patterns(u);
    // Mixed with narrow windows first, so a '10'-style window reuse is tried before a full one.
    u.clear();
    x = 0x1234;
    for (int i = 0; i < 2000; ++i) {
        u.push_back(x);
        x ^= (i % 3 == 0) ? U(U(rng()) | F::kSign | 1) : U(U(rng() & 0xFF) << 8 | 0x100);
    }
    this->round_trip_patterns(u);
}

TYPED_TEST(CodecTest, SingleBitFlipsAtEveryPosition) {
    using F = typename TestFixture::F;
    using U = typename TestFixture::U;
    for (U base : {U(0), bits_of(typename TypeParam::value_type(3.25)), F::kAllOnes}) {
        std::vector<U> u;
        for (unsigned k = 0; k < F::kWidth; ++k) {
            u.push_back(base);
            u.push_back(U(base ^ (U(1) << k)));
        }
        for (unsigned k = 0; k < F::kWidth; ++k) u.push_back(U(base ^ (U(1) << k)));  // flip to flip
        for (unsigned k = 0; k + 1 < F::kWidth; ++k) u.push_back(U(base ^ (U(3) << k)));
        this->round_trip_patterns(u);
    }
}

TYPED_TEST(CodecTest, SmallIntegerPatterns) {
    using U = typename TestFixture::U;
    std::vector<U> u;
    for (U i = 0; i < 3000; ++i) u.push_back(U(i * i % 4099));
    this->round_trip_patterns(u);
}

TYPED_TEST(CodecTest, LongRunsThenChanges) {
    using T = typename TypeParam::value_type;
    std::mt19937_64 rng(41);
    std::vector<T> v;
    T x = T(1.5);
    for (int run : {1, 2, 3, 300, 1, 64, 127, 128, 129, 1000, 5, 256}) {
        for (int i = 0; i < run; ++i) v.push_back(x);
        x = (rng() & 1) ? T(x + T(0.25)) : random_bit_patterns<T>(1, rng())[0];
    }
    this->round_trip(v);
}

// Periodic data references values exactly p back: exercises TSXor's window positions and Chimp128's ring.
TYPED_TEST(CodecTest, PeriodicPatterns) {
    using T = typename TypeParam::value_type;
    for (size_t period : {2, 3, 16, 126, 127, 128, 129, 200}) {
        const auto base = random_bit_patterns<T>(period, period);
        std::vector<T> v;
        for (size_t i = 0; i < 4 * period + 5; ++i) {
            T x = base[i % period];
            if (i % 11 == 0) x = from_bits<T>(bits_t<T>(bits_of(x) ^ 0x10));  // near miss: XOR with few bits
            v.push_back(x);
        }
        this->round_trip(v);
    }
}

TYPED_TEST(CodecTest, DecimalSeries) {
    using T = typename TypeParam::value_type;
    std::vector<T> v;
    for (int i = 0; i < 3000; ++i) v.push_back(T(12.34 + 0.01 * (i % 97) - 0.5 * (i % 13)));
    this->round_trip(v);
}

// A decoder reads exactly what its encoder wrote, so every shorter payload runs out inside some value.
TYPED_TEST(CodecTest, EveryPayloadTruncationThrows) {
    using C = TypeParam;
    using T = typename C::value_type;
    std::vector<T> v = random_walk<T>(40, 51);
    for (auto u : this->specials()) v.push_back(from_bits<T>(u));
    const auto payload = encode_payload<C>(v);
    for (size_t len = 0; len < payload.size(); ++len) {
        const std::vector<uint8_t> cut(payload.begin(), payload.begin() + len);
        EXPECT_THROW(decode_payload<C>(cut, v.size()), CorruptStream) << C::name() << " prefix " << len;
    }
}

TYPED_TEST(CodecTest, TrailingBytesRejected) {
    using C = TypeParam;
    using T = typename C::value_type;
    for (size_t n : {0, 1, 2, 3, 17}) {
        const auto v = random_walk<T>(n, 61);
        for (uint8_t extra : {0x00, 0x80, 0xFF}) {
            auto payload = encode_payload<C>(v);
            payload.push_back(extra);
            EXPECT_THROW(decode_payload<C>(payload, v.size()), CorruptStream)
                << C::name() << " n=" << n << " extra=" << int(extra);
        }
    }
}

// Garbage payloads, pure and mutated from valid ones: each decoder either decodes or throws CorruptStream,
// never anything else (the ASan/UBSan build catches out-of-bounds reads and undefined shifts).
TYPED_TEST(CodecTest, GarbagePayloadsDecodeOrThrowCorruptStream) {
    using C = TypeParam;
    using T = typename C::value_type;
    std::mt19937_64 rng(71);
    const auto valid = encode_payload<C>(random_walk<T>(200, 72));
    size_t threw = 0, decoded = 0;
    for (int trial = 0; trial < 400; ++trial) {
        std::vector<uint8_t> bytes;
        if (trial % 2 == 0) {
            bytes.resize(rng() % 300);
            for (auto& b : bytes) b = uint8_t(rng());
            if (trial % 8 == 0)  // mostly-zero and mostly-one buffers reach the short records
                for (auto& b : bytes) b = (rng() % 4) ? uint8_t(trial % 16 == 0 ? 0x00 : 0xFF) : b;
        } else {
            bytes = valid;
            const int flips = 1 + int(rng() % 4);
            for (int f = 0; f < flips && !bytes.empty(); ++f) bytes[rng() % bytes.size()] ^= uint8_t(1u << (rng() % 8));
            if (rng() % 4 == 0) bytes.resize(rng() % (bytes.size() + 1));
        }
        const size_t count = rng() % 400;
        auto dec = C::decoder(bytes.data(), bytes.size());
        try {
            for (size_t i = 0; i < count; ++i) (void)dec.next();
            dec.expect_end();
            ++decoded;
        } catch (const CorruptStream&) {
            ++threw;
        } catch (const std::exception& e) {
            FAIL() << C::name() << ": garbage trial " << trial << " threw a non-CorruptStream exception: "
                   << e.what();
        }
    }
    EXPECT_GT(threw, 0u);  // garbage is detected at least sometimes
}

// ---- int64 delta-of-delta (gorilla on int64) -------------------------------------------------------------

std::vector<int64_t> dod_round_trip(const std::vector<int64_t>& v) {
    return decode_payload<DodCodec>(encode_payload<DodCodec>(v), v.size());
}

::testing::AssertionResult DodRoundTrips(const std::vector<int64_t>& v) {
    const auto back = dod_round_trip(v);
    auto r = SameBits(v, back);
    if (!r) return r;
    const auto stream = container::encode(container::CodecId::gorilla, container::Dtype::int64, {}, v.data(), v.size());
    std::vector<int64_t> out(v.size());
    container::decode(stream.data(), stream.size(), out.data());
    return SameBits(v, out);
}

// Rebuild a series whose successive delta-of-deltas are exactly dods (wrapping arithmetic).
std::vector<int64_t> series_from_dods(int64_t first, const std::vector<int64_t>& dods) {
    std::vector<int64_t> v = {first};
    uint64_t t = uint64_t(first), delta = 0;
    for (int64_t d : dods) {
        delta += uint64_t(d);
        t += delta;
        v.push_back(int64_t(t));
    }
    return v;
}

TEST(DeltaOfDelta, EmptyAndSingle) {
    EXPECT_TRUE(DodRoundTrips({}));
    for (int64_t x : {int64_t(0), int64_t(-1), std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()})
        EXPECT_TRUE(DodRoundTrips({x}));
}

TEST(DeltaOfDelta, RegularTimestampsCostOneBitEach) {
    std::vector<int64_t> v;
    const int64_t start = 1'700'000'000'000'000'000;  // nanoseconds, 2023
    for (int i = 0; i < 10000; ++i) v.push_back(start + int64_t(i) * 1'000'000'000);
    EXPECT_TRUE(DodRoundTrips(v));
    // First value whole, one delta record, then one '0' bit per value (the format's documented best case).
    EXPECT_LE(encode_payload<DodCodec>(v).size(), 8 + 5 + 9 + v.size() / 8 + 1);
}

TEST(DeltaOfDelta, Jitter) {
    std::mt19937_64 rng(81);
    for (int64_t jitter : {int64_t(1), int64_t(50), int64_t(1000), int64_t(100000), int64_t(1) << 40}) {
        std::vector<int64_t> v;
        int64_t t = 1'600'000'000'000;
        for (int i = 0; i < 3000; ++i) {
            t += 1000;
            v.push_back(t + int64_t(rng() % uint64_t(2 * jitter + 1)) - jitter);
        }
        EXPECT_TRUE(DodRoundTrips(v)) << "jitter " << jitter;
    }
}

// Size in bits of one delta-of-delta record, from the bucket table in gorilla_timestamps.hpp's comment.
unsigned dod_record_bits(int64_t d) {
    if (d == 0) return 1;
    if (d >= -63 && d <= 64) return 2 + 7;
    if (d >= -255 && d <= 256) return 3 + 9;
    if (d >= -2047 && d <= 2048) return 4 + 12;
    if (d >= -(int64_t{1} << 31) + 1 && d <= (int64_t{1} << 31)) return 5 + 32;
    return 5 + 64;
}

TEST(DeltaOfDelta, EveryBucketBoundary) {
    constexpr int64_t k31 = int64_t{1} << 31;
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
    const std::vector<int64_t> boundaries = {
        0,   1,    -1,    -62,   -63,    -64,     63,      64,      65,      -254,   -255,   -256, 255,
        256, 257,  -2046, -2047, -2048,  2047,    2048,    2049,    -k31,    -k31 + 1, -k31 + 2, k31 - 1,
        k31, k31 + 1, -k31 - 1, kMin, kMin + 1, kMax, kMax - 1, int64_t{1} << 32, -(int64_t{1} << 32)};
    for (int64_t d : boundaries) {
        // Eight equal delta-of-deltas: 64 bits for the first value plus 8 records, a whole number of bytes.
        const auto v = series_from_dods(12345, std::vector<int64_t>(8, d));
        ASSERT_TRUE(DodRoundTrips(v)) << "dod " << d;
        EXPECT_EQ(encode_payload<DodCodec>(v).size(), 8 + dod_record_bits(d)) << "dod " << d;
        // Alternating signs: +d then -d land in different buckets at the asymmetric edges.
        std::vector<int64_t> alt;
        for (int i = 0; i < 9; ++i) alt.push_back(i % 2 ? int64_t(0 - uint64_t(d)) : d);
        ASSERT_TRUE(DodRoundTrips(series_from_dods(-777, alt))) << "alternating dod " << d;
    }
    // All boundaries mixed in one stream.
    ASSERT_TRUE(DodRoundTrips(series_from_dods(0, boundaries)));
}

TEST(DeltaOfDelta, ExtremesAndWrapAround) {
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
    EXPECT_TRUE(DodRoundTrips({kMax, kMin, kMax, 0, kMin, -1, 1, kMin, kMin, kMax, kMax, 0}));
    std::vector<int64_t> v;
    for (int i = 0; i < 100; ++i) v.push_back(int64_t(uint64_t(kMax) - 500 + uint64_t(i) * 10));  // wraps
    EXPECT_TRUE(DodRoundTrips(v));
    v.clear();
    for (int i = 0; i < 100; ++i) v.push_back(int64_t(uint64_t(kMin) + 500 - uint64_t(i) * 7));  // wraps down
    EXPECT_TRUE(DodRoundTrips(v));
    std::mt19937_64 rng(91);
    v.clear();
    for (int i = 0; i < 3000; ++i) v.push_back(int64_t(rng()));
    EXPECT_TRUE(DodRoundTrips(v));
}

TEST(DeltaOfDelta, EveryPayloadTruncationThrows) {
    const auto v = series_from_dods(5, {0, 1, -63, 64, 300, -2047, 1 << 20, int64_t{1} << 40, 0, 0, -5});
    const auto payload = encode_payload<DodCodec>(v);
    for (size_t len = 0; len < payload.size(); ++len) {
        const std::vector<uint8_t> cut(payload.begin(), payload.begin() + len);
        EXPECT_THROW(decode_payload<DodCodec>(cut, v.size()), CorruptStream) << "prefix " << len;
    }
}

// TSXor's window scan, on every instruction-set level this CPU has (the SSE2 loop, and AVX-512 where the
// CPU has it), against its definition: the entry whose XOR with the value has the most leading plus
// trailing zero bytes, the newest among equals (the newest of all when none has any).
template <class U>
void tsxor_scan_matches_its_definition() {
    constexpr unsigned kBytes = sizeof(U);
    std::mt19937_64 rng(sizeof(U));
    auto score = [](U d) { return (unsigned(std::countl_zero(d)) >> 3) + (unsigned(std::countr_zero(d)) >> 3); };
    for (int level = 0; level <= tsquash::codecs::alp::kernels::isa_levels_available(); ++level) {
        tsquash::codecs::alp::kernels::cap_isa_level(level);
        for (int trial = 0; trial < 3000; ++trial) {
            const unsigned n = 1 + unsigned(rng() % 127);
            std::vector<U> w(n);
            const U x = U(rng());
            for (U& e : w) {
                // Entries sharing leading or trailing bytes with x, equal to it, or unrelated.
                const unsigned kind = unsigned(rng() % 8);
                const unsigned bytes = 1 + unsigned(rng() % (kBytes - 1));
                const U high = U(~U(0) << (8 * bytes)), low = U(~high);
                e = kind == 0 ? x : kind <= 2 ? U((x & high) | (U(rng()) & low)) : kind <= 4 ? U((x & low) | (U(rng()) & high)) : U(rng());
            }
            unsigned want_i = n - 1, want_score = 0;
            for (unsigned i = n; i-- > 0;)
                if (score(U(x ^ w[i])) > want_score) want_score = score(U(x ^ w[i])), want_i = i;
            const auto [got_i, got_score] = tsquash::codecs::tsxor_detail::best_match(w.data(), n, x);
            ASSERT_EQ(got_score, want_score) << "level " << level << ", n " << n;
            ASSERT_EQ(got_i, want_i) << "level " << level << ", n " << n;
        }
    }
    tsquash::codecs::alp::kernels::cap_isa_level(2);
}

TEST(TSXor, WindowScanMatchesItsDefinitionOnEveryInstructionSet) {
    tsxor_scan_matches_its_definition<uint64_t>();
    tsxor_scan_matches_its_definition<uint32_t>();
}

TEST(DeltaOfDelta, GarbageDecodesOrThrowsCorruptStream) {
    std::mt19937_64 rng(101);
    for (int trial = 0; trial < 500; ++trial) {
        std::vector<uint8_t> bytes(rng() % 200);
        for (auto& b : bytes) b = uint8_t(rng());
        auto dec = DodCodec::decoder(bytes.data(), bytes.size());
        try {
            for (size_t i = 0, n = rng() % 500; i < n; ++i) (void)dec.next();
            dec.expect_end();
        } catch (const CorruptStream&) {
        }
    }
}

}  // namespace
