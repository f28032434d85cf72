// libFuzzer target for Gorilla's int64 delta-of-delta payloads; input layout and checks in fuzz_common.hpp
// (byte 0's dtype bit and the parameter byte are ignored: the values are always int64).
#include "fuzz_common.hpp"
#include "tsquash/codecs/gorilla_timestamps.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace tsquash::codecs;
    fuzz::Input in;
    if (!fuzz::parse(data, size, in)) return 0;
    fuzz::exercise<int64_t>(
        "gorilla_ts", in, [](size_t n) { return DeltaOfDeltaEncoder(n); },
        [](const uint8_t* p, size_t n) { return DeltaOfDeltaDecoder(p, n); });
    return 0;
}
