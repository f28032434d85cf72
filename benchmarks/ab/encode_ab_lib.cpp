// One side of encode_ab: the block encoder of one source tree, compiled with its namespace renamed (the
// script passes -Dtsquash=tsq_A or tsq_B and -DAB_SIDE=A or B), so that both sides link into one program.
#include <chrono>
#include <cstdint>
#include <vector>

#include "tsquash/codecs/alp.hpp"

#define AB_JOIN2(a, b) a##_##b
#define AB_JOIN(a, b) AB_JOIN2(a, b)

// Encodes n doubles with the auto profile: the seconds it took, the stream's size and an FNV-1a hash of it.
extern "C" double AB_JOIN(AB_SIDE, encode)(const double* v, size_t n, size_t* bytes, uint64_t* hash) {
    using namespace tsquash::codecs::alp;
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<uint8_t> e = encode<double>(v, n, Profile::automatic);
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    uint64_t h = 1469598103934665603ull;
    for (uint8_t c : e) h = (h ^ c) * 1099511628211ull;
    *bytes = e.size();
    *hash = h;
    return t;
}
