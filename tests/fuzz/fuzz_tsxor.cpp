// libFuzzer target for TSXor payloads (float64 and float32); input layout and checks in fuzz_common.hpp.
#include "fuzz_common.hpp"
#include "tsquash/codecs/tsxor.hpp"

namespace {

template <class T>
void run(const fuzz::Input& in) {
    using namespace tsquash::codecs;
    const unsigned param = fuzz::tsxor_window(in.param);
    fuzz::exercise<T>(
        "tsxor", in, [param](size_t n) { return TSXorEncoder<T>(param, n); },
        [param](const uint8_t* p, size_t n) { return TSXorDecoder<T>(p, n, param); });
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
