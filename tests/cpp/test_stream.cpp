// The self-describing stream: registry, parameters, header layout and validation, the streaming Encoder and
// Decoder, and robustness against truncated, bit-flipped and crafted streams.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"

namespace {

using namespace tsq_test;
using container::CodecId;
using container::Dtype;

// ---- helpers ----------------------------------------------------------------------------------------------

// Header layout from docs/format.md: magic(4) version(1) codec(1) dtype(1) nparams(1) count(u64 LE)
// payload_size(u64 LE) params(nparams) payload_crc(u32 LE) header_crc(u32 LE), then the payload.
constexpr size_t kOffVersion = 4, kOffCodec = 5, kOffDtype = 6, kOffNparams = 7, kOffCount = 8, kOffPayloadSize = 16,
                 kOffParams = 24;

std::vector<uint8_t> build_stream(uint8_t codec, uint8_t dtype, const std::vector<uint8_t>& params, uint64_t count,
                                  const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> s = {'T', 'S', 'Q', 'S', 1, codec, dtype, uint8_t(params.size())};
    for (int i = 0; i < 8; ++i) s.push_back(uint8_t(count >> (8 * i)));
    for (int i = 0; i < 8; ++i) s.push_back(uint8_t(uint64_t(payload.size()) >> (8 * i)));
    s.insert(s.end(), params.begin(), params.end());
    const uint32_t pcrc = tsquash::io::crc32c(payload.data(), payload.size());
    for (int i = 0; i < 4; ++i) s.push_back(uint8_t(pcrc >> (8 * i)));
    const uint32_t hcrc = tsquash::io::crc32c(s.data(), s.size());
    for (int i = 0; i < 4; ++i) s.push_back(uint8_t(hcrc >> (8 * i)));
    s.insert(s.end(), payload.begin(), payload.end());
    return s;
}

// Recompute both checksums after editing a stream, so the edit reaches the validation behind them.
void resign(std::vector<uint8_t>& s) {
    const size_t np = s[kOffNparams];
    if (s.size() < 32 + np) return;
    const uint32_t pcrc = tsquash::io::crc32c(s.data() + 32 + np, s.size() - 32 - np);
    tsquash::io::store_le<uint32_t>(s.data() + 24 + np, pcrc);
    tsquash::io::store_le<uint32_t>(s.data() + 28 + np, tsquash::io::crc32c(s.data(), 28 + np));
}

void set_u64(std::vector<uint8_t>& s, size_t off, uint64_t v) { tsquash::io::store_le<uint64_t>(s.data() + off, v); }

// n values of the dtype as raw bytes: a walk with special values mixed in.
std::vector<uint8_t> sample_bytes(Dtype d, size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<uint8_t> out(n * container::dtype_size(d));
    for (size_t i = 0; i < n; ++i) {
        uint8_t* p = out.data() + i * container::dtype_size(d);
        const bool special = rng() % 6 == 0;
        if (d == Dtype::float64) {
            double v = 20.0 + double(int(rng() % 2001) - 1000) / 100.0;
            uint64_t u = bits_of(v);
            if (special) u = std::vector<uint64_t>{0, 0x8000000000000000ull, 0x7FF0000000000001ull,
                                                   0xFFF8000000000123ull, 1, 0x7FF0000000000000ull}[rng() % 6];
            std::memcpy(p, &u, 8);
        } else if (d == Dtype::float32) {
            float v = 20.0f + float(int(rng() % 2001) - 1000) / 100.0f;
            uint32_t u = bits_of(v);
            if (special) u = std::vector<uint32_t>{0, 0x80000000u, 0x7F800001u, 0xFFC00123u, 1, 0x7F800000u}[rng() % 6];
            std::memcpy(p, &u, 4);
        } else if (d == Dtype::int64 || d == Dtype::uint64) {
            int64_t v = 1'700'000'000'000 + int64_t(i) * 1000 + int64_t(rng() % 7) - 3;
            if (special) v = std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1, 0,
                                                  std::numeric_limits<int64_t>::max()}[rng() % 4];
            std::memcpy(p, &v, 8);
        } else {
            // Narrower integers: a walk through the dtype's range, with its extremes (the little-endian low
            // bytes of a 64-bit value are the narrow value's bytes).
            const unsigned bits = unsigned(8 * container::dtype_size(d));
            const uint64_t mask = (uint64_t(1) << bits) - 1;
            uint64_t v = (uint64_t(i) * 3 + rng() % 5) & mask;
            if (special) v = std::vector<uint64_t>{0, mask, mask >> 1, (mask >> 1) + 1}[rng() % 4];
            std::memcpy(p, &v, container::dtype_size(d));
        }
    }
    return out;
}

std::vector<uint8_t> decode_bytes(const std::vector<uint8_t>& s) {
    const auto h = container::read_header(s.data(), s.size());
    std::vector<uint8_t> out(h.count * container::dtype_size(h.dtype));
    container::decode(s.data(), s.size(), out.data());
    return out;
}

// ---- registry and parameters ------------------------------------------------------------------------------

TEST(Registry, IdsAndNamesAreUniqueAndResolve) {
    std::set<unsigned> ids;
    std::set<std::string> names;
    for (const auto& s : container::codec_specs()) {
        EXPECT_TRUE(ids.insert(unsigned(s.id)).second) << s.name;
        EXPECT_TRUE(names.insert(s.name).second) << s.name;
        EXPECT_EQ(&container::codec_spec(s.id), &s);
        EXPECT_EQ(&container::codec_spec(s.name), &s);
        EXPECT_GE(s.min_bits_per_value, 1u);
        EXPECT_FALSE(s.dtypes.empty());
        for (const auto& p : s.params) {
            EXPECT_LE(p.min, p.default_value) << s.name << "." << p.name;
            EXPECT_LE(p.default_value, p.max) << s.name << "." << p.name;
            EXPECT_LE(p.max, 255u) << "parameters are stored as one byte";
        }
    }
    for (const char* n : {"raw", "gorilla", "chimp", "chimp128", "tsxor", "fpc"}) EXPECT_EQ(names.count(n), 1u) << n;
    for (const char* n : {"alp", "auto"}) EXPECT_EQ(names.count(n), 1u) << n;
    EXPECT_THROW(container::codec_spec(CodecId(8)), CorruptStream);
    EXPECT_THROW(container::codec_spec(CodecId(255)), CorruptStream);
    EXPECT_THROW(container::codec_spec("zstd"), InvalidArgument);
    EXPECT_THROW(container::codec_spec(""), InvalidArgument);
    EXPECT_THROW(container::codec_spec("Gorilla"), InvalidArgument);
}

TEST(Registry, Dtypes) {
    const std::vector<std::pair<const char*, size_t>> all = {
        {"float64", 8}, {"float32", 4}, {"int64", 8}, {"int32", 4}, {"int16", 2},
        {"int8", 1},    {"uint64", 8},  {"uint32", 4}, {"uint16", 2}, {"uint8", 1}};
    for (size_t code = 1; code <= all.size(); ++code) {
        const Dtype d = container::dtype_from_name(all[code - 1].first);
        EXPECT_EQ(unsigned(d), code) << all[code - 1].first;  // the codes of docs/format.md
        EXPECT_EQ(container::dtype_size(d), all[code - 1].second);
        EXPECT_STREQ(container::dtype_name(d), all[code - 1].first);
    }
    EXPECT_EQ(size_t(container::kMaxDtypeCode), all.size());
    for (const char* bad : {"", "float", "double", "float16", "FLOAT64", "int", "uint", "bool", "int128"})
        EXPECT_THROW(container::dtype_from_name(bad), InvalidArgument) << bad;
    // Integers belong to raw, gorilla and the block codecs (alp, auto) only.
    for (const auto& s : container::codec_specs()) {
        EXPECT_TRUE(s.supports(Dtype::float64)) << s.name;
        EXPECT_TRUE(s.supports(Dtype::float32)) << s.name;
        const bool ints = s.name == "raw" || s.name == "gorilla" || s.name == "alp" || s.name == "auto";
        for (uint8_t code = 3; code <= container::kMaxDtypeCode; ++code)
            EXPECT_EQ(s.supports(Dtype(code)), ints) << s.name << " " << int(code);
    }
}

TEST(Params, DefaultsAndGivenValues) {
    const auto& tsxor = container::codec_spec("tsxor");
    const auto& fpc = container::codec_spec("fpc");
    EXPECT_EQ(container::resolve_params(tsxor, {}), (std::vector<uint8_t>{127}));
    EXPECT_EQ(container::resolve_params(tsxor, {{"window", 1}}), (std::vector<uint8_t>{1}));
    EXPECT_EQ(container::resolve_params(tsxor, {{"window", 127}}), (std::vector<uint8_t>{127}));
    EXPECT_EQ(container::resolve_params(fpc, {}), (std::vector<uint8_t>{16}));
    EXPECT_EQ(container::resolve_params(fpc, {{"table_log2", 1}}), (std::vector<uint8_t>{1}));
    EXPECT_EQ(container::resolve_params(fpc, {{"table_log2", 24}}), (std::vector<uint8_t>{24}));
    for (const char* n : {"raw", "gorilla", "chimp", "chimp128"})
        EXPECT_TRUE(container::resolve_params(container::codec_spec(n), {}).empty()) << n;
}

TEST(Params, UnknownOrOutOfRangeRejected) {
    const auto& tsxor = container::codec_spec("tsxor");
    const auto& fpc = container::codec_spec("fpc");
    EXPECT_THROW(container::resolve_params(tsxor, {{"windows", 5}}), InvalidArgument);
    EXPECT_THROW(container::resolve_params(tsxor, {{"table_log2", 5}}), InvalidArgument);
    EXPECT_THROW(container::resolve_params(container::codec_spec("gorilla"), {{"window", 5}}), InvalidArgument);
    EXPECT_THROW(container::resolve_params(container::codec_spec("raw"), {{"level", 1}}), InvalidArgument);
    for (long long bad : {-1LL, 0LL, 128LL, 255LL, 256LL, 1LL << 40, -(1LL << 40)})
        EXPECT_THROW(container::resolve_params(tsxor, {{"window", bad}}), InvalidArgument) << bad;
    for (long long bad : {-1LL, 0LL, 25LL, 255LL, 256LL + 16})  // 272 would wrap to 16 in a byte
        EXPECT_THROW(container::resolve_params(fpc, {{"table_log2", bad}}), InvalidArgument) << bad;
}

TEST(Encoder, RejectsUnsupportedDtype) {
    for (CodecId c : {CodecId::chimp, CodecId::chimp128, CodecId::tsxor, CodecId::fpc}) {
        const auto params = container::resolve_params(container::codec_spec(c), {});
        EXPECT_THROW(container::Encoder(c, Dtype::int64, params), TypeMismatch) << unsigned(c);
        const int64_t x = 1;
        EXPECT_THROW(container::encode(c, Dtype::int64, params, &x, 1), TypeMismatch) << unsigned(c);
    }
}

TEST(Encoder, RejectsBadParamBytesAndUnknownCodec) {
    EXPECT_THROW(container::Encoder(CodecId::tsxor, Dtype::float64, {}), InvalidArgument);
    EXPECT_THROW(container::Encoder(CodecId::tsxor, Dtype::float64, {0}), InvalidArgument);
    EXPECT_THROW(container::Encoder(CodecId::tsxor, Dtype::float64, {128}), InvalidArgument);
    EXPECT_THROW(container::Encoder(CodecId::tsxor, Dtype::float64, {8, 8}), InvalidArgument);
    EXPECT_THROW(container::Encoder(CodecId::fpc, Dtype::float32, {0}), InvalidArgument);
    EXPECT_THROW(container::Encoder(CodecId::fpc, Dtype::float32, {25}), InvalidArgument);
    EXPECT_THROW(container::Encoder(CodecId::gorilla, Dtype::float64, {1}), InvalidArgument);
    EXPECT_THROW(container::Encoder(CodecId(8), Dtype::float64, {}), InvalidArgument);
    EXPECT_THROW(container::Encoder(CodecId(200), Dtype::float64, {}), InvalidArgument);
}

TEST(Encoder, FinishOnce) {
    container::Encoder e(CodecId::gorilla, Dtype::float64, {});
    const double x = 1.0;
    e.push(&x, 1);
    EXPECT_EQ(e.count(), 1u);
    const auto s = e.finish();
    EXPECT_EQ(container::read_header(s.data(), s.size()).count, 1u);
    EXPECT_THROW(e.push(&x, 1), InvalidArgument);
    EXPECT_THROW(e.finish(), InvalidArgument);
}

// The written header follows the documented byte layout exactly.
TEST(Header, LayoutMatchesFormat) {
    const std::vector<double> v = {1.0, 2.0, 2.0, -0.0};
    codecs::TSXorEncoder<double> enc(9);
    for (double x : v) enc.push(x);
    const auto payload = enc.finish();
    const auto s = container::encode(CodecId::tsxor, Dtype::float64, {9}, v.data(), v.size());
    EXPECT_EQ(s, build_stream(4, 1, {9}, 4, payload));
    const auto h = container::read_header(s.data(), s.size());
    EXPECT_EQ(h.version, 1);
    EXPECT_EQ(h.codec, CodecId::tsxor);
    EXPECT_EQ(h.dtype, Dtype::float64);
    EXPECT_EQ(h.count, 4u);
    EXPECT_EQ(h.params, (std::vector<uint8_t>{9}));
    EXPECT_EQ(h.header_size, 33u);
    EXPECT_EQ(h.payload_size, payload.size());
    EXPECT_EQ(h.payload_crc, tsquash::io::crc32c(payload.data(), payload.size()));
}

// ---- every codec configuration -----------------------------------------------------------------------------

struct Config {
    CodecId codec;
    Dtype dtype;
    std::vector<uint8_t> params;
    std::string name;
};

std::vector<Config> all_configs() {
    std::vector<Config> out;
    for (const auto& s : container::codec_specs()) {
        std::vector<std::vector<uint8_t>> param_sets = {container::resolve_params(s, {})};
        if (s.name == "tsxor") param_sets = {{127}, {1}, {2}, {8}};
        if (s.name == "fpc") param_sets = {{16}, {1}, {3}, {12}};  // 24 is tested once below (large tables)
        for (Dtype d : s.dtypes)
            for (const auto& p : param_sets) {
                std::string name = s.name + "_" + container::dtype_name(d);
                for (uint8_t b : p) name += "_" + std::to_string(b);
                out.push_back({s.id, d, p, name});
            }
    }
    return out;
}

class StreamTest : public ::testing::TestWithParam<Config> {
protected:
    const Config& cfg() const { return GetParam(); }
    size_t esize() const { return container::dtype_size(cfg().dtype); }
    std::vector<uint8_t> encode(const std::vector<uint8_t>& values) const {
        return container::encode(cfg().codec, cfg().dtype, cfg().params, values.data(), values.size() / esize());
    }
};

// Skipping values and reading on gives the values that follow, for every codec and dtype; a skip past the
// end stops there, and the stream still ends cleanly.
TEST_P(StreamTest, SkipThenReadGivesTheValuesThatFollow) {
    const size_t n = 5000;
    const auto values = sample_bytes(cfg().dtype, n, 17);
    const auto s = encode(values);
    for (const auto& [skip, take] : std::vector<std::pair<size_t, size_t>>{{0, 7}, {1, 1}, {1023, 2}, {1024, 1025},
                                                                          {2500, 2500}, {4999, 1}, {5000, 0}}) {
        container::Decoder d(s.data(), s.size());
        EXPECT_EQ(d.skip(skip), skip);
        std::vector<uint8_t> got(take * esize());
        EXPECT_EQ(d.read(got.data(), take), take);
        if (take) {
            EXPECT_EQ(0, std::memcmp(got.data(), values.data() + skip * esize(), got.size())) << skip << "+" << take;
        }
        EXPECT_EQ(d.remaining(), n - skip - take);
    }
    container::Decoder d(s.data(), s.size());
    EXPECT_EQ(d.skip(1000), 1000u);
    EXPECT_EQ(d.skip(uint64_t(1) << 40), n - 1000);
    EXPECT_EQ(d.remaining(), 0u);
    EXPECT_EQ(d.skip(1), 0u);
}

// Seeking forwards and backwards, then reading, gives the values from there; the position follows reads.
TEST_P(StreamTest, SeekAnywhereThenRead) {
    const size_t n = 3000;
    const auto values = sample_bytes(cfg().dtype, n, 23);
    const auto s = encode(values);
    container::Decoder d(s.data(), s.size());
    for (const auto& [to, take] : std::vector<std::pair<size_t, size_t>>{{2500, 10}, {5, 3}, {2990, 10}, {0, 1},
                                                                       {1024, 1024}, {1023, 1}, {3000, 0}, {7, 2}}) {
        d.seek(to);
        EXPECT_EQ(d.position(), to);
        std::vector<uint8_t> got(take * esize());
        EXPECT_EQ(d.read(got.data(), take), take);
        if (take) {
            EXPECT_EQ(0, std::memcmp(got.data(), values.data() + to * esize(), got.size())) << to << "+" << take;
        }
        EXPECT_EQ(d.position(), to + take);
    }
    EXPECT_THROW(d.seek(n + 1), InvalidArgument);
}

TEST_P(StreamTest, RoundTripAndHeader) {
    for (size_t n : {0, 1, 2, 3, 100, 2000}) {
        const auto values = sample_bytes(cfg().dtype, n, n + 1);
        const auto s = encode(values);
        const auto h = container::read_header(s.data(), s.size());
        EXPECT_EQ(h.codec, cfg().codec);
        EXPECT_EQ(h.dtype, cfg().dtype);
        EXPECT_EQ(h.count, n);
        EXPECT_EQ(h.params, cfg().params);
        EXPECT_EQ(h.header_size, container::kFixedHeaderSize + cfg().params.size());
        EXPECT_EQ(h.header_size + h.payload_size, s.size());
        EXPECT_EQ(decode_bytes(s), values) << "n=" << n;
    }
}

TEST_P(StreamTest, StreamingEncoderMatchesWholeArray) {
    const size_t n = 1000;
    const auto values = sample_bytes(cfg().dtype, n, 5);
    const auto whole = encode(values);
    {
        container::Encoder e(cfg().codec, cfg().dtype, cfg().params);
        for (size_t i = 0; i < n; ++i) e.push(values.data() + i * esize(), 1);
        EXPECT_EQ(e.count(), n);
        EXPECT_EQ(e.finish(), whole) << "one value at a time";
    }
    for (uint64_t seed : {1, 2, 3}) {
        std::mt19937_64 rng(seed);
        container::Encoder e(cfg().codec, cfg().dtype, cfg().params, seed == 2 ? n : 0);
        size_t i = 0;
        while (i < n) {
            const size_t k = std::min<size_t>(n - i, rng() % 70);  // includes empty pushes
            e.push(values.data() + i * esize(), k);
            i += k;
        }
        EXPECT_EQ(e.finish(), whole) << "uneven chunks, seed " << seed;
    }
}

TEST_P(StreamTest, StreamingDecoderUnevenChunks) {
    const size_t n = 1000;
    const auto values = sample_bytes(cfg().dtype, n, 6);
    const auto s = encode(values);
    for (uint64_t seed : {1, 2}) {
        std::mt19937_64 rng(seed);
        container::Decoder d(s.data(), s.size());
        EXPECT_EQ(d.header().count, n);
        std::vector<uint8_t> out;
        while (d.remaining() > 0) {
            const size_t want = rng() % 90;
            std::vector<uint8_t> chunk(want * esize());
            const uint64_t before = d.remaining();
            const size_t got = d.read(chunk.data(), want);
            ASSERT_EQ(got, std::min<uint64_t>(want, before));
            ASSERT_EQ(d.remaining(), before - got);
            out.insert(out.end(), chunk.begin(), chunk.begin() + got * esize());
        }
        EXPECT_EQ(out, values);
        std::vector<uint8_t> extra(8 * esize());
        EXPECT_EQ(d.read(extra.data(), 8), 0u);  // reading past the end yields nothing
    }
}

TEST_P(StreamTest, EveryTruncationThrows) {
    const auto s = encode(sample_bytes(cfg().dtype, 40, 7));
    for (size_t len = 0; len < s.size(); ++len) {
        const std::vector<uint8_t> cut(s.begin(), s.begin() + len);
        EXPECT_THROW(decode_bytes(cut), CorruptStream) << "prefix " << len << " of " << s.size();
        EXPECT_THROW(container::Decoder(cut.data(), cut.size()), CorruptStream) << "prefix " << len;
    }
}

// The header CRC covers every header byte before it and the payload CRC the payload, so any single flipped
// bit must be caught before decoding starts.
TEST_P(StreamTest, EveryBitFlipThrows) {
    const auto s = encode(sample_bytes(cfg().dtype, 20, 8));
    for (size_t bit = 0; bit < s.size() * 8; ++bit) {
        auto f = s;
        f[bit / 8] ^= uint8_t(1u << (bit % 8));
        EXPECT_THROW(decode_bytes(f), CorruptStream) << "byte " << bit / 8 << " bit " << bit % 8;
    }
}

TEST_P(StreamTest, TrailingBytesRejected) {
    const auto s = encode(sample_bytes(cfg().dtype, 10, 9));
    for (size_t extra : {1, 2, 8, 100}) {
        auto t = s;
        t.resize(s.size() + extra, 0);
        EXPECT_THROW(decode_bytes(t), CorruptStream) << extra;
        // Even with the payload size and checksums updated the decoder must notice the leftover bytes.
        set_u64(t, kOffPayloadSize, t.size() - s.size() + container::read_header(s.data(), s.size()).payload_size);
        resign(t);
        EXPECT_THROW(decode_bytes(t), CorruptStream) << "resigned, " << extra;
    }
}

TEST_P(StreamTest, WrongCountRejected) {
    const size_t n = 30;
    const auto values = sample_bytes(cfg().dtype, n, 10);
    const auto s = encode(values);
    auto set_count = [&](uint64_t c) {
        auto t = s;
        set_u64(t, kOffCount, c);
        resign(t);
        return t;
    };
    // Far fewer values than the payload holds: whole bytes are left over (count 0 fails in the constructor).
    for (uint64_t c : {uint64_t(0), uint64_t(1), uint64_t(n / 2)})
        EXPECT_THROW(decode_bytes(set_count(c)), CorruptStream) << c;
    // Far more: the payload runs out, or the header already shows the count cannot fit.
    for (uint64_t c : {uint64_t(n + 100), uint64_t(1) << 32, uint64_t(1) << 62, std::numeric_limits<uint64_t>::max()})
        EXPECT_THROW(decode_bytes(set_count(c)), CorruptStream) << c;
    // Off by one: a bit codec may legitimately read a one-bit record from the zero padding, so the only
    // promise is "throws, or the values that do decode are the original ones".
    for (uint64_t c : {uint64_t(n - 1), uint64_t(n + 1)}) {
        try {
            const auto out = decode_bytes(set_count(c));
            const size_t common = std::min(out.size(), values.size());
            EXPECT_TRUE(std::equal(out.begin(), out.begin() + common, values.begin())) << c;
        } catch (const CorruptStream&) {
        }
    }
    // A count above what the payload size allows (min_bits_per_value, or three bytes per block for the block
    // codecs) is refused by the header alone, before any allocation.
    const auto& spec = container::codec_spec(cfg().codec);
    const uint64_t payload = container::read_header(s.data(), s.size()).payload_size;
    const uint64_t bound = spec.max_count(payload, cfg().dtype);
    EXPECT_EQ(bound, spec.block_values ? (payload - 1) / 3 * spec.block_values
                                       : payload * 8 / spec.min_bits(cfg().dtype) + 1);
    EXPECT_LE(spec.min_bits(cfg().dtype), 8 * container::dtype_size(cfg().dtype));
    const auto big = set_count(bound + 1);
    EXPECT_THROW(container::read_header(big.data(), big.size()), CorruptStream);
}

TEST_P(StreamTest, HeaderFieldsValidatedBehindTheChecksum) {
    const auto s = encode(sample_bytes(cfg().dtype, 12, 11));
    const size_t np = s[kOffNparams];
    auto edited = [&](size_t off, uint8_t value) {
        auto t = s;
        t[off] = value;
        resign(t);
        return t;
    };
    for (uint8_t v : {0, 2, 3, 255}) EXPECT_THROW(decode_bytes(edited(kOffVersion, v)), CorruptStream) << int(v);
    for (uint8_t v : {8, 9, 100, 255}) EXPECT_THROW(decode_bytes(edited(kOffCodec, v)), CorruptStream) << int(v);
    for (uint8_t v : {0, 11, 255}) EXPECT_THROW(decode_bytes(edited(kOffDtype, v)), CorruptStream) << int(v);
    for (size_t i = 0; i < np; ++i)
        for (uint8_t v : {0, 128, 200, 255}) {
            const auto& p = container::codec_spec(cfg().codec).params[i];
            if (v >= p.min && v <= p.max) continue;
            EXPECT_THROW(decode_bytes(edited(kOffParams + i, v)), CorruptStream) << p.name << "=" << int(v);
        }
    auto bad_magic = s;
    bad_magic[0] = 'X';
    EXPECT_THROW(decode_bytes(bad_magic), CorruptStream);
}

TEST_P(StreamTest, GarbageAfterValidHeaderDecodesOrThrows) {
    // Random payloads under a valid, re-signed header reach the codec decoder through the container.
    std::mt19937_64 rng(12);
    const auto s = encode(sample_bytes(cfg().dtype, 50, 12));
    const size_t hs = container::read_header(s.data(), s.size()).header_size;
    for (int trial = 0; trial < 60; ++trial) {
        auto t = s;
        for (size_t i = hs; i < t.size(); ++i)
            if (rng() % 3 == 0) t[i] = uint8_t(rng());
        set_u64(t, kOffCount, rng() % 60);
        resign(t);
        try {
            (void)decode_bytes(t);
        } catch (const CorruptStream&) {
        }
    }
}

std::string config_name(const ::testing::TestParamInfo<Config>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(AllCodecs, StreamTest, ::testing::ValuesIn(all_configs()), config_name);

// ---- crafted streams ---------------------------------------------------------------------------------------

TEST(CraftedStream, ShortInputs) {
    for (size_t n = 0; n < 40; ++n) {
        std::vector<uint8_t> z(n, 0);
        EXPECT_THROW(decode_bytes(z), CorruptStream) << n;
    }
    const std::vector<uint8_t> magic_only = {'T', 'S', 'Q', 'S'};
    EXPECT_THROW(container::read_header(magic_only.data(), magic_only.size()), CorruptStream);
}

TEST(CraftedStream, ParamCountMismatch) {
    // tsxor with no parameter byte, gorilla with one, fpc with two: all properly checksummed.
    EXPECT_THROW(decode_bytes(build_stream(4, 1, {}, 0, {})), CorruptStream);
    EXPECT_THROW(decode_bytes(build_stream(1, 1, {7}, 0, {})), CorruptStream);
    EXPECT_THROW(decode_bytes(build_stream(5, 2, {8, 8}, 0, {})), CorruptStream);
    // Many parameter bytes (up to 255) with the header cut short.
    auto many = build_stream(0, 1, std::vector<uint8_t>(255, 1), 0, {});
    EXPECT_THROW(decode_bytes(many), CorruptStream);
    many.resize(100);
    EXPECT_THROW(decode_bytes(many), CorruptStream);
}

TEST(CraftedStream, UnsupportedDtypeInBytes) {
    EXPECT_THROW(decode_bytes(build_stream(2, 3, {}, 0, {})), CorruptStream);     // chimp int64
    EXPECT_THROW(decode_bytes(build_stream(3, 3, {}, 0, {})), CorruptStream);     // chimp128 int64
    EXPECT_THROW(decode_bytes(build_stream(4, 3, {127}, 0, {})), CorruptStream);  // tsxor int64
    EXPECT_THROW(decode_bytes(build_stream(5, 3, {16}, 0, {})), CorruptStream);   // fpc int64
}

// Integers narrower than 64 bits: raw keeps their width, the other codecs write the payload of the int64
// values they widen to (and uint64's is int64's of the same bit patterns).
TEST(IntegerDtypes, PayloadsAreThoseOfTheWidenedValues) {
    const std::vector<std::pair<Dtype, Dtype>> narrow = {{Dtype::int32, Dtype::int64}, {Dtype::int16, Dtype::int64},
                                                         {Dtype::int8, Dtype::int64},  {Dtype::uint32, Dtype::int64},
                                                         {Dtype::uint16, Dtype::int64}, {Dtype::uint8, Dtype::int64},
                                                         {Dtype::uint64, Dtype::int64}};
    for (const auto& [d, wide] : narrow) {
        const size_t n = 3000, size = container::dtype_size(d);
        const auto bytes = sample_bytes(d, n, 21);
        std::vector<int64_t> widened(n);
        const bool sign = d == Dtype::int32 || d == Dtype::int16 || d == Dtype::int8;
        for (size_t i = 0; i < n; ++i) {
            uint64_t u = 0;
            std::memcpy(&u, bytes.data() + i * size, size);
            const unsigned shift = unsigned(64 - 8 * size);
            widened[i] = sign && shift ? int64_t(u << shift) >> shift : int64_t(u);
        }
        for (const char* name : {"raw", "gorilla", "alp", "auto"}) {
            const auto& spec = container::codec_spec(name);
            const auto s = container::encode(spec.id, d, {}, bytes.data(), n);
            const auto h = container::read_header(s.data(), s.size());
            EXPECT_EQ(h.dtype, d);
            EXPECT_EQ(decode_bytes(s), bytes) << name << " " << container::dtype_name(d);
            // The streaming encoder, pushed in uneven pieces, writes the same bytes.
            container::Encoder e(spec.id, d, {}, 0);
            for (size_t at = 0; at < n;) {
                const size_t m = std::min<size_t>(n - at, 1 + at % 1777);
                e.push(bytes.data() + at * size, m);
                at += m;
            }
            EXPECT_EQ(e.finish(), s) << name << " " << container::dtype_name(d);
            const std::vector<uint8_t> payload(s.begin() + long(h.header_size), s.end());
            if (spec.id == CodecId::raw) {
                EXPECT_EQ(payload, bytes) << container::dtype_name(d);
                continue;
            }
            const auto w = container::encode(spec.id, wide, {}, widened.data(), n);
            const auto hw = container::read_header(w.data(), w.size());
            EXPECT_EQ(payload, std::vector<uint8_t>(w.begin() + long(hw.header_size), w.end()))
                << name << " " << container::dtype_name(d);
        }
    }
}

// An int64 payload relabelled as a narrower dtype decodes only while its values fit that dtype.
TEST(IntegerDtypes, ValuesOutsideTheDtypeAreCorruption) {
    struct Case {
        Dtype d;
        int64_t inside, outside;
    };
    for (const Case& c : {Case{Dtype::int32, -2147483648LL, 2147483648LL}, Case{Dtype::int16, 32767, -32769},
                          Case{Dtype::int8, -128, 128}, Case{Dtype::uint32, 4294967295LL, -1},
                          Case{Dtype::uint16, 0, 65536}, Case{Dtype::uint8, 255, 256}}) {
        for (const char* name : {"gorilla", "alp", "auto"}) {
            const auto& spec = container::codec_spec(name);
            for (const bool bad : {false, true}) {
                std::vector<int64_t> v(2500, c.inside);
                // Values moving into the range from its end (inside), one past it (outside) in the bad run.
                for (size_t i = 0; i < v.size(); i += 7)
                    v[i] = c.inside + (c.inside > 0 ? -int64_t(i % 100) : int64_t(i % 100));
                if (bad) v[2100] = c.outside;
                auto s = container::encode(spec.id, Dtype::int64, {}, v.data(), v.size());
                s[kOffDtype] = uint8_t(c.d);
                resign(s);
                if (bad) {
                    try {
                        (void)decode_bytes(s);
                        ADD_FAILURE() << name << " " << container::dtype_name(c.d) << ": no error";
                    } catch (const CorruptStream& e) {
                        EXPECT_NE(std::string(e.what()).find(container::dtype_name(c.d)), std::string::npos)
                            << e.what();
                    }
                    continue;
                }
                const auto out = decode_bytes(s);
                const size_t size = container::dtype_size(c.d);
                ASSERT_EQ(out.size(), v.size() * size);
                for (size_t i = 0; i < v.size(); ++i)
                    ASSERT_EQ(std::memcmp(out.data() + i * size, &v[i], size), 0) << name << " " << i;
            }
        }
    }
}

TEST(CraftedStream, EmptyStreamsAreValidAndEmptyMeansEmpty) {
    for (const auto& s : container::codec_specs()) {
        const auto params = container::resolve_params(s, {});
        for (Dtype d : s.dtypes) {
            const auto stream = build_stream(uint8_t(s.id), uint8_t(d), params, 0, {});
            EXPECT_TRUE(decode_bytes(stream).empty()) << s.name;
            EXPECT_THROW(decode_bytes(build_stream(uint8_t(s.id), uint8_t(d), params, 0, {0})), CorruptStream)
                << s.name;
        }
    }
}

// Counts that the header's bound admits but the payload cannot hold: the decoder runs out of bits.
TEST(CraftedStream, CountWithinBoundButPayloadShort) {
    const std::vector<double> v = {1.0, 2.0, 3.0, 4.0};
    for (const auto& s : container::codec_specs()) {
        const auto params = container::resolve_params(s, {});
        const auto good = container::encode(s.id, Dtype::float64, params, v.data(), v.size());
        const auto h = container::read_header(good.data(), good.size());
        const uint64_t bound = s.max_count(h.payload_size, Dtype::float64);
        auto t = good;
        set_u64(t, kOffCount, bound);
        resign(t);
        EXPECT_NO_THROW(container::read_header(t.data(), t.size())) << s.name;
        if (bound > v.size()) {
            EXPECT_THROW(decode_bytes(t), CorruptStream) << s.name;
        }
    }
}

// All-zero Gorilla payloads are legitimate: one zero value then '0' (repeat) records.
TEST(CraftedStream, ZeroGorillaPayloadDecodesToZeros) {
    const std::vector<uint8_t> payload(10, 0);
    const auto s = build_stream(1, 1, {}, 1 + (80 - 64), payload);
    const auto out = decode_bytes(s);
    EXPECT_EQ(out, std::vector<uint8_t>(17 * 8, 0));
}

TEST(LargeTables, FpcLargestTableRoundTrips) {
    const auto v64 = sample_bytes(Dtype::float64, 300, 13);
    const auto s64 = container::encode(CodecId::fpc, Dtype::float64, {24}, v64.data(), 300);
    EXPECT_EQ(decode_bytes(s64), v64);
    const auto v32 = sample_bytes(Dtype::float32, 300, 14);
    const auto s32 = container::encode(CodecId::fpc, Dtype::float32, {24}, v32.data(), 300);
    EXPECT_EQ(decode_bytes(s32), v32);
}

}  // namespace
