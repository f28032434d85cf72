// libFuzzer target for Gorilla payloads (float64 and float32); input layout and checks in fuzz_common.hpp.
#include "fuzz_common.hpp"
#include "tsquash/codecs/gorilla.hpp"

namespace {

template <class T>
void run(const fuzz::Input& in) {
    using namespace tsquash::codecs;
    fuzz::exercise<T>(
        "gorilla", in, [](size_t n) { return GorillaEncoder<T>(n); },
        [](const uint8_t* p, size_t n) { return GorillaDecoder<T>(p, n); });
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
