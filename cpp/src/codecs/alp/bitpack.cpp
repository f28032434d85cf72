// Fixed-width bit packing. Unpacking is the decoder's hot loop: one instantiation per width works through
// groups of 8 values (8 * w bits = w bytes), so every load offset and shift is a compile-time constant and
// each value costs one unaligned 64-bit load, a shift and a mask, with no branch.
#include <utility>

#include "common.hpp"

namespace tsquash::codecs::alp {

void pack(const uint64_t* v, size_t m, unsigned w, Writer& out) {
    const size_t nbytes = packed_size(m, w);
    if (nbytes) pack_to(v, m, w, out.grow(nbytes));
}

void pack_to(const uint64_t* v, size_t m, unsigned w, uint8_t* dst) {
    if (w == 0) return;
    uint64_t acc = 0;
    unsigned fill = 0;
    size_t at = 0;
    for (size_t i = 0; i < m; ++i) {
        acc |= v[i] << fill;
        fill += w;
        if (fill >= 64) {
            std::memcpy(dst + at, &acc, 8);
            at += 8;
            fill -= 64;
            acc = fill ? v[i] >> (w - fill) : 0;
        }
    }
    if (fill) std::memcpy(dst + at, &acc, (fill + 7) / 8);
}

namespace {

template <unsigned W, unsigned J>
inline uint64_t extract(const uint8_t* g) {
    constexpr unsigned bit = J * W;
    constexpr unsigned byte = bit / 8, sh = bit % 8;
    constexpr uint64_t mask = W == 64 ? ~0ull : (1ull << W) - 1;
    uint64_t lo;
    std::memcpy(&lo, g + byte, 8);
    if constexpr (W + sh <= 64) {
        return (lo >> sh) & mask;
    } else {
        return ((lo >> sh) | (uint64_t(g[byte + 8]) << (64 - sh))) & mask;
    }
}

template <unsigned W, size_t... J>
inline void unpack_group(const uint8_t* g, uint64_t* d, std::index_sequence<J...>) {
    ((d[J] = extract<W, unsigned(J)>(g)), ...);
}

// Reads up to byte (groups * W + 8) from src: the caller guarantees that slack.
template <unsigned W>
void unpack_w(const uint8_t* src, size_t groups, uint64_t* dst) {
    if constexpr (W == 0) {
        std::memset(dst, 0, groups * 8 * sizeof(uint64_t));
    } else {
        for (size_t g = 0; g < groups; ++g) unpack_group<W>(src + g * W, dst + g * 8, std::make_index_sequence<8>());
    }
}

using UnpackFn = void (*)(const uint8_t*, size_t, uint64_t*);

template <size_t... W>
constexpr auto make_table(std::index_sequence<W...>) {
    return std::array<UnpackFn, sizeof...(W)>{&unpack_w<unsigned(W)>...};
}

}  // namespace

void unpack(const uint8_t* src, const uint8_t* src_end, size_t m, unsigned w, uint64_t* dst) {
    static constexpr auto table = make_table(std::make_index_sequence<65>());
    const size_t groups = (m + 7) / 8;
    const size_t need = groups * w + 8;  // bytes the group loop may touch
    if (size_t(src_end - src) >= need) {
        table[w](src, groups, dst);
        return;
    }
    // Near the end of the buffer: work on a zero-padded copy (at most one block's worth).
    uint8_t pad[kBlockValues * 8 + 16 + 8];
    const size_t have = packed_size(m, w);
    if (need > sizeof(pad)) corrupt("bit-packed run larger than a block");
    if (have) std::memcpy(pad, src, have);
    std::memset(pad + have, 0, need - have);
    table[w](pad, groups, dst);
}

}  // namespace tsquash::codecs::alp
