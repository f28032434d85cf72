// Helpers shared by the libFuzzer targets and by make_corpus (which writes seeds in the same input layout).
//
// Input layout of the codec fuzzers (fuzz_<codec>.cpp):
//   byte 0     bit 0: 0 = float64, 1 = float32 (ignored by the int64 target)
//   byte 1     codec parameter: tsxor window = 1 + b % 127, fpc table_log2 = 1 + b % 12 (others ignore it)
//   bytes 2-3  how many values to decode, little-endian
//   the rest   the codec's raw payload (no stream header, so no checksum stands in the way)
// Each target (1) decodes the payload as untrusted bytes, where CorruptStream is the only acceptable error,
// (2) re-encodes whatever decoded and requires it back bit-exactly, and (3) does the same for the payload bytes
// reinterpreted as values. A mismatch or any other exception aborts, which libFuzzer reports as a crash.
#pragma once
#include <algorithm>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

#include "tsquash/errors.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"

namespace fuzz {

inline constexpr size_t kPrefix = 4;

// Larger tables only make each run slower (every predictor zeroes its tables); the hashing code is the same.
inline unsigned fpc_table_log2(uint8_t b) { return 1 + b % 12; }
inline unsigned tsxor_window(uint8_t b) { return 1 + b % 127; }

struct Input {
    bool as_float = false;
    uint8_t param = 0;
    size_t count = 0;
    const uint8_t* payload = nullptr;
    size_t size = 0;
};

inline bool parse(const uint8_t* data, size_t size, Input& in) {
    if (size < kPrefix) return false;
    in.as_float = data[0] & 1;
    in.param = data[1];
    in.count = size_t(data[2]) | size_t(data[3]) << 8;
    in.payload = data + kPrefix;
    in.size = size - kPrefix;
    return true;
}

inline std::vector<uint8_t> make_input(bool as_float, uint8_t param, uint16_t count,
                                       const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> out = {uint8_t(as_float ? 1 : 0), param, uint8_t(count & 0xFF), uint8_t(count >> 8)};
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

[[noreturn]] inline void die(const char* codec, const char* what, size_t index, uint64_t want = 0, uint64_t got = 0) {
    std::fprintf(stderr, "%s: %s at value %zu (expected 0x%016" PRIx64 ", got 0x%016" PRIx64 ")\n", codec, what,
                 index, want, got);
    std::abort();
}

template <class T>
uint64_t bits(T v) {
    uint64_t u = 0;
    std::memcpy(&u, &v, sizeof(T));
    return u;
}

// Decode up to count values of untrusted payload, stopping at the first CorruptStream; then, if all count
// values decoded, let expect_end judge the rest. Returns what decoded.
template <class T, class Dec>
std::vector<T> decode_untrusted(Dec& dec, size_t count, size_t payload_bytes) {
    std::vector<T> out;
    // Every record takes at least one bit, so more values than that cannot decode.
    out.reserve(std::min(count, payload_bytes * 8 + 1));
    try {
        for (size_t i = 0; i < count; ++i) out.push_back(dec.next());
        dec.expect_end();
    } catch (const tsquash::CorruptStream&) {
    }
    return out;
}

// Encode n values, decode them back and abort unless every bit pattern matches and the payload ends exactly.
template <class T, class MakeEnc, class MakeDec>
void check_round_trip(const char* codec, const T* v, size_t n, MakeEnc make_enc, MakeDec make_dec) {
    auto enc = make_enc(n);
    for (size_t i = 0; i < n; ++i) enc.push(v[i]);
    const std::vector<uint8_t> bytes = enc.finish();
    auto dec = make_dec(bytes.data(), bytes.size());
    size_t i = 0;
    try {
        for (; i < n; ++i) {
            const T got = dec.next();
            if (bits(got) != bits(v[i])) die(codec, "round trip changed a value", i, bits(v[i]), bits(got));
        }
        dec.expect_end();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: decoding the encoder's own output threw: %s\n", codec, e.what());
        die(codec, "round trip failed", i);
    }
}

// The three checks described at the top of this file.
template <class T, class MakeEnc, class MakeDec>
void exercise(const char* codec, const Input& in, MakeEnc make_enc, MakeDec make_dec) {
    {
        auto dec = make_dec(in.payload, in.size);
        const std::vector<T> got = decode_untrusted<T>(dec, in.count, in.size);
        check_round_trip<T>(codec, got.data(), got.size(), make_enc, make_dec);
    }
    std::vector<T> values(in.size / sizeof(T));
    if (!values.empty()) std::memcpy(values.data(), in.payload, values.size() * sizeof(T));
    check_round_trip<T>(codec, values.data(), values.size(), make_enc, make_dec);
}

// The body of every float codec target: parse the prefix, then call run(T{}, in) with T = float or double.
template <class Run>
int run_float_target(const uint8_t* data, size_t size, Run run) {
    Input in;
    if (!parse(data, size, in)) return 0;
    if (in.as_float)
        run(float{}, in);
    else
        run(double{}, in);
    return 0;
}

// For the targets of checksummed formats (states, models): parse the input as it is, then, when it holds at
// least min_size bytes, a copy whose trailing CRC-32C is recomputed, so that mutations get past the checksum to
// the layout and consistency checks.
template <class Parse>
void parse_as_is_and_crc_fixed(const uint8_t* data, size_t size, size_t min_size, Parse parse) {
    parse(data, size);
    if (size < min_size) return;
    std::vector<uint8_t> fixed(data, data + size);
    tsquash::io::store_le<uint32_t>(fixed.data() + size - 4, tsquash::io::crc32c(fixed.data(), size - 4));
    parse(fixed.data(), fixed.size());
}

}  // namespace fuzz
