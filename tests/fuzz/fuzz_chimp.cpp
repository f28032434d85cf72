// libFuzzer target for Chimp payloads (float64 and float32); input layout and checks in fuzz_common.hpp.
#include "fuzz_common.hpp"
#include "tsquash/codecs/chimp.hpp"

namespace {

template <class T>
void run(const fuzz::Input& in) {
    using namespace tsquash::codecs;
    fuzz::exercise<T>(
        "chimp", in, [](size_t n) { return ChimpEncoder<T>(n); },
        [](const uint8_t* p, size_t n) { return ChimpDecoder<T>(p, n); });
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
