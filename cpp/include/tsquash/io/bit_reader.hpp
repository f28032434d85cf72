// MSB-first bit reader over untrusted bytes. Every read is bounds-checked against the bit length, so a
// truncated or corrupted stream raises CorruptStream instead of reading past the buffer.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tsquash/errors.hpp"
#include "tsquash/io/bytes.hpp"

namespace tsquash::io {

class BitReader {
public:
    BitReader(const uint8_t* data, size_t nbytes) : p_(data), nbytes_(nbytes), nbits_(uint64_t(nbytes) * 8) {}

    // Read n bits (0 <= n <= 64) as an unsigned integer.
    uint64_t read(unsigned n) {
        if (n > 56) {
            const uint64_t hi = read(n - 32);
            return (hi << 32) | read(32);
        }
        if (n == 0) return 0;
        if (pos_ + n > nbits_) [[unlikely]]
            throw CorruptStream("stream ends in the middle of a value (truncated or corrupted payload)");
        const uint64_t word = window(pos_ >> 3) << (pos_ & 7);
        pos_ += n;
        return word >> (64 - n);
    }

    // Look at the next n <= 56 bits without consuming them; bits past the end read as zero.
    uint64_t peek(unsigned n) const { return (window(pos_ >> 3) << (pos_ & 7)) >> (64 - n); }

    void skip(unsigned n) {
        if (pos_ + n > nbits_) [[unlikely]]
            throw CorruptStream("stream ends in the middle of a value (truncated or corrupted payload)");
        pos_ += n;
    }

    bool read_bit() { return read(1) != 0; }

    uint64_t position() const { return pos_; }

    // After the last value only the zero padding of the final byte may remain.
    void expect_end() const {
        if (nbits_ - pos_ >= 8) throw CorruptStream("payload has bytes left over after the last value");
        if (nbits_ > pos_ && (p_[nbytes_ - 1] & ((1u << (nbits_ - pos_)) - 1)) != 0)
            throw CorruptStream("payload padding bits are not zero");
    }

private:
    // Eight bytes starting at byte index b, big-endian; bytes past the end read as zero.
    uint64_t window(size_t b) const {
        if (b + 8 <= nbytes_) [[likely]]
            return load_be64(p_ + b);
        uint64_t w = 0;
        for (size_t i = 0; i < 8; ++i) w = (w << 8) | (b + i < nbytes_ ? p_[b + i] : 0);
        return w;
    }

    const uint8_t* p_;
    size_t nbytes_;
    uint64_t nbits_;
    uint64_t pos_ = 0;
};

}  // namespace tsquash::io
