// Shared helpers for the GoogleTest suite: bit-pattern comparison, IEEE-754 layout constants, data
// generators, and one small descriptor type per codec configuration so typed tests can run every codec
// over float and double.
#pragma once
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tsquash/codecs/alp.hpp"
#include "tsquash/codecs/chimp.hpp"
#include "tsquash/codecs/float_bits.hpp"
#include "tsquash/codecs/fpc.hpp"
#include "tsquash/codecs/gorilla.hpp"
#include "tsquash/codecs/gorilla_timestamps.hpp"
#include "tsquash/codecs/raw.hpp"
#include "tsquash/codecs/tsxor.hpp"
#include "tsquash/container/stream.hpp"
#include "tsquash/errors.hpp"

namespace tsq_test {

using tsquash::CorruptStream;
using tsquash::InvalidArgument;
using tsquash::TypeMismatch;
using tsquash::codecs::bits_t;
namespace container = tsquash::container;
namespace codecs = tsquash::codecs;

// IEEE-754 field masks, derived from numeric_limits so float and double share one definition.
template <class T>
struct Ieee {
    using U = bits_t<T>;
    static constexpr unsigned kWidth = sizeof(T) * 8;
    static constexpr unsigned kMant = std::numeric_limits<T>::digits - 1;
    static constexpr U kSign = U(1) << (kWidth - 1);
    static constexpr U kMantMask = (U(1) << kMant) - 1;
    static constexpr U kExpMask = U(~kSign) & U(~kMantMask);
    static constexpr U kQuietBit = U(1) << (kMant - 1);
    static constexpr U kAllOnes = U(~U(0));
};

template <class T>
T from_bits(bits_t<T> u) {
    T v;
    std::memcpy(&v, &u, sizeof v);
    return v;
}

template <class T>
bits_t<T> bits_of(T v) {
    bits_t<T> u;
    std::memcpy(&u, &v, sizeof u);
    return u;
}

// Values are built from bit patterns so NaN payloads never pass through floating-point arithmetic.
template <class T>
std::vector<T> from_patterns(const std::vector<bits_t<T>>& u) {
    std::vector<T> v(u.size());
    if (!u.empty()) std::memcpy(v.data(), u.data(), u.size() * sizeof(T));
    return v;
}

inline std::string hex(uint64_t u, unsigned width_bits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%0*" PRIx64, int(width_bits / 4), u);
    return buf;
}

// Equal length and equal bit patterns at every index; the message names the first difference.
template <class T>
::testing::AssertionResult SameBits(const T* expected, size_t ne, const T* actual, size_t na) {
    if (ne != na)
        return ::testing::AssertionFailure() << "length differs: expected " << ne << " values, got " << na;
    for (size_t i = 0; i < ne; ++i) {
        uint64_t a = 0, b = 0;
        std::memcpy(&a, &expected[i], sizeof(T));
        std::memcpy(&b, &actual[i], sizeof(T));
        if (a != b)
            return ::testing::AssertionFailure() << "first difference at index " << i << " of " << ne << ": expected "
                                                 << hex(a, sizeof(T) * 8) << ", got " << hex(b, sizeof(T) * 8);
    }
    return ::testing::AssertionSuccess();
}

template <class T>
::testing::AssertionResult SameBits(const std::vector<T>& expected, const std::vector<T>& actual) {
    return SameBits(expected.data(), expected.size(), actual.data(), actual.size());
}

// ---- codec descriptors -----------------------------------------------------------------------------------
// Each names a codec configuration: how to build its encoder and decoder directly, and the stream-level
// codec id and parameter bytes that select the same configuration through the container.

template <class T>
struct RawCodec {
    using value_type = T;
    static std::string name() { return "raw"; }
    static container::CodecId id() { return container::CodecId::raw; }
    static std::vector<uint8_t> params() { return {}; }
    static codecs::RawEncoder<T> encoder(size_t n = 0) { return codecs::RawEncoder<T>(n); }
    static codecs::RawDecoder<T> decoder(const uint8_t* p, size_t n) { return codecs::RawDecoder<T>(p, n); }
};

template <class T>
struct GorillaCodec {
    using value_type = T;
    static std::string name() { return "gorilla"; }
    static container::CodecId id() { return container::CodecId::gorilla; }
    static std::vector<uint8_t> params() { return {}; }
    static codecs::GorillaEncoder<T> encoder(size_t n = 0) { return codecs::GorillaEncoder<T>(n); }
    static codecs::GorillaDecoder<T> decoder(const uint8_t* p, size_t n) { return codecs::GorillaDecoder<T>(p, n); }
};

template <class T>
struct ChimpCodec {
    using value_type = T;
    static std::string name() { return "chimp"; }
    static container::CodecId id() { return container::CodecId::chimp; }
    static std::vector<uint8_t> params() { return {}; }
    static codecs::ChimpEncoder<T> encoder(size_t n = 0) { return codecs::ChimpEncoder<T>(n); }
    static codecs::ChimpDecoder<T> decoder(const uint8_t* p, size_t n) { return codecs::ChimpDecoder<T>(p, n); }
};

template <class T>
struct Chimp128Codec {
    using value_type = T;
    static std::string name() { return "chimp128"; }
    static container::CodecId id() { return container::CodecId::chimp128; }
    static std::vector<uint8_t> params() { return {}; }
    static codecs::Chimp128Encoder<T> encoder(size_t n = 0) { return codecs::Chimp128Encoder<T>(n); }
    static codecs::Chimp128Decoder<T> decoder(const uint8_t* p, size_t n) {
        return codecs::Chimp128Decoder<T>(p, n);
    }
};

template <class T, unsigned W>
struct TSXorCodec {
    using value_type = T;
    static std::string name() { return "tsxor_w" + std::to_string(W); }
    static container::CodecId id() { return container::CodecId::tsxor; }
    static std::vector<uint8_t> params() { return {uint8_t(W)}; }
    static codecs::TSXorEncoder<T> encoder(size_t n = 0) { return codecs::TSXorEncoder<T>(W, n); }
    static codecs::TSXorDecoder<T> decoder(const uint8_t* p, size_t n) { return codecs::TSXorDecoder<T>(p, n, W); }
};

template <class T, unsigned B>
struct FpcCodec {
    using value_type = T;
    static std::string name() { return "fpc_t" + std::to_string(B); }
    static container::CodecId id() { return container::CodecId::fpc; }
    static std::vector<uint8_t> params() { return {uint8_t(B)}; }
    static codecs::FpcEncoder<T> encoder(size_t n = 0) { return codecs::FpcEncoder<T>(B, n); }
    static codecs::FpcDecoder<T> decoder(const uint8_t* p, size_t n) { return codecs::FpcDecoder<T>(p, n, B); }
};

// int64 delta-of-delta, the gorilla codec's integer mode.
struct DodCodec {
    using value_type = int64_t;
    static std::string name() { return "gorilla_dod"; }
    static container::CodecId id() { return container::CodecId::gorilla; }
    static std::vector<uint8_t> params() { return {}; }
    static codecs::DeltaOfDeltaEncoder encoder(size_t n = 0) { return codecs::DeltaOfDeltaEncoder(n); }
    static codecs::DeltaOfDeltaDecoder decoder(const uint8_t* p, size_t n) { return codecs::DeltaOfDeltaDecoder(p, n); }
};

template <class T>
constexpr container::Dtype dtype_of() {
    if constexpr (std::is_same_v<T, double>) return container::Dtype::float64;
    else if constexpr (std::is_same_v<T, float>) return container::Dtype::float32;
    else return container::Dtype::int64;
}

template <class C>
std::vector<uint8_t> encode_payload(const std::vector<typename C::value_type>& v) {
    auto enc = C::encoder(v.size());
    for (const auto& x : v) enc.push(x);
    return enc.finish();
}

// Decode n values and require the payload to end exactly there.
template <class C>
std::vector<typename C::value_type> decode_payload(const std::vector<uint8_t>& bytes, size_t n) {
    auto dec = C::decoder(bytes.data(), bytes.size());
    std::vector<typename C::value_type> out;
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.push_back(dec.next());
    dec.expect_end();
    return out;
}

// ---- data generators -------------------------------------------------------------------------------------

template <class T>
std::vector<T> random_bit_patterns(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<bits_t<T>> u(n);
    for (auto& x : u) x = static_cast<bits_t<T>>(rng());
    return from_patterns<T>(u);
}

// A price-like series: a random walk on a 0.01 grid, the kind of data XOR codecs are built for.
template <class T>
std::vector<T> random_walk(size_t n, uint64_t seed, double step = 0.01, double start = 100.0) {
    std::mt19937_64 rng(seed);
    std::vector<T> v(n);
    long long ticks = 0;
    for (auto& x : v) {
        ticks += static_cast<long long>(rng() % 21) - 10;
        x = static_cast<T>(start + double(ticks) * step);
    }
    return v;
}

// Full-precision random walk: every step perturbs all mantissa bits.
template <class T>
std::vector<T> gaussian_walk(size_t n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> step(0.0, 1.0);
    std::vector<T> v(n);
    double acc = 0;
    for (auto& x : v) {
        acc += step(rng);
        x = static_cast<T>(acc);
    }
    return v;
}

// The n values of an alp/auto payload, read whole by the block decoder (no stream header around it).
template <class T>
std::vector<T> alp_decode(const std::vector<uint8_t>& payload, size_t n) {
    tsquash::codecs::alp::Decoder<T> d(payload.data(), payload.size(), n);
    std::vector<T> out(n);
    d.read(out.data(), n);
    d.expect_end();
    return out;
}

}  // namespace tsq_test
