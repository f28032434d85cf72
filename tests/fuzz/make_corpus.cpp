// Writes the seed corpora under tests/fuzz/corpus/<name>/: a few small valid inputs per fuzzer, in the layout of
// fuzz_common.hpp (codec fuzzers) or as whole streams (fuzz_stream). Run through `make fuzz-corpus`.
// Data comes from integer arithmetic only, so the seeds are the same on every machine.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "tsquash/codecs/alp.hpp"
#include "tsquash/codecs/chimp.hpp"
#include "tsquash/codecs/fpc.hpp"
#include "tsquash/codecs/gorilla.hpp"
#include "tsquash/codecs/gorilla_timestamps.hpp"
#include "tsquash/codecs/tsxor.hpp"
#include "tsquash/container/stream.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tsquash::codecs;

fs::path g_root;

void write_file(const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
    const fs::path p = g_root / dir / name;
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", p.c_str());
        std::exit(1);
    }
}

struct Lcg {
    uint64_t s;
    uint64_t next() {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return s >> 17;
    }
};

template <class T>
T from_bits_of(uint64_t u) {
    T v;
    if constexpr (sizeof(T) == 8) {
        std::memcpy(&v, &u, 8);
    } else {
        const uint32_t w = uint32_t(u);
        std::memcpy(&v, &w, 4);
    }
    return v;
}

// A few short series of each kind the codecs treat differently.
template <class T>
std::vector<std::pair<std::string, std::vector<T>>> sample_sets() {
    std::vector<std::pair<std::string, std::vector<T>>> sets;
    Lcg rng{sizeof(T)};
    std::vector<T> walk;
    long long ticks = 2000;
    for (int i = 0; i < 24; ++i) {
        ticks += (long long)(rng.next() % 21) - 10;
        walk.push_back(T(ticks) / T(100));
    }
    sets.push_back({"walk", walk});
    const bool d = sizeof(T) == 8;
    sets.push_back({"special",
                    {from_bits_of<T>(0), from_bits_of<T>(d ? 0x8000000000000000ull : 0x80000000u),
                     from_bits_of<T>(d ? 0x7FF0000000000000ull : 0x7F800000u),
                     from_bits_of<T>(d ? 0x7FF0000000000001ull : 0x7F800001u),
                     from_bits_of<T>(d ? 0xFFF8000000000ABCull : 0xFFC00ABCu), from_bits_of<T>(1),
                     from_bits_of<T>(d ? 0x7FEFFFFFFFFFFFFFull : 0x7F7FFFFFu), T(1), T(1), T(-2.5)}});
    std::vector<T> runs;
    for (int i = 0; i < 30; ++i) runs.push_back(T(i / 10));
    sets.push_back({"runs", runs});
    std::vector<T> full;  // consecutive XORs with the top and bottom bits set
    uint64_t x = 0;
    for (int i = 0; i < 8; ++i) {
        full.push_back(from_bits_of<T>(x));
        x ^= (d ? 0x8000000000000001ull : 0x80000001u) | (rng.next() & (d ? ~0ull : 0xFFFFFFFFull));
    }
    sets.push_back({"fullxor", full});
    std::vector<T> periodic;
    for (int i = 0; i < 20; ++i) periodic.push_back(T(i % 3) + T(0.5));
    sets.push_back({"periodic", periodic});
    return sets;
}

template <class T, class Enc>
std::vector<uint8_t> payload_of(Enc enc, const std::vector<T>& v) {
    for (const T& x : v) enc.push(x);
    return enc.finish();
}

void fresh_dir(const std::string& name) {
    fs::remove_all(g_root / name);
    fs::create_directories(g_root / name);
}

template <class T>
void float_codec_seeds() {
    const bool f = sizeof(T) == 4;
    const std::string tag = f ? "f32_" : "f64_";
    for (const auto& [name, v] : sample_sets<T>()) {
        const auto n = uint16_t(v.size());
        write_file("gorilla", tag + name, fuzz::make_input(f, 0, n, payload_of<T>(GorillaEncoder<T>(), v)));
        write_file("chimp", tag + name, fuzz::make_input(f, 0, n, payload_of<T>(ChimpEncoder<T>(), v)));
        write_file("chimp128", tag + name, fuzz::make_input(f, 0, n, payload_of<T>(Chimp128Encoder<T>(), v)));
        // Parameter bytes chosen so the fuzz mapping gives window 127 / 2 and table_log2 12 / 3.
        for (uint8_t pb : {uint8_t(126), uint8_t(1)})
            write_file("tsxor", tag + name + "_w" + std::to_string(fuzz::tsxor_window(pb)),
                       fuzz::make_input(f, pb, n, payload_of<T>(TSXorEncoder<T>(fuzz::tsxor_window(pb)), v)));
        for (uint8_t pb : {uint8_t(11), uint8_t(2)})
            write_file("fpc", tag + name + "_t" + std::to_string(fuzz::fpc_table_log2(pb)),
                       fuzz::make_input(f, pb, n, payload_of<T>(FpcEncoder<T>(fuzz::fpc_table_log2(pb)), v)));
    }
}

void timestamp_seeds() {
    const std::vector<std::pair<std::string, std::vector<int64_t>>> sets = {
        {"regular", {1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000}},
        {"jitter", {1000, 2003, 2998, 4001, 5000, 6100, 6900, 8000, 9050, 9999, 11002, 12000}},
        {"buckets", {0, 64, 64, -63 + 128, 0, 256, 0, 2048, 0, int64_t{1} << 31, 0, int64_t{1} << 40}},
        {"extremes", {INT64_MAX, INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN, INT64_MIN}},
    };
    for (const auto& [name, v] : sets)
        write_file("gorilla_ts", name,
                   fuzz::make_input(false, 0, uint16_t(v.size()), payload_of<int64_t>(DeltaOfDeltaEncoder(), v)));
}

// alp/auto payloads: byte 0 = dtype (0 f64, 1 f32, 2 int64), byte 1 = profile, then count and payload.
template <class T>
void alp_seed(const std::string& name, uint8_t dtype, const std::vector<T>& v, bool auto_only = false) {
    namespace alp = tsquash::codecs::alp;
    for (int auto_profile = auto_only ? 1 : 0; auto_profile < 2; ++auto_profile) {
        const auto payload =
            alp::encode<T>(v.data(), v.size(), auto_profile ? alp::Profile::automatic : alp::Profile::alp);
        std::vector<uint8_t> in = {dtype, uint8_t(auto_profile), uint8_t(v.size() & 0xFF), uint8_t(v.size() >> 8)};
        in.insert(in.end(), payload.begin(), payload.end());
        write_file("alp", name + (auto_profile ? "_auto" : "_alp"), in);
    }
}

void alp_seeds() {
    for (const auto& [name, v] : sample_sets<double>()) alp_seed("f64_" + name, 0, v);
    for (const auto& [name, v] : sample_sets<float>()) alp_seed("f32_" + name, 1, v);
    // Longer series, so the directory holds several blocks and each method shows up.
    Lcg rng{7};
    std::vector<double> blocks;
    long long ticks = 5000;
    for (int i = 0; i < 1100; ++i) blocks.push_back(double(ticks += (long long)(rng.next() % 41) - 20) / 100);
    for (int i = 0; i < 300; ++i) blocks.push_back(double(float(double(rng.next() % 100000) / 997)));
    for (int i = 0; i < 300; ++i) blocks.push_back(double(i / 25) * 0.5);
    for (int i = 0; i < 400; ++i) blocks.push_back(from_bits_of<double>(rng.next() * 0x9E3779B97F4A7C15ull));
    alp_seed("f64_blocks", 0, blocks);
    // Decimals with a fixed number of significant digits over several decades (the `sig` method), with a
    // -0.0, a NaN and an infinity among them for its exceptions.
    std::vector<double> sig64;
    std::vector<float> sig32;
    for (int i = 0; i < 2048; ++i) {
        char buf[40];
        const double x = 3 * std::sin(i / 60.0 + 0.3 * std::sin(i / 7.0));
        std::snprintf(buf, sizeof buf, "%.8g", x);
        sig64.push_back(std::strtod(buf, nullptr));
        std::snprintf(buf, sizeof buf, "%.6g", x);
        sig32.push_back(std::strtof(buf, nullptr));
    }
    sig64[5] = -0.0, sig64[77] = std::numeric_limits<double>::quiet_NaN(), sig64[300] = -std::numeric_limits<double>::infinity();
    sig32[5] = -0.0f, sig32[77] = std::numeric_limits<float>::quiet_NaN(), sig32[300] = std::numeric_limits<float>::infinity();
    alp_seed("f64_significant_digits", 0, sig64);
    alp_seed("f32_significant_digits", 1, sig32);
    // The same with every 16th value missing (NaN): sig_exc blocks, their exceptions as integer streams.
    for (size_t i = 0; i < sig64.size(); i += 16) sig64[i] = std::numeric_limits<double>::quiet_NaN();
    alp_seed("f64_significant_digits_gaps", 0, sig64, true);
    std::vector<int64_t> ts;
    for (int i = 0; i < 1500; ++i) ts.push_back(1700000000000 + i * 1000 + (long long)(rng.next() % 5) - 2);
    for (int i = 0; i < 200; ++i) ts.push_back(i / 40);
    alp_seed("i64_timestamps", 2, ts);
    // Frames of a random field drifting by an ulp a frame: `auto` codes them against a series reference
    // (`alp` would store them raw: no seed for it).
    std::vector<float> field(1000);
    for (float& f : field) f = 0.5f + float(rng.next() % 1000000) / 1e6f;
    std::vector<double> frames;
    for (int f = 0; f < 17; ++f)
        for (float& x : field) frames.push_back(double(x = std::nextafter(x, (rng.next() & 1) ? 2.0f : 0.0f)));
    alp_seed("f64_frames", 0, frames, true);
    // Three channels interleaved value by value, and (timestamp, count) rows: `auto` codes them as stride
    // blocks, a nested block per channel.
    std::vector<double> channels;
    double level[3] = {-300, 200, 700};
    for (int i = 0; i < 700; ++i)
        for (double& x : level) channels.push_back(std::round((x += double(int(rng.next() % 41) - 20) / 10) * 10) / 10);
    alp_seed("f64_channels", 0, channels, true);
    std::vector<int64_t> rows;
    for (int i = 0; i < 600; ++i) rows.insert(rows.end(), {1700000000000 + i * 1000, (long long)(rng.next() % 50)});
    alp_seed("i64_rows", 2, rows, true);
    // Zeros with a rare spike: sparse blocks.
    std::vector<double> spikes(3000, 0.0);
    for (double& x : spikes)
        if (rng.next() % 100 == 0) x = double(int64_t(rng.next() % 2000001) - 1000000) / 7.0;
    alp_seed("f64_spikes", 0, spikes, true);
    // A decimal walk with missing readings (NaN, scattered and in a stretch): alp_exc blocks, whose
    // exceptions are integer streams.
    std::vector<double> gaps;
    long long milli = 20000;
    for (int i = 0; i < 3000; ++i) {
        milli += (long long)(rng.next() % 601) - 300;
        const bool missing = rng.next() % 20 == 0 || (i >= 1500 && i < 1540);
        gaps.push_back(missing ? std::numeric_limits<double>::quiet_NaN() : double(milli) / 1000);
    }
    alp_seed("f64_gaps", 0, gaps, true);
    // Sums of two 2-decimal series (a quarter of them an ulp off the decimal) with a few NaN: near blocks,
    // corrections and a nested decimal block.
    std::vector<double> sums;
    long long cents = 2000;
    for (int i = 0; i < 3000; ++i) {
        cents += (long long)(rng.next() % 61) - 30;
        const double x = double(cents) / 100 + double((long long)(rng.next() % 1000)) / 100;
        sums.push_back(i % 97 == 5 ? std::numeric_limits<double>::quiet_NaN() : x);
    }
    alp_seed("f64_near", 0, sums, true);
    // A pattern of 40 exact values over and over, then a walk: dictionary blocks whose codes are lagged
    // integer streams (order 3, 40 values back).
    std::vector<double> pattern(40), repeated;
    for (double& x : pattern) x = double(int64_t(rng.next() % 20001) - 10000) / 1000;
    for (int i = 0; i < 3000; ++i) repeated.push_back(pattern[size_t(i) % pattern.size()]);
    for (int i = 0; i < 600; ++i) repeated.push_back(double(cents += (long long)(rng.next() % 61) - 30) / 100);
    alp_seed("f64_pattern", 0, repeated, true);
}

void stream_seeds() {
    using namespace tsquash::container;
    const auto walk64 = sample_sets<double>()[0].second;
    const auto special32 = sample_sets<float>()[1].second;
    const std::vector<int64_t> ts = {1000, 2000, 3001, 4000, 5000, 6000, 7000, 8002};
    // Narrower integers: small counts, each value's low bytes (little-endian) in the dtype's width.
    const std::vector<int64_t> counts = {10, 20, 31, 40, 50, 60, 70, 82, 127, 0};
    for (const auto& s : codec_specs()) {
        const auto params = resolve_params(s, {});
        for (Dtype d : s.dtypes) {
            const size_t size = dtype_size(d);
            std::vector<uint8_t> narrow(counts.size() * size);
            for (size_t i = 0; i < counts.size(); ++i) std::memcpy(narrow.data() + i * size, &counts[i], size);
            const bool wide_int = d == Dtype::int64 || d == Dtype::uint64;
            const void* p = d == Dtype::float64   ? static_cast<const void*>(walk64.data())
                            : d == Dtype::float32 ? static_cast<const void*>(special32.data())
                            : wide_int            ? static_cast<const void*>(ts.data())
                                                  : static_cast<const void*>(narrow.data());
            const size_t n = d == Dtype::float64   ? walk64.size()
                             : d == Dtype::float32 ? special32.size()
                             : wide_int            ? ts.size()
                                                   : counts.size();
            write_file("stream", s.name + "_" + dtype_name(d), encode(s.id, d, params, p, n));
        }
    }
    write_file("stream", "empty_gorilla", encode(CodecId::gorilla, Dtype::float64, {}, nullptr, 0));
    write_file("stream", "tsxor_w3", encode(CodecId::tsxor, Dtype::float64, {3}, walk64.data(), walk64.size()));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR (e.g. tests/fuzz/corpus)\n", argv[0]);
        return 2;
    }
    g_root = argv[1];
    for (const char* name : {"gorilla", "gorilla_ts", "chimp", "chimp128", "tsxor", "fpc", "stream", "alp"})
        fresh_dir(name);
    float_codec_seeds<double>();
    float_codec_seeds<float>();
    timestamp_seeds();
    stream_seeds();
    alp_seeds();
    return 0;
}
