// MSB-first bit reader over untrusted bytes. Reading past the end raises CorruptStream instead of touching
// memory outside the buffer. The fast paths load whole words and need no per-read bounds check beyond
// "is there a full word here"; only the last few bytes of a stream go through the careful path.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tsquash/errors.hpp"
#include "tsquash/io/bytes.hpp"

namespace tsquash::io {

class BitReader {
public:
    BitReader(const uint8_t* data, size_t nbytes) : p_(data), nbytes_(nbytes), nbits_(uint64_t(nbytes) * 8) {}

    // The next 64 bits, left-aligned, without consuming them; bits past the end read as zero. Decoders
    // parse their control fields from this word and then skip() what they used.
    uint64_t peek64() const {
        const size_t b = pos_ >> 3;
        const unsigned s = pos_ & 7;
        if (b + 9 <= nbytes_) [[likely]]
            return (load_be64(p_ + b) << s) | (uint64_t{p_[b + 8]} >> (8 - s));
        return peek64_tail(b, s);
    }

    // A failed skip leaves the position where it was.
    void skip(unsigned n) {
        if (n > nbits_ - pos_) [[unlikely]]
            truncated();
        pos_ += n;
    }

    // Read n bits (0 <= n <= 64) as an unsigned integer.
    uint64_t read(unsigned n) {
        const uint64_t w = peek64();
        skip(n);
        return n ? w >> (64 - n) : 0;
    }

    bool read_bit() { return read(1) != 0; }

    // Given w = peek64(), consume a head of `head` bits and return the n (1..64) bits after it. When both
    // fit in w no second load is needed, which shortens the decoders' serial chain of loads.
    uint64_t take_after(uint64_t w, unsigned head, unsigned n) {
        if (head + n <= 64) [[likely]] {
            skip(head + n);
            return (w << head) >> (64 - n);
        }
        skip(head);
        return read(n);
    }

    uint64_t position() const { return pos_; }

    // After the last value only the zero padding of the final byte may remain.
    void expect_end() const {
        if (nbits_ - pos_ >= 8) throw CorruptStream("payload has bytes left over after the last value");
        if (nbits_ > pos_ && (p_[nbytes_ - 1] & ((1u << (nbits_ - pos_)) - 1)) != 0)
            throw CorruptStream("payload padding bits are not zero");
    }

private:
    [[noreturn]] static void truncated() {
        throw CorruptStream("stream ends in the middle of a value (truncated or corrupted payload)");
    }

    uint64_t peek64_tail(size_t b, unsigned s) const {
        uint8_t tmp[9] = {};
        for (size_t i = 0; i < 9 && b + i < nbytes_; ++i) tmp[i] = p_[b + i];
        return (load_be64(tmp) << s) | (uint64_t{tmp[8]} >> (8 - s));
    }

    const uint8_t* p_;
    size_t nbytes_;
    uint64_t nbits_;
    uint64_t pos_ = 0;
};

}  // namespace tsquash::io
