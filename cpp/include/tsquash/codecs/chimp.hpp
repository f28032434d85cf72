// Chimp and Chimp128 (Liakos, Papakonstantinopoulou, Kotidis, "Chimp: Efficient Lossless Floating Point
// Compression for Time Series Databases", VLDB 2022).
//
// Chimp XORs each value with the previous one and writes a 2-bit flag:
//   '00'                              XOR is zero
//   '01' + lead(3) + sig + bits       more than kTrail trailing zeros: only the significant bits
//   '10' + bits                       leading zeros (rounded) equal to the previous record's: XOR minus them
//   '11' + lead(3) + bits             new leading-zero count, then the XOR minus its leading zeros
// Leading zeros are rounded down to one of eight classes {0, 8, 12, 16, 18, 20, 22, 24} (3-bit code).
//
// Chimp128 keeps the last 128 values. A table indexed by the low (kTrail + 1) bits of a value remembers
// where that bit pattern was last seen; when that earlier value is still in the ring and XORs to more than
// kTrail trailing zeros it becomes the reference, otherwise the previous value does. Flags '00' and '01'
// then also carry the 7-bit ring slot of the reference.
//
// float64 uses the paper's constants (trailing threshold 6, 13 for Chimp128, 6-bit significant count).
// float32 uses threshold 5 (12 for Chimp128) and a 5-bit significant count.
#pragma once
#include <array>
#include <bit>
#include <memory>

#include "tsquash/codecs/float_bits.hpp"
#include "tsquash/io/bit_reader.hpp"
#include "tsquash/io/bit_writer.hpp"

namespace tsquash::codecs {

namespace chimp_detail {

// Round a leading-zero count down to its class; the class's 3-bit code.
inline constexpr std::array<uint8_t, 65> kLeadRound = [] {
    std::array<uint8_t, 65> t{};
    for (unsigned i = 0; i <= 64; ++i)
        t[i] = i < 8 ? 0 : i < 12 ? 8 : i < 16 ? 12 : i < 18 ? 16 : i < 20 ? 18 : i < 22 ? 20 : i < 24 ? 22 : 24;
    return t;
}();
inline constexpr std::array<uint8_t, 25> kLeadCode = [] {
    std::array<uint8_t, 25> t{};
    t[0] = 0; t[8] = 1; t[12] = 2; t[16] = 3; t[18] = 4; t[20] = 5; t[22] = 6; t[24] = 7;
    return t;
}();
inline constexpr std::array<uint8_t, 8> kLeadDecode = {0, 8, 12, 16, 18, 20, 22, 24};

// No previous '10'/'11' record: a value no rounded count can equal.
inline constexpr unsigned kNoLead = 255;

}  // namespace chimp_detail

template <class T>
struct ChimpLayout {
    static constexpr unsigned kWidth = FloatBits<T>::kBits;
    static constexpr unsigned kTrail = kWidth == 64 ? 6 : 5;
    static constexpr unsigned kSigBits = kWidth == 64 ? 6 : 5;
};

template <class T>
class ChimpEncoder {
    using U = bits_t<T>;
    using L = ChimpLayout<T>;

public:
    explicit ChimpEncoder(size_t expected_values = 0) : w_(expected_values * 2 + 16) {}

    void push(T value) {
        using namespace chimp_detail;
        const U x = to_bits(value);
        if (count_++ == 0) {
            w_.write(x, L::kWidth);
            prev_ = x;
            return;
        }
        const U d = x ^ prev_;
        prev_ = x;
        if (d == 0) {
            w_.write(0b00, 2);
            stored_lead_ = kNoLead;
            return;
        }
        const unsigned lead = kLeadRound[std::countl_zero(d)];
        const unsigned trail = std::countr_zero(d);
        if (trail > L::kTrail) {
            const unsigned sig = L::kWidth - lead - trail;
            w_.write((uint64_t{0b01} << (3 + L::kSigBits)) | (uint64_t{kLeadCode[lead]} << L::kSigBits) | sig,
                     2 + 3 + L::kSigBits);
            w_.write(d >> trail, sig);
            stored_lead_ = kNoLead;
        } else if (lead == stored_lead_) {
            w_.write(0b10, 2);
            w_.write(d, L::kWidth - lead);
        } else {
            stored_lead_ = lead;
            w_.write((0b11u << 3) | kLeadCode[lead], 5);
            w_.write(d, L::kWidth - lead);
        }
    }

    std::vector<uint8_t> finish() { return w_.finish(); }

private:
    io::BitWriter w_;
    U prev_ = 0;
    uint64_t count_ = 0;
    unsigned stored_lead_ = chimp_detail::kNoLead;
};

template <class T>
class ChimpDecoder {
    using U = bits_t<T>;
    using L = ChimpLayout<T>;

public:
    ChimpDecoder(const uint8_t* data, size_t nbytes) : r_(data, nbytes) {}

    T next() {
        using namespace chimp_detail;
        if (count_++ == 0) {
            prev_ = static_cast<U>(r_.read(L::kWidth));
            return from_bits<T>(prev_);
        }
        // If-chain rather than a switch: the '1x' records dominate and share their tail.
        const uint64_t w = r_.peek64();
        const unsigned flag = unsigned(w >> 62);
        if (flag >= 0b10) {
            unsigned head = 2;
            if (flag == 0b11) {
                stored_lead_ = kLeadDecode[(w >> (64 - 5)) & 7];
                head = 5;
            } else if (stored_lead_ == kNoLead) {
                throw CorruptStream("chimp: '10' record without a stored lead");
            }
            prev_ ^= static_cast<U>(r_.take_after(w, head, L::kWidth - stored_lead_));
        } else if (flag == 0b01) {
            constexpr unsigned kHead = 2 + 3 + L::kSigBits;
            const unsigned lead = kLeadDecode[(w >> (64 - 5)) & 7];
            const unsigned sig = unsigned(w >> (64 - kHead)) & ((1u << L::kSigBits) - 1);
            if (sig == 0 || lead + sig > L::kWidth) throw CorruptStream("chimp: bad significant-bit count");
            prev_ ^= static_cast<U>(r_.take_after(w, kHead, sig) << (L::kWidth - lead - sig));
            stored_lead_ = kNoLead;
        } else {
            r_.skip(2);
            stored_lead_ = kNoLead;
        }
        return from_bits<T>(prev_);
    }

    void expect_end() const { r_.expect_end(); }

private:
    io::BitReader r_;
    U prev_ = 0;
    uint64_t count_ = 0;
    unsigned stored_lead_ = chimp_detail::kNoLead;
};

template <class T>
struct Chimp128Layout {
    static constexpr unsigned kWidth = FloatBits<T>::kBits;
    static constexpr unsigned kRingLog2 = 7;
    static constexpr unsigned kRing = 1u << kRingLog2;
    static constexpr unsigned kTrail = ChimpLayout<T>::kTrail + kRingLog2;
    static constexpr unsigned kSigBits = ChimpLayout<T>::kSigBits;
    static constexpr unsigned kKeyBits = kTrail + 1;
};

template <class T>
class Chimp128Encoder {
    using U = bits_t<T>;
    using L = Chimp128Layout<T>;

public:
    explicit Chimp128Encoder(size_t expected_values = 0)
        : w_(expected_values * 2 + 16), last_seen_(new uint32_t[size_t{1} << L::kKeyBits]()) {}

    void push(T value) {
        using namespace chimp_detail;
        const U x = to_bits(value);
        const size_t key = x & ((U{1} << L::kKeyBits) - 1);
        if (count_ == 0) {
            w_.write(x, L::kWidth);
            ring_[0] = x;
            last_seen_[key] = 0;
            count_ = 1;
            return;
        }
        const uint32_t last = static_cast<uint32_t>(count_ - 1);  // position of the previous value
        unsigned slot = last % L::kRing;
        unsigned trail = 0;
        U d;
        const uint32_t seen = last_seen_[key];
        const U cand = x ^ ring_[seen % L::kRing];
        if (last - seen < L::kRing && (trail = std::countr_zero(cand)) > L::kTrail) {
            slot = seen % L::kRing;
            d = cand;
        } else {
            d = x ^ ring_[slot];
        }
        if (d == 0) {
            w_.write(slot, 2 + L::kRingLog2);
            stored_lead_ = kNoLead;
        } else {
            const unsigned lead = kLeadRound[std::countl_zero(d)];
            if (trail > L::kTrail) {
                const unsigned sig = L::kWidth - lead - trail;
                w_.write((uint64_t(L::kRing + slot) << (3 + L::kSigBits)) |
                             (uint64_t{kLeadCode[lead]} << L::kSigBits) | sig,
                         2 + L::kRingLog2 + 3 + L::kSigBits);
                w_.write(d >> trail, sig);
                stored_lead_ = kNoLead;
            } else if (lead == stored_lead_) {
                w_.write(0b10, 2);
                w_.write(d, L::kWidth - lead);
            } else {
                stored_lead_ = lead;
                w_.write((0b11u << 3) | kLeadCode[lead], 5);
                w_.write(d, L::kWidth - lead);
            }
        }
        ring_[count_ % L::kRing] = x;
        last_seen_[key] = static_cast<uint32_t>(count_);
        ++count_;
    }

    std::vector<uint8_t> finish() { return w_.finish(); }

private:
    io::BitWriter w_;
    std::array<U, L::kRing> ring_{};
    std::unique_ptr<uint32_t[]> last_seen_;
    uint64_t count_ = 0;
    unsigned stored_lead_ = chimp_detail::kNoLead;
};

template <class T>
class Chimp128Decoder {
    using U = bits_t<T>;
    using L = Chimp128Layout<T>;

public:
    Chimp128Decoder(const uint8_t* data, size_t nbytes) : r_(data, nbytes) {}

    T next() {
        using namespace chimp_detail;
        U x;
        if (count_ == 0) {
            x = static_cast<U>(r_.read(L::kWidth));
        } else {
            const U prev = ring_[(count_ - 1) % L::kRing];
            const uint64_t w = r_.peek64();
            switch (w >> 62) {
                case 0b00:
                    x = ring_[(w >> (64 - 2 - L::kRingLog2)) & (L::kRing - 1)];
                    r_.skip(2 + L::kRingLog2);
                    stored_lead_ = kNoLead;
                    break;
                case 0b01: {
                    constexpr unsigned kHead = 2 + L::kRingLog2 + 3 + L::kSigBits;
                    const uint64_t head = w >> (64 - kHead);
                    const U ref = ring_[(head >> (3 + L::kSigBits)) & (L::kRing - 1)];
                    const unsigned lead = kLeadDecode[(head >> L::kSigBits) & 7];
                    const unsigned sig = unsigned(head & ((1u << L::kSigBits) - 1));
                    if (sig == 0 || lead + sig > L::kWidth)
                        throw CorruptStream("chimp128: bad significant-bit count");
                    x = ref ^ static_cast<U>(r_.take_after(w, kHead, sig) << (L::kWidth - lead - sig));
                    stored_lead_ = kNoLead;
                    break;
                }
                case 0b10:
                    if (stored_lead_ == kNoLead) throw CorruptStream("chimp128: '10' record without a stored lead");
                    x = prev ^ static_cast<U>(r_.take_after(w, 2, L::kWidth - stored_lead_));
                    break;
                default:
                    stored_lead_ = kLeadDecode[(w >> (64 - 5)) & 7];
                    x = prev ^ static_cast<U>(r_.take_after(w, 5, L::kWidth - stored_lead_));
                    break;
            }
        }
        ring_[count_ % L::kRing] = x;
        ++count_;
        return from_bits<T>(x);
    }

    void expect_end() const { r_.expect_end(); }

private:
    io::BitReader r_;
    std::array<U, L::kRing> ring_{};
    uint64_t count_ = 0;
    unsigned stored_lead_ = chimp_detail::kNoLead;
};

}  // namespace tsquash::codecs
