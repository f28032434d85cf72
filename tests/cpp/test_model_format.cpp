// The autoencoder model bytes (torch-free, so these run in every build, ASan included).
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <vector>

#include "tsquash/errors.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"
#include "tsquash/learned/model_format.hpp"

namespace {

using namespace tsquash::learned;
using tsquash::CorruptStream;
using tsquash::InvalidArgument;

ModelBlob small_dense() {
    ModelBlob m;
    m.arch.kind = Kind::dense;
    m.arch.input_shape = {5};
    m.arch.layers = {4, 3};
    m.arch.latent = 2;
    m.trained = true;
    m.params.resize(static_cast<size_t>(parameter_count(m.arch)));
    for (size_t i = 0; i < m.params.size(); ++i) m.params[i] = 0.25f * static_cast<float>(i) - 3.0f;
    return m;
}

void recrc(std::vector<uint8_t>& b) { tsquash::io::store_le<uint32_t>(b.data() + b.size() - 4, tsquash::io::crc32c(b.data(), b.size() - 4)); }

TEST(ModelFormat, ParameterCountMatchesLayers) {
    Architecture d;
    d.input_shape = {7};
    d.layers = {200, 100, 50};
    d.latent = 8;
    // encoder 7-200-100-50-8 and decoder 8-50-100-200-7, weights and biases
    const int64_t enc = 7 * 200 + 200 + 200 * 100 + 100 + 100 * 50 + 50 + 50 * 8 + 8;
    const int64_t dec = 8 * 50 + 50 + 50 * 100 + 100 + 100 * 200 + 200 + 200 * 7 + 7;
    EXPECT_EQ(parameter_count(d), enc + dec);

    Architecture c;
    c.kind = Kind::conv;
    c.input_shape = {50, 50};
    c.channels = {8, 16};
    c.layers = {};
    c.latent = 4;
    validate(c);
    EXPECT_EQ(conv_sizes(c).back(), (std::pair<int64_t, int64_t>{13, 13}));
    EXPECT_EQ(dense_input_width(c), 16 * 13 * 13);
    const int64_t convs = (1 * 8 * 9 + 8) + (8 * 16 * 9 + 16) + (16 * 8 * 9 + 8) + (8 * 1 * 9 + 1);
    const int64_t dense = (16 * 169 * 4 + 4) + (4 * 16 * 169 + 16 * 169);
    EXPECT_EQ(parameter_count(c), convs + dense);
}

TEST(ModelFormat, InvalidArchitecturesAreRejected) {
    Architecture a;
    a.input_shape = {0};
    EXPECT_THROW(validate(a), InvalidArgument);
    a.input_shape = {3, 3};  // dense takes 1-D samples
    EXPECT_THROW(validate(a), InvalidArgument);
    a.input_shape = {3};
    a.latent = 0;
    EXPECT_THROW(validate(a), InvalidArgument);
    a.latent = 2;
    a.channels = {4};  // channels are for conv models
    EXPECT_THROW(validate(a), InvalidArgument);
    a.channels = {};
    a.layers = {int64_t(1) << 24, int64_t(1) << 24};  // 2^48 weights
    EXPECT_THROW(validate(a), InvalidArgument);
    Architecture c;
    c.kind = Kind::conv;
    c.input_shape = {8, 8};
    EXPECT_THROW(validate(c), InvalidArgument);  // no channel stages
}

TEST(ModelFormat, RoundTripKeepsEverything) {
    const ModelBlob m = small_dense();
    const auto bytes = write_model(m);
    // magic, version, kind, activation, flags; three length-prefixed lists; latent; count; params; CRC
    EXPECT_EQ(bytes.size(), 8 + (1 + 4) + (1 + 8) + 1 + 4 + 4 + 4 * m.params.size() + 4);
    const ModelBlob back = read_model(bytes.data(), bytes.size());
    EXPECT_EQ(back.arch.input_shape, m.arch.input_shape);
    EXPECT_EQ(back.arch.layers, m.arch.layers);
    EXPECT_EQ(back.arch.latent, 2);
    EXPECT_TRUE(back.trained);
    ASSERT_EQ(back.params.size(), m.params.size());
    EXPECT_EQ(std::memcmp(back.params.data(), m.params.data(), 4 * m.params.size()), 0);
}

TEST(ModelFormat, WrongParameterCountIsAnArgumentError) {
    ModelBlob m = small_dense();
    m.params.pop_back();
    EXPECT_THROW(write_model(m), InvalidArgument);
}

TEST(ModelFormat, EveryTruncationAndBitFlipIsRejected) {
    const auto bytes = write_model(small_dense());
    for (size_t n = 0; n < bytes.size(); ++n) EXPECT_THROW(read_model(bytes.data(), n), CorruptStream) << n;
    for (size_t i = 0; i < bytes.size(); ++i) {
        auto b = bytes;
        b[i] ^= 0x10;
        EXPECT_THROW(read_model(b.data(), b.size()), CorruptStream) << i;
    }
}

TEST(ModelFormat, ConsistencyIsCheckedBehindTheChecksum) {
    const auto good = write_model(small_dense());
    auto b = good;
    b[4] = 9;  // a future version
    EXPECT_THROW(read_model(b.data(), b.size()), CorruptStream);
    b = good;
    b[5] = 7;  // unknown kind
    recrc(b);
    EXPECT_THROW(read_model(b.data(), b.size()), CorruptStream);
    b = good;
    b[14] = 9;  // first layer width 4 -> 9: the parameter count no longer matches
    recrc(b);
    EXPECT_THROW(read_model(b.data(), b.size()), CorruptStream);
    b = good;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(b.data() + b.size() - 8, &nan, 4);  // last parameter
    recrc(b);
    EXPECT_THROW(read_model(b.data(), b.size()), CorruptStream);
}

}  // namespace

namespace {

TEST(ModelFormat, LinearPathIsVersionTwoAndCountsMeanAndBasis) {
    ModelBlob m = small_dense();
    const int64_t plain = parameter_count(m.arch);
    m.arch.linear = true;
    EXPECT_EQ(parameter_count(m.arch), plain + 5 + 2 * 5);  // mean (5) and basis (2 x 5)
    m.params.resize(static_cast<size_t>(parameter_count(m.arch)), 0.5f);
    const auto bytes = write_model(m);
    EXPECT_EQ(bytes[4], 2);
    EXPECT_EQ(bytes[7], 3);  // trained | linear
    const ModelBlob back = read_model(bytes.data(), bytes.size());
    EXPECT_TRUE(back.arch.linear);
    EXPECT_TRUE(back.trained);
    EXPECT_EQ(back.params.size(), m.params.size());
    // models without the path stay version 1, readable by older tsquash
    EXPECT_EQ(write_model(small_dense())[4], 1);
}

TEST(ModelFormat, VersionAndLinearFlagMustAgree) {
    ModelBlob m = small_dense();
    m.arch.linear = true;
    m.params.resize(static_cast<size_t>(parameter_count(m.arch)), 0.5f);
    auto b = write_model(m);
    b[4] = 1;  // a version 1 file cannot have the linear flag
    recrc(b);
    EXPECT_THROW(read_model(b.data(), b.size()), CorruptStream);
    auto p = write_model(small_dense());
    p[4] = 2;  // nor a version 2 file lack it
    recrc(p);
    EXPECT_THROW(read_model(p.data(), p.size()), CorruptStream);
    p[4] = 2;
    p[7] = 7;  // unknown flag bit
    recrc(p);
    EXPECT_THROW(read_model(p.data(), p.size()), CorruptStream);
}

}  // namespace
