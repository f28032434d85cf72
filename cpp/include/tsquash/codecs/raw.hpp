// The identity codec: values as little-endian bytes. A baseline, and a fallback for incompressible data.
#pragma once
#include <vector>

#include "tsquash/errors.hpp"
#include "tsquash/io/byte_buffer.hpp"
#include "tsquash/io/bytes.hpp"

namespace tsquash::codecs {

template <class T>
class RawEncoder {
public:
    explicit RawEncoder(size_t expected_values = 0) : out_(expected_values * sizeof(T) + 16) {}
    void push(T v) {
        out_.ensure(sizeof(T));
        out_.put(&v, sizeof(T));  // little-endian hosts only; see the static_assert in stream.cpp
    }
    std::vector<uint8_t> finish() { return out_.take(); }

private:
    io::ByteBuffer out_;
};

template <class T>
class RawDecoder {
public:
    RawDecoder(const uint8_t* data, size_t nbytes) : p_(data), end_(data + nbytes) {}
    T next() {
        if (size_t(end_ - p_) < sizeof(T)) throw CorruptStream("raw: stream ends in the middle of a value");
        T v;
        std::memcpy(&v, p_, sizeof(T));
        p_ += sizeof(T);
        return v;
    }
    void expect_end() const {
        if (p_ != end_) throw CorruptStream("raw: payload has bytes left over after the last value");
    }

private:
    const uint8_t* p_;
    const uint8_t* end_;
};

}  // namespace tsquash::codecs
