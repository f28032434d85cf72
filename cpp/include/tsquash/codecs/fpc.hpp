// FPC (Burtscher & Ratanaworabhan, "FPC: A High-Speed Compressor for Double-Precision Floating-Point Data",
// IEEE Transactions on Computers 58(1), 2009). Two hash-table predictors guess each value:
//   FCM   the value that followed the last occurrence of the recent-value hash
//   DFCM  the last value plus the stride that followed the last occurrence of the recent-stride hash
// The value is XORed with the closer guess (the one whose XOR is smaller, FCM on ties). A 4-bit code holds
// the predictor (1 bit) and the XOR's leading-zero-byte count (3 bits); the remaining low bytes follow.
// For float64 the 3 bits cannot say "4 zero bytes", so a count of 4 is written as 3 (one zero byte is
// stored), as in the paper. Codes of two consecutive values share one byte (first value in the high
// nibble), followed by the first value's residual bytes and then the second's, least significant first.
// An odd count leaves the final low nibble zero.
//
// Both tables have 2^table_log2 entries. float64 uses the paper's hashes:
//   fcm  = ((fcm << 6) ^ (v >> 48)) & mask,  dfcm = ((dfcm << 2) ^ ((v - last) >> 40)) & mask.
// float32 scales the shifts to its width: (fcm << 5) ^ (v >> 24) and (dfcm << 2) ^ (stride >> 20).
#pragma once
#include <bit>
#include <memory>
#include <vector>

#include "tsquash/codecs/float_bits.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/io/byte_buffer.hpp"

namespace tsquash::codecs {

inline constexpr unsigned kFpcMinTableLog2 = 1;
inline constexpr unsigned kFpcMaxTableLog2 = 24;
inline constexpr unsigned kFpcDefaultTableLog2 = 16;

namespace fpc_detail {

template <class U>
struct Hashes;
template <>
struct Hashes<uint64_t> {
    static constexpr unsigned kFcmShift = 6, kFcmTake = 48, kDfcmShift = 2, kDfcmTake = 40;
};
template <>
struct Hashes<uint32_t> {
    static constexpr unsigned kFcmShift = 5, kFcmTake = 24, kDfcmShift = 2, kDfcmTake = 20;
};

// The two predictors and their hash state; encoder and decoder run the same updates.
template <class U>
class Predictor {
    using H = Hashes<U>;

public:
    explicit Predictor(unsigned table_log2) {
        if (table_log2 < kFpcMinTableLog2 || table_log2 > kFpcMaxTableLog2)
            throw InvalidArgument("fpc: table_log2 must be in 1..24");
        mask_ = (size_t{1} << table_log2) - 1;
        fcm_.reset(new U[mask_ + 1]());
        dfcm_.reset(new U[mask_ + 1]());
    }
    U fcm_guess() const { return fcm_[fcm_h_]; }
    U dfcm_guess() const { return static_cast<U>(dfcm_[dfcm_h_] + last_); }
    void update(U v) {
        const U stride = static_cast<U>(v - last_);
        fcm_[fcm_h_] = v;
        fcm_h_ = ((fcm_h_ << H::kFcmShift) ^ size_t(v >> H::kFcmTake)) & mask_;
        dfcm_[dfcm_h_] = stride;
        dfcm_h_ = ((dfcm_h_ << H::kDfcmShift) ^ size_t(stride >> H::kDfcmTake)) & mask_;
        last_ = v;
    }

private:
    size_t mask_ = 0, fcm_h_ = 0, dfcm_h_ = 0;
    std::unique_ptr<U[]> fcm_, dfcm_;
    U last_ = 0;
};

// Leading-zero-byte count <-> 3-bit code. float64 has nine counts (0..8) and drops 4.
template <class U>
inline unsigned lzb_to_code(unsigned lzb) {
    if constexpr (sizeof(U) == 8) return lzb >= 4 ? (lzb == 4 ? 3 : lzb - 1) : lzb;
    return lzb;
}
template <class U>
inline unsigned code_to_lzb(unsigned code) {
    if constexpr (sizeof(U) == 8) return code >= 4 ? code + 1 : code;
    return code;
}

}  // namespace fpc_detail

template <class T>
class FpcEncoder {
    using U = bits_t<T>;
    static constexpr unsigned kBytes = sizeof(U);

public:
    explicit FpcEncoder(unsigned table_log2 = kFpcDefaultTableLog2, size_t expected_values = 0)
        : pred_(table_log2), out_(expected_values * (kBytes + 1) + 16) {}

    void push(T value) {
        const U v = to_bits(value);
        const U r1 = v ^ pred_.fcm_guess();
        const U r2 = v ^ pred_.dfcm_guess();
        pred_.update(v);
        const bool use_dfcm = r2 < r1;
        const U r = use_dfcm ? r2 : r1;
        const unsigned code = fpc_detail::lzb_to_code<U>(std::countl_zero(r) >> 3);
        const unsigned nib = (unsigned(use_dfcm) << 3) | code;
        const unsigned nbytes = kBytes - fpc_detail::code_to_lzb<U>(code);
        if (!pending_) {
            pending_ = true;
            first_nib_ = nib;
            first_r_ = r;
            first_bytes_ = nbytes;
            return;
        }
        out_.ensure(1 + 2 * kBytes);
        out_.put(static_cast<uint8_t>((first_nib_ << 4) | nib));
        put_le(first_r_, first_bytes_);
        put_le(r, nbytes);
        pending_ = false;
    }

    std::vector<uint8_t> finish() {
        if (pending_) {
            out_.ensure(1 + kBytes);
            out_.put(static_cast<uint8_t>(first_nib_ << 4));
            put_le(first_r_, first_bytes_);
            pending_ = false;
        }
        return out_.take();
    }

private:
    void put_le(U r, unsigned nbytes) {
        // Whole-word store, then advance by the bytes that count: ensure() left room for the word.
        uint8_t* p = out_.cursor();
        for (unsigned i = 0; i < kBytes; ++i) p[i] = static_cast<uint8_t>(r >> (8 * i));
        out_.advance(nbytes);
    }

    fpc_detail::Predictor<U> pred_;
    io::ByteBuffer out_;
    bool pending_ = false;
    unsigned first_nib_ = 0, first_bytes_ = 0;
    U first_r_ = 0;
};

template <class T>
class FpcDecoder {
    using U = bits_t<T>;
    static constexpr unsigned kBytes = sizeof(U);

public:
    FpcDecoder(const uint8_t* data, size_t nbytes, unsigned table_log2 = kFpcDefaultTableLog2)
        : pred_(table_log2), p_(data), end_(data + nbytes) {}

    T next() {
        unsigned nib;
        if (!have_low_) {
            if (p_ == end_) throw CorruptStream("fpc: stream ends in the middle of a value");
            header_ = *p_++;
            nib = header_ >> 4;
            have_low_ = true;
        } else {
            nib = header_ & 15;
            have_low_ = false;
        }
        const unsigned code = nib & 7;
        if (code > fpc_detail::lzb_to_code<U>(kBytes)) throw CorruptStream("fpc: bad leading-zero code");
        const unsigned nbytes = kBytes - fpc_detail::code_to_lzb<U>(code);
        if (size_t(end_ - p_) < nbytes) throw CorruptStream("fpc: stream ends in the middle of a value");
        U r = 0;
        for (unsigned i = 0; i < nbytes; ++i) r |= static_cast<U>(U(p_[i]) << (8 * i));
        p_ += nbytes;
        const U guess = (nib & 8) ? pred_.dfcm_guess() : pred_.fcm_guess();
        const U v = r ^ guess;
        pred_.update(v);
        return from_bits<T>(v);
    }

    void expect_end() const {
        if (p_ != end_) throw CorruptStream("fpc: payload has bytes left over after the last value");
        if (have_low_ && (header_ & 15) != 0) throw CorruptStream("fpc: padding nibble is not zero");
    }

private:
    fpc_detail::Predictor<U> pred_;
    const uint8_t* p_;
    const uint8_t* end_;
    uint8_t header_ = 0;
    bool have_low_ = false;
};

}  // namespace tsquash::codecs
