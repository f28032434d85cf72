#include "reference.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "encoder.hpp"

namespace tsquash::codecs::alp {

namespace {

// Shorter repeats are the delta orders' business, and windows closer than this overlap the anchor's.
constexpr size_t kMinPeriod = 16;
// The search looks at the first values only, for periods up to a quarter of them.
constexpr size_t kScanValues = size_t(1) << 15;
constexpr size_t kWindow = 8;
constexpr size_t kAnchors = 2;
constexpr size_t kMatchesPerAnchor = 8;
constexpr size_t kCostSamples = 2048;
// Windows come back a little shifted in data that drifts (a flow moving between frames: on the CFD frames
// by up to a row of 50 cells), so each group of nearby candidate lags is searched lag by lag kRefine beyond
// its ends, on kCoarseSamples positions; the kFinalists cheapest are estimated again on kRefineSamples.
constexpr size_t kRefine = 32;
constexpr size_t kCoarseSamples = 48;
constexpr size_t kFinalists = 4;
constexpr size_t kRefineSamples = 512;
constexpr size_t kGroups = 3;
// A lag whose differences' deltas estimate this much below the plain deltas makes a period worth a look. The
// previous period stands in for the reference here and predicts better than a median one (on the CFD frames
// 19.1 against 20.0 bits a value), so the reference is then estimated on its own (reference_bits).
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

// Lags up to `longest` at which windows of the series come back closest to the windows at two anchors (sums
// of absolute differences over kWindow values, in float: this only ranks candidates): a period shows up as a
// lag of it, or of a few of it. The sums are taken a window offset at a time, which vectorises.
std::vector<size_t> candidate_lags(const float* y, size_t n, size_t longest) {
    const size_t last = n - kWindow;
    static thread_local std::vector<float> sad_keep;
    sad_keep.resize(2 * longest + 1);
    float* sad = sad_keep.data();
    std::vector<size_t> lags;
    for (size_t q = 0; q < kAnchors; ++q) {
        const size_t a = n * (q + 2) / (kAnchors + 3);  // from 2/5 of the scan on
        const size_t lo = a - std::min(a, longest), hi = std::min(last, a + longest), len = hi - lo + 1;
        std::fill(sad, sad + len, 0.0f);
        for (size_t k = 0; k < kWindow; ++k) {
            const float t = y[a + k];
            const float* __restrict s = y + lo + k;
            float* __restrict out = sad;
            for (size_t j = 0; j < len; ++j) out[j] += std::fabs(s[j] - t);
        }
        // The kMatchesPerAnchor smallest sums at least kMinPeriod away from the anchor, the nearest first
        // among equal ones (a shape that repeats exactly matches at every multiple of its period).
        std::pair<float, size_t> best[kMatchesPerAnchor];  // sum, lag
        size_t kept = 0;
        float worst = std::numeric_limits<float>::infinity();
        for (size_t j = lo; j <= hi; ++j) {
            if (!(sad[j - lo] <= worst)) continue;  // most sums: one compare
            const size_t lag = j > a ? j - a : a - j;
            const std::pair<float, size_t> m{sad[j - lo], lag};
            if (lag < kMinPeriod || (kept == kMatchesPerAnchor && !(m < best[kept - 1]))) continue;
            size_t at = kept < kMatchesPerAnchor ? kept++ : kept - 1;
            for (; at > 0 && m < best[at - 1]; --at) best[at] = best[at - 1];
            best[at] = m;
            if (kept == kMatchesPerAnchor) worst = best[kept - 1].first;
        }
        for (size_t k = 0; k < kept; ++k) lags.push_back(best[k].second);
    }
    std::sort(lags.begin(), lags.end());
    return lags;  // a lag both anchors found comes twice
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
    // Groups of candidate lags within 2 kRefine of each other, those with the most matches first (a period
    // draws matches at both anchors); the lags within kRefine of a match in the first kGroups groups are
    // ranked on a few samples.
    const size_t longest = std::min(from - 2, n / 4);
    std::vector<std::vector<size_t>> groups;
    y_keep.resize(scan);
    float* y = y_keep.data();
    for (size_t i = 0; i < scan; ++i) y[i] = float(v[i]);
    for (const size_t lag : candidate_lags(y, scan, longest)) {
        if (groups.empty() || lag > groups.back().back() + 2 * kRefine) groups.emplace_back();
        groups.back().push_back(lag);
    }
    std::stable_sort(groups.begin(), groups.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });
    if (groups.size() > kGroups) groups.resize(kGroups);
    std::vector<uint8_t> tried(longest + 1, 0);
    std::vector<std::pair<double, size_t>> coarse;  // mean width, lag
    for (const auto& g : groups)
        for (const size_t match : g)
            for (size_t lag = std::max(kMinPeriod, match - std::min(match, kRefine)); lag <= match + kRefine && lag <= longest;
                 ++lag)
                if (!tried[lag]) {
                    tried[lag] = 1;
                    coarse.push_back({sampled_width(from, to, lagged(lag), kCoarseSamples), lag});
                }
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

double reference_bits(const std::vector<int64_t>& d, size_t period, double plain_bits) {
    const size_t n = d.size();
    // The reference itself costs about what the plain series does a value.
    return cheaper_order_bits(2, n, [&](size_t i) { return int64_t(uint64_t(d[i]) - uint64_t(d[i - 1])); }) +
           plain_bits * double(period) / double(n);
}

template <class T>
std::vector<T> reference_values(const T* v, size_t n, size_t period) {
    std::vector<T> ref(period), column((n + period - 1) / period);
    for (size_t p = 0; p < period; ++p) {
        size_t c = 0;
        for (size_t i = p; i < n; i += period) column[c++] = v[i];
        std::nth_element(column.begin(), column.begin() + long(c / 2), column.begin() + long(c));
        ref[p] = column[c / 2];
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
