// Pieces shared by the alp/auto encoder and decoder: method ids, per-dtype traits, the power-of-ten tables
// and the exact arithmetic both sides must agree on, a bounds-checked reader and an append-only writer.
#pragma once
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tsquash/codecs/alp.hpp"
#include "tsquash/errors.hpp"

namespace tsquash::codecs::alp {

enum Method : uint8_t {
    kRaw = 0,
    kAlp = 1,
    kAlpRd = 2,
    kDelta = 3,
    kRle = 4,
    kDict = 5,
    kF32 = 6,
    kSig = 7,
    kStride = 8,
    kSparse = 9,
    kAlpExc = 10,
    kSigExc = 11,
    kNear = 12,
};
inline constexpr uint8_t kMethodCount = 13;
// Interleaved channels a stride block may split a block into.
inline constexpr unsigned kMaxStride = 16;
// Methods a nested block (inside RLE, DICT, F32, STRIDE, SPARSE or NEAR) may use: never another nesting one.
inline bool is_base_method(uint8_t m) { return m <= kDelta || m == kSig || m == kAlpExc || m == kSigExc; }

inline constexpr uint8_t kSectionModels = 1;
inline constexpr uint8_t kSectionDict = 2;
inline constexpr uint8_t kSectionReference = 4;

// Scratch arrays hold a block plus the slack bit-unpacking writes past it (it works in groups of 8).
inline constexpr size_t kScratch = kBlockValues + 16;

template <class T>
struct Traits;
template <>
struct Traits<double> {
    using U = uint64_t;
    static constexpr unsigned kBits = 64;
    static constexpr bool kFloat = true;
    static constexpr unsigned kMaxE = 18;
};
template <>
struct Traits<float> {
    using U = uint32_t;
    static constexpr unsigned kBits = 32;
    static constexpr bool kFloat = true;
    static constexpr unsigned kMaxE = 10;
};
template <>
struct Traits<int64_t> {
    using U = uint64_t;
    static constexpr unsigned kBits = 64;
    static constexpr bool kFloat = false;
    static constexpr unsigned kMaxE = 0;
};

// ---- decimal arithmetic ----------------------------------------------------------------------------------
// Encoder and decoder evaluate exactly these expressions, so a value the encoder verified decodes to the same
// bits on any IEEE-754 machine (no fused multiply-add is possible in a product of three terms, and the magic
// constants keep the int <-> float conversions in plain additions, which also lets them vectorise).

inline constexpr double kF10[19] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                                    1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
inline constexpr double kIF10[19] = {1e0,   1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,  1e-8,  1e-9,
                                     1e-10, 1e-11, 1e-12, 1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18};

// 2^52 + 2^51: adding it to a double of magnitude below 2^51 leaves the rounded integer in the low mantissa.
inline constexpr double kMagic = 6755399441055744.0;
inline constexpr uint64_t kMagicBits = 0x4338000000000000ull;

// Nearest integer (ties to even) of x when |x| < 2^51; some other integer otherwise (never UB).
inline int64_t round_to_int(double x) {
    return int64_t(std::bit_cast<uint64_t>(x + kMagic) - kMagicBits);
}

// Exact for |n| < 2^51; a deterministic value otherwise.
inline double int_to_fp(int64_t n, double) { return std::bit_cast<double>(uint64_t(n) + kMagicBits) - kMagic; }

inline double alp_encode_value(double v, unsigned e, unsigned f) { return v * kF10[e] * kIF10[f]; }
inline double alp_decode_value(int64_t n, unsigned e, unsigned f, double) {
    return int_to_fp(n, 0.0) * kF10[f] * kIF10[e];
}
// float32 goes through double arithmetic and one final rounding: the double product is within an ulp of
// n / 10^(e-f), so rounding it to float gives the float nearest the decimal (what a parser gives) unless
// the decimal lies almost exactly halfway between two floats.
inline double alp_encode_value(float v, unsigned e, unsigned f) { return double(v) * kF10[e] * kIF10[f]; }
inline float alp_decode_value(int64_t n, unsigned e, unsigned f, float) {
    return float(int_to_fp(n, 0.0) * kF10[f] * kIF10[e]);
}

inline unsigned bit_width_u(uint64_t v) { return unsigned(std::bit_width(v)); }
inline uint64_t zigzag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
inline int64_t unzigzag(uint64_t u) { return int64_t(u >> 1) ^ -int64_t(u & 1); }

inline size_t varint_size(uint64_t v) { return v < 0x80 ? 1 : size_t(bit_width_u(v) + 6) / 7; }

// Bit width of v: 0 for 0, 64 for values with the top bit set.
// Without a branch on zero (std::bit_width takes one on the baseline x86-64, which has no lzcnt): the
// encoder's residual classes meet zeros at random, and mispredicting them was most of the cost of
// estimating a stream.
inline unsigned bit_width64(uint64_t v) { return unsigned(64 - __builtin_clzll(v | 1)) - unsigned(v == 0); }

// ---- bytes in, bytes out ---------------------------------------------------------------------------------

[[noreturn]] inline void corrupt(const std::string& what) { throw CorruptStream("alp: " + what); }

class Reader {
public:
    // [p, p + n) is what this reader may consume; hard_end (>= p + n) is the end of the memory that may be
    // touched at all, which lets bit-unpacking load whole words past the end of a short field.
    Reader(const uint8_t* p, size_t n, const uint8_t* hard_end = nullptr)
        : p_(p), end_(p + n), hard_end_(hard_end ? hard_end : p + n) {}
    size_t left() const { return size_t(end_ - p_); }
    const uint8_t* pos() const { return p_; }
    const uint8_t* end() const { return end_; }
    const uint8_t* hard_end() const { return hard_end_; }
    // A reader over the next n bytes (consumed here), sharing the hard end.
    Reader sub(size_t n, const char* what) {
        const uint8_t* q = take(n, what);
        return Reader(q, n, hard_end_);
    }
    const uint8_t* take(size_t n, const char* what) {
        if (n > left()) corrupt(std::string("truncated ") + what);
        const uint8_t* q = p_;
        p_ += n;
        return q;
    }
    uint8_t u8(const char* what) { return *take(1, what); }
    uint16_t u16(const char* what) { return load<uint16_t>(take(2, what)); }
    uint32_t u32(const char* what) { return load<uint32_t>(take(4, what)); }
    uint64_t u64(const char* what) { return load<uint64_t>(take(8, what)); }
    // LEB128, at most 10 bytes, no bits beyond the 64th.
    uint64_t varint(const char* what) {
        uint64_t v = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
            const uint8_t b = u8(what);
            if (shift == 63 && (b & 0x7E)) corrupt(std::string("varint overflow in ") + what);
            v |= uint64_t(b & 0x7F) << shift;
            if (!(b & 0x80)) return v;
        }
        corrupt(std::string("varint too long in ") + what);
    }

    template <class V>
    static V load(const uint8_t* q) {
        V v;
        std::memcpy(&v, q, sizeof(V));  // little-endian hosts only (stream.cpp refuses others)
        return v;
    }

private:
    const uint8_t* p_;
    const uint8_t* end_;
    const uint8_t* hard_end_;
};

class Writer {
public:
    std::vector<uint8_t> bytes;
    void clear() { bytes.clear(); }
    size_t size() const { return bytes.size(); }
    void u8(uint8_t v) { bytes.push_back(v); }
    template <class V>
    void put(V v) {
        const size_t at = bytes.size();
        bytes.resize(at + sizeof(V));
        std::memcpy(bytes.data() + at, &v, sizeof(V));
    }
    void u16(uint16_t v) { put(v); }
    void u32(uint32_t v) { put(v); }
    void u64(uint64_t v) { put(v); }
    void varint(uint64_t v) {
        while (v >= 0x80) {
            bytes.push_back(uint8_t(v) | 0x80);
            v >>= 7;
        }
        bytes.push_back(uint8_t(v));
    }
    void append(const void* p, size_t n) {
        const size_t at = bytes.size();
        bytes.resize(at + n);
        if (n) std::memcpy(bytes.data() + at, p, n);
    }
    // Room for n bytes (zeroed), returned for direct writing.
    uint8_t* grow(size_t n) {
        const size_t at = bytes.size();
        bytes.resize(at + n);
        return bytes.data() + at;
    }
};

// ---- sorting ---------------------------------------------------------------------------------------------

// The k-th smallest of a[0, n) (k < n; a is reordered, spare holds n values). Up to kSmallSelect values, a
// quickselect whose partition has no branch on the data: std::nth_element's comparisons go either way at
// random there, and it took 2.5x as long on 64 values. More values go to std::nth_element, whose worst
// case stays n log n. Values equal to the pivot end the search, so among values that compare equal (0.0
// and -0.0) the one returned may not be the one nth_element would leave at k.
inline constexpr size_t kSmallSelect = 256;
template <class T>
T kth_smallest(T* a, size_t n, size_t k, T* spare) {
    if (k >= n) return T{};  // nothing to select (an empty range would loop forever below)
    if (n > kSmallSelect) {
        std::nth_element(a, a + k, a + n);
        return a[k];
    }
    // Values below the pivot go to a (in place when the pass reads a: never ahead of the reading), values
    // above it to spare; the next pass reads the side that holds the k-th.
    T* src = a;
    for (;;) {
        const T x = src[0], y = src[n / 2], z = src[n - 1];
        const T pivot = std::max(std::min(x, y), std::min(std::max(x, y), z));
        size_t lt = 0, gt = 0;
        for (size_t i = 0; i < n; ++i) {
            const T v = src[i];
            a[lt] = v;
            spare[gt] = v;
            lt += v < pivot;
            gt += pivot < v;
        }
        if (k < lt) {
            src = a;
            n = lt;
        } else if (k < n - gt) {
            return pivot;
        } else {
            k -= n - gt;
            src = spare;
            n = gt;
        }
    }
}

// Sorts items by an unsigned 64-bit key: an LSD radix sort over 11-bit digits that skips the digits all
// keys share (residuals usually span a narrow range); several times faster than a comparison sort on the
// tens of thousands of distinct values wide data has. Stable.
template <class Item, class Key>
void radix_sort(Item* a, size_t n, std::vector<Item>& scratch, Key key) {
    if (n < 512) {
        std::stable_sort(a, a + n, [&](const Item& x, const Item& y) { return key(x) < key(y); });
        return;
    }
    // Every digit's counts in one pass over the keys, with which digits differ (a counting pass per digit
    // took nyc29_lon's dictionary 15% longer to sort).
    constexpr unsigned kDigit = 11;
    constexpr unsigned kDigits = (64 + kDigit - 1) / kDigit;
    constexpr uint64_t kMask = (1u << kDigit) - 1;
    std::vector<uint32_t> counts(size_t(kDigits) << kDigit, 0);
    uint64_t differ = 0;
    const uint64_t k0 = key(a[0]);
    for (size_t i = 0; i < n; ++i) {
        const uint64_t k = key(a[i]);
        differ |= k ^ k0;
        for (unsigned d = 0; d < kDigits; ++d) ++counts[(size_t(d) << kDigit) + ((k >> (d * kDigit)) & kMask)];
    }
    if (scratch.size() < n) scratch.resize(n);
    Item* from = a;
    Item* to = scratch.data();
    for (unsigned d = 0; d < kDigits; ++d) {
        const unsigned shift = d * kDigit;
        if (((differ >> shift) & kMask) == 0) continue;
        uint32_t* at = counts.data() + (size_t(d) << kDigit);
        uint32_t sum = 0;
        for (uint64_t j = 0; j <= kMask; ++j) {
            const uint32_t here = at[j];
            at[j] = sum;
            sum += here;
        }
        for (size_t i = 0; i < n; ++i) to[at[(key(from[i]) >> shift) & kMask]++] = from[i];
        std::swap(from, to);
    }
    if (from != a) std::copy(from, from + n, a);
}

// ---- bit packing -----------------------------------------------------------------------------------------
// Value i of width w occupies stream bits [i*w, i*w + w), stream bit k being bit (k mod 8) of byte k / 8
// (LSB-first, so a little-endian 64-bit load at byte (i*w)/8 holds the value from bit (i*w) mod 8).

inline size_t packed_size(size_t m, unsigned w) { return (m * w + 7) / 8; }
// Appends packed_size(m, w) bytes. Values must be below 2^w.
void pack(const uint64_t* v, size_t m, unsigned w, Writer& out);
// Writes exactly packed_size(m, w) bytes at dst.
void pack_to(const uint64_t* v, size_t m, unsigned w, uint8_t* dst);
// Reads packed_size(m, w) bytes at src (the caller checked they exist) into dst, which must have room for m
// rounded up to a multiple of 8 values.
void unpack(const uint8_t* src, const uint8_t* src_end, size_t m, unsigned w, uint64_t* dst);

// Buffers of kLargeAllocBytes or more (large_alloc.cpp): huge pages where the system offers them.
inline constexpr size_t kLargeAllocBytes = size_t(8) << 20;
void* large_alloc(size_t bytes);
void large_free(void* p, size_t bytes) noexcept;

// An allocator whose vectors grow without zeroing what they add (resize for room that is written next),
// large ones through large_alloc.
template <class T>
struct UninitAllocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = UninitAllocator<U>;
    };
    T* allocate(size_t n) {
        if (n >= kLargeAllocBytes / sizeof(T)) return static_cast<T*>(large_alloc(n * sizeof(T)));
        return std::allocator<T>::allocate(n);
    }
    void deallocate(T* p, size_t n) noexcept {
        if (n >= kLargeAllocBytes / sizeof(T)) large_free(p, n * sizeof(T));
        else std::allocator<T>::deallocate(p, n);
    }
    template <class U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

}  // namespace tsquash::codecs::alp
