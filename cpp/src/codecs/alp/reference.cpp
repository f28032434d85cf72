#include "reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "encoder.hpp"
#include "kernels.hpp"

namespace tsquash::codecs::alp {

namespace {

// Shorter repeats are the delta orders' business.
constexpr size_t kMinPeriod = 16;
// The search looks at the first values only, for periods up to a quarter of them.
constexpr size_t kScanValues = size_t(1) << 15;
// Every lag is scored by how well kWindow first differences at each of kAnchors places match those a lag
// earlier; the kCandidates best (and their neighbours within kNeighbourLags) go on to estimates on the residuals.
constexpr size_t kWindow = 32;
constexpr size_t kAnchors = 2;
constexpr size_t kCandidates = 8;
constexpr size_t kNeighbourLags = 2;
constexpr size_t kCoarseSamples = 48;
constexpr size_t kFinalists = 4;
constexpr size_t kRefineSamples = 512;
constexpr size_t kCostSamples = 2048;
// The winner's estimate must be this much below the plain deltas'. The lag (the previous period) stands in
// for the reference here and predicts better than a median one (on the CFD frames 19.1 against 20.0 bits
// a value), so the reference is then estimated on its own (reference_bits).
constexpr double kLagGain = 0.95;

template <class T>
bool all_finite(const T* v, size_t n) {
    if constexpr (Traits<T>::kFloat) {
        // On the bits, without a branch a value (so it vectorises): adding one unit of the exponent to the
        // exponent field carries into the sign bit exactly when the exponent is all ones (infinity, NaN).
        using Ub = typename Traits<T>::U;
        constexpr unsigned kMantissa = std::is_same_v<T, double> ? 52 : 23;
        constexpr Ub kExp = Ub(~Ub(0) >> 1) & ~Ub((Ub(1) << kMantissa) - 1);
        Ub special = 0;
        for (size_t i = 0; i < n; ++i) special |= (std::bit_cast<Ub>(v[i]) & kExp) + (Ub(1) << kMantissa);
        return (special >> (sizeof(Ub) * 8 - 1)) == 0;
    }
    return true;
}

// Float64 values that are all normal float32 numbers (or zero): their differences go in float32 patterns.
template <class T>
RefDomain domain_of(const T* v, size_t n) {
    if constexpr (std::is_same_v<T, double>) {
        for (size_t i = 0; i < n; ++i) {
            const float f = float(v[i]);
            if (std::bit_cast<uint64_t>(double(f)) != std::bit_cast<uint64_t>(v[i])) return RefDomain::bits;
            if (f != 0 && !std::isnormal(f)) return RefDomain::bits;
        }
        return RefDomain::float32;
    }
    return RefDomain::bits;
}

// Estimated bits a value of the residuals r(i) at up to `samples` positions spread over [from, to).
template <class F>
double sampled_bits(size_t from, size_t to, F&& r, size_t samples = kCostSamples) {
    uint32_t hist[65] = {};
    const size_t step = std::max<size_t>(1, (to - from) / samples);
    size_t count = 0;
    for (size_t i = from; i < to; i += step, ++count) ++hist[bit_width64(zigzag(r(i)))];
    return count ? class_estimate(hist, count) / double(count) : 0;
}

// Their mean bit width: enough to rank lags, without class_estimate's logarithms.
template <class F>
double sampled_width(size_t from, size_t to, F&& r, size_t samples) {
    const size_t step = std::max<size_t>(1, (to - from) / samples);
    uint64_t sum = 0, count = 0;
    for (size_t i = from; i < to; i += step, ++count) sum += bit_width64(zigzag(r(i)));
    return count ? double(sum) / double(count) : 0;
}

// Estimated bits a value of the cheaper delta order, given the first deltas d1(i), on [from, to).
template <class D>
double cheaper_order_bits(size_t from, size_t to, D&& d1) {
    return std::min(sampled_bits(from, to, d1),
                    sampled_bits(from, to, [&](size_t i) { return int64_t(uint64_t(d1(i)) - uint64_t(d1(i - 1))); }));
}

// The kCandidates lags in [kMinPeriod, longest] whose windows of first differences (in float: this only ranks
// lags) differ least from the windows kAnchors places later, by sums of absolute differences. Scoring windows
// of differences rather than single values: data that drifts between periods (a flow moving between
// frames) matches a little off its period value by value, while the differences a period back still line up
// (the CFD frames: the period 2,500 came first or second in every rotation tried). The sums are taken a
// window offset at a time over all lags, which vectorises.
std::vector<size_t> candidate_lags(const float* y, size_t n, size_t longest) {
    static thread_local std::vector<float> keep;  // kept: fresh memory is faulted in page by page
    const size_t lags = longest - kMinPeriod + 1;
    keep.assign(n + lags, 0.0f);
    float* d = keep.data();
    float* score = d + n;  // score[m]: lag longest - m
    for (size_t i = 1; i < n; ++i) d[i] = y[i] - y[i - 1];
    size_t anchor[kAnchors];
    for (size_t q = 0; q < kAnchors; ++q) anchor[q] = longest + (n - kWindow - longest) * (q + 1) / (kAnchors + 1);
    kernels::lag_scores(d, anchor, kAnchors, kWindow, longest, lags, score);
    // The kCandidates smallest scores, the shorter lag first among equal ones (a shape that repeats exactly
    // scores 0 at every multiple of its period): most scores cost one compare.
    std::pair<float, size_t> best[kCandidates];  // score, lag
    size_t kept = 0;
    float worst = std::numeric_limits<float>::infinity();
    for (size_t m = lags; m-- > 0;) {
        if (!(score[m] <= worst)) continue;
        const std::pair<float, size_t> c{score[m], longest - m};
        if (kept == kCandidates && !(c < best[kept - 1])) continue;
        size_t at = kept < kCandidates ? kept++ : kept - 1;
        for (; at > 0 && c < best[at - 1]; --at) best[at] = best[at - 1];
        best[at] = c;
        if (kept == kCandidates) worst = best[kept - 1].first;
    }
    std::vector<size_t> out(kept);
    for (size_t k = 0; k < kept; ++k) out[k] = best[k].second;
    return out;
}

}  // namespace

template <class T>
ReferenceChoice find_reference(const T* v, size_t n) {
    ReferenceChoice choice;
    const size_t scan = std::min(n, kScanValues);
    if (n < 4 * kMinPeriod || scan < 8 * kMinPeriod) return choice;
    RefDomain domain = domain_of(v, scan);
    const unsigned bits = domain_bits<T>(domain);
    // The scan's first differences in the domain, once: every lag's estimate reads them. Scratch is kept per
    // thread, like the encoder's: fresh memory is faulted in page by page.
    static thread_local std::vector<int64_t> delta_keep;
    static thread_local std::vector<float> y_keep;
    delta_keep.resize(scan);
    int64_t* delta = delta_keep.data();
    auto fill = [&](RefDomain d) {
        for (size_t i = 1; i < scan; ++i) delta[i] = sign_extend(to_domain(v[i], d) - to_domain(v[i - 1], d), bits);
    };
    domain == RefDomain::float32 ? fill(RefDomain::float32) : fill(RefDomain::bits);
    const size_t from = 2 + scan / 4, to = scan;
    const double plain = cheaper_order_bits(from, to, [&](size_t i) { return delta[i]; });
    // The deltas of the lagged differences.
    auto lagged = [&](size_t lag) {
        return [&, lag](size_t i) { return sign_extend(uint64_t(delta[i]) - uint64_t(delta[i - lag]), bits); };
    };
    auto lag_bits = [&](size_t lag, size_t samples) { return sampled_bits(from, to, lagged(lag), samples); };
    // The candidates and their neighbours ranked by mean bit width on a few samples, the best few estimated
    // on more.
    const size_t longest = std::min(from - 2, n / 4);
    y_keep.resize(scan);
    float* y = y_keep.data();
    for (size_t i = 0; i < scan; ++i) y[i] = float(v[i]);
    std::vector<std::pair<double, size_t>> coarse;  // mean width, lag
    for (const size_t match : candidate_lags(y, scan, longest))
        for (size_t lag = std::max(kMinPeriod, match - std::min(match, kNeighbourLags)); lag <= match + kNeighbourLags && lag <= longest; ++lag)
            if (std::none_of(coarse.begin(), coarse.end(), [&](const auto& c) { return c.second == lag; }))
                coarse.push_back({sampled_width(from, to, lagged(lag), kCoarseSamples), lag});
    const size_t finalists = std::min(kFinalists, coarse.size());
    std::partial_sort(coarse.begin(), coarse.begin() + long(finalists), coarse.end());
    double best = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < finalists; ++k) {
        const double cost = lag_bits(coarse[k].second, kRefineSamples);
        if (cost < best) {
            best = cost;
            choice.period = coarse[k].second;
        }
    }
    if (choice.period && lag_bits(choice.period, kCostSamples) >= plain * kLagGain) choice.period = 0;
    // The whole series is checked once a period is found: the scan looked at its first values only.
    if (choice.period && !all_finite(v, n)) choice.period = 0;
    if (choice.period && domain == RefDomain::float32) domain = domain_of(v, n);
    choice.domain = domain;
    return choice;
}

namespace {

// exact_period looks at the first kExactScan values for its candidate and checks it at kExactChecks places
// spread over the series, at the first change of value within kExactReach of each: at least half of them
// must find one, and at most kExactMisses of those may differ from the values a period back.
constexpr size_t kExactScan = 2048;
constexpr size_t kExactChecks = 64;
constexpr size_t kExactReach = 256;
constexpr size_t kExactMisses = 4;

}  // namespace

template <class T>
size_t exact_period(const T* v, size_t n) {
    using Ub = typename Traits<T>::U;
    auto same = [&](size_t a, size_t b) { return std::bit_cast<Ub>(v[a]) == std::bit_cast<Ub>(v[b]); };
    // The last change of value in the scan, and the latest earlier place where the same two values follow
    // each other: a change, not any pair, so that a pattern holding runs (a square wave) is found at its
    // period rather than at a lag of one.
    size_t last = std::min(n, kExactScan) - 1;
    while (last > 1 && same(last, last - 1)) --last;
    if (last < 2) return 0;
    const size_t j = kernels::last_pair(v, 1, last);
    const size_t period = last - j;
    if (j == 0 || 2 * period > n) return 0;
    // Each check is at a change of value (the first within kExactReach of its place), and compares the two
    // values there with those a period back: a series that is mostly one value (zeros with rare spikes)
    // equals itself at any lag where it does not change.
    size_t checked = 0, misses = 0;
    for (size_t k = 0; k < kExactChecks; ++k) {
        size_t q = period + 1 + k * (n - period - 1) / kExactChecks;
        const size_t end = std::min(n, q + kExactReach);
        while (q < end && same(q, q - 1)) ++q;
        if (q == end) continue;
        ++checked;
        misses += !same(q, q - period) || !same(q - 1, q - 1 - period);
    }
    return 2 * checked >= kExactChecks && misses <= kExactMisses && all_finite(v, n) ? period : 0;
}

double reference_bits(const std::vector<int64_t>& d, size_t period, double plain_bits) {
    const size_t n = d.size();
    // The reference itself costs about what the plain series does a value.
    return cheaper_order_bits(2, n, [&](size_t i) { return int64_t(uint64_t(d[i]) - uint64_t(d[i - 1])); }) +
           plain_bits * double(period) / double(n);
}

template <class T>
std::vector<T> reference_values(const T* v, size_t n, size_t period) {
    std::vector<T> ref(period), column((n + period - 1) / period), spare(column.size());
    for (size_t p = 0; p < period; ++p) {
        size_t c = 0;
        for (size_t i = p; i < n; i += period) column[c++] = v[i];
        ref[p] = kth_smallest(column.data(), c, c / 2, spare.data());
    }
    return ref;
}

template <class T>
std::vector<int64_t> reference_differences(const T* v, size_t n, const std::vector<T>& ref, RefDomain d) {
    const size_t period = ref.size();
    const unsigned bits = domain_bits<T>(d);
    std::vector<uint64_t> pattern(period);
    for (size_t p = 0; p < period; ++p) pattern[p] = to_domain(ref[p], d);
    std::vector<int64_t> out(n);
    for (size_t i = 0, p = 0; i < n; ++i) {
        out[i] = sign_extend(to_domain(v[i], d) - pattern[p], bits);
        p = p + 1 == period ? 0 : p + 1;
    }
    return out;
}

template size_t exact_period<double>(const double*, size_t);
template size_t exact_period<float>(const float*, size_t);
template size_t exact_period<int64_t>(const int64_t*, size_t);
template ReferenceChoice find_reference<double>(const double*, size_t);
template ReferenceChoice find_reference<float>(const float*, size_t);
template ReferenceChoice find_reference<int64_t>(const int64_t*, size_t);
template std::vector<double> reference_values<double>(const double*, size_t, size_t);
template std::vector<float> reference_values<float>(const float*, size_t, size_t);
template std::vector<int64_t> reference_values<int64_t>(const int64_t*, size_t, size_t);
template std::vector<int64_t> reference_differences<double>(const double*, size_t, const std::vector<double>&, RefDomain);
template std::vector<int64_t> reference_differences<float>(const float*, size_t, const std::vector<float>&, RefDomain);
template std::vector<int64_t> reference_differences<int64_t>(const int64_t*, size_t, const std::vector<int64_t>&,
                                                             RefDomain);

}  // namespace tsquash::codecs::alp
