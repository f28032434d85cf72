// The only translation unit that sees LibTorch for the autoencoder (each one costs ~40 s to compile).
// It includes the module headers it uses rather than <torch/torch.h>.
#include "tsquash/learned/autoencoder.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "torch_common.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/learned/model_format.hpp"
#include "tsquash/learned/pca.hpp"

namespace tsquash::learned {
using detail::require_finite;
using detail::set_threads;

namespace {

namespace nn = torch::nn;

// torch::manual_seed seeds a process-wide generator; constructing models one at a time makes the initial
// weights a function of the seed alone.
std::mutex g_init_mutex;

void push_activation(nn::Sequential& s, Activation a) {
    switch (a) {
        case Activation::leaky_relu: s->push_back(nn::LeakyReLU()); break;
        case Activation::relu: s->push_back(nn::ReLU()); break;
        case Activation::tanh: s->push_back(nn::Tanh()); break;
        case Activation::elu: s->push_back(nn::ELU()); break;
    }
}

// Linear layers through widths; an activation after each except the last (the latent and the output stay
// linear) unless activate_last.
void push_dense(nn::Sequential& s, const std::vector<int64_t>& widths, Activation a, bool activate_last) {
    for (size_t i = 0; i + 1 < widths.size(); ++i) {
        s->push_back(nn::Linear(widths[i], widths[i + 1]));
        if (i + 2 < widths.size() || activate_last) push_activation(s, a);
    }
}

// Zeroes the last module of s that has parameters: the network's output then starts at zero.
void zero_output_layer(nn::Sequential& s) {
    std::shared_ptr<nn::Module> last;
    for (const auto& c : s->children())
        if (!c->parameters().empty()) last = c;
    torch::NoGradGuard no_grad;
    for (auto& p : last->parameters()) p.zero_();
}

struct NetImpl : nn::Module {
    explicit NetImpl(const Architecture& a) : arch(a) {
        if (a.linear) {  // registered first, so they lead the parameter order (docs/format.md)
            const int64_t n = sample_size(a);
            mean = register_parameter("mean", torch::zeros({n}));
            basis = register_parameter("basis", torch::zeros({a.latent, n}));
        }
        std::vector<int64_t> widths{dense_input_width(a)};
        widths.insert(widths.end(), a.layers.begin(), a.layers.end());
        widths.push_back(a.latent);
        std::vector<int64_t> back(widths.rbegin(), widths.rend());
        if (a.kind == Kind::conv) {
            const auto sizes = conv_sizes(a);
            int64_t in = 1;
            for (int64_t c : a.channels) {
                encoder->push_back(nn::Conv2d(nn::Conv2dOptions(in, c, 3).stride(2).padding(1)));
                push_activation(encoder, a.activation);
                in = c;
            }
            encoder->push_back(nn::Flatten());
            push_dense(encoder, widths, a.activation, false);
            push_dense(decoder, back, a.activation, true);
            decoder->push_back(nn::Unflatten(nn::UnflattenOptions(1, {a.channels.back(), sizes.back().first, sizes.back().second})));
            for (size_t i = a.channels.size(); i-- > 0;) {
                const int64_t out = i == 0 ? 1 : a.channels[i - 1];
                // A stride-2 transposed convolution gives 2 * in - 1 (+ output_padding): pad by one where the
                // encoder rounded an odd size up.
                const int64_t pad_h = sizes[i].first - (2 * sizes[i + 1].first - 1);
                const int64_t pad_w = sizes[i].second - (2 * sizes[i + 1].second - 1);
                decoder->push_back(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(a.channels[i], out, 3)
                                                           .stride(2)
                                                           .padding(1)
                                                           .output_padding(std::vector<int64_t>{pad_h, pad_w})));
                if (i > 0) push_activation(decoder, a.activation);
            }
        } else {
            push_dense(encoder, widths, a.activation, false);
            push_dense(decoder, back, a.activation, false);
        }
        register_module("encoder", encoder);
        register_module("decoder", decoder);
        if (a.linear) {
            zero_output_layer(encoder);
            zero_output_layer(decoder);
        }
    }

    // x: (n, sample_size) -> (n, latent)
    torch::Tensor encode(const torch::Tensor& x) {
        auto z = arch.kind == Kind::conv ? encoder->forward(x.view({x.size(0), 1, arch.input_shape[0], arch.input_shape[1]}))
                                         : encoder->forward(x);
        if (arch.linear) z = z + torch::matmul(x - mean, basis.t());
        return z;
    }
    // (n, latent) -> (n, sample_size)
    torch::Tensor decode(const torch::Tensor& z) {
        auto x = decoder->forward(z).reshape({z.size(0), -1});
        if (arch.linear) x = x + torch::addmm(mean, z, basis);
        return x;
    }

    Architecture arch;
    torch::Tensor mean, basis;  // the linear path (Architecture::linear)
    nn::Sequential encoder, decoder;
};
TORCH_MODULE(Net);

torch::Tensor wrap(const float* p, int64_t rows, int64_t cols) {
    return torch::from_blob(const_cast<float*>(p), {rows, cols}, torch::kFloat32);
}

constexpr int64_t inference_batch = 4096;

// Per-dimension grid steps: rel times the range of each latent dimension over z (1 where it is constant).
torch::Tensor latent_steps(const torch::Tensor& z, double rel) {
    const auto range = std::get<0>(z.max(0)) - std::get<0>(z.min(0));
    return torch::where(range > 0, range * rel, torch::ones_like(range));
}

// z rounded to the grid in the forward pass; the gradient passes as if it were z.
torch::Tensor round_latent(const torch::Tensor& z, const torch::Tensor& steps) {
    if (!steps.defined()) return z;
    return z + (torch::round(z / steps) * steps - z).detach();
}

torch::Tensor loss_of(const torch::Tensor& out, const torch::Tensor& x, Loss loss) {
    return loss == Loss::l1 ? torch::nn::functional::l1_loss(out, x) : torch::nn::functional::mse_loss(out, x);
}

}  // namespace

struct AutoEncoder::Impl {
    Impl(const Architecture& a, uint64_t s) : arch(a), seed(s) {
        validate(arch);
        std::lock_guard<std::mutex> lock(g_init_mutex);
        torch::manual_seed(seed);
        net = Net(arch);
    }

    // The float64 copy decode(double) runs; built on first use, dropped whenever the weights change.
    Net& net64() {
        if (!net_f64) {
            {
                std::lock_guard<std::mutex> lock(g_init_mutex);
                net_f64 = Net(arch);
            }
            net_f64->to(torch::kFloat64);
            torch::NoGradGuard no_grad;
            auto dst = net_f64->parameters();
            const auto src = net->parameters();
            for (size_t i = 0; i < dst.size(); ++i) dst[i].copy_(src[i]);
            net_f64->eval();
        }
        return net_f64;
    }

    std::vector<torch::Tensor> snapshot() {
        std::vector<torch::Tensor> out;
        for (const auto& p : net->parameters()) out.push_back(p.detach().clone());
        return out;
    }
    void restore(const std::vector<torch::Tensor>& saved) {
        torch::NoGradGuard no_grad;
        auto params = net->parameters();
        for (size_t i = 0; i < params.size(); ++i) params[i].copy_(saved[i]);
    }

    // The latent of all of x, in inference batches.
    torch::Tensor encode_all(const torch::Tensor& x) {
        torch::NoGradGuard no_grad;
        net->eval();
        std::vector<torch::Tensor> parts;
        for (int64_t b = 0; b < x.size(0); b += inference_batch)
            parts.push_back(net->encode(x.slice(0, b, std::min(x.size(0), b + inference_batch))));
        return torch::cat(parts);
    }

    // The loss over all of x, in inference batches, with the latent on the grid of steps when defined.
    double evaluate(const torch::Tensor& x, const torch::Tensor& steps, Loss loss) {
        torch::NoGradGuard no_grad;
        net->eval();
        double sum = 0;
        for (int64_t b = 0; b < x.size(0); b += inference_batch) {
            const auto xb = x.slice(0, b, std::min(x.size(0), b + inference_batch));
            const auto err = net->decode(round_latent(net->encode(xb), steps)) - xb;
            sum += (loss == Loss::l1 ? err.abs() : err.pow(2)).sum().item<double>();
        }
        return sum / static_cast<double>(x.numel());
    }

    Architecture arch;
    uint64_t seed;
    Net net{nullptr};
    Net net_f64{nullptr};
    bool trained = false;
    mutable std::mutex mu;
};

AutoEncoder::AutoEncoder(const Architecture& arch, uint64_t seed) : impl_(std::make_unique<Impl>(arch, seed)) {}
AutoEncoder::AutoEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AutoEncoder::~AutoEncoder() = default;
AutoEncoder::AutoEncoder(AutoEncoder&&) noexcept = default;
AutoEncoder& AutoEncoder::operator=(AutoEncoder&&) noexcept = default;

const Architecture& AutoEncoder::architecture() const { return impl_->arch; }
int64_t AutoEncoder::sample_size() const { return learned::sample_size(impl_->arch); }
int64_t AutoEncoder::n_parameters() const { return parameter_count(impl_->arch); }
bool AutoEncoder::trained() const { return impl_->trained; }

void AutoEncoder::init_pca(const float* x, int64_t n) {
    if (!impl_->arch.linear) throw InvalidArgument("init_pca: this model has no linear path");
    if (n < 1) throw InvalidArgument("no samples to initialise from");
    const int64_t width = sample_size();
    require_finite(x, static_cast<size_t>(n * width), "training data");
    std::lock_guard<std::mutex> lock(impl_->mu);
    const std::vector<double> xd(x, x + n * width);
    const PcaFit fit = pca_fit(xd.data(), static_cast<size_t>(n), static_cast<size_t>(width), static_cast<size_t>(impl_->arch.latent));
    Impl& m = *impl_;
    torch::NoGradGuard no_grad;
    m.net->mean.copy_(torch::tensor(fit.mean, torch::kFloat64));
    m.net->basis.zero_();  // components past min(n, width) stay zero
    const auto comps = torch::tensor(fit.components, torch::kFloat64).view({static_cast<int64_t>(fit.n_components), width});
    m.net->basis.slice(0, 0, static_cast<int64_t>(fit.n_components)).copy_(comps);
    zero_output_layer(m.net->encoder);
    zero_output_layer(m.net->decoder);
    m.net_f64 = nullptr;
    m.trained = true;
}

TrainHistory AutoEncoder::fit(const float* x, int64_t n, const TrainOptions& opt, const EpochCallback& on_epoch) {
    if (opt.epochs < 1) throw InvalidArgument("epochs must be at least 1");
    if (opt.batch_size < 1) throw InvalidArgument("batch_size must be at least 1");
    if (!(opt.lr > 0) || !std::isfinite(opt.lr)) throw InvalidArgument("lr must be a positive number");
    if (!(opt.val_fraction >= 0 && opt.val_fraction < 1)) throw InvalidArgument("val_fraction must be in [0, 1)");
    if (opt.patience < 0) throw InvalidArgument("patience must be 0 (never stop early) or positive");
    if (!(opt.latent_step >= 0 && opt.latent_step < 1)) throw InvalidArgument("latent_step must be in [0, 1)");
    if (!(opt.linear_lr >= 0) || !std::isfinite(opt.linear_lr)) throw InvalidArgument("linear_lr must be a number >= 0");
    if (n < 1) throw InvalidArgument("no samples to train on");
    const int64_t width = sample_size();
    require_finite(x, static_cast<size_t>(n * width), "training data");
    if (impl_->arch.linear && !impl_->trained) init_pca(x, n);

    std::lock_guard<std::mutex> lock(impl_->mu);
    const auto start = std::chrono::steady_clock::now();
    set_threads(opt.threads);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    Impl& m = *impl_;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(m.seed);

    const int64_t n_val = static_cast<int64_t>(std::floor(static_cast<double>(n) * opt.val_fraction));
    const int64_t n_train = n - n_val;
    const auto order = torch::randperm(n, gen, torch::kLong);
    const auto all = wrap(x, n, width);
    const auto train = all.index_select(0, order.slice(0, n_val));  // copies: the caller's buffer stays read-only
    const auto val = n_val > 0 ? all.index_select(0, order.slice(0, 0, n_val)) : torch::Tensor();
    m.net_f64 = nullptr;
    // The latent grid for this epoch, from the training samples' latent range.
    auto grid = [&] { return opt.latent_step > 0 ? latent_steps(m.encode_all(train), opt.latent_step) : torch::Tensor(); };

    // The linear path trains at linear_lr times the rate (0: frozen): Adam's first steps move every weight
    // by about the rate whatever its gradient, which at the full rate knocks a PCA start far off its optimum.
    std::vector<torch::Tensor> nonlinear, linear;
    for (const auto& p : m.net->named_parameters()) (p.key() == "mean" || p.key() == "basis" ? linear : nonlinear).push_back(p.value());
    const double linear_scale = opt.linear_lr;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(nonlinear, std::make_unique<torch::optim::AdamOptions>(opt.lr));
    if (!linear.empty() && linear_scale > 0)
        groups.emplace_back(linear, std::make_unique<torch::optim::AdamOptions>(opt.lr * linear_scale));
    torch::optim::Adam adam(groups, torch::optim::AdamOptions(opt.lr));
    auto set_lr = [&](double lr) {
        for (auto& g : adam.param_groups())
            static_cast<torch::optim::AdamOptions&>(g.options()).lr(&g == &adam.param_groups().front() ? lr : lr * linear_scale);
    };
    // Reduce-on-plateau waits a quarter of the early-stopping patience, so the rate drops a few times before
    // training gives up.
    const int64_t plateau_wait = std::max<int64_t>(2, (opt.patience > 0 ? opt.patience : 20) / 4);
    const double lr_floor = opt.lr * 1e-3;

    TrainHistory h;
    double lr = opt.lr;
    double best = INFINITY;
    int64_t since_best = 0, since_drop = 0;
    std::vector<torch::Tensor> best_state;
    if (m.trained) {  // training continues from weights that already work: keep them unless an epoch beats them
        best = h.initial_val_loss = m.evaluate(n_val > 0 ? val : train, grid(), opt.loss);
        best_state = m.snapshot();
    }
    try {
        for (int64_t epoch = 1; epoch <= opt.epochs; ++epoch) {
            const auto steps = grid();
            m.net->train();
            const auto perm = torch::randperm(n_train, gen, torch::kLong);
            double sum = 0;
            for (int64_t b = 0; b < n_train; b += opt.batch_size) {
                const auto xb = train.index_select(0, perm.slice(0, b, std::min(n_train, b + opt.batch_size)));
                const auto loss = loss_of(m.net->decode(round_latent(m.net->encode(xb), steps)), xb, opt.loss);
                adam.zero_grad();
                loss.backward();
                adam.step();
                sum += loss.item<double>() * static_cast<double>(xb.size(0));
            }
            const double train_loss = sum / static_cast<double>(n_train);
            // Without a hold-out the monitored loss is remeasured on the training samples after the epoch when
            // it is compared with the starting weights' or taken on the grid: the batches' running mean lags
            // the weights that would be kept.
            const double val_loss = n_val > 0 ? m.evaluate(val, steps, opt.loss)
                                              : (std::isnan(h.initial_val_loss) && opt.latent_step == 0 ? train_loss : m.evaluate(train, steps, opt.loss));
            h.loss.push_back(train_loss);
            h.val_loss.push_back(val_loss);
            h.lr.push_back(lr);
            h.epochs_run = epoch;
            m.trained = true;
            if (val_loss < best * (1 - 1e-4)) {
                best = val_loss;
                best_state = m.snapshot();
                h.best_epoch = epoch;
                since_best = since_drop = 0;
            } else {
                ++since_best;
                ++since_drop;
            }
            if (opt.schedule == Schedule::plateau && since_drop >= plateau_wait && lr > lr_floor) {
                lr = std::max(lr_floor, lr * 0.5);
                since_drop = 0;
            } else if (opt.schedule == Schedule::cosine) {
                const double lr_min = opt.lr * 0.01;
                lr = lr_min + 0.5 * (opt.lr - lr_min) * (1 + std::cos(M_PI * static_cast<double>(epoch) / static_cast<double>(opt.epochs)));
            }
            set_lr(lr);
            if (on_epoch && !on_epoch(EpochReport{epoch, train_loss, val_loss, h.lr.back()})) {
                h.stopped_by_callback = true;
                break;
            }
            if (opt.patience > 0 && since_best >= opt.patience) break;
        }
    } catch (...) {
        if (!best_state.empty()) m.restore(best_state);
        throw;
    }
    if (!best_state.empty()) m.restore(best_state);
    m.net->eval();
    h.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return h;
}

void AutoEncoder::encode(const float* x, int64_t n, float* z, int threads) const {
    const int64_t width = sample_size();
    require_finite(x, static_cast<size_t>(n * width), "input");
    std::lock_guard<std::mutex> lock(impl_->mu);
    set_threads(threads);
    torch::NoGradGuard no_grad;
    impl_->net->eval();
    const int64_t latent = impl_->arch.latent;
    for (int64_t b = 0; b < n; b += inference_batch) {
        const int64_t rows = std::min(n - b, inference_batch);
        const auto out = impl_->net->encode(wrap(x + b * width, rows, width)).contiguous();
        std::memcpy(z + b * latent, out.data_ptr<float>(), sizeof(float) * static_cast<size_t>(rows * latent));
    }
}

void AutoEncoder::decode(const float* z, int64_t n, float* x, int threads) const {
    const int64_t latent = impl_->arch.latent;
    require_finite(z, static_cast<size_t>(n * latent), "latent");
    std::lock_guard<std::mutex> lock(impl_->mu);
    set_threads(threads);
    torch::NoGradGuard no_grad;
    impl_->net->eval();
    const int64_t width = sample_size();
    for (int64_t b = 0; b < n; b += inference_batch) {
        const int64_t rows = std::min(n - b, inference_batch);
        const auto out = impl_->net->decode(wrap(z + b * latent, rows, latent)).contiguous();
        std::memcpy(x + b * width, out.data_ptr<float>(), sizeof(float) * static_cast<size_t>(rows * width));
    }
}

void AutoEncoder::decode(const double* z, int64_t n, double* x, int threads) const {
    const int64_t latent = impl_->arch.latent;
    for (int64_t i = 0; i < n * latent; ++i)
        if (!std::isfinite(z[i])) throw InvalidArgument("latent holds a non-finite value at flat index " + std::to_string(i));
    std::lock_guard<std::mutex> lock(impl_->mu);
    set_threads(threads);
    torch::NoGradGuard no_grad;
    Net& net = impl_->net64();
    const int64_t width = sample_size();
    for (int64_t b = 0; b < n; b += inference_batch) {
        const int64_t rows = std::min(n - b, inference_batch);
        const auto zb = torch::from_blob(const_cast<double*>(z + b * latent), {rows, latent}, torch::kFloat64);
        const auto out = net->decode(zb).contiguous();
        std::memcpy(x + b * width, out.data_ptr<double>(), sizeof(double) * static_cast<size_t>(rows * width));
    }
}

std::vector<uint8_t> AutoEncoder::to_bytes() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    ModelBlob blob{impl_->arch, impl_->trained, {}};
    blob.params.reserve(static_cast<size_t>(n_parameters()));
    for (const auto& p : impl_->net->parameters()) {
        const auto c = p.detach().contiguous();
        blob.params.insert(blob.params.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return write_model(blob);
}

AutoEncoder AutoEncoder::from_bytes(const uint8_t* data, size_t n) {
    const ModelBlob blob = read_model(data, n);
    auto impl = std::make_unique<Impl>(blob.arch, 0);
    {
        torch::NoGradGuard no_grad;
        size_t at = 0;
        for (auto& p : impl->net->parameters()) {
            const int64_t k = p.numel();
            p.copy_(torch::from_blob(const_cast<float*>(blob.params.data() + at), p.sizes(), torch::kFloat32));
            at += static_cast<size_t>(k);
        }
    }
    impl->trained = blob.trained;
    impl->net->eval();
    return AutoEncoder(std::move(impl));
}

}  // namespace tsquash::learned
