// One side of encode_ab: the block encoder of one source tree, compiled with its namespace renamed (the
// script passes -Dtsquash=tsq_A or tsq_B and -DAB_SIDE=A or B), so that both sides link into one program.
#include <chrono>
#include <cstdint>
#include <vector>

#include "tsquash/codecs/alp.hpp"
#include "tsquash/io/crc32c.hpp"

#define AB_JOIN2(a, b) a##_##b
#define AB_JOIN(a, b) AB_JOIN2(a, b)

// Encodes n doubles with the auto profile: the seconds it took, the stream's size and its CRC-32C.
extern "C" double AB_JOIN(AB_SIDE, encode)(const double* v, size_t n, size_t* bytes, uint64_t* hash) {
    using namespace tsquash::codecs::alp;
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<uint8_t> e = encode<double>(v, n, Profile::automatic);
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    *bytes = e.size();
    *hash = tsquash::io::crc32c(e.data(), e.size());
    return t;
}

// The stream of n doubles (auto profile) into out (room for cap bytes): its size, or 0 if it did not fit.
extern "C" size_t AB_JOIN(AB_SIDE, encode_into)(const double* v, size_t n, uint8_t* out, size_t cap) {
    const std::vector<uint8_t> e = tsquash::codecs::alp::encode<double>(v, n, tsquash::codecs::alp::Profile::automatic);
    if (e.size() > cap) return 0;
    std::copy(e.begin(), e.end(), out);
    return e.size();
}

// Decodes a stream of n doubles into out: the seconds it took (the decoder's set-up included).
extern "C" double AB_JOIN(AB_SIDE, decode)(const uint8_t* stream, size_t size, size_t n, double* out) {
    const auto t0 = std::chrono::steady_clock::now();
    tsquash::codecs::alp::Decoder<double> d(stream, size, n);
    d.read_range(0, n, out);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
