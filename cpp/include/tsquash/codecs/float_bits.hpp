// The unsigned integer view of a float type, and helpers shared by the XOR codecs.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tsquash::codecs {

template <class T>
struct FloatBits;

template <>
struct FloatBits<double> {
    using U = uint64_t;
    static constexpr unsigned kBits = 64;
};

template <>
struct FloatBits<float> {
    using U = uint32_t;
    static constexpr unsigned kBits = 32;
};

template <class T>
using bits_t = typename FloatBits<T>::U;

template <class T>
inline bits_t<T> to_bits(T v) {
    return std::bit_cast<bits_t<T>>(v);
}

template <class T>
inline T from_bits(bits_t<T> u) {
    return std::bit_cast<T>(u);
}

// Encode every value of an array with a streaming encoder (push each value, then finish), so the
// whole-array and streaming paths share one implementation.
template <class Encoder, class T>
auto encode_all(Encoder& enc, const T* x, size_t n) {
    for (size_t i = 0; i < n; ++i) enc.push(x[i]);
    return enc.finish();
}

}  // namespace tsquash::codecs
