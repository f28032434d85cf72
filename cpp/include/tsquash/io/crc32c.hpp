// CRC-32C (Castagnoli), the checksum of stream headers and payloads. Uses the SSE4.2 instruction when the
// CPU has it and a table otherwise; both give the same value.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tsquash::io {

uint32_t crc32c(const uint8_t* data, size_t n, uint32_t crc = 0);

}  // namespace tsquash::io
