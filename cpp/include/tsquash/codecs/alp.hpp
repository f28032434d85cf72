// The block-framed codecs `alp` and `auto` (docs/format.md, "alp and auto"): values are cut into blocks of
// 1024, each block is coded by the method that suits it (decimal, high-precision, integer deltas, runs,
// a series dictionary, float32-derived doubles, significant-digit decimals, interleaved channels, mostly
// zeros, raw) and a directory of block sizes lets any block be decoded without the others. Both codec ids share one payload grammar; `auto` lets its encoder use every
// method and the entropy stage, `alp` only the fast ones.
//
// This header is the whole public surface; the implementation lives in cpp/src/codecs/alp/.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace tsquash::codecs::alp {

inline constexpr size_t kBlockValues = 1024;

enum class Profile : uint8_t {
    alp,     // decimal (ALP), high precision (ALP-RD), integer deltas and raw blocks; bit-packing only
    automatic,  // everything: + runs, dictionary, float32 detection, significant-digit decimals,
                // interleaved channels, mostly zeros, entropy-coded integer streams
};

// T is double, float or int64_t; values need not be aligned. The payload only; the stream header is the
// container's business. Up to `threads` threads share the work (row groups, models, blocks); the bytes are
// the same for any count. `storage`: a buffer whose memory the payload may take over (its contents are
// dropped): a caller that encodes over and over hands back the last payload, instead of fresh memory being
// faulted in page by page on every call.
template <class T>
std::vector<uint8_t> encode(const void* values, size_t n, Profile profile, unsigned threads = 1,
                            std::vector<uint8_t>&& storage = {});

// What the encoder chose for a payload: each block's method (its first byte; see block_method_name) and
// the shared sections.
struct BlockSummary {
    std::vector<uint8_t> methods;   // per block, in order
    size_t dictionary_entries = 0;  // the series dictionary's, 0 without one
    size_t entropy_tables = 0;      // the entropy stage's tables, 0 without it
    uint64_t reference_period = 0;  // the series reference's period, 0 without one
};

// Reads a payload of `count` values. The constructor validates the framing (sections, directory) and
// decodes the shared sections; blocks are decoded on demand. Every read is bounds-checked and bad bytes
// raise CorruptStream.
template <class T>
class Decoder {
public:
    Decoder(const uint8_t* payload, size_t size, uint64_t count);
    ~Decoder();
    Decoder(Decoder&&) noexcept;
    Decoder& operator=(Decoder&&) noexcept;

    uint64_t count() const;
    size_t block_count() const;
    // What the encoder chose, read from the framing and shared sections alone (no block is decoded).
    BlockSummary summary() const;
    // Values [first, first + n) of the series into out (n values of T, any alignment), decoding only the
    // blocks that hold them; whole blocks are spread over up to `threads` threads.
    void read_range(uint64_t first, size_t n, void* out, unsigned threads = 1);
    // The next n values (sequential reading, as the streaming decoder does).
    void read(void* out, size_t n, unsigned threads = 1);
    // Moves the sequential position on by n values without decoding them (InvalidArgument past the end).
    void skip(uint64_t n);
    // Moves the sequential position to any value, or to the end (InvalidArgument past it).
    void seek(uint64_t position);
    // After the last value: nothing may be left (the framing already guarantees this; kept for symmetry).
    void expect_end() const;

    struct State;

private:
    std::unique_ptr<State> s_;
};

// The name of a block method byte ("raw", "alp", "alp_rd", "delta", "rle", "dict", "float32", "sig",
// "stride", "sparse", "alp_exc"), or nullptr for a byte that is none (a decoder rejects such a block).
const char* block_method_name(uint8_t method);

}  // namespace tsquash::codecs::alp
