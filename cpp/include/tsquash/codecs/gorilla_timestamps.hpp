// Gorilla's delta-of-delta scheme for int64 timestamps (VLDB 2015, section 4.1.1), widened to cover any
// int64 series. The first value is stored whole; each later value stores D = (t[i] - t[i-1]) -
// (t[i-1] - t[i-2]), with the delta before the first value taken as 0 and all arithmetic wrapping modulo 2^64:
//   '0'                  D == 0
//   '10'    + 7 bits     D in [-63, 64]
//   '110'   + 9 bits     D in [-255, 256]
//   '1110'  + 12 bits    D in [-2047, 2048]
//   '11110' + 32 bits    D in [-(2^31 - 1), 2^31]
//   '11111' + 64 bits    anything else (the paper stops at 32 bits, enough for its second-resolution clocks)
// Each field holds D plus the magnitude of its lower bound, so it is non-negative.
#pragma once
#include <cstdint>

#include "tsquash/io/bit_reader.hpp"
#include "tsquash/io/bit_writer.hpp"

namespace tsquash::codecs {

struct DodBucket {
    unsigned prefix;       // the control bits
    unsigned prefix_bits;  // how many
    unsigned value_bits;
    int64_t low;  // smallest D in the bucket; the stored field is D - low
};

inline constexpr DodBucket kDodBuckets[] = {
    {0b10, 2, 7, -63},
    {0b110, 3, 9, -255},
    {0b1110, 4, 12, -2047},
    {0b11110, 5, 32, -(int64_t{1} << 31) + 1},
};

class DeltaOfDeltaEncoder {
public:
    explicit DeltaOfDeltaEncoder(size_t expected_values = 0) : w_(expected_values / 2 + 16) {}

    void push(int64_t value) {
        const uint64_t t = static_cast<uint64_t>(value);
        if (count_++ == 0) {
            w_.write(t, 64);
            prev_ = t;
            return;
        }
        const uint64_t delta = t - prev_;
        const int64_t dod = static_cast<int64_t>(delta - prev_delta_);
        prev_ = t;
        prev_delta_ = delta;
        if (dod == 0) {
            w_.write(0, 1);
            return;
        }
        for (const auto& b : kDodBuckets) {
            const uint64_t field = static_cast<uint64_t>(dod) - static_cast<uint64_t>(b.low);
            if (dod >= b.low && field < (uint64_t{1} << b.value_bits)) {
                w_.write((uint64_t{b.prefix} << b.value_bits) | field, b.prefix_bits + b.value_bits);
                return;
            }
        }
        w_.write(0b11111, 5);
        w_.write(static_cast<uint64_t>(dod), 64);
    }

    std::vector<uint8_t> finish() { return w_.finish(); }

private:
    io::BitWriter w_;
    uint64_t prev_ = 0;
    uint64_t prev_delta_ = 0;
    uint64_t count_ = 0;
};

class DeltaOfDeltaDecoder {
public:
    DeltaOfDeltaDecoder(const uint8_t* data, size_t nbytes) : r_(data, nbytes) {}

    int64_t next() {
        if (count_++ == 0) {
            prev_ = r_.read(64);
            return static_cast<int64_t>(prev_);
        }
        uint64_t dod = 0;
        unsigned ones = 0;  // leading 1 bits of the prefix, up to 5
        while (ones < 5 && r_.read_bit()) ++ones;
        if (ones == 5) {
            dod = r_.read(64);
        } else if (ones > 0) {
            const auto& b = kDodBuckets[ones - 1];
            dod = r_.read(b.value_bits) + static_cast<uint64_t>(b.low);
        }
        prev_delta_ += dod;
        prev_ += prev_delta_;
        return static_cast<int64_t>(prev_);
    }

    void expect_end() const { r_.expect_end(); }

private:
    io::BitReader r_;
    uint64_t prev_ = 0;
    uint64_t prev_delta_ = 0;
    uint64_t count_ = 0;
};

}  // namespace tsquash::codecs
