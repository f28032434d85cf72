// TSXor (Bruno, Nardini, Pibiri, Trani, Venturini, "TSXor: A Simple Time Series Compression Algorithm",
// SPIRE 2021). Each value is compared with a window of the previous W <= 127 values and written
// byte-aligned in one of three cases:
//   Reference  1 byte  p                   the value equals the window entry p (p = distance back - 1)
//   XOR        1 byte  p + 128, 1 byte (TZ << 4 | len), len bytes
//                                          x = value ^ window[p] has the most leading (LZ) plus trailing
//                                          (TZ) zero bytes over the window, LZ + TZ >= 2; the len = width -
//                                          LZ - TZ middle bytes of x follow, most significant first
//   Exception  1 byte  255, then the value's bytes (8 or 4)
// The first value has no window and is stored as its raw bytes alone. Multi-byte fields are big-endian.
// Ties between window entries go to the most recent one; any choice gives the same size.
#pragma once
#include <bit>
#include <memory>
#include <vector>


#include "tsquash/codecs/float_bits.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/io/byte_buffer.hpp"

namespace tsquash::codecs {

inline constexpr unsigned kTsxorMaxWindow = 127;
inline constexpr uint8_t kTsxorException = 255;

namespace tsxor_detail {

template <class U>
inline void put_be(io::ByteBuffer& out, U v, unsigned nbytes) {
    for (unsigned i = nbytes; i-- > 0;) out.put(static_cast<uint8_t>(v >> (8 * i)));
}

// The window as a ring stored twice over, so the last W values are always one contiguous run
// (oldest first) and the scan needs no wrap-around.
template <class U>
class Window {
public:
    explicit Window(unsigned size) : size_(size) {
        if (size < 1 || size > kTsxorMaxWindow) throw InvalidArgument("tsxor: window must be in 1..127");
        buf_.reset(new U[2 * size]());
    }

    void push(U x) {
        head_ = head_ + 1 == size_ ? 0 : head_ + 1;
        buf_[head_] = x;
        buf_[head_ + size_] = x;
        if (filled_ < size_) ++filled_;
    }
    // The filled entries, oldest first; entry i is (filled() - i) values back.
    const U* begin() const { return buf_.get() + head_ + size_ + 1 - filled_; }
    unsigned filled() const { return filled_; }
    // The value k + 1 positions back.
    U back(unsigned k) const { return buf_[head_ + size_ - k]; }

private:
    unsigned size_;
    std::unique_ptr<U[]> buf_;
    unsigned head_ = 0;
    unsigned filled_ = 0;
};

// Index (into w[0..n), oldest first) of the entry whose XOR with x has the most leading + trailing zero
// bytes, and that score (2 * width for an equal value). Ties go to the newest entry.
template <class U>
std::pair<unsigned, unsigned> best_match(const U* w, unsigned n, U x);

template <>
std::pair<unsigned, unsigned> best_match<uint64_t>(const uint64_t* w, unsigned n, uint64_t x);
template <>
std::pair<unsigned, unsigned> best_match<uint32_t>(const uint32_t* w, unsigned n, uint32_t x);

}  // namespace tsxor_detail

template <class T>
class TSXorEncoder {
    using U = bits_t<T>;
    static constexpr unsigned kBytes = sizeof(U);

public:
    explicit TSXorEncoder(unsigned window = kTsxorMaxWindow, size_t expected_values = 0)
        : window_(window), out_(expected_values * 3 + 16) {}

    void push(T value) {
        const U x = to_bits(value);
        out_.ensure(kBytes + 2);
        if (window_.filled() == 0) {
            tsxor_detail::put_be(out_, x, kBytes);
            window_.push(x);
            return;
        }
        const U* w = window_.begin();
        const unsigned n = window_.filled();
        const auto [best_i, best_score] = tsxor_detail::best_match(w, n, x);
        const uint8_t p = static_cast<uint8_t>(n - 1 - best_i);
        const U d = x ^ w[best_i];
        if (d == 0) {
            out_.put(p);
        } else if (best_score >= 2) {
            const unsigned tz = std::countr_zero(d) >> 3;
            const unsigned len = kBytes - (std::countl_zero(d) >> 3) - tz;
            out_.put(static_cast<uint8_t>(p + 128));
            out_.put(static_cast<uint8_t>((tz << 4) | len));
            tsxor_detail::put_be(out_, static_cast<U>(d >> (8 * tz)), len);
        } else {
            out_.put(kTsxorException);
            tsxor_detail::put_be(out_, x, kBytes);
        }
        window_.push(x);
    }

    std::vector<uint8_t> finish() { return out_.take(); }

private:
    tsxor_detail::Window<U> window_;
    io::ByteBuffer out_;
};

template <class T>
class TSXorDecoder {
    using U = bits_t<T>;
    static constexpr unsigned kBytes = sizeof(U);

public:
    TSXorDecoder(const uint8_t* data, size_t nbytes, unsigned window = kTsxorMaxWindow)
        : p_(data), end_(data + nbytes), window_(window) {}

    T next() {
        U x;
        if (window_.filled() == 0) {
            x = take_be(kBytes);
        } else {
            need(1);
            const uint8_t b = *p_++;
            if (b == kTsxorException) {
                x = take_be(kBytes);
            } else {
                const unsigned k = b & 127;
                if (k >= window_.filled()) throw CorruptStream("tsxor: window position out of range");
                x = window_.back(k);
                if (b & 128) {
                    need(1);
                    const uint8_t head = *p_++;
                    const unsigned tz = head >> 4, len = head & 15;
                    if (len == 0 || tz + len > kBytes) throw CorruptStream("tsxor: bad XOR header byte");
                    x ^= static_cast<U>(take_be(len) << (8 * tz));
                }
            }
        }
        window_.push(x);
        return from_bits<T>(x);
    }

    void expect_end() const {
        if (p_ != end_) throw CorruptStream("tsxor: payload has bytes left over after the last value");
    }

private:
    void need(size_t n) const {
        if (size_t(end_ - p_) < n) throw CorruptStream("tsxor: stream ends in the middle of a value");
    }
    U take_be(unsigned n) {
        need(n);
        U v = 0;
        for (unsigned i = 0; i < n; ++i) v = static_cast<U>((uint64_t(v) << 8) | p_[i]);
        p_ += n;
        return v;
    }

    const uint8_t* p_;
    const uint8_t* end_;
    tsxor_detail::Window<U> window_;
};

}  // namespace tsquash::codecs
