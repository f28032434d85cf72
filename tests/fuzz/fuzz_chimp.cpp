// libFuzzer target for Chimp payloads (float64 and float32); input layout and checks in fuzz_common.hpp.
#include "fuzz_common.hpp"
#include "tsquash/codecs/chimp.hpp"

using namespace tsquash::codecs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return fuzz::run_float_target(data, size, [](auto zero, const fuzz::Input& in) {
        using T = decltype(zero);
        fuzz::exercise<T>(
            "chimp", in, [](size_t n) { return ChimpEncoder<T>(n); },
            [](const uint8_t* p, size_t n) { return ChimpDecoder<T>(p, n); });
    });
}
