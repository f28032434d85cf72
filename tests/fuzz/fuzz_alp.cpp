// libFuzzer target for the alp/auto block payloads (cpp/include/tsquash/codecs/alp.hpp).
//
// Input: byte 0 bits 0-1 pick the dtype (0 float64, 1 float32, 2-3 int64); byte 1 bit 0 picks the encoder
// profile for the round trips (0 alp, 1 auto); bytes 2-3 the value count (little-endian); the rest is the
// payload (no stream header, so no checksum stands in the way). Checks:
//   1. the payload decodes, or throws CorruptStream (nothing else); a second decoder reading a sub-range
//      must agree with the first;
//   2. decoding on three threads gives the same values, or the same refusal;
//   3. whatever decoded re-encodes and decodes back bit-exactly, and encoding on two threads gives the
//      same bytes as on one;
//   4. the payload bytes read as values round-trip bit-exactly with both profiles.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

#include "tsquash/codecs/alp.hpp"
#include "tsquash/errors.hpp"

namespace {

namespace alp = tsquash::codecs::alp;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "alp: %s\n", what);
    std::abort();
}

template <class T>
void round_trip(const std::vector<T>& v, alp::Profile p) {
    const auto bytes = alp::encode<T>(v.data(), v.size(), p);
    std::vector<T> out(v.size());
    try {
        alp::Decoder<T> d(bytes.data(), bytes.size(), v.size());
        d.read(out.data(), v.size());
        d.expect_end();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "decoding the encoder's own output threw: %s\n", e.what());
        die("round trip failed");
    }
    if (!v.empty() && std::memcmp(out.data(), v.data(), v.size() * sizeof(T)) != 0) die("round trip changed a value");
    if (alp::encode<T>(v.data(), v.size(), p, 2) != bytes) die("two encoder threads wrote other bytes");
}

template <class T>
void exercise(const uint8_t* payload, size_t size, size_t count, alp::Profile p) {
    std::vector<T> got;
    bool ok = false;
    try {
        alp::Decoder<T> d(payload, size, count);
        got.resize(count);
        d.read(got.data(), count);
        d.expect_end();
        ok = true;
    } catch (const tsquash::CorruptStream&) {
    }
    {
        std::vector<T> threaded(count);
        bool threaded_ok = false;
        try {
            alp::Decoder<T> d(payload, size, count);
            d.read(threaded.data(), count, 3);
            d.expect_end();
            threaded_ok = true;
        } catch (const tsquash::CorruptStream&) {
        }
        if (threaded_ok != ok) die("threaded decoding accepts what sequential decoding refuses, or the reverse");
        if (ok && count && std::memcmp(threaded.data(), got.data(), count * sizeof(T)) != 0)
            die("threaded decoding gives other values");
    }
    if (ok && count > 2) {
        // Random access: a middle range through a fresh decoder gives the same values.
        const size_t first = count / 3, n = count / 2;
        std::vector<T> part(n);
        try {
            alp::Decoder<T> d(payload, size, count);
            d.read_range(first, n, part.data());
        } catch (const tsquash::CorruptStream&) {
            die("a range of a payload that decodes whole threw");
        }
        if (std::memcmp(part.data(), got.data() + first, n * sizeof(T)) != 0) die("range differs from whole decode");
    }
    if (ok) round_trip(got, p);
    std::vector<T> values(size / sizeof(T));
    if (!values.empty()) std::memcpy(values.data(), payload, values.size() * sizeof(T));
    round_trip(values, alp::Profile::alp);
    round_trip(values, alp::Profile::automatic);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 4) return 0;
    const unsigned dtype = data[0] & 3;
    const alp::Profile p = (data[1] & 1) ? alp::Profile::automatic : alp::Profile::alp;
    const size_t count = size_t(data[2]) | size_t(data[3]) << 8;
    const uint8_t* payload = data + 4;
    const size_t n = size - 4;
    if (dtype == 0) exercise<double>(payload, n, count, p);
    else if (dtype == 1) exercise<float>(payload, n, count, p);
    else exercise<int64_t>(payload, n, count, p);
    return 0;
}
