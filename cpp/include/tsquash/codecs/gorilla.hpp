// Gorilla value compression (Pelkonen et al., "Gorilla: A Fast, Scalable, In-Memory Time Series Database",
// VLDB 2015, section 4.1.2). Each value is XORed with the previous one:
//   '0'                        the XOR is zero (value repeats)
//   '10' + bits                the meaningful bits fit inside the previous value's window (at least as many
//                              leading and trailing zeros); only the window is written
//   '11' + lead(5) + len + bits a new window: leading-zero count (capped at 31), meaningful-bit count, bits
// The meaningful-bit count takes 6 bits for float64 and 5 bits for float32; a count equal to the full width
// (64 or 32, when the XOR has no leading and no trailing zero) does not fit and is written as 0. Decoders that
// forget this turn such values into garbage, which is why the tests include XORs with both ends set.
#pragma once
#include <algorithm>
#include <bit>

#include "tsquash/codecs/float_bits.hpp"
#include "tsquash/io/bit_reader.hpp"
#include "tsquash/io/bit_writer.hpp"

namespace tsquash::codecs {

template <class T>
struct GorillaLayout {
    static constexpr unsigned kWidth = FloatBits<T>::kBits;
    static constexpr unsigned kLeadBits = 5;
    static constexpr unsigned kMaxLead = 31;
    static constexpr unsigned kLenBits = kWidth == 64 ? 6 : 5;
};

template <class T>
class GorillaEncoder {
    using U = bits_t<T>;
    using L = GorillaLayout<T>;

public:
    explicit GorillaEncoder(size_t expected_values = 0) : w_(expected_values * 2 + 16) {}

    void push(T value) {
        const U x = to_bits(value);
        if (count_++ == 0) {
            w_.write(x, L::kWidth);
            prev_ = x;
            return;
        }
        const U d = x ^ prev_;
        prev_ = x;
        if (d == 0) {
            w_.write(0, 1);
            return;
        }
        const unsigned lead = std::min<unsigned>(std::countl_zero(d), L::kMaxLead);
        const unsigned trail = std::countr_zero(d);
        if (lead >= lead_ && trail >= trail_) {
            w_.write(0b10, 2);
            w_.write(d >> trail_, L::kWidth - lead_ - trail_);
            return;
        }
        const unsigned len = L::kWidth - lead - trail;
        const uint64_t len_code = len == L::kWidth ? 0 : len;
        w_.write((uint64_t{0b11} << (L::kLeadBits + L::kLenBits)) | (uint64_t{lead} << L::kLenBits) | len_code,
                 2 + L::kLeadBits + L::kLenBits);
        w_.write(d >> trail, len);
        lead_ = lead;
        trail_ = trail;
    }

    std::vector<uint8_t> finish() { return w_.finish(); }
    uint64_t bits_written() const { return w_.bits_written(); }

private:
    io::BitWriter w_;
    U prev_ = 0;
    uint64_t count_ = 0;
    // No window before the first '11' record: a lead above any real value makes the '10' test fail.
    unsigned lead_ = L::kWidth + 1;
    unsigned trail_ = 0;
};

template <class T>
class GorillaDecoder {
    using U = bits_t<T>;
    using L = GorillaLayout<T>;

public:
    GorillaDecoder(const uint8_t* data, size_t nbytes) : r_(data, nbytes) {}

    T next() {
        if (count_++ == 0) {
            prev_ = static_cast<U>(r_.read(L::kWidth));
            return from_bits<T>(prev_);
        }
        // One look at the next word decides the record and holds its whole header.
        const uint64_t w = r_.peek64();
        if (!(w >> 63)) {
            r_.skip(1);
            return from_bits<T>(prev_);
        }
        unsigned head = 2;
        if (w >> 62 == 0b11) {
            head = 2 + L::kLeadBits + L::kLenBits;
            const unsigned lead = unsigned(w >> (64 - 2 - L::kLeadBits)) & ((1u << L::kLeadBits) - 1);
            unsigned len = unsigned(w >> (64 - head)) & ((1u << L::kLenBits) - 1);
            if (len == 0) len = L::kWidth;
            if (lead + len > L::kWidth) throw CorruptStream("gorilla: window larger than the value width");
            lead_ = lead;
            len_ = len;
        } else if (len_ == 0) {
            throw CorruptStream("gorilla: '10' record before any window was set");
        }
        // Two loads rather than take_after(): windows near 64 bits are common here, and a branch on
        // whether the window fits in the peeked word mispredicts more than the second load costs.
        r_.skip(head);
        prev_ ^= static_cast<U>(r_.read(len_) << (L::kWidth - lead_ - len_));
        return from_bits<T>(prev_);
    }

    void expect_end() const { r_.expect_end(); }

private:
    io::BitReader r_;
    U prev_ = 0;
    uint64_t count_ = 0;
    unsigned lead_ = 0;
    unsigned len_ = 0;  // 0 until the first window
};

}  // namespace tsquash::codecs
