#include "tsquash/learned/architecture.hpp"

#include <string>

#include "tsquash/errors.hpp"

namespace tsquash::learned {
namespace {

[[noreturn]] void bad(const std::string& what) { throw InvalidArgument("autoencoder architecture: " + what); }

void check_width(int64_t w, const char* what) {
    if (w < 1 || w > max_width) bad(std::string(what) + " must be in [1, " + std::to_string(max_width) + "], got " + std::to_string(w));
}

// Adds to total and fails once the model passes max_parameters, before anything can overflow.
void add(int64_t& total, int64_t a, int64_t b, int64_t c = 1) {
    // Every factor is at most max_width (2^24) or 9, so a * b fits; the product with c is checked.
    const int64_t ab = a * b;
    if (c != 0 && ab > max_parameters / c) bad("more than 2^31 parameters");
    total += ab * c;
    if (total > max_parameters) bad("more than 2^31 parameters");
}

}  // namespace

void validate(const Architecture& a) {
    if (a.kind != Kind::dense && a.kind != Kind::conv) bad("unknown kind");
    switch (a.activation) {
        case Activation::leaky_relu:
        case Activation::relu:
        case Activation::tanh:
        case Activation::elu: break;
        default: bad("unknown activation");
    }
    const size_t dims = a.kind == Kind::dense ? 1 : 2;
    if (a.input_shape.size() != dims)
        bad(std::string(a.kind == Kind::dense ? "a dense" : "a conv") + " model takes a " + std::to_string(dims) +
            "-D sample shape, got " + std::to_string(a.input_shape.size()) + "-D");
    for (int64_t d : a.input_shape) check_width(d, "each input dimension");
    if (a.layers.size() > max_layers) bad("at most " + std::to_string(max_layers) + " hidden layers");
    for (int64_t w : a.layers) check_width(w, "each layer width");
    check_width(a.latent, "latent");
    if (a.kind == Kind::dense) {
        if (!a.channels.empty()) bad("channels apply to conv models only");
    } else {
        if (a.channels.empty() || a.channels.size() > max_conv_stages)
            bad("a conv model needs 1 to " + std::to_string(max_conv_stages) + " channel stages");
        for (int64_t c : a.channels) check_width(c, "each channel count");
        if (a.input_shape[0] * a.input_shape[1] > max_width) bad("frames larger than 2^24 values");
        if (dense_input_width(a) > max_width) bad("the flattened convolution output exceeds 2^24 values");
    }
    (void)parameter_count(a);
}

int64_t sample_size(const Architecture& a) {
    int64_t n = 1;
    for (int64_t d : a.input_shape) n *= d;
    return n;
}

std::vector<std::pair<int64_t, int64_t>> conv_sizes(const Architecture& a) {
    std::vector<std::pair<int64_t, int64_t>> s{{a.input_shape.at(0), a.input_shape.at(1)}};
    for (size_t i = 0; i < a.channels.size(); ++i) s.emplace_back((s.back().first + 1) / 2, (s.back().second + 1) / 2);
    return s;
}

int64_t dense_input_width(const Architecture& a) {
    if (a.kind == Kind::dense) return a.input_shape.at(0);
    const auto last = conv_sizes(a).back();
    return a.channels.back() * last.first * last.second;
}

int64_t parameter_count(const Architecture& a) {
    int64_t total = 0;
    if (a.linear) add(total, a.latent + 1, sample_size(a));  // basis (latent x n) and mean (n)
    if (a.kind == Kind::conv) {
        int64_t in = 1;
        for (int64_t c : a.channels) {  // encoder conv and the mirrored transposed conv: same weight count
            add(total, in, c, 9);
            add(total, in, c, 9);
            add(total, c + in, 1);  // both biases
            in = c;
        }
    }
    std::vector<int64_t> widths{dense_input_width(a)};
    widths.insert(widths.end(), a.layers.begin(), a.layers.end());
    widths.push_back(a.latent);
    for (size_t i = 0; i + 1 < widths.size(); ++i) {  // encoder layer and its mirror in the decoder
        add(total, widths[i], widths[i + 1], 2);
        add(total, widths[i] + widths[i + 1], 1);
    }
    return total;
}

}  // namespace tsquash::learned
