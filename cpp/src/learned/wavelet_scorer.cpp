// The only translation unit that sees LibTorch for the learned downsampler (each one costs ~40 s to compile).
#include "tsquash/learned/wavelet_scorer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/transformerlayer.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "torch_common.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/wavelet/dwt.hpp"
#include "tsquash/wavelet/wavelet.hpp"

namespace tsquash::learned {
using detail::require_finite;
using detail::set_threads;

namespace {

namespace nn = torch::nn;
using torch::indexing::Slice;

// torch::manual_seed seeds a process-wide generator: construct models one at a time.
std::mutex g_init_mutex;

// Per token: value features (3), level one-hot (scorer_max_level), position in the band (4: two
// frequencies of sin/cos), the approximation coefficient above the token (1).
constexpr int64_t n_features = 3 + scorer_max_level + 4 + 1;
constexpr double tiny = 1e-12;

struct NetImpl : nn::Module {
    explicit NetImpl(const ScorerConfig& c) {
        embed = register_module("embed", nn::Linear(n_features, c.d_model));
        for (int64_t i = 0; i < c.layers; ++i)
            blocks.push_back(register_module("block" + std::to_string(i),
                                             nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(c.d_model, c.heads)
                                                                             .dim_feedforward(c.ff)
                                                                             .dropout(0.0))));
        head = register_module("head", nn::Linear(c.d_model, 1));
        // A zero head makes the untrained scorer the magnitude ranking; training learns the correction.
        torch::NoGradGuard no_grad;
        head->weight.zero_();
        head->bias.zero_();
    }

    // tokens: (B, D, n_features) -> correction g: (B, D)
    torch::Tensor forward(const torch::Tensor& tokens) {
        auto h = embed->forward(tokens).transpose(0, 1);  // (D, B, d): the encoder layers are sequence-first
        for (auto& b : blocks) h = b->forward(h);
        return head->forward(h.transpose(0, 1)).squeeze(-1);
    }

    nn::Linear embed{nullptr}, head{nullptr};
    std::vector<nn::TransformerEncoderLayer> blocks;
};
TORCH_MODULE(Net);

// Windows scored per forward pass: the attention weights of a batch (batch x heads x tokens^2 floats) should
// stay cache-sized; 256 windows of 256 samples made it 250 MB and halved the throughput.
constexpr int64_t inference_batch = 16;

}  // namespace

void validate(const ScorerConfig& c) {
    (void)wavelet::wavelet(c.wavelet);  // throws for an unknown name
    if (c.level < 1 || c.level > scorer_max_level)
        throw InvalidArgument("level must be in 1.." + std::to_string(scorer_max_level) + ", got " + std::to_string(c.level));
    const int64_t step = int64_t(1) << c.level;
    if (c.window < step || c.window > scorer_max_window || c.window % step != 0)
        throw InvalidArgument("window must be a multiple of 2^level = " + std::to_string(step) + " and at most " +
                              std::to_string(scorer_max_window) + ", got " + std::to_string(c.window));
    if (c.d_model < 1 || c.d_model > 1024) throw InvalidArgument("d_model must be in 1..1024");
    if (c.heads < 1 || c.d_model % c.heads != 0) throw InvalidArgument("heads must divide d_model");
    if (c.ff < 1 || c.ff > 4096) throw InvalidArgument("ff must be in 1..4096");
    if (c.layers < 1 || c.layers > 4) throw InvalidArgument("layers must be in 1..4");
}

int64_t scorer_approx_len(const ScorerConfig& c) { return c.window >> c.level; }

struct WaveletScorer::Impl {
    Impl(const ScorerConfig& c, uint64_t seed) : config(c) {
        validate(config);
        std::lock_guard<std::mutex> lock(g_init_mutex);
        torch::manual_seed(seed);
        net = Net(config);
        net->eval();
        const auto& w = wavelet::wavelet(config.wavelet);
        const auto s = wavelet::synthesis_matrix(static_cast<size_t>(config.window), w, wavelet::Mode::periodization, config.level);
        synthesis_t = torch::from_blob(const_cast<double*>(s.data()), {config.window, config.window}, torch::kFloat64)
                          .to(torch::kFloat32)
                          .t()
                          .contiguous();
        build_static_features();
    }

    // Level one-hot, position and the index of the approximation coefficient above each detail token depend
    // on the configuration only.
    void build_static_features() {
        const int64_t na = scorer_approx_len(config);
        const int64_t nd = config.window - na;
        static_features = torch::zeros({nd, n_features}, torch::kFloat32);
        approx_index = torch::empty({nd}, torch::kLong);
        auto f = static_features.accessor<float, 2>();
        auto ai = approx_index.accessor<int64_t, 1>();
        int64_t t = 0;
        for (int lev = config.level; lev >= 1; --lev) {
            const int64_t len = config.window >> lev;
            for (int64_t p = 0; p < len; ++p, ++t) {
                const double u = (static_cast<double>(p) + 0.5) / static_cast<double>(len);
                f[t][3 + lev - 1] = 1.0f;
                f[t][3 + scorer_max_level + 0] = static_cast<float>(std::sin(2 * M_PI * u));
                f[t][3 + scorer_max_level + 1] = static_cast<float>(std::cos(2 * M_PI * u));
                f[t][3 + scorer_max_level + 2] = static_cast<float>(std::sin(4 * M_PI * u));
                f[t][3 + scorer_max_level + 3] = static_cast<float>(std::cos(4 * M_PI * u));
                ai[t] = std::min(na - 1, static_cast<int64_t>(u * static_cast<double>(na)));
            }
        }
    }

    // coeffs (B, window) -> (scores (B, D), detail (B, D)); scores = log|c| + g(tokens).
    std::pair<torch::Tensor, torch::Tensor> scores(const torch::Tensor& coeffs) {
        const int64_t na = scorer_approx_len(config);
        const auto approx = coeffs.index({Slice(), Slice(0, na)});
        const auto detail = coeffs.index({Slice(), Slice(na, torch::indexing::None)});
        // Scale-free features: details relative to the window's detail RMS, the approximation's variation
        // relative to its own spread (an offset such as 100 kPa must not drown the details).
        const auto rms = detail.pow(2).mean(1, true).add(tiny).sqrt();
        const auto v = detail / rms;
        const auto centred = approx - approx.mean(1, true);
        const auto a = centred / (centred.pow(2).mean(1, true).sqrt() + rms);
        const int64_t b = coeffs.size(0), nd = detail.size(1);
        auto tokens = static_features.unsqueeze(0).expand({b, nd, n_features}).clone();
        tokens.index_put_({Slice(), Slice(), 0}, v);
        tokens.index_put_({Slice(), Slice(), 1}, v.abs());
        tokens.index_put_({Slice(), Slice(), 2}, (v.abs() + 1e-3).log());
        tokens.index_put_({Slice(), Slice(), n_features - 1}, a.index_select(1, approx_index));
        const auto s = (detail.abs() + tiny).log() + net->forward(tokens);
        return {s, detail};
    }

    ScorerConfig config;
    Net net{nullptr};
    torch::Tensor synthesis_t;  // (coefficient, sample): x = c @ synthesis_t
    torch::Tensor static_features, approx_index;
    mutable std::mutex mu;
};

WaveletScorer::WaveletScorer(const ScorerConfig& config, uint64_t seed) : impl_(std::make_unique<Impl>(config, seed)) {}
WaveletScorer::~WaveletScorer() = default;
WaveletScorer::WaveletScorer(WaveletScorer&&) noexcept = default;
WaveletScorer& WaveletScorer::operator=(WaveletScorer&&) noexcept = default;

const ScorerConfig& WaveletScorer::config() const { return impl_->config; }
int64_t WaveletScorer::approx_len() const { return scorer_approx_len(impl_->config); }
int64_t WaveletScorer::detail_len() const { return impl_->config.window - approx_len(); }
int64_t WaveletScorer::n_parameters() const {
    int64_t n = 0;
    for (const auto& p : impl_->net->parameters()) n += p.numel();
    return n;
}

std::vector<ScorerEpoch> WaveletScorer::fit(const float* coeffs, int64_t n, const ScorerTrainOptions& opt, uint64_t seed,
                                            const ScorerCallback& on_epoch) {
    if (opt.epochs < 1) throw InvalidArgument("epochs must be at least 1");
    if (opt.batch_size < 1) throw InvalidArgument("batch_size must be at least 1");
    if (!(opt.lr > 0) || !std::isfinite(opt.lr)) throw InvalidArgument("lr must be a positive number");
    if (!(opt.keep > 0 && opt.keep < 1)) throw InvalidArgument("keep must be in (0, 1)");
    if (!(opt.temperature > 0) || !std::isfinite(opt.temperature)) throw InvalidArgument("temperature must be positive");
    if (!(opt.budget_weight >= 0) || !std::isfinite(opt.budget_weight)) throw InvalidArgument("budget_weight must be >= 0");
    if (!(opt.peak_weight >= 0) || !std::isfinite(opt.peak_weight)) throw InvalidArgument("peak_weight must be >= 0");
    if (n < 1) throw InvalidArgument("no windows to train on");
    const int64_t w = impl_->config.window;
    require_finite(coeffs, static_cast<size_t>(n * w), "training coefficients");

    std::lock_guard<std::mutex> lock(impl_->mu);
    set_threads(opt.threads);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    Impl& m = *impl_;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto all = torch::from_blob(const_cast<float*>(coeffs), {n, w}, torch::kFloat32).clone();
    const int64_t na = approx_len();

    torch::optim::Adam adam(m.net->parameters(), torch::optim::AdamOptions(opt.lr));
    std::vector<ScorerEpoch> history;
    m.net->train();
    try {
        for (int64_t epoch = 1; epoch <= opt.epochs; ++epoch) {
            const auto perm = torch::randperm(n, gen, torch::kLong);
            double lost = 0, lost_mag = 0, energy = 0;
            for (int64_t b = 0; b < n; b += opt.batch_size) {
                const auto c = all.index_select(0, perm.slice(0, b, std::min(n, b + opt.batch_size)));
                auto [s, detail] = m.scores(c);
                const int64_t total = s.numel();
                const int64_t k = std::clamp<int64_t>(static_cast<int64_t>(std::llround(opt.keep * static_cast<double>(total))), 1, total);
                // tau: the k-th largest score of the batch, so the budget is shared by the batch's windows. It
                // stays in the graph: a shift of every score then moves tau alike and changes nothing, so only
                // the ranking is learned (a detached tau lets the head drift upwards without end).
                const auto tau = std::get<0>(s.flatten().kthvalue(total - k + 1));
                const auto soft = torch::sigmoid((s - tau) / opt.temperature);
                const auto x = c.matmul(m.synthesis_t);
                const auto kept = torch::cat({c.index({Slice(), Slice(0, na)}), soft * detail}, 1);
                const auto x_hat = kept.matmul(m.synthesis_t);
                const auto detail_energy = detail.pow(2).sum().add(tiny);
                const auto r = x_hat - x;
                auto loss = r.pow(2).sum() / detail_energy +
                            opt.budget_weight * (soft.mean() - static_cast<double>(k) / static_cast<double>(total)).pow(2);
                if (opt.peak_weight > 0) {
                    const auto per_sample = detail_energy / static_cast<double>(c.numel());
                    loss = loss + opt.peak_weight * (r.pow(4).mean(1).add(tiny).sqrt().mean() / per_sample);
                }
                adam.zero_grad();
                loss.backward();
                adam.step();
                torch::NoGradGuard no_grad;
                const auto d2 = detail.detach().pow(2);
                const auto hard = (s.detach() >= tau.detach()).to(torch::kFloat32);
                lost += (d2 * (1 - hard)).sum().item<double>();
                const auto mag = d2.flatten();
                const auto mag_tau = std::get<0>(mag.kthvalue(total - k + 1));
                lost_mag += (d2 * (d2 < mag_tau).to(torch::kFloat32)).sum().item<double>();
                energy += detail_energy.item<double>();
            }
            history.push_back(ScorerEpoch{epoch, lost / energy, lost_mag / energy});
            if (on_epoch && !on_epoch(history.back())) break;
        }
    } catch (...) {
        m.net->eval();
        throw;
    }
    m.net->eval();
    return history;
}

void WaveletScorer::score(const float* coeffs, int64_t n, float* scores, int threads) const {
    const int64_t w = impl_->config.window;
    require_finite(coeffs, static_cast<size_t>(n * w), "coefficients");
    std::lock_guard<std::mutex> lock(impl_->mu);
    set_threads(threads);
    torch::NoGradGuard no_grad;
    const int64_t nd = detail_len();
    for (int64_t b = 0; b < n; b += inference_batch) {
        const int64_t rows = std::min(n - b, inference_batch);
        const auto c = torch::from_blob(const_cast<float*>(coeffs + b * w), {rows, w}, torch::kFloat32);
        const auto s = impl_->scores(c).first.contiguous();
        std::memcpy(scores + b * nd, s.data_ptr<float>(), sizeof(float) * static_cast<size_t>(rows * nd));
    }
}

std::vector<float> WaveletScorer::parameters() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    std::vector<float> out;
    for (const auto& p : impl_->net->parameters()) {
        const auto c = p.detach().contiguous();
        out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return out;
}

void WaveletScorer::set_parameters(const float* p, size_t n) {
    if (static_cast<int64_t>(n) != n_parameters())
        throw InvalidArgument("scorer parameters: " + std::to_string(n) + " values given, the configuration has " +
                              std::to_string(n_parameters()));
    require_finite(p, n, "scorer parameters");
    std::lock_guard<std::mutex> lock(impl_->mu);
    torch::NoGradGuard no_grad;
    size_t at = 0;
    for (auto& t : impl_->net->parameters()) {
        t.copy_(torch::from_blob(const_cast<float*>(p + at), t.sizes(), torch::kFloat32));
        at += static_cast<size_t>(t.numel());
    }
}

}  // namespace tsquash::learned
