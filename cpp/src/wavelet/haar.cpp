// With two taps a level needs no history beyond one pending sample, so all levels run together over blocks
// that stay in L1: the signal is read once and every band written once, where the level-by-level transform
// writes each intermediate approximation to memory and reads it back (haar is memory bound: that traffic, and
// faulting in the scratch pages, was most of its time).
#include "haar.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels.hpp"

namespace tsquash::wavelet::detail {

namespace {

// Pairs per kernel call.
constexpr size_t kPairs = 1024;
// Outputs from this many values (4 MiB) bypass the caches.
constexpr size_t kStreamMin = size_t(1) << 19;

class HaarAnalysis {
public:
    HaarAnalysis(const Wavelet& w, Mode mode, std::span<const std::span<double>> bands)
        : taps_{w.rec_lo[0], w.rec_lo[1], w.rec_hi[0], w.rec_hi[1]},
          mode_(mode),
          bands_(bands),
          levels_(bands.size() - 1),
          state_(levels_),
          scratch_(std::make_unique_for_overwrite<double[]>(levels_ * (kPairs + 1))) {}

    void run(std::span<const double> x) {
        for (size_t pos = 0; pos < x.size(); pos += 2 * kPairs)
            push(0, x.data() + pos, std::min(2 * kPairs, x.size() - pos));
        for (size_t l = 0; l < levels_; ++l) finish(l);
        stream_fence();
    }

private:
    // Per level: how many input values it has seen and coefficients it has written, the values the boundary
    // extension may need (the first, the last two) and the sample waiting for its partner.
    struct Level {
        size_t seen = 0, written = 0;
        double first = 0.0, prev = 0.0, carry = 0.0;
        bool has_carry = false;
    };

    // Level l (0 = the first) takes `count` more input values; its approximations go on to level l + 1.
    void push(size_t l, const double* v, size_t count) {
        if (count == 0) return;
        Level& s = state_[l];
        if (s.seen == 0) s.first = v[0];
        s.seen += count;
        double* ca = approx_out(l);
        double* cd = bands_[levels_ - l].data() + s.written;
        size_t used = 0, made = 0;
        if (s.has_carry) {
            const double pair[2] = {s.carry, v[0]};
            haar_analysis(pair, 1, taps_, ca, cd);
            s.has_carry = false;
            s.prev = v[0];
            used = made = 1;
        }
        const size_t pairs = (count - used) / 2;
        haar_analysis(v + used, pairs, taps_, ca + made, cd + made, bands_[levels_ - l].size() >= kStreamMin);
        if (pairs > 0) s.prev = v[used + 2 * pairs - 1];
        used += 2 * pairs;
        made += pairs;
        if (used < count) {
            s.carry = v[used];
            s.has_carry = true;
        }
        forward(l, made);
    }

    // An odd-length level pairs its last sample with the boundary extension.
    void finish(size_t l) {
        Level& s = state_[l];
        if (!s.has_carry) return;
        s.has_carry = false;
        const auto n = ptrdiff_t(s.seen);
        // Two taps read one value past the end; n >= 3 here (odd, and every level has at least two samples).
        const double ext = mode_ == Mode::periodization
                               ? s.carry
                               : extend([&](ptrdiff_t i) { return i == n - 1 ? s.carry : i == 0 ? s.first : s.prev; },
                                        n, n, mode_);
        const double pair[2] = {s.carry, ext};
        haar_analysis(pair, 1, taps_, approx_out(l), bands_[levels_ - l].data() + s.written);
        forward(l, 1);
    }

    // The deepest level writes its approximations to band 0, the others to their scratch block.
    double* approx_out(size_t l) {
        return l + 1 == levels_ ? bands_[0].data() + state_[l].written : scratch_.get() + l * (kPairs + 1);
    }

    void forward(size_t l, size_t made) {
        const double* ca = approx_out(l);
        state_[l].written += made;
        if (l + 1 < levels_) push(l + 1, ca, made);
    }

    const double taps_[4];
    const Mode mode_;
    std::span<const std::span<double>> bands_;
    const size_t levels_;
    std::vector<Level> state_;
    std::unique_ptr<double[]> scratch_;
};

class HaarSynthesis {
public:
    HaarSynthesis(const Wavelet& w, std::span<const std::span<const double>> bands, std::span<double> out)
        : taps_{w.rec_lo[0], w.rec_lo[1], w.rec_hi[0], w.rec_hi[1]},
          bands_(bands),
          out_(out),
          done_(bands.size(), 0),
          scratch_(std::make_unique_for_overwrite<double[]>(bands.size() * 2 * kPairs)) {}

    void run() {
        feed(1, bands_[0].data(), bands_[0].size());
        stream_fence();
    }

private:
    // Band i (1 = the deepest detail band) pairs with `count` more approximation values; each level's output
    // is the next one's approximation, the last level's is the signal.
    void feed(size_t i, const double* a, size_t count) {
        const std::span<const double> d = bands_[i];
        count = std::min(count, d.size() - done_[i]);  // an approximation one longer than its band drops the last
        const bool last = i + 1 == bands_.size();
        while (count > 0) {
            const size_t c = std::min(kPairs, count);
            double* y = last ? out_.data() + 2 * done_[i] : scratch_.get() + i * 2 * kPairs;
            haar_synthesis(a, d.data() + done_[i], c, taps_, y, last && out_.size() >= kStreamMin);
            done_[i] += c;
            a += c;
            count -= c;
            if (!last) feed(i + 1, y, 2 * c);
        }
    }

    const double taps_[4];
    std::span<const std::span<const double>> bands_;
    std::span<double> out_;
    std::vector<size_t> done_;
    std::unique_ptr<double[]> scratch_;
};

}  // namespace

bool haar_wavedec(std::span<const double> x, const Wavelet& w, Mode mode, int level,
                  std::span<const std::span<double>> bands) {
    if (w.length() != 2 || level < 1 || bands.size() != size_t(level) + 1) return false;
    // The input of the deepest level is as long as the detail band of the level above it.
    const size_t deepest_input = level == 1 ? x.size() : bands[2].size();
    if (deepest_input < 2) return false;
    HaarAnalysis(w, mode, bands).run(x);
    return true;
}

bool haar_waverec(std::span<const std::span<const double>> bands, const Wavelet& w, std::span<double> out) {
    if (w.length() != 2 || bands.size() < 2) return false;
    HaarSynthesis(w, bands, out).run();
    return true;
}

}  // namespace tsquash::wavelet::detail
