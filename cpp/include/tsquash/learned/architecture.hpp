// The shape of a tsquash autoencoder, independent of LibTorch: what the model bytes store, what the
// parameter count is, and which combinations are valid. Kept torch-free so the model-bytes reader can be
// fuzzed and used without LibTorch.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tsquash::learned {

enum class Kind : uint8_t {
    dense = 1,  // n -> layers... -> latent -> reversed layers... -> n
    conv = 2,   // (H, W) frames: stride-2 3x3 convolutions, then dense layers to the latent, mirrored back
};

enum class Activation : uint8_t { leaky_relu = 1, relu = 2, tanh = 3, elu = 4 };

struct Architecture {
    Kind kind = Kind::dense;
    std::vector<int64_t> input_shape;  // {n_features} for dense, {H, W} for conv
    std::vector<int64_t> layers;       // hidden dense widths from the input side towards the latent
    std::vector<int64_t> channels;     // conv only: output channels of each stride-2 convolution
    int64_t latent = 8;
    Activation activation = Activation::leaky_relu;
    // A linear path beside the networks: encode z = basis (x - mean) + h(x), decode mean + basis^T z + g(z),
    // where h and g are the networks above with their output layers starting at zero. Initialised from the
    // principal components of the training data, the model starts as PCA and training adds what the
    // networks find on top.
    bool linear = false;
};

// Limits that keep every count in int64 and every model allocatable; checked on construction and on load.
inline constexpr int64_t max_width = int64_t(1) << 24;
inline constexpr size_t max_layers = 16;
inline constexpr size_t max_conv_stages = 6;
inline constexpr int64_t max_parameters = int64_t(1) << 31;

// Throws InvalidArgument naming the first problem.
void validate(const Architecture& a);

// Number of values in one sample (n_features, or H * W).
int64_t sample_size(const Architecture& a);

// Spatial size after each convolution stage, starting with the input: {{H, W}, {ceil(H/2), ceil(W/2)}, ...}.
std::vector<std::pair<int64_t, int64_t>> conv_sizes(const Architecture& a);

// Width of the dense stack's input side: n_features for dense, channels.back() * h * w after the convolutions.
int64_t dense_input_width(const Architecture& a);

// Trainable float32 values (mean and basis first when linear), as the model bytes store them. validate() first.
int64_t parameter_count(const Architecture& a);

}  // namespace tsquash::learned
