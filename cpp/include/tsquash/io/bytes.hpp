// Unaligned little- and big-endian loads and stores. memcpy compiles to a single move on x86 and ARM.
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>

namespace tsquash::io {

template <class U>
inline U load_le(const uint8_t* p) {
    U v;
    std::memcpy(&v, p, sizeof(U));
    if constexpr (std::endian::native == std::endian::big) v = byteswap(v);
    return v;
}

template <class U>
inline void store_le(uint8_t* p, U v) {
    if constexpr (std::endian::native == std::endian::big) v = byteswap(v);
    std::memcpy(p, &v, sizeof(U));
}

inline uint64_t byteswap64(uint64_t v) { return __builtin_bswap64(v); }

inline uint64_t load_be64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::little) v = byteswap64(v);
    return v;
}

inline void store_be64(uint8_t* p, uint64_t v) {
    if constexpr (std::endian::native == std::endian::little) v = byteswap64(v);
    std::memcpy(p, &v, 8);
}

}  // namespace tsquash::io
