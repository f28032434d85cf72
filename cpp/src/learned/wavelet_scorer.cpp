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
#include <limits>
#include <mutex>
#include <string>
#include <thread>

#include "torch_common.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/wavelet/wavelet.hpp"

namespace tsquash::learned {
using detail::require_finite;
using detail::set_threads;

namespace {

namespace nn = torch::nn;
using torch::indexing::Slice;

// torch::manual_seed seeds a process-wide generator: construct models one at a time.
std::mutex g_init_mutex;

// Per token: the centred approximation value, the steps to both neighbours, the curvature and its size (in
// units of the band's typical step), the log of the typical step relative to the spread (one value per
// window), the position in the window (two frequencies of sin/cos), then for each detail coefficient the
// token owns: log(1 + |value| / step) where the decoder already knows the value, and a known flag.
constexpr int64_t n_band_features = 6 + 4;
constexpr double tiny = 1e-30;

struct NetImpl : nn::Module {
    NetImpl(const ScorerConfig& c, int64_t outputs) {
        embed = register_module("embed", nn::Linear(n_band_features + 2 * outputs, c.d_model));
        for (int64_t i = 0; i < c.layers; ++i)
            blocks.push_back(register_module("block" + std::to_string(i),
                                             nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(c.d_model, c.heads)
                                                                             .dim_feedforward(c.ff)
                                                                             .dropout(0.0))));
        head = register_module("head", nn::Linear(c.d_model, outputs));
    }

    // tokens: (B, T, features) -> (B, T, outputs)
    torch::Tensor forward(const torch::Tensor& tokens) {
        auto h = embed->forward(tokens).transpose(0, 1);  // (T, B, d): the encoder layers are sequence-first
        for (auto& b : blocks) h = b->forward(h);
        return head->forward(h.transpose(0, 1));
    }

    nn::Linear embed{nullptr}, head{nullptr};
    std::vector<nn::TransformerEncoderLayer> blocks;
};
TORCH_MODULE(Net);

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
        net = Net(config, (int64_t(1) << config.level) - 1);
        net->eval();
        build_static_features();
    }

    // The token positions, and where each detail coefficient lies in the (token, output) grid: at detail level
    // j a token owns 2^(level-j) consecutive coefficients, after the 2^(level-j) - 1 outputs of coarser levels.
    void build_static_features() {
        const int64_t na = scorer_approx_len(config);
        const int64_t per_token = (int64_t(1) << config.level) - 1;
        position = torch::empty({na, 4}, torch::kFloat32);
        auto f = position.accessor<float, 2>();
        for (int64_t t = 0; t < na; ++t) {
            const double u = (static_cast<double>(t) + 0.5) / static_cast<double>(na);
            f[t][0] = static_cast<float>(std::sin(2 * M_PI * u));
            f[t][1] = static_cast<float>(std::cos(2 * M_PI * u));
            f[t][2] = static_cast<float>(std::sin(4 * M_PI * u));
            f[t][3] = static_cast<float>(std::cos(4 * M_PI * u));
        }
        detail_index = torch::empty({config.window - na}, torch::kLong);
        auto di = detail_index.accessor<int64_t, 1>();
        int64_t at = 0;
        for (int lev = config.level; lev >= 1; --lev) {
            const int64_t owned = int64_t(1) << (config.level - lev);
            for (int64_t p = 0; p < (config.window >> lev); ++p) di[at++] = (p / owned) * per_token + owned - 1 + p % owned;
        }
    }

    // approx (B, na), known (B, window - na) detail values with NaN where unknown -> scores (B, window - na),
    // in the detail order of a wavedec row.
    torch::Tensor scores(const torch::Tensor& approx, const torch::Tensor& known) {
        const auto mean = approx.mean(1, true);
        const auto centred = approx - mean;
        const auto spread = centred.pow(2).mean(1, true).sqrt();
        const auto next = approx.roll(-1, 1) - approx;  // periodic, as the transform
        const auto prev = approx - approx.roll(1, 1);
        const auto step = next.pow(2).mean(1, true).sqrt().add(tiny);
        const auto curv = (next - prev) / step;
        const int64_t b = approx.size(0), na = approx.size(1);
        const int64_t per_token = (int64_t(1) << config.level) - 1;
        const auto is_known = known.isnan().logical_not();
        const auto size = torch::where(is_known, (known.abs() / step).log1p(), torch::zeros_like(known));
        const auto grid = [&](const torch::Tensor& v) {
            return torch::zeros({b, na * per_token}, torch::kFloat32).index_copy(1, detail_index, v).reshape({b, na, per_token});
        };
        const auto tokens = torch::cat({(centred / (spread + step)).unsqueeze(-1), (next / step).unsqueeze(-1),
                                        (prev / step).unsqueeze(-1), curv.unsqueeze(-1), curv.abs().unsqueeze(-1),
                                        (step / (spread + step)).log().expand({b, na}).unsqueeze(-1),
                                        position.unsqueeze(0).expand({b, na, 4}), grid(size),
                                        grid(is_known.to(torch::kFloat32))},
                                       2)
                                .clamp(-50.0, 50.0);
        return net->forward(tokens).reshape({b, -1}).index_select(1, detail_index);
    }

    ScorerConfig config;
    Net net{nullptr};
    torch::Tensor position, detail_index;
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
    if (n < 1) throw InvalidArgument("no windows to train on");
    const int64_t w = impl_->config.window;
    require_finite(coeffs, static_cast<size_t>(n * w), "training coefficients");

    std::lock_guard<std::mutex> lock(impl_->mu);
    set_threads(opt.threads);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    Impl& m = *impl_;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto all = torch::from_blob(const_cast<float*>(coeffs), {n, w}, torch::kFloat32).clone();
    const int64_t na = approx_len(), nd = detail_len();
    const int64_t k = std::clamp<int64_t>(static_cast<int64_t>(std::llround(opt.keep * static_cast<double>(nd))), 1, nd);

    torch::optim::Adam adam(m.net->parameters(), torch::optim::AdamOptions(opt.lr));
    std::vector<ScorerEpoch> history;
    m.net->train();
    try {
        for (int64_t epoch = 1; epoch <= opt.epochs; ++epoch) {
            const auto perm = torch::randperm(n, gen, torch::kLong);
            double lost = 0, lost_mag = 0, energy = 0;
            for (int64_t b = 0; b < n; b += opt.batch_size) {
                const auto c = all.index_select(0, perm.slice(0, b, std::min(n, b + opt.batch_size)));
                const auto detail = c.index({Slice(), Slice(na, torch::indexing::None)});
                const auto approx = c.index({Slice(), Slice(0, na)});
                const auto nothing = torch::full_like(detail, std::numeric_limits<float>::quiet_NaN());
                const auto s = m.scores(approx, nothing);
                // Each window's share of detail energy per coefficient is the target distribution of its
                // softmax: the cross-entropy is lowest when the scores rank (and space) coefficients by energy.
                const auto d2 = detail.pow(2);
                const auto share = d2 / d2.sum(1, true).add(tiny);
                auto loss = -(share * torch::log_softmax(s, 1)).sum(1).mean();
                // Second pass, as the decoder runs it: the values of each window's q best first-pass scores are
                // known (q drawn up to twice the keep share), the rest is scored among itself.
                const auto rank = s.detach().argsort(/*dim=*/1, /*descending=*/true).argsort(/*dim=*/1, /*descending=*/false);
                const auto q = torch::randint(0, 2 * k + 1, {c.size(0), 1}, gen, torch::kLong);
                const auto known_mask = rank < q;
                const auto s2 = m.scores(approx, torch::where(known_mask, detail, nothing));
                const auto d2_rest = torch::where(known_mask, torch::zeros_like(d2), d2);
                const auto share2 = d2_rest / d2_rest.sum(1, true).add(tiny);
                const auto logp2 = torch::log_softmax(s2.masked_fill(known_mask, -1e4), 1);
                loss = loss + -(share2 * logp2).sum(1).mean();
                adam.zero_grad();
                loss.backward();
                adam.step();
                torch::NoGradGuard no_grad;
                const auto top = std::get<1>(s.detach().topk(k, 1));
                const auto best = std::get<0>(d2.topk(k, 1));
                energy += d2.sum().item<double>();
                lost += (d2.sum() - d2.gather(1, top).sum()).item<double>();
                lost_mag += (d2.sum() - best.sum()).item<double>();
            }
            energy += tiny;
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

void WaveletScorer::score(const float* approx, const float* known, int64_t n, float* scores, int threads) const {
    const int64_t na = approx_len(), nd = detail_len();
    require_finite(approx, static_cast<size_t>(n * na), "approximation coefficients");
    for (int64_t i = 0; i < n * nd; ++i)
        if (std::isinf(known[i])) throw InvalidArgument("known detail values hold an infinity at flat index " + std::to_string(i));
    std::lock_guard<std::mutex> lock(impl_->mu);
    set_threads(threads);
    torch::NoGradGuard no_grad;
    for (int64_t b = 0; b < n; ++b) {
        const auto a = torch::from_blob(const_cast<float*>(approx + b * na), {1, na}, torch::kFloat32);
        const auto kn = torch::from_blob(const_cast<float*>(known + b * nd), {1, nd}, torch::kFloat32);
        const auto s = impl_->scores(a, kn).contiguous();
        std::memcpy(scores + b * nd, s.data_ptr<float>(), sizeof(float) * static_cast<size_t>(nd));
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
