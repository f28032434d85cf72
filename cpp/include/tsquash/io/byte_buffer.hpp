// A growable output buffer that writes through a raw pointer. std::vector::push_back checks capacity and
// updates three pointers per byte; codecs append a byte or a word per value, so they use this instead and
// only check capacity once per value (ensure()).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tsquash::io {

class ByteBuffer {
public:
    explicit ByteBuffer(size_t reserve = 64) : data_(reserve < 64 ? 64 : reserve) {}

    // Make room for at least n more bytes.
    void ensure(size_t n) {
        if (pos_ + n > data_.size()) data_.resize((pos_ + n) * 2);
    }
    // Callers must have called ensure() for these.
    void put(uint8_t b) { data_[pos_++] = b; }
    void put(const void* src, size_t n) {
        std::memcpy(data_.data() + pos_, src, n);
        pos_ += n;
    }
    uint8_t* cursor() { return data_.data() + pos_; }
    void advance(size_t n) { pos_ += n; }

    size_t size() const { return pos_; }
    std::vector<uint8_t> take() {
        data_.resize(pos_);
        pos_ = 0;
        return std::move(data_);
    }

private:
    std::vector<uint8_t> data_;
    size_t pos_ = 0;
};

}  // namespace tsquash::io
