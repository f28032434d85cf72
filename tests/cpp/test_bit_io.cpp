// BitWriter / BitReader, ByteBuffer, byte-order helpers and CRC-32C.
#include <algorithm>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "test_util.hpp"
#include "tsquash/io/bit_reader.hpp"
#include "tsquash/io/bit_writer.hpp"
#include "tsquash/io/byte_buffer.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"

namespace {

using tsquash::CorruptStream;
using tsquash::io::BitReader;
using tsquash::io::BitWriter;

uint64_t low_mask(unsigned n) { return n == 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

// ---- BitWriter / BitReader ------------------------------------------------------------------------------

TEST(BitIO, EveryWidthRoundTrips) {
    std::mt19937_64 rng(1);
    std::vector<std::pair<uint64_t, unsigned>> items;
    for (unsigned n = 0; n <= 64; ++n) {
        items.push_back({0, n});
        items.push_back({low_mask(n), n});
        items.push_back({rng() & low_mask(n), n});
        if (n > 0) items.push_back({uint64_t{1} << (n - 1), n});  // only the top bit of the field
    }
    BitWriter w;
    uint64_t total = 0;
    for (auto [v, n] : items) {
        w.write(v, n);
        total += n;
        ASSERT_EQ(w.bits_written(), total);
    }
    const auto bytes = w.finish();
    ASSERT_EQ(bytes.size(), (total + 7) / 8);
    BitReader r(bytes.data(), bytes.size());
    for (size_t i = 0; i < items.size(); ++i) {
        const auto [v, n] = items[i];
        ASSERT_EQ(r.read(n), v) << "item " << i << " width " << n;
    }
    EXPECT_EQ(r.position(), total);
    EXPECT_NO_THROW(r.expect_end());
}

// Fields of random widths at random alignments, so every (offset, width) split of the 64-bit accumulator
// and of the reader's 8-byte window is crossed many times.
TEST(BitIO, RandomWidthSequencesRoundTrip) {
    for (uint64_t seed = 0; seed < 20; ++seed) {
        std::mt19937_64 rng(seed);
        std::vector<std::pair<uint64_t, unsigned>> items(3000);
        BitWriter w(seed % 3 == 0 ? 1 : 64);  // a tiny reserve makes the buffer grow while writing
        uint64_t total = 0;
        for (auto& [v, n] : items) {
            n = unsigned(rng() % 65);
            v = rng() & low_mask(n);
            w.write(v, n);
            total += n;
        }
        ASSERT_EQ(w.bits_written(), total);
        const auto bytes = w.finish();
        ASSERT_EQ(bytes.size(), (total + 7) / 8);
        BitReader r(bytes.data(), bytes.size());
        for (size_t i = 0; i < items.size(); ++i)
            ASSERT_EQ(r.read(items[i].second), items[i].first) << "seed " << seed << " item " << i;
        EXPECT_NO_THROW(r.expect_end());
    }
}

TEST(BitIO, WriterIsMsbFirst) {
    {
        BitWriter w;
        w.write(1, 1);
        w.write(0, 1);
        w.write(0b101, 3);
        EXPECT_EQ(w.finish(), (std::vector<uint8_t>{0b10101000}));  // zero padding in the low bits
    }
    {
        BitWriter w;
        w.write(0xABCD, 16);
        EXPECT_EQ(w.finish(), (std::vector<uint8_t>{0xAB, 0xCD}));
    }
    {
        BitWriter w;
        w.write(0x0123456789ABCDEFull, 64);
        EXPECT_EQ(w.finish(), (std::vector<uint8_t>{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF}));
    }
    {
        // A 64-bit field that starts one bit in straddles the accumulator boundary.
        BitWriter w;
        w.write(1, 1);
        w.write(0xFFFFFFFFFFFFFFFFull, 64);
        w.write(0, 3);
        EXPECT_EQ(w.finish(),
                  (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0b10000000}));
    }
    {
        BitWriter w;
        for (int i = 0; i < 12; ++i) w.write(0xF, 4);  // 48 bits, six 0xFF bytes
        w.write(0b0110, 4);
        EXPECT_EQ(w.finish(), (std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x60}));
    }
}

TEST(BitIO, ReaderIsMsbFirst) {
    const std::vector<uint8_t> b = {0b10110010, 0x5A, 0xFF, 0x00, 0x12, 0x34, 0x56,
                                    0x78,       0x9A, 0xBC, 0xDE, 0xF0, 0x11};
    BitReader r(b.data(), b.size());
    EXPECT_EQ(r.read(1), 1u);
    EXPECT_EQ(r.read(2), 0b01u);
    EXPECT_EQ(r.read(5), 0b10010u);
    EXPECT_EQ(r.read(4), 0x5u);
    EXPECT_EQ(r.read(12), 0xAFFu);
    EXPECT_EQ(r.read(64), 0x00123456789ABCDEull);
    EXPECT_EQ(r.read(3), 0b111u);
    EXPECT_EQ(r.read(5), 0b10000u);
    EXPECT_EQ(r.read(8), 0x11u);
    EXPECT_EQ(r.position(), 104u);
    EXPECT_NO_THROW(r.expect_end());
}

TEST(BitIO, ReadZeroBitsAnywhere) {
    const std::vector<uint8_t> b = {0xFF};
    BitReader r(b.data(), b.size());
    EXPECT_EQ(r.read(0), 0u);
    EXPECT_EQ(r.read(8), 0xFFu);
    EXPECT_EQ(r.read(0), 0u);  // at the very end a zero-width read still succeeds
    EXPECT_EQ(r.position(), 8u);
}

TEST(BitIO, ReadPastEndThrows) {
    const std::vector<uint8_t> b = {0xAA, 0xBB, 0xCC};
    for (unsigned first = 0; first <= 24; ++first) {
        for (unsigned second = 25 - first; second <= 64; ++second) {
            BitReader r(b.data(), b.size());
            r.read(first);
            EXPECT_THROW(r.read(second), CorruptStream) << first << "+" << second;
        }
    }
    BitReader empty(nullptr, 0);
    EXPECT_THROW(empty.read(1), CorruptStream);
    EXPECT_THROW(empty.read_bit(), CorruptStream);
    EXPECT_THROW(empty.skip(1), CorruptStream);
    EXPECT_NO_THROW(empty.expect_end());
}

// A wide read (> 56 bits) is done in two parts; the second part must still be bounds-checked.
TEST(BitIO, WideReadPastEndThrows) {
    const std::vector<uint8_t> b(7, 0xFF);  // 56 bits
    BitReader r(b.data(), b.size());
    EXPECT_THROW(r.read(57), CorruptStream);
    BitReader r2(b.data(), b.size());
    r2.read(1);
    EXPECT_THROW(r2.read(56), CorruptStream);
}

TEST(BitIO, SkipAdvancesAndChecks) {
    const std::vector<uint8_t> b = {0x0F, 0xF0};
    BitReader r(b.data(), b.size());
    r.skip(4);
    EXPECT_EQ(r.read(8), 0xFFu);
    EXPECT_THROW(r.skip(5), CorruptStream);
    r.skip(4);
    EXPECT_EQ(r.position(), 16u);
}

TEST(BitIO, Peek64DoesNotConsumeAndReadsZerosPastEnd) {
    const std::vector<uint8_t> b = {0xC3, 0x81};
    BitReader r(b.data(), b.size());
    EXPECT_EQ(r.peek64(), uint64_t{0xC381} << 48);
    EXPECT_EQ(r.position(), 0u);
    r.read(12);
    EXPECT_EQ(r.peek64(), uint64_t{0x1} << 60);  // the bits past the end read as zero
    EXPECT_EQ(r.position(), 12u);
}

TEST(BitIO, Peek64MatchesReadAtEveryOffset) {
    std::vector<uint8_t> b(40);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(i * 37 + 11);
    for (unsigned off = 0; off < 8 * b.size(); ++off) {
        BitReader a(b.data(), b.size()), c(b.data(), b.size());
        a.skip(off);
        c.skip(off);
        const uint64_t w = a.peek64();
        const unsigned n = std::min<unsigned>(64, 8 * b.size() - off);
        EXPECT_EQ(n == 64 ? w : w >> (64 - n), c.read(n)) << "offset " << off;
    }
}

TEST(BitIO, TakeAfterReturnsTheBitsFollowingTheHead) {
    std::vector<uint8_t> b(24);
    for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(0xA5 ^ (i * 29));
    for (unsigned head = 0; head < 64; head += 5) {
        for (unsigned n = 1; n <= 64; ++n) {
            BitReader a(b.data(), b.size()), c(b.data(), b.size());
            a.skip(3);
            c.skip(3);
            const uint64_t got = a.take_after(a.peek64(), head, n);
            c.skip(head);
            EXPECT_EQ(got, c.read(n)) << "head " << head << " n " << n;
            EXPECT_EQ(a.position(), c.position());
        }
    }
}

TEST(BitIO, TakeAfterPastTheEndThrows) {
    const std::vector<uint8_t> b = {0xFF, 0xFF};
    BitReader r(b.data(), b.size());
    EXPECT_THROW(r.take_after(r.peek64(), 4, 13), CorruptStream);
}

TEST(BitIO, ExpectEndAcceptsOnlyZeroPadding) {
    // 3 data bits then 5 padding bits.
    {
        const std::vector<uint8_t> b = {0b10100000};
        BitReader r(b.data(), b.size());
        r.read(3);
        EXPECT_NO_THROW(r.expect_end());
    }
    for (unsigned bit = 0; bit < 5; ++bit) {
        const std::vector<uint8_t> b = {uint8_t(0b10100000 | (1u << bit))};
        BitReader r(b.data(), b.size());
        r.read(3);
        EXPECT_THROW(r.expect_end(), CorruptStream) << "padding bit " << bit;
    }
    // Set data bits do not matter, only the padding.
    {
        const std::vector<uint8_t> b = {0xFF, 0xFE};
        BitReader r(b.data(), b.size());
        r.read(15);
        EXPECT_NO_THROW(r.expect_end());
    }
    // A whole byte (even a zero one) left over is not padding.
    {
        const std::vector<uint8_t> b = {0xA0, 0x00};
        BitReader r(b.data(), b.size());
        r.read(3);
        EXPECT_THROW(r.expect_end(), CorruptStream);
        r.read(10);  // now only 3 zero padding bits remain
        EXPECT_NO_THROW(r.expect_end());
    }
    {
        const std::vector<uint8_t> b = {0x00};
        BitReader r(b.data(), b.size());
        EXPECT_THROW(r.expect_end(), CorruptStream);  // nothing read: 8 bits left
    }
}

TEST(BitIO, WriterOutputPassesExpectEndForEveryLength) {
    for (unsigned n = 0; n <= 130; ++n) {
        BitWriter w;
        for (unsigned i = 0; i < n; ++i) w.write_bit(true);
        const auto bytes = w.finish();
        ASSERT_EQ(bytes.size(), (n + 7) / 8u);
        BitReader r(bytes.data(), bytes.size());
        for (unsigned i = 0; i < n; ++i) ASSERT_TRUE(r.read_bit());
        EXPECT_NO_THROW(r.expect_end()) << n;
        if (n % 8) {
            EXPECT_THROW(r.read(8 - n % 8 + 1), CorruptStream);
        }
    }
}

TEST(BitIO, WriterCanBeReusedAfterFinish) {
    BitWriter w;
    w.write(0xAB, 8);
    EXPECT_EQ(w.finish(), (std::vector<uint8_t>{0xAB}));
    w.write(0xCD, 8);
    w.write(1, 1);
    EXPECT_EQ(w.finish(), (std::vector<uint8_t>{0xCD, 0x80}));
}

// ---- ByteBuffer and byte order ---------------------------------------------------------------------------

TEST(ByteBuffer, GrowsAndKeepsContents) {
    tsquash::io::ByteBuffer b(1);
    std::vector<uint8_t> expect;
    for (int i = 0; i < 1000; ++i) {
        b.ensure(3);
        b.put(uint8_t(i));
        const uint8_t two[2] = {uint8_t(i >> 8), 0x5A};
        b.put(two, 2);
        expect.push_back(uint8_t(i));
        expect.push_back(uint8_t(i >> 8));
        expect.push_back(0x5A);
    }
    EXPECT_EQ(b.size(), expect.size());
    EXPECT_EQ(b.take(), expect);
}

TEST(Bytes, LittleAndBigEndianHelpers) {
    uint8_t buf[8];
    tsquash::io::store_le<uint32_t>(buf, 0x11223344u);
    EXPECT_EQ(buf[0], 0x44);
    EXPECT_EQ(buf[3], 0x11);
    EXPECT_EQ(tsquash::io::load_le<uint32_t>(buf), 0x11223344u);
    tsquash::io::store_be64(buf, 0x0102030405060708ull);
    EXPECT_EQ(buf[0], 0x01);
    EXPECT_EQ(buf[7], 0x08);
    EXPECT_EQ(tsquash::io::load_be64(buf), 0x0102030405060708ull);
    tsquash::io::store_le<uint64_t>(buf, 0x0102030405060708ull);
    EXPECT_EQ(buf[0], 0x08);
    EXPECT_EQ(tsquash::io::load_le<uint64_t>(buf), 0x0102030405060708ull);
}

// ---- CRC-32C ----------------------------------------------------------------------------------------------

// Bit-at-a-time CRC-32C straight from the definition (reflected polynomial 0x82F63B78), the oracle for
// both the table and the SSE4.2 paths.
uint32_t crc32c_reference(const uint8_t* p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    }
    return ~c;
}

TEST(Crc32c, StandardCheckValues) {
    const std::string s = "123456789";
    EXPECT_EQ(tsquash::io::crc32c(reinterpret_cast<const uint8_t*>(s.data()), s.size()), 0xE3069283u);
    EXPECT_EQ(tsquash::io::crc32c(nullptr, 0), 0u);
    // RFC 3720 (iSCSI) test vectors: 32 bytes of zeros and of ones.
    const std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xFF);
    EXPECT_EQ(tsquash::io::crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
    EXPECT_EQ(tsquash::io::crc32c(ones.data(), ones.size()), 0x62A8AB43u);
}

TEST(Crc32c, MatchesReferenceAtEveryLengthAndAlignment) {
    std::mt19937_64 rng(7);
    std::vector<uint8_t> buf(300);
    for (auto& b : buf) b = uint8_t(rng());
    for (size_t off = 0; off < 9; ++off)
        for (size_t n = 0; n + off <= 200; ++n)
            ASSERT_EQ(tsquash::io::crc32c(buf.data() + off, n), crc32c_reference(buf.data() + off, n))
                << "offset " << off << " length " << n;
}

TEST(Crc32c, MatchesReferenceOnLongInputs) {
    // Long inputs take the three-lane path (6 KiB a round) with the rest after it.
    std::mt19937_64 rng(9);
    std::vector<uint8_t> buf(40000);
    for (auto& b : buf) b = uint8_t(rng());
    for (size_t n : {size_t(6143), size_t(6144), size_t(6145), size_t(12288), size_t(20000), size_t(39999)})
        for (size_t off : {size_t(0), size_t(1)})
            ASSERT_EQ(tsquash::io::crc32c(buf.data() + off, n), crc32c_reference(buf.data() + off, n))
                << "offset " << off << " length " << n;
    const uint32_t part = tsquash::io::crc32c(buf.data(), 7000);
    EXPECT_EQ(tsquash::io::crc32c(buf.data() + 7000, 30000, part), crc32c_reference(buf.data(), 37000));
}

TEST(Crc32c, ChainsAcrossSplits) {
    std::mt19937_64 rng(8);
    std::vector<uint8_t> buf(123);
    for (auto& b : buf) b = uint8_t(rng());
    const uint32_t whole = tsquash::io::crc32c(buf.data(), buf.size());
    for (size_t cut = 0; cut <= buf.size(); ++cut) {
        const uint32_t a = tsquash::io::crc32c(buf.data(), cut);
        EXPECT_EQ(tsquash::io::crc32c(buf.data() + cut, buf.size() - cut, a), whole) << cut;
    }
}

}  // namespace
