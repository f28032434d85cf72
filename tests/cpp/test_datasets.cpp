// Real series from ../shared/datasets (TSQUASH_DATASETS_DIR): every *.f64 file round trips bit-exactly with
// every codec, as float64 and cast to float32. When the directory is absent the test says so and passes:
// the synthetic tests elsewhere cover the same code paths.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "test_util.hpp"

#ifndef TSQUASH_DATASETS_DIR
#define TSQUASH_DATASETS_DIR "../shared/datasets"
#endif

namespace {

using namespace tsq_test;
namespace fs = std::filesystem;

std::vector<fs::path> dataset_files() {
    std::vector<fs::path> files;
    const fs::path root(TSQUASH_DATASETS_DIR);
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return files;
    for (const auto& dir : fs::directory_iterator(root, ec)) {
        if (!dir.is_directory()) continue;
        for (const auto& f : fs::directory_iterator(dir.path(), ec))
            if (f.is_regular_file() && f.path().extension() == ".f64") files.push_back(f.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<double> read_f64(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.size() % 8, 0u) << p << " is not a whole number of float64 values";
    std::vector<double> v(bytes.size() / 8);
    if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * 8);
    return v;
}

struct Setting {
    container::CodecId codec;
    std::vector<uint8_t> params;
    const char* label;
};

const std::vector<Setting> kSettings = {
    {container::CodecId::raw, {}, "raw"},
    {container::CodecId::gorilla, {}, "gorilla"},
    {container::CodecId::chimp, {}, "chimp"},
    {container::CodecId::chimp128, {}, "chimp128"},
    {container::CodecId::tsxor, {127}, "tsxor(127)"},
    {container::CodecId::fpc, {16}, "fpc(16)"},
    {container::CodecId::alp, {}, "alp"},
    {container::CodecId::automatic, {}, "auto"},
};

// One setting per codec: parameter variants are covered by the synthetic tests, and the real data is large
// enough to matter for the sanitizer build's run time.
template <class T>
void check_series(const fs::path& p, const std::vector<T>& v, std::string& sizes) {
    const auto dtype = dtype_of<T>();
    for (const auto& s : kSettings) {
        const auto stream = container::encode(s.codec, dtype, s.params, v.data(), v.size());
        std::vector<T> out(v.size());
        try {
            container::decode(stream.data(), stream.size(), out.data());
        } catch (const std::exception& e) {
            ADD_FAILURE() << p << " " << s.label << " " << container::dtype_name(dtype) << ": " << e.what();
            continue;
        }
        EXPECT_TRUE(SameBits(v, out)) << p << " " << s.label << " " << container::dtype_name(dtype);
        char buf[48];
        std::snprintf(buf, sizeof buf, " %s=%.2f", s.label, double(v.size() * sizeof(T)) / double(stream.size()));
        sizes += buf;
    }
}

TEST(Datasets, EverySeriesRoundTripsWithEveryCodec) {
    const auto files = dataset_files();
    if (files.empty()) {
        std::printf("note: no *.f64 files under %s; real-data round trips not run (synthetic tests cover the codecs)\n",
                    TSQUASH_DATASETS_DIR);
        return;
    }
    size_t total = 0;
    for (const auto& p : files) {
        const auto v = read_f64(p);
        total += v.size();
        std::vector<float> f(v.size());
        std::transform(v.begin(), v.end(), f.begin(), [](double x) { return static_cast<float>(x); });
        std::string r64, r32;
        check_series(p, v, r64);
        check_series(p, f, r32);
        std::printf("%s/%s: %zu values; ratio f64%s\n", p.parent_path().filename().c_str(), p.filename().c_str(),
                    v.size(), r64.c_str());
    }
    std::printf("%zu series, %zu values, from %s\n", files.size(), total, TSQUASH_DATASETS_DIR);
}

}  // namespace
