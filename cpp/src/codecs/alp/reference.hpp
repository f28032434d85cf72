// The series reference (sections bit 2, `auto` only): data that repeats a shape with a fixed period (frames
// of a simulation or an image stack stored one after another, a cycle sampled a whole number of times per
// period) is coded as its differences from one reference period. The reference holds, for each phase
// p < P, a typical value at that phase; the blocks then hold the differences d[i] of each value's pattern
// from the reference's at phase i mod P, as int64 blocks. Every block still decodes on its own: the
// reference is a section, like the models and the dictionary.
#pragma once
#include <cstdint>
#include <vector>

#include "common.hpp"

namespace tsquash::codecs::alp {

// Where the differences are taken: the dtype's own bit patterns, or (float64 only) the float32 patterns of
// values that are all float32 numbers (their float64 patterns end in 29 zero bits, which a difference of
// patterns would carry along into every residual).
enum class RefDomain : uint8_t { bits = 0, float32 = 1 };

template <class T>
unsigned domain_bits(RefDomain d) {
    return d == RefDomain::float32 ? 32u : Traits<T>::kBits;
}

inline int64_t sign_extend(uint64_t x, unsigned bits) {
    return bits >= 64 ? int64_t(x) : int64_t(x << (64 - bits)) >> (64 - bits);
}

// A value's pattern in the domain (zero-extended).
template <class T>
uint64_t to_domain(T v, RefDomain d) {
    if constexpr (std::is_same_v<T, double>) {
        if (d == RefDomain::float32) return std::bit_cast<uint32_t>(float(v));
    }
    return uint64_t(std::bit_cast<typename Traits<T>::U>(v));
}

// The value's bits from its pattern in the domain (the pattern's low domain_bits bits).
template <class T>
typename Traits<T>::U from_domain(uint64_t p, RefDomain d) {
    using Ub = typename Traits<T>::U;
    if constexpr (std::is_same_v<T, double>) {
        if (d == RefDomain::float32) return std::bit_cast<uint64_t>(double(std::bit_cast<float>(uint32_t(p))));
    }
    return Ub(p);
}

// Encoder: a period whose reference looks worth a try (0: none) and the domain, for a series of finite
// values with at least four periods.
struct ReferenceChoice {
    size_t period = 0;
    RefDomain domain = RefDomain::bits;
};
template <class T>
ReferenceChoice find_reference(const T* v, size_t n);

// Encoder: the period of a series of finite values that repeats one pattern exactly, over and over (at all
// but a few of 64 changes of value spread over it, the two values equal those a period back), or 0. The period is found from the
// last change of value among the first 2,048 values: the latest earlier place where the same two values
// follow each other. At most half the series.
template <class T>
size_t exact_period(const T* v, size_t n);

// Encoder: estimated bits a value of the differences d and a reference of `period` values, for a series
// that costs plain_bits a value without one.
double reference_bits(const std::vector<int64_t>& d, size_t period, double plain_bits);

// Encoder: the reference values, per phase the median of the values at that phase.
template <class T>
std::vector<T> reference_values(const T* v, size_t n, size_t period);

// Encoder: d[i], the difference of value i's pattern from the reference's at phase i mod P (mod 2^W of the
// domain, sign-extended).
template <class T>
std::vector<int64_t> reference_differences(const T* v, size_t n, const std::vector<T>& ref, RefDomain d);

}  // namespace tsquash::codecs::alp
