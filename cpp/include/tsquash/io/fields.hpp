// Little-endian fixed-width fields: what tsquash's state and model formats are built from (docs/format.md).
// FieldReader checks every read against the end of its input and throws CorruptStream("<format>: truncated"),
// so a decoder cannot read past damaged or cut-off bytes whatever they hold.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tsquash/errors.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"

namespace tsquash::io {

class FieldWriter {
public:
    void u8(uint8_t v) { out.push_back(v); }
    void u32(uint32_t v) { put(v); }
    void u64(uint64_t v) { put(v); }
    // Appends the CRC-32C of everything written so far and hands the bytes over.
    std::vector<uint8_t> finish_with_crc() {
        u32(crc32c(out.data(), out.size()));
        return std::move(out);
    }

    std::vector<uint8_t> out;

private:
    template <class U>
    void put(U v) {
        const size_t at = out.size();
        out.resize(at + sizeof(U));
        store_le<U>(out.data() + at, v);
    }
};

class FieldReader {
public:
    // `format` names the bytes in error messages, e.g. "wavelet stream state".
    FieldReader(const uint8_t* p, size_t n, const char* format) : p_(p), n_(n), format_(format) {}
    uint8_t u8() { return *take(1); }
    uint32_t u32() { return load_le<uint32_t>(take(4)); }
    uint64_t u64() { return load_le<uint64_t>(take(8)); }
    // The next len bytes, consumed.
    const uint8_t* take(size_t len) {
        if (n_ - pos_ < len) fail("truncated");
        const uint8_t* at = p_ + pos_;
        pos_ += len;
        return at;
    }
    size_t left() const { return n_ - pos_; }
    bool at_end() const { return pos_ == n_; }
    [[noreturn]] void fail(const std::string& why) const { throw CorruptStream(std::string(format_) + ": " + why); }

private:
    const uint8_t* p_;
    size_t n_;
    size_t pos_ = 0;
    const char* format_;
};

}  // namespace tsquash::io
