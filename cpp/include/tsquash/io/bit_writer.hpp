// MSB-first bit writer. Bits collect in a 64-bit accumulator that is stored big-endian when full, so the
// stream reads left to right in the order the bits were written (the convention of the Gorilla and Chimp
// papers). The last byte is padded with zero bits.
#pragma once
#include <cstdint>
#include <vector>

#include "tsquash/io/byte_buffer.hpp"
#include "tsquash/io/bytes.hpp"

namespace tsquash::io {

class BitWriter {
public:
    explicit BitWriter(size_t reserve_bytes = 64) : out_(reserve_bytes) {}

    // Append the low n bits of v (0 <= n <= 64); the bits of v above n must be zero.
    void write(uint64_t v, unsigned n) {
        if (n == 0) return;
        if (used_ + n < 64) {
            acc_ = (acc_ << n) | v;
            used_ += n;
            return;
        }
        // The accumulator fills up: complete it with the top (64 - used_) bits of v.
        const unsigned head = 64 - used_;
        const unsigned rest = n - head;  // 0 <= rest < 64
        const uint64_t top = (head == 64) ? v : (acc_ << head) | (v >> rest);
        out_.ensure(8);
        store_be64(out_.cursor(), top);
        out_.advance(8);
        acc_ = rest ? (v & ((uint64_t{1} << rest) - 1)) : 0;
        used_ = rest;
    }

    void write_bit(bool b) { write(b ? 1u : 0u, 1); }

    uint64_t bits_written() const { return uint64_t(out_.size()) * 8 + used_; }

    // Flush the partial accumulator (zero-padded to a byte boundary) and hand over the bytes.
    std::vector<uint8_t> finish() {
        const unsigned nbytes = (used_ + 7) / 8;
        if (nbytes) {
            const uint64_t aligned = acc_ << (64 - used_);
            out_.ensure(8);
            store_be64(out_.cursor(), aligned);
            out_.advance(nbytes);
        }
        acc_ = 0;
        used_ = 0;
        return out_.take();
    }

private:
    ByteBuffer out_;
    uint64_t acc_ = 0;
    unsigned used_ = 0;  // bits held in acc_, always < 64 between calls
};

}  // namespace tsquash::io
