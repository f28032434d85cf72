// libFuzzer target for whole streams (header, checksums, every codec behind the container).
//   1. The input parsed as a stream, read in uneven chunks; CorruptStream is the only acceptable error. A
//      stream that decodes is read again after skipping some of its values and after seeking back (the
//      rest must match both times), and is re-encoded with its own codec, dtype and parameters and must
//      come back exactly.
//   2. The same bytes with both checksums (and, in a second copy, the payload size) recomputed, so mutations
//      get past the CRCs to the header validation and the codec decoders.
//   3. A round trip: byte 0 picks codec and dtype, byte 1 the parameter, byte 2 how pushes are chunked; the
//      remaining bytes are the values. Streaming and whole-array encodes must give identical bytes.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "tsquash/container/stream.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"

namespace {

using namespace tsquash::container;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "stream: %s\n", what);
    std::abort();
}

// Chunk sizes 0..63 from a small generator seeded by the input, so the same input always reads the same way.
struct Chunker {
    uint32_t state;
    size_t next() {
        state = state * 1103515245u + 12345u;
        return (state >> 16) % 64;
    }
};

std::vector<uint8_t> read_all(Decoder& d, uint32_t seed) {
    const size_t es = dtype_size(d.header().dtype);
    std::vector<uint8_t> out;
    Chunker c{seed};
    while (d.remaining() > 0) {
        const size_t want = c.next();
        const size_t old = out.size();
        out.resize(old + want * es);
        const size_t got = d.read(out.data() + old, want);
        if (got != std::min<uint64_t>(want, d.remaining() + got)) die("read() returned a wrong count");
        out.resize(old + got * es);
    }
    return out;
}

void parse(const uint8_t* data, size_t size, uint32_t seed) {
    std::vector<uint8_t> values;
    Header h;
    try {
        // Tables of 2^17..2^24 entries are valid but cost up to 256 MB per predictor: too slow to fuzz.
        h = read_header(data, size);
        if (h.codec == CodecId::fpc && h.params[0] > 16) return;
        Decoder d(data, size);
        h = d.header();
        values = read_all(d, seed);
    } catch (const tsquash::CorruptStream&) {
        return;
    }
    if (values.size() != h.count * dtype_size(h.dtype)) die("decoded a different number of values than the header");
    // Values passed over with skip() (the block codecs read no block for them), or a seek back to an earlier
    // position (block codecs at once, the others from the start), leave the rest as it was.
    {
        const size_t es = dtype_size(h.dtype);
        Decoder d(data, size);
        // The values from d's position to the end, against the whole decode.
        auto rest_matches = [&](const char* after) {
            const uint64_t from = d.position();
            std::vector<uint8_t> rest((h.count - from) * es);
            try {
                d.read(rest.data(), h.count - from);
            } catch (const tsquash::CorruptStream&) {
                std::fprintf(stderr, "after %s: ", after);
                die("the rest does not decode where the whole stream does");
            }
            if (!std::equal(rest.begin(), rest.end(), values.begin() + long(from * es))) {
                std::fprintf(stderr, "after %s: ", after);
                die("the rest differs");
            }
        };
        const uint64_t k = seed % (h.count + 1);
        if (d.skip(k) != k) die("skip() passed over a wrong count");
        rest_matches("skip()");
        const uint64_t back = (seed / 7) % (k + 1);
        d.seek(back);
        if (d.position() != back) die("seek() went to a wrong position");
        rest_matches("seek()");
    }
    const auto again = encode(h.codec, h.dtype, h.params, values.data(), h.count);
    std::vector<uint8_t> back(values.size());
    try {
        decode(again.data(), again.size(), back.data());
    } catch (const tsquash::CorruptStream&) {
        die("a re-encoded stream does not decode");
    }
    if (back != values) die("re-encoding decoded values changed them");
}

void resign(std::vector<uint8_t>& s, bool fix_payload_size) {
    if (s.size() < kFixedHeaderSize) return;
    const size_t np = s[7];
    if (s.size() < kFixedHeaderSize + np) return;
    const size_t payload = s.size() - kFixedHeaderSize - np;
    if (fix_payload_size) tsquash::io::store_le<uint64_t>(s.data() + 16, payload);
    tsquash::io::store_le<uint32_t>(s.data() + 24 + np, tsquash::io::crc32c(s.data() + 32 + np, payload));
    tsquash::io::store_le<uint32_t>(s.data() + 28 + np, tsquash::io::crc32c(s.data(), 28 + np));
}

void round_trip(const uint8_t* data, size_t size) {
    if (size < 3) return;
    const auto& specs = codec_specs();
    const CodecSpec& spec = specs[data[0] % specs.size()];
    const Dtype dtype = spec.dtypes[(data[0] / specs.size()) % spec.dtypes.size()];
    std::vector<uint8_t> params;
    for (const auto& p : spec.params) {
        // Large FPC tables only slow the fuzzer down; see fuzz_common.hpp.
        const unsigned hi = p.name == "table_log2" ? std::min(p.max, 12u) : p.max;
        params.push_back(uint8_t(p.min + data[1] % (hi - p.min + 1)));
    }
    const size_t es = dtype_size(dtype);
    const size_t n = (size - 3) / es;
    // Encoder::push reads the values as typed elements, so they need their natural alignment.
    std::vector<uint64_t> storage((n * es + 7) / 8);
    if (n) std::memcpy(storage.data(), data + 3, n * es);
    const uint8_t* values = reinterpret_cast<const uint8_t*>(storage.data());

    const auto whole = encode(spec.id, dtype, params, values, n);
    Encoder e(spec.id, dtype, params);
    Chunker c{data[2]};
    for (size_t i = 0; i < n;) {
        const size_t k = std::min(n - i, c.next());
        e.push(values + i * es, k);
        i += k;
    }
    if (e.finish() != whole) die("streaming encode differs from whole-array encode");

    std::vector<uint8_t> back;
    try {
        Decoder d(whole.data(), whole.size());
        back = read_all(d, data[2]);
    } catch (const tsquash::CorruptStream& ex) {
        std::fprintf(stderr, "%s\n", ex.what());
        die("a freshly encoded stream does not decode");
    }
    if (back.size() != n * es || (n && std::memcmp(back.data(), values, n * es) != 0))
        die("round trip changed the values");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const uint32_t seed = size ? data[size - 1] : 0;
    parse(data, size, seed);
    if (size >= kFixedHeaderSize) {
        std::vector<uint8_t> s(data, data + size);
        resign(s, false);
        parse(s.data(), s.size(), seed);
        resign(s, true);
        parse(s.data(), s.size(), seed);
    }
    round_trip(data, size);
    return 0;
}
