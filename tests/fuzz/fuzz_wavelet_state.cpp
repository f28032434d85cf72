// libFuzzer target for the streaming wavelet transform's state bytes.
//   1. The input parsed as a state; CorruptStream is the only acceptable error. A state that loads must save
//      back to the same bytes, then take more samples and finish without crashing or reading out of bounds.
//   2. The same bytes with the trailing CRC recomputed, so mutations reach the layout and consistency checks.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/wavelet/streaming.hpp"

namespace {

using tsquash::wavelet::StreamingDwt;

void parse(const uint8_t* p, size_t n) {
    try {
        StreamingDwt s = StreamingDwt::restore(p, n);
        const std::vector<uint8_t> again = s.state();
        if (again.size() != n || std::memcmp(again.data(), p, n) != 0) {
            std::fprintf(stderr, "wavelet_state: a loaded state does not save back to the same bytes\n");
            std::abort();
        }
        if (s.finished()) return;
        std::vector<double> more(37);
        for (size_t i = 0; i < more.size(); ++i) more[i] = std::sin(double(i));
        std::vector<std::vector<double>> out;
        s.push(more, out);
        s.finish(out);
    } catch (const tsquash::CorruptStream&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::parse_as_is_and_crc_fixed(data, size, 8, parse);
    return 0;
}
