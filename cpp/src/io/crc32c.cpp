#include "tsquash/io/crc32c.hpp"

#include <array>
#include <cstring>

namespace tsquash::io {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> make_table() {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
        t[i] = c;
    }
    return t;
}
constexpr auto kTable = make_table();

uint32_t crc32c_table(const uint8_t* p, size_t n, uint32_t crc) {
    for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42_serial(const uint8_t* p, size_t n, uint32_t crc) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = static_cast<uint32_t>(c);
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}

// The crc32 instruction takes three cycles and can start every cycle, so long inputs run three lanes of
// kLane bytes side by side and join them: the register is linear in its start and the data, so the
// register after A|B equals (the register after A, moved on over kLane zero bytes) xor (the register
// after B from zero). Moving a register on over kLane zero bytes is a linear map, tabulated per byte.
constexpr size_t kLane = 2048;

struct ShiftTables {
    uint32_t t[4][256];
};

const ShiftTables& lane_shift() {
    static const ShiftTables tables = [] {
        static const uint8_t zeros[kLane] = {};
        uint32_t unit[32];
        for (unsigned b = 0; b < 32; ++b) unit[b] = crc32c_sse42_serial(zeros, kLane, 1u << b);
        ShiftTables st{};
        for (unsigned k = 0; k < 4; ++k)
            for (unsigned v = 0; v < 256; ++v) {
                uint32_t x = 0;
                for (unsigned b = 0; b < 8; ++b)
                    if (v >> b & 1) x ^= unit[8 * k + b];
                st.t[k][v] = x;
            }
        return st;
    }();
    return tables;
}

inline uint32_t shift_over_lane(const ShiftTables& st, uint32_t c) {
    return st.t[0][c & 0xFF] ^ st.t[1][(c >> 8) & 0xFF] ^ st.t[2][(c >> 16) & 0xFF] ^ st.t[3][c >> 24];
}

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(const uint8_t* p, size_t n, uint32_t crc) {
    if (n >= 3 * kLane) {
        const ShiftTables& st = lane_shift();
        while (n >= 3 * kLane) {
            uint64_t a = crc, b = 0, c = 0;
            for (size_t i = 0; i < kLane; i += 8) {
                uint64_t wa, wb, wc;
                std::memcpy(&wa, p + i, 8);
                std::memcpy(&wb, p + kLane + i, 8);
                std::memcpy(&wc, p + 2 * kLane + i, 8);
                a = __builtin_ia32_crc32di(a, wa);
                b = __builtin_ia32_crc32di(b, wb);
                c = __builtin_ia32_crc32di(c, wc);
            }
            crc = shift_over_lane(st, shift_over_lane(st, uint32_t(a)) ^ uint32_t(b)) ^ uint32_t(c);
            p += 3 * kLane;
            n -= 3 * kLane;
        }
    }
    return crc32c_sse42_serial(p, n, crc);
}
bool have_sse42() {
    static const bool yes = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse4.2") != 0;
    }();
    return yes;
}
#endif

}  // namespace

uint32_t crc32c(const uint8_t* data, size_t n, uint32_t crc) {
    crc = ~crc;
#if defined(__x86_64__)
    crc = have_sse42() ? crc32c_sse42(data, n, crc) : crc32c_table(data, n, crc);
#else
    crc = crc32c_table(data, n, crc);
#endif
    return ~crc;
}

}  // namespace tsquash::io
