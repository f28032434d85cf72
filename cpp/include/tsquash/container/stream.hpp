// The self-describing stream: a header (magic, version, codec, dtype, count, parameters, checksums) followed
// by one codec's payload. docs/format.md describes every byte. This header is the only one the bindings and
// tools need; the codec headers stay private to the translation units that instantiate them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tsquash/errors.hpp"

namespace tsquash::container {

inline constexpr uint8_t kMagic[4] = {'T', 'S', 'Q', 'S'};
inline constexpr uint8_t kFormatVersion = 1;
inline constexpr size_t kFixedHeaderSize = 32;  // header bytes besides the parameters

enum class CodecId : uint8_t {
    raw = 0, gorilla = 1, chimp = 2, chimp128 = 3, tsxor = 4, fpc = 5,
    alp = 6, automatic = 7,  // block-framed codecs (named "alp" and "auto")
};
// The integer dtypes besides int64 are coded by the int64 codecs (raw keeps their own width): the values
// widened to int64 (uint64's bit patterns as they are), narrowed back on decoding.
enum class Dtype : uint8_t {
    float64 = 1, float32 = 2, int64 = 3,
    int32 = 4, int16 = 5, int8 = 6, uint64 = 7, uint32 = 8, uint16 = 9, uint8 = 10,
};
inline constexpr uint8_t kMaxDtypeCode = 10;

// Calls f with a value of dtype d's C++ type (a tag: only its type matters) and returns what f returns.
template <class F>
decltype(auto) visit_dtype(Dtype d, F&& f) {
    switch (d) {
        case Dtype::float64: return f(double{});
        case Dtype::float32: return f(float{});
        case Dtype::int64: return f(int64_t{});
        case Dtype::int32: return f(int32_t{});
        case Dtype::int16: return f(int16_t{});
        case Dtype::int8: return f(int8_t{});
        case Dtype::uint64: return f(uint64_t{});
        case Dtype::uint32: return f(uint32_t{});
        case Dtype::uint16: return f(uint16_t{});
        case Dtype::uint8: return f(uint8_t{});
    }
    throw InvalidArgument("unknown dtype code " + std::to_string(unsigned(d)));
}

size_t dtype_size(Dtype d);
const char* dtype_name(Dtype d);
Dtype dtype_from_name(std::string_view name);  // "float64", "int32", ...; InvalidArgument otherwise

struct ParamSpec {
    std::string name;
    unsigned min, max, default_value;
    std::string help;
};

struct CodecSpec {
    CodecId id;
    std::string name;
    std::string summary;
    std::vector<Dtype> dtypes;
    std::vector<ParamSpec> params;  // stored in the header as one byte each, in this order
    // Fewest payload bits any value after the first can take; bounds the count a header may claim.
    unsigned min_bits_per_value;
    // Block-framed codecs (alp, auto): values per block. Their count is bounded by the blocks the payload
    // can frame (3 bytes at least per block) instead of min_bits_per_value, since a block of repeats costs
    // far less than a bit per value.
    unsigned block_values = 0;

    bool supports(Dtype d) const;
    // Fewest payload bits a value of dtype d can take: min_bits_per_value, or the dtype's width where that
    // is narrower (raw int8 streams hold a byte a value).
    unsigned min_bits(Dtype d) const;
    // Largest count a payload of this many bytes can hold (the header check behind "count too large").
    uint64_t max_count(uint64_t payload_size, Dtype d) const;
};

const std::vector<CodecSpec>& codec_specs();
const CodecSpec& codec_spec(CodecId id);          // CorruptStream if unknown (ids come from bytes)
const CodecSpec& codec_spec(std::string_view name);  // InvalidArgument if unknown (names come from users)

struct Header {
    uint8_t version = kFormatVersion;
    CodecId codec = CodecId::raw;
    Dtype dtype = Dtype::float64;
    uint64_t count = 0;
    std::vector<uint8_t> params;
    uint64_t payload_size = 0;
    uint32_t payload_crc = 0;
    size_t header_size = 0;  // offset of the payload
};

// Parse and validate a header: magic, version, known codec and dtype, parameter count and ranges, header
// checksum, payload length against the buffer, and a count the payload could hold. Throws CorruptStream.
Header read_header(const uint8_t* data, size_t size);

// Streaming encoder: push values (any number at a time, of the encoder's dtype), then finish() once to get
// the whole stream. Parameters are validated here (InvalidArgument / TypeMismatch).
class Encoder {
public:
    Encoder(CodecId codec, Dtype dtype, std::vector<uint8_t> params, size_t expected_values = 0);
    ~Encoder();
    Encoder(Encoder&&) noexcept;
    Encoder& operator=(Encoder&&) noexcept;

    void push(const void* values, size_t n);
    std::vector<uint8_t> finish();
    uint64_t count() const { return count_; }
    Dtype dtype() const { return dtype_; }

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
    CodecId codec_;
    Dtype dtype_;
    std::vector<uint8_t> params_;
    uint64_t count_ = 0;
    bool finished_ = false;
};

// Streaming decoder over a complete stream held in memory (the caller keeps the bytes alive). The header
// and the payload checksum are verified on construction; read() then yields values in order.
class Decoder {
public:
    Decoder(const uint8_t* data, size_t size);
    ~Decoder();
    Decoder(Decoder&&) noexcept;
    Decoder& operator=(Decoder&&) noexcept;

    const Header& header() const { return header_; }
    uint64_t remaining() const { return header_.count - done_; }
    // Decode up to max values into out (of the stream's dtype); returns how many were written. The block
    // codecs (alp, auto) spread whole blocks over up to `threads` threads; the others ignore it.
    size_t read(void* out, size_t max, unsigned threads = 1);
    // Pass over up to n values; returns how many were passed over. The block codecs (alp, auto) decode none
    // of them (their blocks are read from where the values start); the others decode and drop them.
    uint64_t skip(uint64_t n);
    // Moves to value `position` (0 to the count; InvalidArgument past it), forwards or backwards: the block
    // codecs at once; the others decode from where they are, or from the start to go back.
    void seek(uint64_t position);
    uint64_t position() const { return done_; }

    struct Impl;

private:
    Header header_;
    const uint8_t* payload_;  // the caller's bytes: a sequential codec starts over on them to go back
    std::unique_ptr<Impl> impl_;
    uint64_t done_ = 0;
    std::unique_ptr<Impl> make_impl() const;
};

// Whole-array conveniences built on Encoder / Decoder. `threads` (not stored in the stream: the bytes are
// the same for any count) is used by the block codecs alp and auto; the others run on the calling thread.
// `storage`: a buffer the block codecs may write the stream into (its contents are dropped), such as the
// previous call's stream once copied out: large fresh buffers are faulted in page by page on every call.
std::vector<uint8_t> encode(CodecId codec, Dtype dtype, const std::vector<uint8_t>& params, const void* values,
                            size_t n, unsigned threads = 1, std::vector<uint8_t>&& storage = {});
// Decode a whole stream into out, which must hold header.count values of header.dtype.
void decode(const uint8_t* data, size_t size, void* out, unsigned threads = 1);

// What the encoder of an alp or auto stream chose, after the header and the payload checksum are verified;
// no block is decoded. Other codecs have no blocks: InvalidArgument.
struct BlockChoices {
    // Per block, its method: "raw", "alp", "alp_rd", "delta", "rle", "dict", "float32", "sig", "stride" or
    // "sparse".
    std::vector<std::string_view> methods;
    size_t dictionary_entries = 0;
    size_t entropy_tables = 0;
    uint64_t reference_period = 0;
};
BlockChoices block_choices(const uint8_t* data, size_t size);

// Parameters by name -> header bytes, defaults filled in and ranges checked (InvalidArgument).
std::vector<uint8_t> resolve_params(const CodecSpec& spec,
                                    const std::vector<std::pair<std::string, long long>>& given);

}  // namespace tsquash::container
