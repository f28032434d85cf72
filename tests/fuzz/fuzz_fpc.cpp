// libFuzzer target for FPC payloads (float64 and float32); input layout and checks in fuzz_common.hpp.
#include "fuzz_common.hpp"
#include "tsquash/codecs/fpc.hpp"

namespace {

template <class T>
void run(const fuzz::Input& in) {
    using namespace tsquash::codecs;
    const unsigned param = fuzz::fpc_table_log2(in.param);
    fuzz::exercise<T>(
        "fpc", in, [param](size_t n) { return FpcEncoder<T>(param, n); },
        [param](const uint8_t* p, size_t n) { return FpcDecoder<T>(p, n, param); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in;
    if (!fuzz::parse(data, size, in)) return 0;
    if (in.as_float)
        run<float>(in);
    else
        run<double>(in);
    return 0;
}
