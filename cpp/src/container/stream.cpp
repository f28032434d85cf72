#include "tsquash/container/stream.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <iterator>
#include <type_traits>

#include "tsquash/codecs/alp.hpp"
#include "tsquash/codecs/chimp.hpp"
#include "tsquash/codecs/fpc.hpp"
#include "tsquash/codecs/gorilla.hpp"
#include "tsquash/codecs/gorilla_timestamps.hpp"
#include "tsquash/codecs/raw.hpp"
#include "tsquash/codecs/tsxor.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"

static_assert(std::endian::native == std::endian::little, "tsquash's raw codec assumes a little-endian host");

namespace tsquash::container {

using namespace tsquash::codecs;
namespace alp = tsquash::codecs::alp;

namespace {

struct DtypeInfo {
    Dtype dtype;
    const char* name;
    size_t size;
};
constexpr DtypeInfo kDtypes[] = {
    {Dtype::float64, "float64", 8}, {Dtype::float32, "float32", 4}, {Dtype::int64, "int64", 8},
    {Dtype::int32, "int32", 4},     {Dtype::int16, "int16", 2},     {Dtype::int8, "int8", 1},
    {Dtype::uint64, "uint64", 8},   {Dtype::uint32, "uint32", 4},   {Dtype::uint16, "uint16", 2},
    {Dtype::uint8, "uint8", 1},
};
static_assert(std::size(kDtypes) == kMaxDtypeCode);
// In code order, so that a code finds its entry by position.
static_assert([] {
    for (size_t i = 0; i < std::size(kDtypes); ++i)
        if (unsigned(kDtypes[i].dtype) != i + 1) return false;
    return true;
}());

const DtypeInfo* find(Dtype d) {
    const unsigned code = unsigned(d);
    return code >= 1 && code <= kMaxDtypeCode ? &kDtypes[code - 1] : nullptr;
}

}  // namespace

size_t dtype_size(Dtype d) {
    if (const DtypeInfo* x = find(d)) return x->size;
    throw InvalidArgument("unknown dtype code " + std::to_string(unsigned(d)));
}

const char* dtype_name(Dtype d) {
    const DtypeInfo* x = find(d);
    return x ? x->name : "?";
}

Dtype dtype_from_name(std::string_view name) {
    std::string known;
    for (const DtypeInfo& x : kDtypes) {
        if (name == x.name) return x.dtype;
        known += (known.empty() ? "" : ", ") + std::string(x.name);
    }
    throw InvalidArgument("unknown dtype '" + std::string(name) + "' (expected one of " + known + ")");
}

bool CodecSpec::supports(Dtype d) const {
    for (Dtype x : dtypes)
        if (x == d) return true;
    return false;
}

unsigned CodecSpec::min_bits(Dtype d) const {
    return std::min<unsigned>(min_bits_per_value, unsigned(8 * dtype_size(d)));
}

uint64_t CodecSpec::max_count(uint64_t payload_size, Dtype d) const {
    if (block_values) {
        // A sections byte, then per block a 2-byte directory entry and at least a method byte.
        if (payload_size < 4) return 0;
        const uint64_t blocks = (payload_size - 1) / 3;
        return blocks > UINT64_MAX / block_values ? UINT64_MAX : blocks * block_values;
    }
    return payload_size * 8 / min_bits(d) + 1;
}

static bool is_block_codec(CodecId c) { return c == CodecId::alp || c == CodecId::automatic; }

const std::vector<CodecSpec>& codec_specs() {
    static const std::vector<Dtype> kEveryDtype = [] {
        std::vector<Dtype> all;
        for (const DtypeInfo& x : kDtypes) all.push_back(x.dtype);
        return all;
    }();
    static const std::vector<CodecSpec> specs = {
        {CodecId::raw, "raw", "values stored as little-endian bytes", kEveryDtype, {}, 32},
        {CodecId::gorilla, "gorilla", "XOR with the previous value, reusing the previous bit window (VLDB 2015); "
         "integers use delta-of-delta", kEveryDtype, {}, 1},
        {CodecId::chimp, "chimp", "XOR with the previous value, trailing-zero aware flags (VLDB 2022)",
         {Dtype::float64, Dtype::float32}, {}, 2},
        {CodecId::chimp128, "chimp128", "Chimp with the best of the last 128 values as reference (VLDB 2022)",
         {Dtype::float64, Dtype::float32}, {}, 9},
        {CodecId::tsxor, "tsxor", "byte-aligned reference/XOR/exception over a window of recent values (SPIRE 2021)",
         {Dtype::float64, Dtype::float32},
         {{"window", 1, kTsxorMaxWindow, kTsxorMaxWindow, "number of previous values searched (1..127)"}}, 8},
        {CodecId::fpc, "fpc", "FCM/DFCM hash predictors, leading-zero-byte residuals (IEEE TC 2009)",
         {Dtype::float64, Dtype::float32},
         {{"table_log2", kFpcMinTableLog2, kFpcMaxTableLog2, kFpcDefaultTableLog2,
           "log2 of the entries in each predictor table (1..24)"}}, 4},
        {CodecId::alp, "alp", "decimal-aware blocks of 1024 (ALP, SIGMOD 2024): exact decimal integers, "
         "frame of reference and bit packing; a left-part dictionary for high-precision values; integer deltas",
         kEveryDtype, {}, 1, 1024},
        {CodecId::automatic, "auto", "per-block choice of the smallest method: decimal, high-precision, deltas, "
         "runs, series dictionary, float32-derived doubles, raw; entropy-coded integer streams",
         kEveryDtype, {}, 1, 1024},
    };
    return specs;
}

const CodecSpec& codec_spec(CodecId id) {
    for (const auto& s : codec_specs())
        if (s.id == id) return s;
    throw CorruptStream("unknown codec id " + std::to_string(unsigned(id)));
}

const CodecSpec& codec_spec(std::string_view name) {
    std::string known;
    for (const auto& s : codec_specs()) {
        if (s.name == name) return s;
        known += (known.empty() ? "" : ", ") + s.name;
    }
    throw InvalidArgument("unknown codec '" + std::string(name) + "' (known: " + known + ")");
}

std::vector<uint8_t> resolve_params(const CodecSpec& spec,
                                    const std::vector<std::pair<std::string, long long>>& given) {
    std::vector<uint8_t> out;
    for (const auto& p : spec.params) out.push_back(static_cast<uint8_t>(p.default_value));
    for (const auto& [name, value] : given) {
        size_t i = 0;
        while (i < spec.params.size() && spec.params[i].name != name) ++i;
        if (i == spec.params.size()) {
            std::string known;
            for (const auto& p : spec.params) known += (known.empty() ? "" : ", ") + p.name;
            throw InvalidArgument(spec.name + " has no parameter '" + name + "'" +
                                  (known.empty() ? std::string(" (it takes none)") : " (it takes: " + known + ")"));
        }
        const auto& p = spec.params[i];
        if (value < (long long)p.min || value > (long long)p.max)
            throw InvalidArgument(spec.name + ": " + name + " must be in " + std::to_string(p.min) + ".." +
                                  std::to_string(p.max) + ", got " + std::to_string(value));
        out[i] = static_cast<uint8_t>(value);
    }
    return out;
}

// ---- header -------------------------------------------------------------------------------------------

static void check_params(const CodecSpec& spec, const std::vector<uint8_t>& params, bool from_bytes) {
    auto fail = [&](const std::string& msg) -> void {
        if (from_bytes) throw CorruptStream(msg);
        throw InvalidArgument(msg);
    };
    if (params.size() != spec.params.size())
        fail(spec.name + " takes " + std::to_string(spec.params.size()) + " parameter byte(s), got " +
             std::to_string(params.size()));
    for (size_t i = 0; i < params.size(); ++i)
        if (params[i] < spec.params[i].min || params[i] > spec.params[i].max)
            fail(spec.name + ": " + spec.params[i].name + " out of range (" + std::to_string(params[i]) + ")");
}

// The payload becomes the stream: the header goes in front of it in the same buffer (moving the bytes
// along costs less than a fresh zeroed buffer and a copy).
static std::vector<uint8_t> write_stream(CodecId codec, Dtype dtype, const std::vector<uint8_t>& params,
                                         uint64_t count, std::vector<uint8_t> payload) {
    const size_t hsize = kFixedHeaderSize + params.size();
    const size_t psize = payload.size();
    const uint32_t pcrc = io::crc32c(payload.data(), psize);
    std::vector<uint8_t> out = std::move(payload);
    out.insert(out.begin(), hsize, uint8_t(0));
    uint8_t* p = out.data();
    std::memcpy(p, kMagic, 4);
    p[4] = kFormatVersion;
    p[5] = static_cast<uint8_t>(codec);
    p[6] = static_cast<uint8_t>(dtype);
    p[7] = static_cast<uint8_t>(params.size());
    io::store_le<uint64_t>(p + 8, count);
    io::store_le<uint64_t>(p + 16, psize);
    if (!params.empty()) std::memcpy(p + 24, params.data(), params.size());
    io::store_le<uint32_t>(p + 24 + params.size(), pcrc);
    io::store_le<uint32_t>(p + 28 + params.size(), io::crc32c(p, 28 + params.size()));
    return out;
}

Header read_header(const uint8_t* data, size_t size) {
    if (size < kFixedHeaderSize)
        throw CorruptStream("not a tsquash stream: " + std::to_string(size) + " bytes, a header needs at least " +
                            std::to_string(kFixedHeaderSize));
    if (std::memcmp(data, kMagic, 4) != 0) throw CorruptStream("not a tsquash stream (bad magic bytes)");
    Header h;
    h.version = data[4];
    if (h.version != kFormatVersion)
        throw CorruptStream("stream format version " + std::to_string(h.version) + " is not supported (this "
                            "tsquash reads version " + std::to_string(kFormatVersion) + ")");
    const size_t nparams = data[7];
    h.header_size = kFixedHeaderSize + nparams;
    if (size < h.header_size) throw CorruptStream("stream truncated inside its header");
    const uint32_t hcrc = io::load_le<uint32_t>(data + 28 + nparams);
    if (io::crc32c(data, 28 + nparams) != hcrc) throw CorruptStream("header checksum mismatch (corrupted header)");
    h.codec = static_cast<CodecId>(data[5]);
    const CodecSpec& spec = codec_spec(h.codec);
    const uint8_t dt = data[6];
    if (dt < 1 || dt > kMaxDtypeCode) throw CorruptStream("unknown dtype code " + std::to_string(dt));
    h.dtype = static_cast<Dtype>(dt);
    if (!spec.supports(h.dtype)) throw CorruptStream(spec.name + " streams cannot hold " + dtype_name(h.dtype));
    h.count = io::load_le<uint64_t>(data + 8);
    h.payload_size = io::load_le<uint64_t>(data + 16);
    h.params.assign(data + 24, data + 24 + nparams);
    check_params(spec, h.params, true);
    h.payload_crc = io::load_le<uint32_t>(data + 24 + nparams);
    const uint64_t available = size - h.header_size;
    if (h.payload_size > available)
        throw CorruptStream("stream truncated: payload needs " + std::to_string(h.payload_size) + " bytes, " +
                            std::to_string(available) + " present");
    if (h.payload_size < available)
        throw CorruptStream("stream has " + std::to_string(available - h.payload_size) +
                            " unexpected bytes after its payload");
    if (h.count > 0 && h.count > spec.max_count(h.payload_size, h.dtype))
        throw CorruptStream("value count " + std::to_string(h.count) + " cannot fit in a payload of " +
                            std::to_string(h.payload_size) + " bytes");
    return h;
}

// ---- encoder ------------------------------------------------------------------------------------------

struct Encoder::Impl {
    virtual ~Impl() = default;
    virtual void push(const void* values, size_t n) = 0;
    virtual std::vector<uint8_t> finish() = 0;
};

namespace {

template <class T, class Enc>
struct EncoderImpl final : Encoder::Impl {
    template <class... Args>
    explicit EncoderImpl(Args... args) : enc(args...) {}
    // memcpy per value: callers may pass unaligned buffers (np.frombuffer at an odd offset); on x86 and
    // ARM this compiles to the same plain load.
    void push(const void* values, size_t n) override {
        const auto* bytes = static_cast<const uint8_t*>(values);
        for (size_t i = 0; i < n; ++i) {
            T v;
            std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
            enc.push(v);
        }
    }
    std::vector<uint8_t> finish() override { return enc.finish(); }
    Enc enc;
};

// Block-framed codecs see the whole series at finish() (their sampling and shared sections need it).
template <class T>
struct BlockEncoderImpl final : Encoder::Impl {
    BlockEncoderImpl(alp::Profile p, size_t expected) : profile(p) { bytes.reserve(expected * sizeof(T)); }
    void push(const void* values, size_t n) override {
        const auto* b = static_cast<const uint8_t*>(values);
        bytes.insert(bytes.end(), b, b + n * sizeof(T));
    }
    std::vector<uint8_t> finish() override {
        return alp::encode<T>(bytes.data(), bytes.size() / sizeof(T), profile);
    }
    alp::Profile profile;
    std::vector<uint8_t> bytes;
};

alp::Profile profile_of(CodecId c) { return c == CodecId::alp ? alp::Profile::alp : alp::Profile::automatic; }

template <class T>
std::unique_ptr<Encoder::Impl> make_float_encoder(CodecId c, const std::vector<uint8_t>& p, size_t expected) {
    switch (c) {
        case CodecId::alp:
        case CodecId::automatic: return std::make_unique<BlockEncoderImpl<T>>(profile_of(c), expected);
        case CodecId::raw: return std::make_unique<EncoderImpl<T, RawEncoder<T>>>(expected);
        case CodecId::gorilla: return std::make_unique<EncoderImpl<T, GorillaEncoder<T>>>(expected);
        case CodecId::chimp: return std::make_unique<EncoderImpl<T, ChimpEncoder<T>>>(expected);
        case CodecId::chimp128: return std::make_unique<EncoderImpl<T, Chimp128Encoder<T>>>(expected);
        case CodecId::tsxor: return std::make_unique<EncoderImpl<T, TSXorEncoder<T>>>(unsigned(p[0]), expected);
        case CodecId::fpc: return std::make_unique<EncoderImpl<T, FpcEncoder<T>>>(unsigned(p[0]), expected);
    }
    throw InvalidArgument("unknown codec");
}

std::unique_ptr<Encoder::Impl> make_int64_encoder(CodecId c, size_t expected) {
    if (c == CodecId::gorilla) return std::make_unique<EncoderImpl<int64_t, DeltaOfDeltaEncoder>>(expected);
    if (is_block_codec(c)) return std::make_unique<BlockEncoderImpl<int64_t>>(profile_of(c), expected);
    return std::make_unique<EncoderImpl<int64_t, RawEncoder<int64_t>>>(expected);
}

// Integers of a narrower dtype, widened to int64 for the int64 codecs.
template <class N>
void widen_all(const uint8_t* from, size_t n, int64_t* to) {
    for (size_t i = 0; i < n; ++i) {
        N v;
        std::memcpy(&v, from + i * sizeof(N), sizeof(N));
        to[i] = int64_t(v);
    }
}

template <class N>
struct WidenedEncoder final : Encoder::Impl {
    explicit WidenedEncoder(std::unique_ptr<Encoder::Impl> wide) : inner(std::move(wide)) {}
    void push(const void* values, size_t n) override {
        constexpr size_t kChunk = 4096;
        int64_t wide[kChunk];
        const auto* bytes = static_cast<const uint8_t*>(values);
        for (size_t at = 0; at < n; at += kChunk) {
            const size_t m = std::min(kChunk, n - at);
            widen_all<N>(bytes + at * sizeof(N), m, wide);
            inner->push(wide, m);
        }
    }
    std::vector<uint8_t> finish() override { return inner->finish(); }
    std::unique_ptr<Encoder::Impl> inner;
};

// Raw keeps an integer dtype's own width; the other codecs code it as int64 (uint64 as its bit patterns).
template <class N>
std::unique_ptr<Encoder::Impl> make_integer_encoder(CodecId c, size_t expected) {
    if constexpr (sizeof(N) == 8) {
        return make_int64_encoder(c, expected);
    } else {
        if (c == CodecId::raw) return std::make_unique<EncoderImpl<N, RawEncoder<N>>>(expected);
        return std::make_unique<WidenedEncoder<N>>(make_int64_encoder(c, expected));
    }
}

std::unique_ptr<Encoder::Impl> make_encoder(CodecId c, Dtype d, const std::vector<uint8_t>& p, size_t expected) {
    return visit_dtype(d, [&](auto tag) -> std::unique_ptr<Encoder::Impl> {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<T>) return make_float_encoder<T>(c, p, expected);
        else return make_integer_encoder<T>(c, expected);
    });
}

}  // namespace

static void check_encoder_args(CodecId codec, Dtype dtype, const std::vector<uint8_t>& params) {
    const CodecSpec* spec = nullptr;
    for (const auto& s : codec_specs())
        if (s.id == codec) spec = &s;
    if (!spec) throw InvalidArgument("unknown codec id " + std::to_string(unsigned(codec)));
    if (!spec->supports(dtype)) {
        std::string ok;
        for (Dtype x : spec->dtypes) ok += (ok.empty() ? "" : ", ") + std::string(dtype_name(x));
        throw TypeMismatch(spec->name + " does not encode " + dtype_name(dtype) + " (it takes " + ok + ")");
    }
    check_params(*spec, params, false);
}

Encoder::Encoder(CodecId codec, Dtype dtype, std::vector<uint8_t> params, size_t expected_values)
    : codec_(codec), dtype_(dtype), params_(std::move(params)) {
    check_encoder_args(codec, dtype, params_);
    impl_ = make_encoder(codec, dtype, params_, expected_values);
}

Encoder::~Encoder() = default;
Encoder::Encoder(Encoder&&) noexcept = default;
Encoder& Encoder::operator=(Encoder&&) noexcept = default;

void Encoder::push(const void* values, size_t n) {
    if (finished_) throw InvalidArgument("encoder already finished");
    impl_->push(values, n);
    count_ += n;
}

std::vector<uint8_t> Encoder::finish() {
    if (finished_) throw InvalidArgument("encoder already finished");
    finished_ = true;
    return write_stream(codec_, dtype_, params_, count_, impl_->finish());
}

// ---- decoder ------------------------------------------------------------------------------------------

struct Decoder::Impl {
    virtual ~Impl() = default;
    virtual void read(void* out, size_t n) = 0;
    // Block codecs spread whole blocks over threads; the others decode sequentially.
    virtual void read_threaded(void* out, size_t n, unsigned) { read(out, n); }
    // Sequential codecs decode the values passed over (each depends on the ones before), in chunks.
    virtual void skip(uint64_t n, size_t value_size) {
        constexpr size_t kChunk = 4096;
        std::vector<uint8_t> scratch(std::min<uint64_t>(n, kChunk) * value_size);
        for (uint64_t at = 0; at < n; at += kChunk) read(scratch.data(), size_t(std::min<uint64_t>(kChunk, n - at)));
    }
    // Block codecs move to any position at once (true); the others cannot go back (false: the caller starts
    // over).
    virtual bool seek(uint64_t) { return false; }
    virtual void expect_end() = 0;
};

namespace {

template <class T, class Dec>
struct DecoderImpl final : Decoder::Impl {
    template <class... Args>
    explicit DecoderImpl(Args... args) : dec(args...) {}
    void read(void* out, size_t n) override {
        auto* bytes = static_cast<uint8_t*>(out);
        for (size_t i = 0; i < n; ++i) {
            const T v = dec.next();
            std::memcpy(bytes + i * sizeof(T), &v, sizeof(T));
        }
    }
    void expect_end() override { dec.expect_end(); }
    Dec dec;
};

template <class T>
struct BlockDecoderImpl final : Decoder::Impl {
    BlockDecoderImpl(const uint8_t* d, size_t n, uint64_t count) : dec(d, n, count) {}
    void read(void* out, size_t n) override { dec.read(out, n); }
    void read_threaded(void* out, size_t n, unsigned threads) override { dec.read(out, n, threads); }
    void skip(uint64_t n, size_t) override { dec.skip(n); }
    bool seek(uint64_t position) override {
        dec.seek(position);
        return true;
    }
    void expect_end() override { dec.expect_end(); }
    alp::Decoder<T> dec;
};

template <class T>
std::unique_ptr<Decoder::Impl> make_float_decoder(CodecId c, const std::vector<uint8_t>& p, const uint8_t* d,
                                                  size_t n, uint64_t count) {
    switch (c) {
        case CodecId::alp:
        case CodecId::automatic: return std::make_unique<BlockDecoderImpl<T>>(d, n, count);
        case CodecId::raw: return std::make_unique<DecoderImpl<T, RawDecoder<T>>>(d, n);
        case CodecId::gorilla: return std::make_unique<DecoderImpl<T, GorillaDecoder<T>>>(d, n);
        case CodecId::chimp: return std::make_unique<DecoderImpl<T, ChimpDecoder<T>>>(d, n);
        case CodecId::chimp128: return std::make_unique<DecoderImpl<T, Chimp128Decoder<T>>>(d, n);
        case CodecId::tsxor: return std::make_unique<DecoderImpl<T, TSXorDecoder<T>>>(d, n, unsigned(p[0]));
        case CodecId::fpc: return std::make_unique<DecoderImpl<T, FpcDecoder<T>>>(d, n, unsigned(p[0]));
    }
    throw CorruptStream("unknown codec");
}

std::unique_ptr<Decoder::Impl> make_int64_decoder(CodecId c, const uint8_t* d, size_t n, uint64_t count) {
    if (is_block_codec(c)) return std::make_unique<BlockDecoderImpl<int64_t>>(d, n, count);
    if (c == CodecId::gorilla) return std::make_unique<DecoderImpl<int64_t, DeltaOfDeltaDecoder>>(d, n);
    return std::make_unique<DecoderImpl<int64_t, RawDecoder<int64_t>>>(d, n);
}

// Integers of a narrower dtype, decoded as int64 and narrowed back. An encoder only ever widened such
// values, so one outside the dtype's range means a corrupted stream.
template <class N>
struct NarrowedDecoder final : Decoder::Impl {
    explicit NarrowedDecoder(std::unique_ptr<Decoder::Impl> wide) : inner(std::move(wide)) {}
    void read(void* out, size_t n) override { read_threaded(out, n, 1); }
    void read_threaded(void* out, size_t n, unsigned threads) override {
        // Chunks of whole blocks, so that the block codecs keep their threads busy.
        constexpr size_t kChunk = size_t(1) << 16;
        if (wide.size() < std::min(n, kChunk)) wide.resize(std::min(n, kChunk));
        auto* bytes = static_cast<uint8_t*>(out);
        for (size_t at = 0; at < n; at += kChunk) {
            const size_t m = std::min(kChunk, n - at);
            if (threads > 1) inner->read_threaded(wide.data(), m, threads);
            else inner->read(wide.data(), m);
            bool outside = false;
            for (size_t i = 0; i < m; ++i) {
                const N v = N(wide[i]);
                outside |= int64_t(v) != wide[i];
                std::memcpy(bytes + (at + i) * sizeof(N), &v, sizeof(N));
            }
            if (outside) throw CorruptStream(std::string("a value outside the range of ") + name);
        }
    }
    // The values passed over are not narrowed, so not checked against the dtype's range either.
    void skip(uint64_t n, size_t) override { inner->skip(n, sizeof(int64_t)); }
    bool seek(uint64_t position) override { return inner->seek(position); }
    void expect_end() override { inner->expect_end(); }
    std::unique_ptr<Decoder::Impl> inner;
    std::vector<int64_t> wide;
    const char* name = "";
};

template <class N>
std::unique_ptr<Decoder::Impl> make_integer_decoder(const Header& h, const uint8_t* d, size_t n) {
    if constexpr (sizeof(N) == 8) {
        return make_int64_decoder(h.codec, d, n, h.count);
    } else {
        if (h.codec == CodecId::raw) return std::make_unique<DecoderImpl<N, RawDecoder<N>>>(d, n);
        auto dec = std::make_unique<NarrowedDecoder<N>>(make_int64_decoder(h.codec, d, n, h.count));
        dec->name = dtype_name(h.dtype);
        return dec;
    }
}

// The header, once the payload it describes has passed its checksum.
Header verified_header(const uint8_t* data, size_t size) {
    Header h = read_header(data, size);
    if (io::crc32c(data + h.header_size, h.payload_size) != h.payload_crc)
        throw CorruptStream("payload checksum mismatch (corrupted payload)");
    return h;
}

}  // namespace

Decoder::Decoder(const uint8_t* data, size_t size)
    : header_(verified_header(data, size)), payload_(data + header_.header_size), impl_(make_impl()) {
    if (header_.count == 0) impl_->expect_end();
}

std::unique_ptr<Decoder::Impl> Decoder::make_impl() const {
    const size_t n = header_.payload_size;
    return visit_dtype(header_.dtype, [&](auto tag) -> std::unique_ptr<Decoder::Impl> {
        using T = decltype(tag);
        if constexpr (std::is_floating_point_v<T>)
            return make_float_decoder<T>(header_.codec, header_.params, payload_, n, header_.count);
        else return make_integer_decoder<T>(header_, payload_, n);
    });
}

void Decoder::seek(uint64_t position) {
    if (position > header_.count)
        throw InvalidArgument("seek to value " + std::to_string(position) + " of a stream of " +
                              std::to_string(header_.count));
    if (!impl_->seek(position)) {  // sequential: on from here, or from the start to go back
        if (position < done_) {
            impl_ = make_impl();
            done_ = 0;
        }
        skip(position - done_);
        return;
    }
    done_ = position;
    if (done_ == header_.count) impl_->expect_end();
}

Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

size_t Decoder::read(void* out, size_t max, unsigned threads) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(max, remaining()));
    if (n == 0) return 0;
    if (threads > 1) impl_->read_threaded(out, n, threads);
    else impl_->read(out, n);
    done_ += n;
    if (done_ == header_.count) impl_->expect_end();
    return n;
}

uint64_t Decoder::skip(uint64_t max) {
    const uint64_t n = std::min<uint64_t>(max, remaining());
    if (n == 0) return 0;
    impl_->skip(n, dtype_size(header_.dtype));
    done_ += n;
    if (done_ == header_.count) impl_->expect_end();
    return n;
}

std::vector<uint8_t> encode(CodecId codec, Dtype dtype, const std::vector<uint8_t>& params, const void* values,
                            size_t n, unsigned threads, std::vector<uint8_t>&& storage) {
    if (is_block_codec(codec)) {  // whole array at hand: no copy into a streaming buffer
        check_encoder_args(codec, dtype, params);
        const alp::Profile p = profile_of(codec);
        std::vector<uint8_t> payload;
        if (dtype == Dtype::float64) {
            payload = alp::encode<double>(values, n, p, threads, std::move(storage));
        } else if (dtype == Dtype::float32) {
            payload = alp::encode<float>(values, n, p, threads, std::move(storage));
        } else if (dtype == Dtype::int64 || dtype == Dtype::uint64) {  // the same bit patterns
            payload = alp::encode<int64_t>(values, n, p, threads, std::move(storage));
        } else {
            std::vector<int64_t> wide(n);
            visit_dtype(dtype, [&](auto tag) {
                using T = decltype(tag);
                if constexpr (std::is_integral_v<T>) widen_all<T>(static_cast<const uint8_t*>(values), n, wide.data());
            });
            payload = alp::encode<int64_t>(wide.data(), n, p, threads, std::move(storage));
        }
        return write_stream(codec, dtype, params, n, std::move(payload));
    }
    Encoder e(codec, dtype, params, n);
    e.push(values, n);
    return e.finish();
}

void decode(const uint8_t* data, size_t size, void* out, unsigned threads) {
    Decoder d(data, size);
    d.read(out, d.remaining(), threads);
}

BlockChoices block_choices(const uint8_t* data, size_t size) {
    const Header h = verified_header(data, size);
    if (!is_block_codec(h.codec)) throw InvalidArgument("only alp and auto streams are made of blocks");
    // Integers of every width are coded as int64 blocks.
    const alp::BlockSummary sum = visit_dtype(h.dtype, [&](auto tag) {
        using T = decltype(tag);
        using Coded = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;
        return alp::Decoder<Coded>(data + h.header_size, h.payload_size, h.count).summary();
    });
    BlockChoices out{{}, sum.dictionary_entries, sum.entropy_tables, sum.reference_period};
    out.methods.reserve(sum.methods.size());
    for (uint8_t m : sum.methods) {
        // The framing does not check method bytes (decoding a block does): an unknown one is caught here.
        const char* name = alp::block_method_name(m);
        if (!name) throw CorruptStream("unknown block method " + std::to_string(m));
        out.methods.emplace_back(name);
    }
    return out;
}

}  // namespace tsquash::container
