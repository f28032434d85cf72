// libFuzzer target for the autoencoder model bytes (tsquash/learned/model_format.hpp).
//   1. The input parsed as a model; CorruptStream is the only acceptable error. A model that loads must
//      write back to the same bytes, and its parameter count must match its architecture.
//   2. The same bytes with the trailing CRC recomputed, so mutations get past the checksum to the layout
//      and consistency checks.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/learned/model_format.hpp"

namespace {

using namespace tsquash::learned;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "model: %s\n", what);
    std::abort();
}

void parse(const uint8_t* p, size_t n) {
    ModelBlob m;
    try {
        m = read_model(p, n);
    } catch (const tsquash::CorruptStream&) {
        return;
    }
    if (static_cast<int64_t>(m.params.size()) != parameter_count(m.arch)) die("parameter count differs from the architecture");
    const std::vector<uint8_t> again = write_model(m);
    if (again.size() != n || std::memcmp(again.data(), p, n) != 0) die("a loaded model does not write back to the same bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::parse_as_is_and_crc_fixed(data, size, 8, parse);
    return 0;
}
