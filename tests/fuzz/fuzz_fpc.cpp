// libFuzzer target for FPC payloads (float64 and float32); input layout and checks in fuzz_common.hpp.
#include "fuzz_common.hpp"
#include "tsquash/codecs/fpc.hpp"

using namespace tsquash::codecs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return fuzz::run_float_target(data, size, [](auto zero, const fuzz::Input& in) {
        using T = decltype(zero);
        const unsigned param = fuzz::fpc_table_log2(in.param);
        fuzz::exercise<T>(
            "fpc", in, [param](size_t n) { return FpcEncoder<T>(param, n); },
            [param](const uint8_t* p, size_t n) { return FpcDecoder<T>(p, n, param); });
    });
}
