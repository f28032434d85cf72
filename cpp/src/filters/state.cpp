#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "tsquash/filters/common.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"

namespace tsquash::filters {

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::sdt: return "SDT";
        case Kind::sdt_compat: return "SDT (pydbfilter-compatible)";
        case Kind::deadband: return "deadband";
        case Kind::hysteresis: return "hysteresis";
    }
    return "unknown";
}

std::string format_time(int64_t t) { return std::to_string(t); }

std::string format_time(double t) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", t);
    return buf;
}

void StateWriter::u32(uint32_t x) {
    uint8_t b[4];
    io::store_le(b, x);
    out_.insert(out_.end(), b, b + 4);
}

void StateWriter::u64(uint64_t x) {
    uint8_t b[8];
    io::store_le(b, x);
    out_.insert(out_.end(), b, b + 8);
}

void StateWriter::f64(double x) {
    uint64_t u;
    std::memcpy(&u, &x, 8);
    u64(u);
}

void StateWriter::bytes(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
}

std::vector<uint8_t> StateWriter::finish() {
    u32(io::crc32c(out_.data(), out_.size()));
    return std::move(out_);
}

namespace {
constexpr size_t kFixedHeader = 8;  // magic, version, kind, time code, flags
}

StateReader::StateReader(const uint8_t* data, size_t n) : p_(data) {
    if (n < kFixedHeader + 4 || data == nullptr) throw CorruptStream("filter state: too short");
    n_ = n - 4;
    if (io::load_le<uint32_t>(data + n_) != io::crc32c(data, n_))
        throw CorruptStream("filter state: checksum mismatch (truncated or corrupted)");
    if (std::memcmp(data, "TSQF", 4) != 0) throw CorruptStream("filter state: bad magic (not a tsquash filter state)");
    if (data[4] != kStateVersion)
        throw CorruptStream("filter state: unsupported version " + std::to_string(data[4]));
}

void StateReader::need(size_t k) const {
    if (n_ - pos_ < k) throw CorruptStream("filter state: truncated");
}

uint8_t StateReader::u8() {
    need(1);
    return p_[pos_++];
}

uint32_t StateReader::u32() {
    need(4);
    const uint32_t x = io::load_le<uint32_t>(p_ + pos_);
    pos_ += 4;
    return x;
}

uint64_t StateReader::u64() {
    need(8);
    const uint64_t x = io::load_le<uint64_t>(p_ + pos_);
    pos_ += 8;
    return x;
}

double StateReader::f64() {
    const uint64_t u = u64();
    double x;
    std::memcpy(&x, &u, 8);
    return x;
}

bool StateReader::flag() {
    const uint8_t b = u8();
    if (b > 1) throw CorruptStream("filter state: bad flag byte");
    return b == 1;
}

std::string StateReader::bytes() {
    const uint32_t len = u32();
    if (len > kMaxAnnotation) throw CorruptStream("filter state: annotation too long");
    need(len);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return s;
}

void StateReader::expect_end() const {
    if (pos_ != n_) throw CorruptStream("filter state: trailing bytes");
}

StateHeader peek_state(const uint8_t* data, size_t n) {
    StateReader r(data, n);
    for (int i = 0; i < 5; ++i) r.u8();
    const uint8_t kind = r.u8(), time = r.u8();
    if (kind < 1 || kind > 4) throw CorruptStream("filter state: unknown filter kind " + std::to_string(kind));
    if (time < 1 || time > 2) throw CorruptStream("filter state: unknown time type " + std::to_string(time));
    return {static_cast<Kind>(kind), static_cast<TimeCode>(time)};
}

}  // namespace tsquash::filters
