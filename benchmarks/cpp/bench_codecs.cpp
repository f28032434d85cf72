// Encode and decode speed of every lossless codec, and the size it reaches, on the shared real series.
//
//   build/dev/bench_codecs                                     # everything, about a minute or two
//   build/dev/bench_codecs --benchmark_filter='chimp128'       # one codec
//   TSQUASH_DATASETS=/path/to/datasets build/dev/bench_codecs  # other data
//
// Names read  <api>/<direction>/<codec>/<dtype>/<series>:
//   api  container  tsquash::container::encode / decode: header, CRC32C of header and payload, dispatch
//                   (the only way to run alp and auto, whose blocks are encoded as a whole)
//        codec      the codec class alone (XxxEncoder::push + finish, XxxDecoder::next), on one series, so
//                   the cost of the container is the difference between the two rows
// Throughput is bytes of raw input (8 or 4 per value) per second. The bits_per_value counter is payload bits
// per value (the stream header, 32-33 bytes, is left out; stream_bits_per_value includes it).
//
// Series come from TSQUASH_DATASETS (environment) or ../shared/datasets: every <name>/<column>.f64 file
// (little-endian float64). Without them a synthetic random walk of 2-decimal values stands in.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tsquash/codecs/chimp.hpp"
#include "tsquash/codecs/fpc.hpp"
#include "tsquash/codecs/gorilla.hpp"
#include "tsquash/codecs/gorilla_timestamps.hpp"
#include "tsquash/codecs/raw.hpp"
#include "tsquash/codecs/tsxor.hpp"
#include "tsquash/container/stream.hpp"

#ifndef TSQUASH_DATASETS_DIR
#define TSQUASH_DATASETS_DIR "../shared/datasets"
#endif

namespace {

namespace fs = std::filesystem;
namespace tc = tsquash::container;
namespace cd = tsquash::codecs;

struct Series {
    std::string name;
    std::vector<double> values;
};

// "<dir>" for a directory's only column named value.f64, "<dir>/<column>" otherwise.
std::string series_name(const fs::path& file) {
    const std::string dir = file.parent_path().filename().string();
    const std::string stem = file.stem().string();
    return stem == "value" ? dir : dir + "/" + stem;
}

std::vector<double> read_f64(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<double> v(bytes.size() / sizeof(double));
    std::memcpy(v.data(), bytes.data(), v.size() * sizeof(double));  // files are little-endian, as is the host
    return v;
}

fs::path datasets_dir() {
    if (const char* env = std::getenv("TSQUASH_DATASETS"); env && *env) return env;
    return TSQUASH_DATASETS_DIR;
}

std::vector<Series> load_series() {
    std::vector<Series> out;
    const fs::path root = datasets_dir();
    std::error_code ec;
    if (fs::is_directory(root, ec)) {
        std::vector<fs::path> files;
        for (const auto& dir : fs::directory_iterator(root, ec)) {
            if (!dir.is_directory()) continue;
            for (const auto& f : fs::directory_iterator(dir.path(), ec))
                if (f.is_regular_file() && f.path().extension() == ".f64") files.push_back(f.path());
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            auto v = read_f64(f);
            if (!v.empty()) out.push_back({series_name(f), std::move(v)});
        }
    }
    if (out.empty()) {
        std::fprintf(stderr, "note: no *.f64 series under %s; using a synthetic 2-decimal random walk\n",
                     root.string().c_str());
        std::mt19937_64 rng(42);
        std::normal_distribution<double> step(0.0, 0.5);
        std::vector<double> v(200000);
        double level = 20.0;
        for (auto& x : v) {
            level += step(rng);
            x = std::round(level * 100.0) / 100.0;
        }
        out.push_back({"synthetic_walk", std::move(v)});
    }
    return out;
}

template <class T>
tc::Dtype dtype_of();
template <>
tc::Dtype dtype_of<double>() { return tc::Dtype::float64; }
template <>
tc::Dtype dtype_of<float>() { return tc::Dtype::float32; }
template <>
tc::Dtype dtype_of<int64_t>() { return tc::Dtype::int64; }

void set_size_counters(benchmark::State& state, size_t n, size_t value_bytes, const std::vector<uint8_t>& stream) {
    const tc::Header h = tc::read_header(stream.data(), stream.size());
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(n * value_bytes));
    state.counters["bits_per_value"] = double(h.payload_size) * 8.0 / double(n);
    state.counters["stream_bits_per_value"] = double(stream.size()) * 8.0 / double(n);
}

// ---- container API ----------------------------------------------------------------------------------

template <class T>
void container_encode(benchmark::State& state, const std::vector<T>* values, tc::CodecId codec) {
    const auto params = tc::resolve_params(tc::codec_spec(codec), {});
    std::vector<uint8_t> stream;
    for (auto _ : state) {
        stream = tc::encode(codec, dtype_of<T>(), params, values->data(), values->size());
        benchmark::DoNotOptimize(stream.data());
    }
    set_size_counters(state, values->size(), sizeof(T), stream);
}

template <class T>
void container_decode(benchmark::State& state, const std::vector<T>* values, tc::CodecId codec) {
    const auto params = tc::resolve_params(tc::codec_spec(codec), {});
    const auto stream = tc::encode(codec, dtype_of<T>(), params, values->data(), values->size());
    std::vector<T> out(values->size());
    for (auto _ : state) {
        tc::decode(stream.data(), stream.size(), out.data());
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    if (std::memcmp(out.data(), values->data(), out.size() * sizeof(T)) != 0)
        state.SkipWithError("decoded values differ from the input");
    set_size_counters(state, values->size(), sizeof(T), stream);
}

// ---- codec classes alone ----------------------------------------------------------------------------

// make / make_enc / make_dec build a fresh encoder or decoder with the codec's default parameters.
template <class T, class MakeEnc>
void codec_encode(benchmark::State& state, const std::vector<T>* values, MakeEnc make) {
    std::vector<uint8_t> payload;
    for (auto _ : state) {
        auto enc = make(values->size());
        payload = cd::encode_all(enc, values->data(), values->size());
        benchmark::DoNotOptimize(payload.data());
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(values->size() * sizeof(T)));
    state.counters["bits_per_value"] = double(payload.size()) * 8.0 / double(values->size());
}

template <class T, class MakeEnc, class MakeDec>
void codec_decode(benchmark::State& state, const std::vector<T>* values, MakeEnc make_enc, MakeDec make_dec) {
    auto enc = make_enc(values->size());
    const auto payload = cd::encode_all(enc, values->data(), values->size());
    std::vector<T> out(values->size());
    for (auto _ : state) {
        auto dec = make_dec(payload.data(), payload.size());
        for (auto& x : out) x = dec.next();
        dec.expect_end();
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    if (std::memcmp(out.data(), values->data(), out.size() * sizeof(T)) != 0)
        state.SkipWithError("decoded values differ from the input");
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(values->size() * sizeof(T)));
    state.counters["bits_per_value"] = double(payload.size()) * 8.0 / double(values->size());
}

template <class T, class Enc, class Dec>
void register_codec_pair(const std::string& codec, const std::string& tail, const std::vector<T>* values) {
    auto make_enc = [](size_t n) { return Enc(n); };
    auto make_dec = [](const uint8_t* p, size_t n) { return Dec(p, n); };
    benchmark::RegisterBenchmark(("codec/encode/" + codec + "/" + tail).c_str(),
                                 [=](benchmark::State& s) { codec_encode<T>(s, values, make_enc); });
    benchmark::RegisterBenchmark(("codec/decode/" + codec + "/" + tail).c_str(),
                                 [=](benchmark::State& s) { codec_decode<T>(s, values, make_enc, make_dec); });
}

// TSXor and FPC take their parameter in the constructor, before expected_values.
template <class T>
void register_codec_classes(const std::string& tail, const std::vector<T>* values) {
    register_codec_pair<T, cd::RawEncoder<T>, cd::RawDecoder<T>>("raw", tail, values);
    register_codec_pair<T, cd::GorillaEncoder<T>, cd::GorillaDecoder<T>>("gorilla", tail, values);
    register_codec_pair<T, cd::ChimpEncoder<T>, cd::ChimpDecoder<T>>("chimp", tail, values);
    register_codec_pair<T, cd::Chimp128Encoder<T>, cd::Chimp128Decoder<T>>("chimp128", tail, values);
    {
        auto make_enc = [](size_t n) { return cd::TSXorEncoder<T>(cd::kTsxorMaxWindow, n); };
        auto make_dec = [](const uint8_t* p, size_t n) { return cd::TSXorDecoder<T>(p, n, cd::kTsxorMaxWindow); };
        benchmark::RegisterBenchmark(("codec/encode/tsxor/" + tail).c_str(),
                                     [=](benchmark::State& s) { codec_encode<T>(s, values, make_enc); });
        benchmark::RegisterBenchmark(("codec/decode/tsxor/" + tail).c_str(), [=](benchmark::State& s) {
            codec_decode<T>(s, values, make_enc, make_dec);
        });
    }
    {
        auto make_enc = [](size_t n) { return cd::FpcEncoder<T>(cd::kFpcDefaultTableLog2, n); };
        auto make_dec = [](const uint8_t* p, size_t n) { return cd::FpcDecoder<T>(p, n, cd::kFpcDefaultTableLog2); };
        benchmark::RegisterBenchmark(("codec/encode/fpc/" + tail).c_str(),
                                     [=](benchmark::State& s) { codec_encode<T>(s, values, make_enc); });
        benchmark::RegisterBenchmark(("codec/decode/fpc/" + tail).c_str(), [=](benchmark::State& s) {
            codec_decode<T>(s, values, make_enc, make_dec);
        });
    }
}

template <class T>
void register_container(tc::CodecId codec, const std::string& tail, const std::vector<T>* values) {
    const std::string name = tc::codec_spec(codec).name;
    benchmark::RegisterBenchmark(("container/encode/" + name + "/" + tail).c_str(),
                                 [=](benchmark::State& s) { container_encode<T>(s, values, codec); });
    benchmark::RegisterBenchmark(("container/decode/" + name + "/" + tail).c_str(),
                                 [=](benchmark::State& s) { container_decode<T>(s, values, codec); });
}

// Regular one-second clock with occasional jitter and gaps: the shape delta-of-delta is made for.
std::vector<int64_t> synthetic_timestamps(size_t n) {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<int> jitter(0, 99);
    std::vector<int64_t> t(n);
    int64_t now = 1'700'000'000'000'000'000;  // ns since the epoch
    for (auto& x : t) {
        const int j = jitter(rng);
        now += 1'000'000'000 + (j < 5 ? (j - 2) * 1'000'000 : 0) + (j == 99 ? 60'000'000'000 : 0);
        x = now;
    }
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    // Keep the default run short (a few minutes for ~400 cases); --benchmark_min_time=... overrides it.
    std::vector<char*> args(argv, argv + argc);
    std::string min_time = "--benchmark_min_time=0.05";
    bool has_min_time = false;
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "--benchmark_min_time", 20) == 0) has_min_time = true;
    if (!has_min_time) args.insert(args.begin() + 1, min_time.data());
    int nargs = int(args.size());
    benchmark::Initialize(&nargs, args.data());
    if (benchmark::ReportUnrecognizedArguments(nargs, args.data())) return 1;

    // Registered benchmarks keep pointers into these, so they live until main returns.
    static const std::vector<Series> series = load_series();
    static std::vector<float> as_float32;
    static std::vector<int64_t> timestamps;

    static const tc::CodecId kCodecs[] = {tc::CodecId::raw,   tc::CodecId::gorilla, tc::CodecId::chimp,
                                          tc::CodecId::chimp128, tc::CodecId::tsxor, tc::CodecId::fpc,
                                          tc::CodecId::alp,   tc::CodecId::automatic};
    for (tc::CodecId codec : kCodecs)
        for (const auto& s : series) register_container<double>(codec, "float64/" + s.name, &s.values);

    // One series through the codec classes alone; city_temperature when present (a common reference point).
    const Series* pick = &series.front();
    for (const auto& s : series)
        if (s.name == "city_temperature") pick = &s;
    register_codec_classes<double>("float64/" + pick->name, &pick->values);

    // The same series as float32 (values rounded to float32; the point is the 32-bit code path's speed).
    as_float32.assign(pick->values.begin(), pick->values.end());
    for (tc::CodecId codec : kCodecs) register_container<float>(codec, "float32/" + pick->name, &as_float32);

    timestamps = synthetic_timestamps(pick->values.size());
    register_container<int64_t>(tc::CodecId::raw, "int64/synthetic_timestamps", &timestamps);
    register_container<int64_t>(tc::CodecId::gorilla, "int64/synthetic_timestamps", &timestamps);
    register_container<int64_t>(tc::CodecId::alp, "int64/synthetic_timestamps", &timestamps);
    register_container<int64_t>(tc::CodecId::automatic, "int64/synthetic_timestamps", &timestamps);
    benchmark::RegisterBenchmark("codec/encode/delta_of_delta/int64/synthetic_timestamps", [](benchmark::State& s) {
        codec_encode<int64_t>(s, &timestamps, [](size_t n) { return cd::DeltaOfDeltaEncoder(n); });
    });
    benchmark::RegisterBenchmark("codec/decode/delta_of_delta/int64/synthetic_timestamps", [](benchmark::State& s) {
        codec_decode<int64_t>(
            s, &timestamps, [](size_t n) { return cd::DeltaOfDeltaEncoder(n); },
            [](const uint8_t* p, size_t n) { return cd::DeltaOfDeltaDecoder(p, n); });
    });

    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
