// Encoder for the alp/auto payload. Per row group of 64 blocks a first sampling level picks up to five
// decimal (exponent, factor) candidates and the high-precision split; per block a second level picks among
// the candidates on 32 samples; then every method that may win is written in full into its own scratch
// buffer and the smallest is kept (exact sizes; with the entropy stage to follow, on series of 8 blocks
// or more, each stream counted at its estimated coded size: estimate.cpp). The `automatic` profile adds
// runs, the series dictionary, float32 detection, significant-digit decimals (sig_encoder.cpp) and,
// afterwards, the entropy stage (entropy_stage.cpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>

#include "common.hpp"
#include "encoder.hpp"
#include "entropy.hpp"
#include "estimate.hpp"
#include "kernels.hpp"
#include "../../parallel.hpp"
#include "rd_split.hpp"
#include "reference.hpp"
#include "sig_encoder.hpp"

// The order estimates' sampler is also compiled for LZCNT, picked at run time: GCC and Clang on x86-64.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define TSQ_LZCNT_CLONES 1
#else
#define TSQ_LZCNT_CLONES 0
#endif

namespace tsquash::codecs::alp {

double class_estimate(const uint32_t* hist, size_t n) {
    // log2(n / h) as log2 n - log2 h, the latter from a table: a libm call per class was 2% of ETTh1's
    // encode time.
    const double log2_n = log2_of_count(n);
    double bits = 0;
    for (unsigned k = 0; k <= 64; ++k)
        if (hist[k]) bits += double(hist[k]) * ((k ? k - 1 : 0) + log2_n - log2_of_count(hist[k]));
    return bits;
}

namespace {

template <class T>
using U = typename Traits<T>::U;

constexpr size_t kRowgroupBlocks = 64;
constexpr size_t kL1Blocks = 8;
constexpr size_t kL1PerBlock = 16;
constexpr size_t kL2Samples = 32;
constexpr size_t kMaxCombos = 5;

template <class T>
inline U<T> bits_of(T v) {
    return std::bit_cast<U<T>>(v);
}

// How far a double is from the float32 nearest it, in the double's units in the last place (signed).
inline int64_t ulps_from_float32(double x) {
    return int64_t(std::bit_cast<uint64_t>(x) - std::bit_cast<uint64_t>(double(float(x))));
}
// Within 2^16 such units: where float32 values printed with 17 digits and parsed back land.
inline bool near_float32(int64_t ulps) { return uint64_t(ulps) + (1u << 16) < (2u << 16); }

template <class T>
inline T load_value(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

// ---- integer streams (frame of reference + bit packing; the entropy stage may re-code them later) ------

struct OrderChoice {
    unsigned order = 0;
    int64_t min = 0;
    unsigned width = 0;
    size_t bytes = 0;
};

inline int64_t wrap_sub(int64_t a, int64_t b) { return int64_t(uint64_t(a) - uint64_t(b)); }

constexpr size_t kProxyStep = 4;

// Order o's residual at position i (o <= i); order 0 is the distance from a centre c0.
inline int64_t residual_at(const int64_t* v, size_t i, unsigned o, int64_t c0) {
    if (o == 0) return wrap_sub(v[i], c0);
    const int64_t d1 = wrap_sub(v[i], v[i - 1]);
    return o == 1 ? d1 : wrap_sub(d1, wrap_sub(v[i - 1], v[i - 2]));
}

constexpr unsigned kAllOrders = 7;  // a mask of orders 0, 1 and 2
// Order 0 is priced as a few levels too where its classes price it above this many bits a value.
constexpr double kLevelsFromBits = 16;

// The class histograms of the orders in Mask (<= max_order) at the sampled positions, two per order.
// Lzcnt: on a CPU with LZCNT, a class is two instructions (bit_width64 takes five without it).
template <unsigned Mask, bool Lzcnt>
[[gnu::always_inline]] inline void sample_classes_body(const int64_t* v, size_t m, unsigned max_order, int64_t c0,
                                                      uint32_t (&h)[3][2][65]) {
    // LZCNT gives 64 for zero, so the class is 64 minus it, with no branch: written in assembly because the
    // lambda is not itself compiled for LZCNT (and GCC made "z ? 64 - clz(z) : 0" a branch, mispredicted
    // on the zero residuals of repeated values).
    auto cls = [](int64_t r) {
        const uint64_t z = zigzag(r);
#if TSQ_LZCNT_CLONES
        if constexpr (Lzcnt) {
            uint64_t lz;
            __asm__("lzcnt %1, %0" : "=r"(lz) : "r"(z) : "cc");
            return unsigned(64 - lz);
        }
#endif
        return bit_width64(z);
    };
    auto count = [&](size_t i, size_t t) {
        if constexpr ((Mask & 1) != 0) ++h[0][t][cls(wrap_sub(v[i], c0))];
        if constexpr ((Mask & 6) != 0) {
            const int64_t d1 = wrap_sub(v[i], v[i - 1]);
            if constexpr ((Mask & 2) != 0) ++h[1][t][cls(d1)];
            if constexpr ((Mask & 4) != 0) ++h[2][t][cls(wrap_sub(d1, wrap_sub(v[i - 1], v[i - 2])))];
        }
    };
    // Sample j sits at first + 4j + (j mod 4): four at a time, at offsets 0, 5, 10 and 15 of every 16.
    static_assert(kProxyStep == 4);
    const size_t first = max_order;
    size_t j = 0, i = first;
    for (; i + 15 < m; j += 4, i += 16) {
        count(i, 0);
        count(i + 5, 1);
        count(i + 10, 0);
        count(i + 15, 1);
    }
    for (; i < m; ++j, i = first + kProxyStep * j + (j & (kProxyStep - 1))) count(i, j & 1);
}
#if TSQ_LZCNT_CLONES
template <unsigned Mask>
[[gnu::target("lzcnt")]] void sample_classes_lzcnt(const int64_t* v, size_t m, unsigned max_order, int64_t c0,
                                                   uint32_t (&h)[3][2][65]) {
    sample_classes_body<Mask, true>(v, m, max_order, c0, h);
}
#endif
template <unsigned Mask>
void sample_classes(const int64_t* v, size_t m, unsigned max_order, int64_t c0, uint32_t (&h)[3][2][65]) {
#if TSQ_LZCNT_CLONES
    // LZCNT is CPUID leaf 0x80000001, ECX bit 5 (Clang's __builtin_cpu_supports has no name for it). The
    // clone is also held to the kernels' instruction-set level (BMI2 and LZCNT came together), so that the
    // tests that cap the level run the baseline sampler as well.
    static const bool lzcnt = [] {
        unsigned a = 0, b = 0, c = 0, d = 0;
        return __get_cpuid(0x80000001u, &a, &b, &c, &d) && (c >> 5 & 1u);
    }();
    if (lzcnt && kernels::bmi2_usable()) return sample_classes_lzcnt<Mask>(v, m, max_order, c0, h);
#endif
    sample_classes_body<Mask, false>(v, m, max_order, c0, h);
}

// Values that take at most kFewValues distinct ones among the sampled positions of order_proxies: their
// order-0 entropy there in bits (each distinct value a bin of its own in the entropy coder's table), or -1
// for more. Bit widths of the distance from a centre price a few levels spread far apart (full-precision
// readings of a few set points) like wide noise: 40-60 bits a value, where a table codes them in a few.
// Most blocks leave after their first 32 samples. Per sampled value.
constexpr size_t kFewValues = 32;
double few_values_bits(const int64_t* v, size_t m, size_t first) {
    constexpr size_t kSlots = 4 * kFewValues;  // a power of two
    int64_t keys[kSlots];
    uint32_t counts[kSlots] = {};
    size_t distinct = 0, k = 0;
    for (size_t j = 0, i = first; i < m; ++j, ++k, i = first + kProxyStep * j + (j & (kProxyStep - 1))) {
        const int64_t x = v[i];
        size_t h = size_t((uint64_t(x) * 0x9E3779B97F4A7C15ull) >> 57);
        while (counts[h] && keys[h] != x) h = (h + 1) & (kSlots - 1);
        if (!counts[h]) {
            if (++distinct > (k < 32 ? kFewValues / 2 : kFewValues)) return -1;
            keys[h] = x;
        }
        ++counts[h];
    }
    const double log2_k = log2_of_count(k);
    double bits = 0;
    for (size_t h = 0; h < kSlots; ++h)
        if (counts[h]) bits += double(counts[h]) * (log2_k - log2_of_count(counts[h]));
    return bits / double(std::max<size_t>(k, 1));  // per value
}

// proxy[o]: estimated bits of the sampled residuals of order o, seen[o] of them, for each order o in the
// mask (<= max_order). mn/mx: each order's exact residual range (order 0: of the values). `levels`: order 0
// is also priced as a few levels where the sample holds few distinct values (few_values_bits).
void order_proxies(const int64_t* v, size_t m, unsigned max_order, unsigned mask, const int64_t* mn,
                   const int64_t* mx, double* proxy, uint64_t* seen, bool levels, bool& as_levels,
                   double& levels_saving) {
    as_levels = false;
    levels_saving = 0;
    // Every fourth value is plenty for an estimate. Residuals are classed by their distance from a centre:
    // for order 0 the median of a few values; for the differences zero, unless they all lie on one side of
    // it (by their exact range), then the median of a few. An entropy coder's bins sit where the residuals
    // are, and classes by the distance from zero overpriced one-sided ones: a counter's steps of 0 to 4 came
    // to 3.5 bits a value, where they code in 2.3, and lost to its second differences (3 bits); timestamps
    // stepping by 997 to 1003 ms priced at 10 bits as first differences. (A median for two-sided
    // differences too moved close choices both ways: the check mixes came out 0.07-0.17% larger.)
    int64_t c[3] = {0, 0, 0};
    for (unsigned o = 0; o <= max_order; ++o) {
        if (!((mask >> o) & 1) || (o > 0 && mn[o] < 0 && mx[o] > 0)) continue;
        int64_t few[64], spare[64];
        const size_t avail = m - o, nf = std::min<size_t>(avail, 64);
        // Positions o + j * avail / nf without a division each (nf is 64, or avail itself).
        for (size_t j = 0; j < nf; ++j) few[j] = residual_at(v, o + (nf == 64 ? (j * avail) >> 6 : j), o, 0);
        c[o] = kth_smallest(few, nf, nf / 2, spare);
    }
    // Every order is sampled at the same positions, and the positions step through all four phases: data
    // with a period of two (alternating channels, staggered grids) has larger deltas at every other
    // position, and a fixed phase per order would favour whichever order it happened to sample there.
    // (The positions do not depend on the mask, so neither does an order's estimate.) Two histograms per
    // order, alternating, so consecutive values in the same class do not wait on each other's increment;
    // merged before use.
    // Only the histograms of the orders in the mask are cleared (usually one order of three).
    uint32_t h[3][2][65];
    for (unsigned o = 0; o < 3; ++o)
        if ((mask >> o) & 1) std::memset(h[o], 0, sizeof h[o]);
    // Differences classed about a centre of their own take a plain loop over the same positions (rare: the
    // sampler's loop stays free of the subtraction).
    unsigned plain = mask;
    for (unsigned o = 1; o <= max_order; ++o) {
        if (!((mask >> o) & 1) || c[o] == 0) continue;
        plain &= ~(1u << o);
        for (size_t j = 0, i = max_order; i < m; ++j, i = max_order + kProxyStep * j + (j & (kProxyStep - 1)))
            ++h[o][0][bit_width64(zigzag(wrap_sub(residual_at(v, i, o, 0), c[o])))];
    }
    switch (plain) {
        case 0: break;
        case 1: sample_classes<1>(v, m, max_order, c[0], h); break;
        case 2: sample_classes<2>(v, m, max_order, c[0], h); break;
        case 3: sample_classes<3>(v, m, max_order, c[0], h); break;
        case 4: sample_classes<4>(v, m, max_order, c[0], h); break;
        case 5: sample_classes<5>(v, m, max_order, c[0], h); break;
        case 6: sample_classes<6>(v, m, max_order, c[0], h); break;
        default: sample_classes<7>(v, m, max_order, c[0], h); break;
    }
    for (unsigned o = 0; o <= max_order; ++o) {
        if (!((mask >> o) & 1)) continue;
        uint32_t* hist = h[o][0];
        uint64_t n = 0;
        for (unsigned k = 0; k <= 64; ++k) n += hist[k] += h[o][1][k];
        // Rare wide residuals (spikes among small changes) are what a sample of a quarter gets wrong: seen
        // once, or not at all, where there are several. When the exact range reaches far above the
        // sample's typical class (2^16 times its median and more) and the sample holds few residuals near
        // that reach, they are counted in full. (From 2^8 on, price jumps had most blocks of the stock
        // series recounted: 4% of their encode time, for no change in size.)
        const int64_t lo = wrap_sub(mn[o], c[o]), hi = wrap_sub(mx[o], c[o]);
        const unsigned reach = std::max(bit_width64(zigzag(lo)), bit_width64(zigzag(hi)));
        unsigned median = 0;
        for (uint64_t below = hist[0]; below * 2 < n && median < 64;) below += hist[++median];
        uint64_t near_reach = 0;
        for (unsigned k = reach >= 4 ? reach - 4 : 0; k <= 64; ++k) near_reach += hist[k];
        if (reach >= median + 16 && near_reach < 8) {
            std::fill(hist, hist + 65, 0u);
            for (size_t i = o; i < m; ++i) ++hist[bit_width64(zigzag(wrap_sub(residual_at(v, i, o, 0), c[o])))];
            n = m - o;
        }
        proxy[o] = class_estimate(hist, n);
        seen[o] = n;
        if (o == 0 && levels && proxy[0] > kLevelsFromBits * double(n)) {
            const double few = few_values_bits(v, m, max_order);
            if (few >= 0 && few * double(n) < proxy[0]) {
                levels_saving = proxy[0] - few * double(n);
                proxy[0] = few * double(n);
                as_levels = true;
            }
        }
    }
}

// The order that packs smallest, and (for_entropy) the one among `mask` an entropy coder would prefer,
// with the estimated bits of its residuals (entropy_bits; key[o]: every estimated order's, delta starts
// included, infinite for the others) and its own frame of reference (as_packed). When the mask leaves out
// an order whose range is more than twice narrower than the chosen one's (smooth data after a random walk,
// noise after smooth data), all orders are estimated after all. Returns whether all were.
bool choose_order(const int64_t* v, size_t m, unsigned max_order, bool for_entropy, unsigned mask,
                  OrderChoice& packed, OrderChoice& as_packed, double& entropy_bits, int64_t& entropy_max,
                  double* key, bool levels, bool& as_levels, double& levels_saving) {
    as_levels = false;
    levels_saving = 0;
    int64_t mn[3], mx[3];
    kernels::ranges3(v, m, mn, mx);
    const unsigned top = std::min<unsigned>(max_order, unsigned(m - 1));
    auto width = [&](unsigned o) { return bit_width64(uint64_t(mx[o]) - uint64_t(mn[o])); };
    const unsigned full = kAllOrders & ((2u << top) - 1);
    mask &= full;
    if (mask == 0) mask = full;
    double est[3] = {0, 0, 0};
    for (;;) {
        double proxy[3] = {0, 0, 0};
        uint64_t seen[3] = {1, 1, 1};
        // A stream of one value has residuals of 0 in every order, which the proxies price at 0 bits.
        if (for_entropy && mn[0] != mx[0]) {
            order_proxies(v, m, top, mask, mn, mx, proxy, seen, levels, as_levels, levels_saving);
            levels_saving *= double(m) / double(seen[0]);
        }
        packed.bytes = SIZE_MAX;
        double best_key = std::numeric_limits<double>::infinity();
        as_packed = {};
        for (unsigned o = 0; o < 3; ++o) key[o] = std::numeric_limits<double>::infinity();
        for (unsigned o = 0; o <= top; ++o) {
            const unsigned w = width(o);
            size_t starts = 0;
            if (o >= 1) starts += varint_size(zigzag(v[0]));
            if (o >= 2) starts += varint_size(zigzag(wrap_sub(v[1], v[0])));
            const size_t bytes = 1 + starts + 1 + varint_size(zigzag(mn[o])) + packed_size(m - o, w);
            if (bytes < packed.bytes) packed = {o, mn[o], w, bytes};
            if (!((mask >> o) & 1)) continue;
            // Each order's proxy scaled to all its residuals (an order counted in full has more samples), so
            // the delta starts weigh what they will cost.
            est[o] = proxy[o] * double(m - o) / double(std::max<uint64_t>(1, seen[o]));
            key[o] = est[o] + 8.0 * double(starts);
            if (for_entropy && key[o] < best_key) {
                best_key = key[o];
                as_packed = {o, mn[o], w, bytes};
            }
        }
        bool narrower = false;
        for (unsigned o = 0; o <= top; ++o) narrower |= !((mask >> o) & 1) && width(o) + 1 < as_packed.width;
        if (!for_entropy || mask == full || !narrower) break;
        mask = full;
    }
    entropy_bits = est[as_packed.order];
    entropy_max = mx[as_packed.order];
    as_levels = as_levels && as_packed.order == 0;
    if (!as_levels) levels_saving = 0;
    return mask == full;
}

}  // namespace

namespace {

// Header byte + delta starts, and the residuals, of order o.
size_t stream_head(const int64_t* v, size_t m, unsigned o, Writer& out, uint64_t* resid) {
    const size_t start = out.size();
    out.u8(uint8_t(o));
    if (o >= 1) out.varint(zigzag(v[0]));
    if (o >= 2) out.varint(zigzag(wrap_sub(v[1], v[0])));
    kernels::residuals(v, m, o, resid);
    return out.size() - start;
}

// Header byte, lag and first value, and the m - 1 residuals, of a lagged stream (order 3): first differences
// below the lag, differences from the value `lag` back from it on.
void lag_head(const int64_t* v, size_t m, size_t lag, Writer& out, uint64_t* resid) {
    out.u8(3);
    out.varint(lag);
    out.varint(zigzag(v[0]));
    const uint64_t* u = reinterpret_cast<const uint64_t*>(v);
    for (size_t i = 1; i < lag; ++i) resid[i - 1] = u[i] - u[i - 1];
    for (size_t i = lag; i < m; ++i) resid[i - 1] = u[i] - u[i - lag];
}

// Where a lagged stream is logged: its estimate must come under this share of the best order's.
constexpr double kLagGain = 0.8;

}  // namespace

// Writes an integer stream with frame of reference, in the delta order that packs smallest. With a log (the
// entropy stage follows), it also records the residuals of the order an entropy coder would prefer, with
// that order's header, so the stage can put an entropy-coded stream of either order in its place. Under a
// memory's settled order, that order is the only one looked at, for both.
void write_intseq(const int64_t* v, size_t m, unsigned max_order, Writer& out, SeqLog* log, uint32_t context,
                  OrderMemory* memory, size_t lag) {
    OrderChoice c, e;
    double ebits = 0;
    int64_t emax = 0;
    double key[3];
    const unsigned mask = log && memory ? memory->orders() : kAllOrders;
    const bool levels = memory && memory->levels;
    bool as_levels = false;
    double saving = 0;
    bool all = choose_order(v, m, max_order, log != nullptr, mask, c, e, ebits, emax, key, levels, as_levels, saving);
    auto per_residual = [&] { return ebits / double(std::max<size_t>(1, m - e.order)); };
    if (log && memory && !all && memory->surprised(per_residual()))
        all = choose_order(v, m, max_order, true, kAllOrders, c, e, ebits, emax, key, levels, as_levels, saving);
    if (as_levels) context = kCtxDeltaLevels;
    if (memory) memory->levels_saving = saving;
    if (log && memory) {
        memory->saw(key, e.order, per_residual(), all);
        // With some orders left out, and the entropy coder's order clearly smaller coded than any frame of
        // reference, the frame of reference goes with that order too (a fallback the stream will hardly
        // need), so its residuals are worked out and logged once. (Not otherwise: float seconds stepping
        // by 1 or 2 pack in 1 bit a value as first differences, and code in about 1.5 as second ones.)
        if (!all && ebits / 8 + 24 < 0.8 * double(c.bytes)) c = e;
    }
    // Residuals that are all one value pack in no bits at all, which no entropy coder beats: such a stream
    // is written as it is and stays out of the log (a series of long runs logged a residual for each of
    // its values, all of them equal).
    if (c.width == 0) log = nullptr;
    unsigned eorder = e.order;
    int64_t emin = e.min;
    const size_t start = out.size();
    // A lag (a block that repeats itself, found by its caller) takes the entropy coder's place where its
    // residuals, counted in full, estimate clearly below the chosen order's; the frame of reference keeps
    // its own order (the first differences up to the lag make it wide).
    bool lagged = false;
    if (log && lag >= 2 && lag < m) {
        const SeqLog::Mark before = log->mark();
        Writer head;
        lag_head(v, m, lag, head, log->room(m - 1));
        const uint64_t* lr = log->arena.data() + before.arena;
        uint32_t hist[65] = {};
        int64_t lo = int64_t(lr[0]), hi = lo;
        for (size_t i = 0; i < m - 1; ++i) {
            const int64_t r = int64_t(lr[i]);
            ++hist[bit_width64(zigzag(r))];
            lo = std::min(lo, r);
            hi = std::max(hi, r);
        }
        const double bits = class_estimate(hist, m - 1);
        if (bits + 8.0 * double(head.size()) < kLagGain * key[eorder]) {
            lagged = true;
            eorder = 3;
            ebits = bits;
            emin = lo;
            emax = hi;
            log->add_written(start, head.bytes.data(), head.size(), m - 1, context | (3u << 24), ebits, emin, emax);
        } else {
            log->rollback(before);
        }
    }
    uint64_t scratch[kScratch];
    const size_t rc = m - c.order;
    // The residuals go straight into the log, not through a copy: the entropy coder's order's, then, where
    // the frame of reference takes another order, that order's too.
    if (log && eorder != c.order && !lagged) {
        Writer head;
        stream_head(v, m, eorder, head, log->room(m - eorder));
        log->add_written(start, head.bytes.data(), head.size(), m - eorder, context | (eorder << 24), ebits, emin,
                         emax);
    }
    uint64_t* resid = log ? log->room(rc) : scratch;
    const size_t head_len = stream_head(v, m, c.order, out, resid);
    if (log) {
        if (eorder == c.order)
            log->add_written(start, out.bytes.data() + start, head_len, rc, context | (eorder << 24), ebits, emin,
                             emax);
        else
            log->mark_for_residuals(rc);
    }
    out.u8(uint8_t(c.width));
    out.varint(zigzag(c.min));
    if (log) {
        // Packed only if this stream reaches the output as a frame of reference (write_blocks). Where the
        // entropy coder prefers another order, this order's residuals are kept too: packing them for every
        // candidate cost ETTh1 2-4% of its encode time (its dictionary codes pack smallest in one order and
        // code smallest in another).
        out.grow(packed_size(rc, c.width));
        SeqEntry& entry = log->entries.back();
        entry.deferred = true;
        entry.for_width = uint8_t(c.width);
        entry.for_min = c.min;
    } else {
        for (size_t i = 0; i < rc; ++i) resid[i] -= uint64_t(c.min);
        pack(resid, rc, c.width, out);
    }
    if (log) log->finish_last(out.size() - start);
}

template <class T>
bool write_exception_streams(const T* v, const uint16_t* pos, size_t nexc, unsigned max_order, Writer& out,
                             SeqLog* log) {
    if (nexc < 2) return false;
    using Ub = U<T>;
    size_t differ = 0;
    size_t widest_gap = 0;
    Ub lo = bits_of(v[pos[0]]), hi = lo;
    for (size_t k = 1; k < nexc; ++k) {
        const Ub b = bits_of(v[pos[k]]);
        differ += b != bits_of(v[pos[k - 1]]);
        if (2 * differ + 2 > nexc) return false;  // fewer than half repeat the one before
        widest_gap = std::max<size_t>(widest_gap, pos[k] - pos[k - 1]);
        lo = std::min(lo, b);
        hi = std::max(hi, b);
    }
    // Written only where a frame of reference of the gaps and of the values (about the widths the streams
    // take) comes in under the raw exceptions: on blocks of runs of full-precision values the streams were
    // mostly written to be dropped (ucr_facefour encoded 2% slower without this check).
    const size_t guess = 16 + (nexc * (bit_width64(widest_gap) + bit_width64(uint64_t(hi - lo))) + 7) / 8;
    if (guess >= nexc * (2 + sizeof(T))) return false;
    const size_t at = out.size();
    SeqLog::Mark before{};
    if (log) before = log->mark();
    int64_t where[kScratch], what[kScratch];
    for (size_t k = 0; k < nexc; ++k) {
        where[k] = pos[k];
        what[k] = int64_t(uint64_t(bits_of(v[pos[k]])));
    }
    write_intseq(where, nexc, max_order, out, log, kCtxExceptionPositions);
    write_intseq(what, nexc, max_order, out, log, kCtxExceptionValues | (sizeof(T) == 4 ? 1u << 16 : 0));
    if (out.size() - at < nexc * (2 + sizeof(T))) return true;
    out.bytes.resize(at);
    if (log) log->rollback(before);
    return false;
}
template bool write_exception_streams<double>(const double*, const uint16_t*, size_t, unsigned, Writer&, SeqLog*);
template bool write_exception_streams<float>(const float*, const uint16_t*, size_t, unsigned, Writer&, SeqLog*);

namespace {

// The lag at which a block's integers (or dictionary entries) repeat themselves, a pattern shorter than half
// a block over and over, or 0. The pair at the block's end is looked up in the kMaxLag values before it (one
// vectorised pass; a pair, not one value, so that a pattern holding a value twice is still found at its
// period). The lag that finds it must hold on 16 of 32 positions spread over the block, and on 8 more of
// them than the next lag does: among a few levels drawn at random, pairs recur by chance and any lag holds
// on a share of the positions (a check input of random levels came out 0.25% larger without that test).
constexpr size_t kMaxLag = kBlockValues / 2;
constexpr size_t kMinLagValues = 64;
template <class X>
size_t pattern_lag(const X* a, size_t m) {
    if (m < kMinLagValues) return 0;
    const size_t i = m - 1;
    const size_t j = kernels::last_pair(a, i > kMaxLag ? i - kMaxLag : 1, i);
    const size_t lag = i - j;
    if (j == 0 || lag < 2) return 0;
    size_t same = 0, next = 0;
    for (size_t k = 0; k < 32; ++k) {
        const size_t q = lag + 1 + k * (m - lag - 1) / 32;
        same += a[q] == a[q - lag];
        next += a[q] == a[q - lag - 1];
    }
    return same >= 16 && same >= next + 8 ? lag : 0;
}

// ---- decimal (ALP) ---------------------------------------------------------------------------------------

struct Combo {
    uint8_t e = 0, f = 0;
};

// Estimated bits for a sample under one combo: packed width of the integers plus exceptions.
template <class T>
uint64_t combo_cost(const T* s, size_t ns, const Combo& c, size_t* exceptions = nullptr) {
    int64_t mn, mx;
    const size_t exc = kernels::combo_range(s, ns, c.e, c.f, mn, mx);
    const unsigned w = exc == ns ? 0 : bit_width64(uint64_t(mx) - uint64_t(mn));
    if (exceptions) *exceptions = exc;
    return uint64_t(ns) * w + uint64_t(exc) * (Traits<T>::kBits + 16);
}

// Estimated bits for a sample under one combo when the integers will be entropy-coded: each integer's own
// bit width above the smallest (an entropy coder pays about that, where a frame of reference charges every
// value the widest one's), plus exceptions. By packed size, sparse decimals (zeros, and a tenth of the
// values with one decimal) looked cheaper as whole numbers with the decimals as exceptions: 4.1 bits a
// value where the decimals as integers take 1.4. (A class-entropy estimate here, also run on every block
// without exceptions, cost 13% of the decimal series' encode time.)
template <class T>
uint64_t combo_coded_cost(const T* s, size_t ns, const Combo& c, size_t& exceptions) {
    constexpr size_t kMaxSamples = kL1Blocks * kL1PerBlock;  // the first level's; the second takes fewer
    int64_t ints[kMaxSamples];
    uint8_t bad[kMaxSamples];
    exceptions = kernels::alp_encode(s, ns, c.e, c.f, ints, bad, true);
    int64_t lo = std::numeric_limits<int64_t>::max();
    for (size_t i = 0; i < ns; ++i) lo = bad[i] ? lo : std::min(lo, ints[i]);
    uint64_t bits = uint64_t(exceptions) * (Traits<T>::kBits + 16);
    for (size_t i = 0; i < ns; ++i) bits += bad[i] ? 0 : bit_width64(uint64_t(ints[i]) - uint64_t(lo));
    return bits;
}

// First sampling level: the combos on the samples, the best few kept (best first; ties keep the earlier,
// so the smallest exponent among equals). Every combo is first ranked on a quarter of the samples; the
// kShortlist best, and with `coded` the best of each difference e - f (the extra pairs below come from
// those), are then ranked on all of them. (Ranking every combo on all samples was a twentieth of the encode
// time of short series and of ETTh1's; over the 215 check inputs the shortlist's choices came out 0.3%
// smaller in all, and at most 0.07% larger on one.)
constexpr size_t kShortlist = 32;
constexpr size_t kShortlistMinSamples = 64;

template <class T>
std::vector<Combo> find_combos(const T* s, size_t ns, bool coded) {
    constexpr unsigned kMaxE = Traits<T>::kMaxE;
    std::vector<std::pair<uint64_t, Combo>> scored;
    auto rank = [&scored](const T* on, size_t n, auto&& wanted) {
        scored.clear();
        for (unsigned e = 0; e <= kMaxE; ++e)
            for (unsigned f = 0; f <= e; ++f) {
                const Combo c{uint8_t(e), uint8_t(f)};
                if (wanted(c)) scored.push_back({combo_cost(on, n, c), c});
            }
        std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    };
    if (ns >= kShortlistMinSamples && ns <= kL1Blocks * kL1PerBlock) {
        T quarter[kL1Blocks * kL1PerBlock / 4];
        size_t nq = 0;
        for (size_t i = 0; i < ns; i += 4) quarter[nq++] = s[i];
        rank(quarter, nq, [](const Combo&) { return true; });
        bool listed[kMaxE + 1][kMaxE + 1] = {};
        bool difference_listed[kMaxE + 1] = {};
        for (size_t i = 0; i < scored.size(); ++i) {
            const Combo c = scored[i].second;
            if (i < kShortlist || (coded && !difference_listed[c.e - c.f])) listed[c.e][c.f] = true;
            difference_listed[c.e - c.f] = true;
        }
        rank(s, ns, [&listed](const Combo& c) { return listed[c.e][c.f]; });
    } else {
        rank(s, ns, [](const Combo&) { return true; });
    }
    std::vector<Combo> out;
    bool seen[Traits<T>::kMaxE + 1] = {};
    for (size_t i = 0; i < scored.size() && out.size() < kMaxCombos; ++i) {
        out.push_back(scored[i].second);
        seen[scored[i].second.e - scored[i].second.f] = true;
    }
    // The five best often share one e - f (pairs with the same difference give the same integers), so a
    // block whose best is not the packed ranking's first (sparse decimals, where the entropy stage prefers
    // fewer exceptions) had nothing else to pick: with `coded`, the best pairs of two more differences.
    for (size_t i = 0, extra = 0; coded && i < scored.size() && extra < 2; ++i) {
        const Combo c = scored[i].second;
        if (seen[c.e - c.f]) continue;
        seen[c.e - c.f] = true;
        out.push_back(c);
        ++extra;
    }
    return out;
}

// NaN and infinities are exceptions under every decimal pair and say nothing about which pair fits: auto's
// samples leave them out. In a sample they came back as integers near 2^62 that gave every pair the same
// width, so the ranking went by exceptions alone: a 3-decimal random walk with a NaN in every fiftieth value
// took pairs of 8 decimals and 17 bits a value (10.7 without the NaN).
template <class T>
inline bool sampled_value(T x) {
    if constexpr (Traits<T>::kFloat) return std::isfinite(x);
    else return true;
}

// A block's second-level sample: one value in each of kL2Samples equal stretches of it (or every value of
// a shorter block). With `spread` (auto) at an offset into its stretch that varies from one stretch to the
// next, and without NaN and infinities; without it (alp, whose bytes are frozen) at the stretch's start.
// Evenly spaced samples see a periodic series at a few phases only: 32 of 1024 values, 32 apart, saw only
// the whole numbers of a sawtooth of period 100 in steps of 0.5, so its blocks took integer exponents and
// half their values became exceptions (3.2 bits a value with auto where 0.33-0.46 do). The offsets come
// from a multiplicative hash of the stretch's index.
template <class T>
size_t sample_block(const T* v, size_t m, T* s, bool spread) {
    size_t ns = 0;
    if (m <= kL2Samples) {
        for (size_t i = 0; i < m; ++i) {
            s[ns] = v[i];
            ns += !spread || sampled_value(v[i]);
        }
        return ns;
    }
    static_assert(std::has_single_bit(kL2Samples));
    constexpr unsigned kShift = std::countr_zero(kL2Samples);
    for (size_t j = 0; j < kL2Samples; ++j) {
        const size_t from = (j * m) >> kShift, stretch = (((j + 1) * m) >> kShift) - from;
        const uint32_t offset = spread ? ((uint32_t(j) * 2654435761u) >> 16) % uint32_t(stretch) : 0;
        s[ns] = v[from + offset];
        ns += !spread || sampled_value(s[ns]);
    }
    return ns;
}

// Second level: the candidate that does best on this block's samples (by packed size, or with `coded` by
// the entropy-coded estimate); `hopeless` when nearly every sampled value is an exception under it (the
// block would cost more than raw as decimals).
template <class T>
Combo pick_combo(const T* v, size_t m, const std::vector<Combo>& combos, bool coded, bool spread,
                 bool& hopeless) {
    T s[kL2Samples];
    const size_t ns = sample_block(v, m, s, spread);
    Combo best = combos[0];
    size_t best_exc = 0;
    auto rank = [&](auto cost_of) {
        uint64_t best_cost = UINT64_MAX;
        for (const Combo& c : combos) {
            size_t exc = 0;
            const uint64_t cost = cost_of(c, exc);
            if (cost < best_cost) {
                best_cost = cost;
                best = c;
                best_exc = exc;
            }
        }
    };
    rank([&](const Combo& c, size_t& exc) { return combo_cost(s, ns, c, &exc); });
    // Without exceptions the packed ranking is the coded one as well (one width for all); with them, an
    // entropy stage may prefer fewer exceptions and wider integers. (Not when nearly all are exceptions:
    // doubles that are float32 values, where no pair fits and the block goes another way.)
    if (coded && best_exc && best_exc * 8 < ns * 7)
        rank([&](const Combo& c, size_t& exc) { return combo_coded_cost(s, ns, c, exc); });
    hopeless = best_exc * 8 >= ns * 7;
    return best;
}

// Writes a decimal block under c; returns whether every value came back through c itself.
// near: where given, the values the pair misses that lie within kNearUlps of what it decodes their integer
// to (decimals an ulp or two off: see SeriesEncoder::encode_near), and the values it misses.
constexpr int64_t kNearUlps = 1 << 12;
struct NearCount {
    size_t off = 0, missed = 0;
};
template <class T>
bool encode_alp(const T* v, size_t m, Combo c, const EncodeOptions& opt, Writer& out, SeqLog* log,
                OrderMemory* memory, NearCount* near = nullptr, bool find_lag = false) {
    int64_t ints[kScratch];
    uint8_t bad[kScratch];
    const unsigned e = c.e, f = c.f;
    uint16_t pos[kScratch], pos2[kScratch];
    size_t nexc = 0, n2 = 0;
    unsigned e2 = 0, f2 = 0;
    // NaN and infinities come back bit for bit from the magic-constant conversion, as an integer near 2^62
    // that sets the width of every value in the block: one NaN took a block of 2-decimal values from 10 to
    // 57 bits a value. auto makes them exceptions; alp keeps the bytes of earlier releases.
    if (kernels::alp_encode(v, m, e, f, ints, bad, opt.automatic)) {
        // Most values the pair (e, f) misses come out right through another pair with the same e - f,
        // from the same integer: find the pair that rescues most, and mark those values as its.
        const unsigned d = e - f;
        const size_t nbad = flagged_positions(bad, m, pos);
        if (near) {
            using S = std::make_signed_t<U<T>>;
            near->missed = nbad;
            for (size_t k = 0; k < nbad; ++k) {
                const size_t i = pos[k];
                const int64_t dist = int64_t(S(U<T>(bits_of(v[i]) - bits_of(alp_decode_value(ints[i], e, f, T{})))));
                near->off += dist >= -kNearUlps && dist <= kNearUlps;
            }
        }
        size_t best = 0;
        for (unsigned ee = d; ee <= Traits<T>::kMaxE; ++ee) {
            if (ee == e) continue;
            size_t fixed = 0;
            for (size_t k = 0; k < nbad; ++k) {
                const size_t i = pos[k];
                fixed += bits_of(alp_decode_value(ints[i], ee, ee - d, T{})) == bits_of(v[i]);
            }
            if (fixed > best) best = fixed, e2 = ee, f2 = ee - d;
        }
        if (best)
            for (size_t k = 0; k < nbad; ++k) {
                const size_t i = pos[k];
                if (bits_of(alp_decode_value(ints[i], e2, f2, T{})) == bits_of(v[i])) {
                    bad[i] = 0;
                    pos2[n2++] = uint16_t(i);
                }
            }
        for (size_t k = 0; k < nbad; ++k) {  // the rest are exceptions
            pos[nexc] = pos[k];
            nexc += bad[pos[k]] != 0;
        }
        take_neighbours(ints, pos, nexc, m);
    }
    const size_t method_at = out.size();
    out.u8(kAlp);
    out.u8(uint8_t(e));
    out.u8(uint8_t(f));
    out.varint(nexc);
    out.varint(n2);
    if (n2) {
        out.u8(uint8_t(e2));
        out.u8(uint8_t(f2));
    }
    // A block that repeats a pattern of exact decimals (a schedule, a test signal, a table played over and
    // over) may go to the entropy stage as differences at the pattern's lag.
    const size_t lag = log && find_lag ? pattern_lag(ints, m) : 0;
    write_intseq(ints, m, opt.max_order, out, log, kCtxAlp | (uint32_t(e - f) << 8) | (sizeof(T) == 4 ? 1u << 16 : 0),
                 memory, lag);
    size_t raw_exc = nexc;
    if (opt.automatic && write_exception_streams(v, pos, nexc, opt.max_order, out, log)) {
        out.bytes[method_at] = kAlpExc;
        raw_exc = 0;
    }
    for (size_t k = 0; k < raw_exc; ++k) out.u16(pos[k]);
    for (size_t k = 0; k < raw_exc; ++k) out.put(bits_of(v[pos[k]]));
    for (size_t k = 0; k < n2; ++k) out.u16(pos2[k]);
    return nexc + n2 == 0;
}

// The decimal pair the last blocks of a row group chose (at one nesting depth). Once the same pair has been
// chosen kSettle times running and brought every value of those blocks back by itself, the next blocks
// take it without ranking the candidates on their samples, until a block has an exception, and every
// kRecheck-th block ranks them again. (Ranking the pairs was 6% of the decimal series' encode time.)
struct ComboMemory {
    static constexpr unsigned kSettle = 4;
    static constexpr unsigned kRecheck = 8;
    Combo combo;
    unsigned streak = 0, calls = 0;
    void reset() { *this = ComboMemory{}; }
    bool settled() { return streak >= kSettle && ++calls % kRecheck != 0; }
    void saw(Combo c, bool clean) {
        streak = clean && c.e == combo.e && c.f == combo.f ? streak + 1 : clean;
        combo = c;
    }
};

// ---- high precision (ALP-RD) -----------------------------------------------------------------------------

template <class T>
void encode_alp_rd(const T* v, size_t m, unsigned rb, KeyCounter& kc, Writer& out) {
    using Ub = U<T>;
    kc.reset();
    for (size_t i = 0; i < m; ++i) kc.add(uint16_t(bits_of(v[i]) >> rb));
    const auto top = kc.top8();
    const unsigned k = best_dict_size(top, m, nullptr);
    const unsigned cb = bit_width64(k - 1);
    uint64_t codes[kScratch], rights[kScratch];
    uint16_t pos[kScratch], lefts[kScratch];
    size_t nexc = 0;
    const Ub rmask = Ub(~Ub(0)) >> (sizeof(Ub) * 8 - rb);
    // Neighbours mostly share their left part: the dictionary is searched only when it changes.
    uint16_t prev_left = uint16_t(bits_of(v[0]) >> rb);
    unsigned prev_code = 8;
    for (unsigned j = 0; j < k; ++j)
        if (top[j].second == prev_left) prev_code = j;
    for (size_t i = 0; i < m; ++i) {
        const Ub b = bits_of(v[i]);
        const uint16_t left = uint16_t(b >> rb);
        unsigned code = prev_code;
        if (left != prev_left) {
            code = 8;
            for (unsigned j = 0; j < k; ++j)
                if (top[j].second == left) code = j;
            prev_left = left;
            prev_code = code;
        }
        rights[i] = uint64_t(b & rmask);
        pos[nexc] = uint16_t(i);
        lefts[nexc] = left;
        nexc += code == 8;
        codes[i] = code == 8 ? 0 : code;
    }
    out.u8(kAlpRd);
    out.u8(uint8_t(rb));
    out.u8(uint8_t(k));
    for (unsigned j = 0; j < k; ++j) out.u16(top[j].second);
    out.varint(nexc);
    pack(codes, m, cb, out);
    pack(rights, m, rb, out);
    for (size_t j = 0; j < nexc; ++j) out.u16(pos[j]);
    for (size_t j = 0; j < nexc; ++j) out.u16(lefts[j]);
}

}  // namespace

// ---- series dictionary ------------------------------------------------------------------------------------

// Bytes of each buffer a thread keeps between calls (8 MiB).
constexpr size_t kKeptBytes = size_t(8) << 20;

// Hands a buffer to `kept` for the next call on this thread, unless it is very large or kept is larger.
template <class V>
void keep(V& buffer, V& kept) {
    const size_t cap = buffer.capacity();
    if (cap * sizeof(typename V::value_type) <= kKeptBytes && cap > kept.capacity()) {
        buffer.clear();
        buffer.swap(kept);
    }
}

// A buffer of `kept`'s, lent for one call and handed back (see keep). The dictionary's buffers of a few
// hundred KiB, fresh on every call, were faulted in page by page whenever malloc had handed their pages back
// to the system between calls, as it did under Python: a ninth of nyc29_lon's encode time went to the kernel.
template <class V>
struct Lent {
    V& kept;
    V v;
    explicit Lent(V& from) : kept(from) { v.swap(kept); }
    ~Lent() { keep(v, kept); }
    Lent(const Lent&) = delete;
    Lent& operator=(const Lent&) = delete;
};

// Whether a sample of the series (up to 4096 values spread over it) holds at most kFewLevels distinct
// values: a few levels, however their runs fall, which a dictionary codes in a few bits a value even when
// runs make the plain blocks cheap already (the runs' values are otherwise stored in full, one per run).
template <class T, class Ub = U<T>>
bool few_levels(const T* v, size_t n) {
    constexpr size_t kSlots = 4 * kFewLevels;  // a power of two
    Ub keys[kSlots];
    bool used[kSlots] = {};
    size_t distinct = 0;
    const size_t step = std::max<size_t>(1, n / 4096);
    for (size_t i = 0; i < n; i += step) {
        const Ub b = bits_of(v[i]);
        size_t h = size_t((uint64_t(b) * 0x9E3779B97F4A7C15ull) >> 56) & (kSlots - 1);
        while (used[h] && keys[h] != b) h = (h + 1) & (kSlots - 1);
        if (used[h]) continue;
        if (++distinct > kFewLevels) return false;
        used[h] = true;
        keys[h] = b;
    }
    return true;
}

// How many of kStridedSample values spread over the series equal an earlier one of them. At least 3/16 of
// them do where the series draws on some 600 values or fewer (ETTh1): there the dictionary is likely
// taken, the scan follows anyway, and the hashed sample below would only add its pass over the series
// (3-9% of ETTh1's encode).
constexpr size_t kStridedSample = 256;
template <class T, class Ub = U<T>>
size_t strided_repeats(const T* v, size_t n) {
    constexpr size_t kSlots = 4 * kStridedSample;  // a power of two
    Ub keys[kSlots];
    bool used[kSlots] = {};
    // Gathered first: the loads (cache misses, mostly) then overlap instead of waiting behind the probes'
    // mispredicted branches.
    Ub s[kStridedSample];
    for (size_t j = 0; j < kStridedSample; ++j) s[j] = bits_of(v[j * n / kStridedSample]);
    size_t again = 0;
    for (size_t j = 0; j < kStridedSample; ++j) {
        const Ub b = s[j];
        size_t h = size_t((uint64_t(b) * 0x9E3779B97F4A7C15ull) >> 54) & (kSlots - 1);
        while (used[h] && keys[h] != b) h = (h + 1) & (kSlots - 1);
        again += used[h];
        used[h] = true;
        keys[h] = b;
    }
    return again;
}

// 2^-k of the values: one in 32, but at least kHashedRepeatsSample and at most 64 times that many of them
// expected; k = 0 below twice kHashedRepeatsSample values, where the scan itself is about as cheap.
constexpr size_t kHashedRepeatsSample = 1024;
unsigned hashed_repeats_shift(size_t n) {
    unsigned k = 0;
    while (k < 31 && (n >> (k + 1)) >= kHashedRepeatsSample && (k < 5 || (n >> k) > 64 * kHashedRepeatsSample)) ++k;
    return k;
}

template <class T>
RepeatBounds hashed_repeats(const T* v, size_t n, unsigned k) {
    using Ub = U<T>;
    // Four slots per value the sample should hold (n / 2^k); a sample of more than twice that many distinct
    // values (a hash that lumps values together) gives no bounds.
    size_t cap = 16;
    unsigned bits = 4;
    while (cap < 4 * (n >> k)) cap <<= 1, ++bits;
    // Kept per thread between calls, as find_repeats' tables.
    static thread_local std::vector<Ub> keys_keep;
    static thread_local std::vector<uint8_t> state_keep;  // 0 empty, 1 seen once, 2 seen again
    if (keys_keep.size() < cap) keys_keep.resize(cap);
    state_keep.assign(cap, 0);
    Ub* keys = keys_keep.data();
    uint8_t* state = state_keep.data();
    size_t singles = 0, repeated = 0;
    // At most half the table is taken before a chunk and a chunk adds at most half of it (cap >= 4096), so
    // a probe always ends: a full table would make a new value's probe go round forever.
    constexpr size_t kChunk = 2048;
    T picked[kChunk];
    for (size_t at = 0; at < n; at += kChunk) {
        const size_t c = kernels::hash_pick(v + at, std::min(kChunk, n - at), k, picked);
        for (size_t i = 0; i < c; ++i) {
            const Ub b = bits_of(picked[i]);
            // A hash unlike the one that picked them: the picked values agree in that one's top bits (with
            // the same multiplier, small integers were all piled into a 32nd of the table).
            uint64_t x = uint64_t(b);
            x = (x ^ (x >> 31)) * 0x7FB5D329728EA185ull;
            size_t h = size_t((x ^ (x >> 27)) >> (64 - bits));
            while (state[h] && keys[h] != b) h = (h + 1) & (cap - 1);
            const uint8_t st = state[h];
            keys[h] = b;
            singles += st == 0;
            singles -= st == 1;
            repeated += st == 1;
            state[h] = st ? 2 : 1;
        }
        if (2 * (singles + repeated) > cap) return {0, n};
    }
    auto low = [k](size_t x) {
        const double lo = double(x) - 3.0 * std::sqrt(double(x)) - 1.0;
        return lo > 0 ? size_t(lo) << k : size_t(0);
    };
    return {low(repeated), n - std::min(n, low(singles))};
}
template RepeatBounds hashed_repeats<double>(const double*, size_t, unsigned);
template RepeatBounds hashed_repeats<float>(const float*, size_t, unsigned);
template RepeatBounds hashed_repeats<int64_t>(const int64_t*, size_t, unsigned);

// The values of a series that occur more than once, and where each value of the series sits among them.
template <class Ub>
struct Repeats {
    struct Entry {
        Ub bits;
        uint32_t slot;  // its slot in the table of the scan
    };
    using Entries = std::vector<Entry, UninitAllocator<Entry>>;
    using Slots = std::vector<uint32_t, UninitAllocator<uint32_t>>;
    static Entries& kept_entries() {
        static thread_local Entries kept;
        return kept;
    }
    static Slots& kept_slots() {
        static thread_local Slots kept;
        return kept;
    }
    Lent<Entries> lent_entries{kept_entries()};
    Lent<Slots> lent_slots{kept_slots()};
    Entries& entries = lent_entries.v;  // each repeated value once, in the order it is first seen again
    Slots& slot_of = lent_slots.v;      // per value of the series: its slot
    size_t slots = 0;                   // of the table
    size_t covered = 0;                 // values of the series that are repeats

    // How many of the values of each of the first `blocks` blocks are repeats (a set of the repeated
    // values' slots, then a look-up per value): only asked where the dictionary's even estimate says no,
    // so a series whose dictionary is plainly worth it never pays for it.
    void head_covered(size_t n, size_t blocks, uint32_t* out) const {
        std::vector<uint64_t> repeated(slots / 64 + 1, 0);
        for (const Entry& e : entries) repeated[e.slot / 64] |= uint64_t(1) << (e.slot % 64);
        const uint32_t* s = slot_of.data();
        for (size_t b = 0; b < blocks; ++b) {
            uint32_t c = 0;
            for (size_t i = b * kBlockValues; i < std::min(n, (b + 1) * kBlockValues); ++i)
                c += uint32_t((repeated[s[i] / 64] >> (s[i] % 64)) & 1);
            out[b] = c;
        }
    }
};

// One pass over the series with an open-addressing table. Only "once" or "more" matters, so a slot is a key
// and a state byte (a 16-byte slot with a count made this pass over the whole series memory-bound). Each
// value's slot is noted on the way, so that the dictionary codes come later from a plain look-up by slot
// instead of a second hashed probe per value (those probes were cache misses on large dictionaries).
template <class T, class Ub = U<T>>
void find_repeats(const T* v, size_t n, Repeats<Ub>& r) {
    size_t cap = 16;
    unsigned shift = 60;
    while (cap < 2 * n) cap <<= 1, --shift;
    const size_t mask = cap - 1;
    // Kept per thread between calls (up to 2^20 slots, 9 MiB): fresh tables would be faulted in page by page.
    // Loops use plain pointers: each access to a thread_local from a shared library is a call.
    static thread_local std::vector<Ub, UninitAllocator<Ub>> keys_keep;
    static thread_local std::vector<uint8_t> state_keep;  // 0 empty, 1 seen once, 2 seen again
    // Not zeroed (read only where the state says a key is there): a large table is only faulted in where
    // keys land.
    if (keys_keep.size() < cap) keys_keep.resize(cap);
    state_keep.assign(cap, 0);
    Ub* keys = keys_keep.data();
    uint8_t* state = state_keep.data();
    r.entries.clear();
    r.slot_of.resize(n);
    r.slots = cap;
    uint32_t* slot_of = r.slot_of.data();
    size_t singles = 0;
    auto hash = [&](Ub b) { return size_t((uint64_t(b) * 0x9E3779B97F4A7C15ull) >> shift); };
    constexpr size_t kAhead = 16;  // slots are fetched this many values ahead: the table outgrows the caches
    for (size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) {
            const size_t a = hash(bits_of(v[i + kAhead]));
            __builtin_prefetch(&state[a]);
            __builtin_prefetch(&keys[a]);
        }
        const Ub b = bits_of(v[i]);
        size_t h = hash(b);
        while (state[h] && keys[h] != b) h = (h + 1) & mask;
        const uint8_t st = state[h];
        slot_of[i] = uint32_t(h);
        // A slot is written only while its state changes: rewritten on every repeat, the next value's probe
        // of the same slot waited on the store (runs of a value, series of a few hundred levels).
        if (st != 2) {
            keys[h] = b;
            singles += st == 0;
            if (st == 1) {
                --singles;
                r.entries.push_back({b, uint32_t(h)});
            }
            state[h] = st ? 2 : 1;
        }
    }
    r.covered = n - singles;
    if (cap > (size_t(1) << 20)) {
        decltype(keys_keep)().swap(keys_keep);
        std::vector<uint8_t>().swap(state_keep);
    }
}

// ---- per-series encoder ----------------------------------------------------------------------------------

// A method that may take over a row group (the challenger) against the methods it replaces, block by block.
// Once the challenger has beaten them by far over the first kExplore blocks (they never won, and did not come
// within kClose of it on the last block that tried them), they are only tried on every kExplore-th block, or
// when the challenger's block comes out more than kClose times costlier or cheaper per value than its blocks
// so far (the data has changed; then every base method is tried, not just those that won in the row group):
// neighbouring blocks are alike, and a losing candidate is written out in full for nothing. Measured on 150
// random mixes of segments against the two passes this replaced for the dictionary (every other method on
// every block, then the dictionary): without "cheaper", up to 1.9% larger; without trying every base method
// on a change, 1-1.3% larger where decimals followed a dictionary's data; with both, at most 1.4% larger (a
// change that leaves the challenger's cost per value alone is seen on the next kExplore-th block) and 0.09%
// smaller in all.
// Closeness counts on the last block that tried the others, not the closest ever: one block within kClose
// had them tried on every later block of the row group, where nyc29_lon's dictionary blocks beat them by
// 1.15-1.9x (77 of its 112 dictionary blocks tried everything, 54 now; the bytes are the same but for 24 on
// nyc29_lon and one random mix 0.9% smaller, and nyc29_lon and poi_lat encode 6% faster, ETTh1 3-4%).
// Where the others' last block came to a far ratio of the challenger's or more (kFar for the dictionary,
// kFarFloat32 for float32 blocks), two blocks settle it and the check comes on every 2 kExplore-th block:
// ETTh1's dictionary blocks beat the float32 ones by 1.8x, and the float32 blocks the split doubles by
// 3.3-4.7x, and the blocks that tried everything were a third of its encode time (ETTh1 4-8% faster).
// At 1.5x for float32 blocks too, zeros with a tenth of 1-decimal values (float32 blocks hold the zeros,
// and the decimals as corrections) skipped decimal blocks that would have won: 3.2% larger. A block where
// the others were not tried counts them at the far ratio times the challenger's then, not kClose: counted
// at kClose, a dictionary that won a series of levels by far came out costlier than the blocks without it
// (15% larger).
struct Rivalry {
    static constexpr size_t kExplore = 4;
    static constexpr double kClose = 1.25;
    static constexpr size_t kExploreFar = 2;
    static constexpr double kFar = 1.5;
    static constexpr double kFarFloat32 = 3;
    size_t calls = 0, others_won = 0;
    double last_ratio = std::numeric_limits<double>::infinity();  // the others' estimate over the challenger's,
                                                                // on the last block that tried them
    double per_value_sum = 0;                                   // of the challenger's estimated bytes per value

    void reset() { *this = Rivalry{}; }
    // The challenger's block far from its blocks so far, per value: the data has changed.
    bool changed(double per_value) const {
        if (calls == 0) return false;
        const double mean = per_value_sum / double(calls);
        return per_value > kClose * mean || per_value * kClose < mean;
    }
    bool others_worth_trying(double per_value, double far_ratio) const {
        if (others_won > 0 || last_ratio < kClose || changed(per_value)) return true;
        const bool far = last_ratio >= far_ratio;
        return calls < (far ? kExploreFar : kExplore) || calls % (far ? 2 * kExplore : kExplore) == 0;
    }
    // What the others come to at least, over the challenger's estimate, on a block where they were not tried.
    double others_at_least(double far_ratio) const { return last_ratio >= far_ratio ? far_ratio : kClose; }
    // A block where the challenger's estimate came out at `mine` and the others' at `theirs` (infinite when
    // they were not tried).
    void saw(double mine, double theirs, size_t m) {
        ++calls;
        others_won += theirs <= mine;
        if (theirs < std::numeric_limits<double>::infinity()) last_ratio = theirs / mine;
        per_value_sum += mine / double(m);
    }
    // A block the challenger could not code at all: the others are tried on every block from here on.
    void failed() { ++others_won; }

    // The other way round: a challenger that lost on the last kExplore blocks it could code is only tried
    // again on every kExplore-th block, or where the others' block comes out more than kClose times costlier
    // per value than any block it lost to (the data has changed; cheaper blocks are no better chance for
    // it). Zeros with rare spikes are float32 values too: every block coded them as float32 to lose to the
    // decimal or run-length block by 1.25-2x, 40% of their encode time.
    size_t lost = 0;         // blocks running on which the challenger lost
    size_t skipped = 0;      // blocks since the challenger was last tried
    double others_most = 0;  // the others' largest estimated bytes per value on a block the challenger lost
    bool worth_trying() const {
        return lost < kExplore || skipped + 1 >= kExplore << std::min<size_t>(lost - kExplore, 3);
    }
    bool others_changed(double per_value) const { return per_value > kClose * others_most; }
    void skip() { ++skipped; }
    // A loss by far: the challenger is left out as after kExplore + 2 losses running (tried again after
    // 16 blocks, or where the others' blocks change).
    void back_off() { lost = std::max(lost, kExplore + 2); }
    // `coded`: whether the challenger could code the block at all (a block it cannot code says nothing).
    void tried(bool coded, double mine, double theirs, size_t m) {
        skipped = 0;
        if (!coded) return;
        lost = mine > theirs ? lost + 1 : 0;
        if (mine > theirs) others_most = std::max(others_most, theirs / double(m));
    }
};

template <class T>
struct SeriesEncoder {
    using Ub = U<T>;
    EncodeOptions opt;
    std::vector<Combo> combos;
    unsigned rd_right = Traits<T>::kBits - 16;
    SigGrid sig;             // the row group's significant-digit grid, when sig_on
    bool sig_on = false;
    KeyCounter* kc;
    Writer cand[2][5];  // base-method candidates, per nesting depth: alp, alp_rd, delta, raw, sig
    Writer comp[6];     // nesting candidates at the top level: F32, RLE, DICT, STRIDE, SPARSE, NEAR
    // Their integer streams (kept between blocks so their buffers are reused): candidates of encode_base,
    // the nesting candidates and the top-level base (encode_block), a nested block's (its caller's).
    SeqLog cand_logs[5];
    // The log of the block being encoded (encode_blocks), kept between blocks and calls for its buffers.
    SeqLog block_log;
    // Per nesting depth, how often each base method won in this row group, how close it came (its size over
    // the winner's, at best) and how many blocks chose. After the first kExplore blocks, a method that never
    // won nor came within kClose of the winner (or lost by over kLose on its last kLosingStreak blocks: see
    // `losing`) is only tried again on every kExplore-th block, or when a block comes out more than kClose
    // times the row group's mean size per value: neighbouring blocks are alike, and a losing candidate is
    // written out in full for nothing.
    std::array<std::array<uint32_t, 5>, 2> wins{};
    std::array<std::array<double, 5>, 2> closest{};
    std::array<size_t, 2> calls{};
    std::array<double, 2> per_value_sum{};  // of the chosen blocks' estimated bytes per value
    OrderMemory order_memory[2][3];          // per nesting depth: the alp, sig and delta streams
    // The dictionary codes' orders: one that lost by 10% on four blocks running is left out (ETTh1 4-7%
    // faster), but no order settles as the only one after a streak (that cost nyc29_lon 2% in size and a
    // random mix 10%; left out, 0.5% and at most 0.85%).
    OrderMemory codes_memory{.streaks = false};
    OrderMemory near_memory;  // the near blocks' corrections
    ComboMemory combo_memory[2];             // per nesting depth
    static constexpr size_t kExplore = Rivalry::kExplore;
    static constexpr double kClose = Rivalry::kClose;
    // `alp` always tries every method: its bytes for a given input stay those of every earlier release.
    bool worth_trying(int depth, unsigned method) const {
        const size_t c = calls[size_t(depth)];
        return !opt.automatic || c < kExplore || c % kExplore == 0 ||
               ((wins[size_t(depth)][method] > 0 || closest[size_t(depth)][method] < kClose) &&
                losing[size_t(depth)][method] < kLosingStreak);
    }
    SeqLog block_logs[7];  // the nesting candidates' (as comp), then the base methods'
    SeqLog nested_log;
    unsigned stride = 0;   // the row group's interleaved channels (find_stride), 0 for none
    std::unique_ptr<SeriesEncoder<float>> narrow;  // float64 only: encodes the float32 inside F32 blocks
    bool narrow_ready = false;                      // narrow analysed for the current row group
    T group_samples[kL1Blocks * kL1PerBlock];       // the current row group's first-level samples
    size_t group_ns = 0;

    SeriesEncoder(const EncodeOptions& o, KeyCounter* k) : opt(o), kc(k) {}

    void analyse_samples(const T* s, size_t ns) {
        for (auto& w : wins) w.fill(0);
        for (auto& c : closest) c.fill(std::numeric_limits<double>::infinity());
        for (auto& l : losing) l.fill(0);
        calls.fill(0);
        per_value_sum.fill(0);
        f32_rivalry.reset();
        dict_rivalry.reset();
        stride_rivalry.reset();
        rle_rivalry.reset();
        near_rivalry.reset();
        near_won = false;
        for (auto& depth : order_memory)
            for (OrderMemory& mem : depth) mem.reset();
        codes_memory.reset();
        near_memory.reset();
        again_memory = AgainMemory{};
        for (ComboMemory& mem : combo_memory) mem.reset();
        if constexpr (Traits<T>::kFloat) {
            combos = find_combos(s, ns, opt.compare_coded);
            rd_ns = std::min(ns, std::size(rd_samples));
            std::copy(s, s + rd_ns, rd_samples);
            rd_known = false;
            sig_on = opt.automatic && find_sig_grid(s, ns, sig);
        } else {
            (void)s, (void)ns;
        }
    }

    // Row-group analysis from samples spread over the whole row group (not just its first block).
    void analyse(const T* v, size_t n) {
        T* s = group_samples;
        size_t ns = 0;
        const size_t nb = (n + kBlockValues - 1) / kBlockValues;
        const size_t pick = std::min(nb, kL1Blocks);
        for (size_t j = 0; j < pick; ++j) {
            const size_t b = j * nb / pick;
            const size_t first = b * kBlockValues;
            const size_t m = std::min(kBlockValues, n - first);
            const size_t take = std::min(m, kL1PerBlock);
            for (size_t t = 0; t < take; ++t) {
                s[ns] = v[first + t * m / take];
                ns += !opt.automatic || sampled_value(s[ns]);
            }
        }
        analyse_samples(s, ns);
        group_ns = ns;
        narrow_ready = false;
        stride = opt.automatic ? find_stride(v, n) : 0;
    }

    // Channels interleaved value by value (x, y, x, y, ...; real and imaginary parts; the columns of a table
    // stored row by row): the lag L in 2..kFindStride whose differences v[i] - v[i - L], summed over
    // stretches of the row group, come to under a quarter of the neighbours' (L = 1); 0 for none. Only then
    // are stride blocks tried: two channels of decimals interleaved cost 9-10 bits a value as one series
    // and 3 as two. (A few thousand subtractions a row group: a series without channels pays nothing else.)
    static unsigned find_stride(const T* v, size_t n) {
        constexpr unsigned kFindStride = 8;
        constexpr size_t kStretch = 128, kStretches = 2;
        if (n < kStretches * kStretch) return 0;
        double sum[kFindStride + 1] = {};
        for (size_t k = 0; k < kStretches; ++k) {
            const T* x = v + k * (n - kStretch) / (kStretches - 1);
            for (unsigned lag = 1; lag <= kFindStride; ++lag) {
                double total = 0;
                for (size_t i = kFindStride; i < kStretch; ++i) {
                    // Infinities and NaN (and differences too large for a double) count nothing.
                    const double d = std::fabs(double(x[i]) - double(x[i - lag]));
                    total += d <= std::numeric_limits<double>::max() ? d : 0.0;
                }
                sum[lag] += total;
            }
        }
        unsigned best = 1;
        for (unsigned lag = 2; lag <= kFindStride; ++lag)
            if (sum[lag] < sum[best]) best = lag;
        return best > 1 && sum[best] * 4 < sum[1] ? best : 0;
    }

    static constexpr double kSparseMargin = 0.9;
    // Mostly zeros (bit pattern 0: +0.0, integer 0; rain, event counts, sparse spikes): the gaps between the
    // other values' positions as an integer stream, and those values as a nested block. Runs code such a
    // block as two runs a value, each with its length and value; here a value costs its gap alone. Tried
    // where all but one of every 32nd value are zero: with more nonzero values (a tenth of them decimals),
    // the other methods code the zeros nearly as cheaply, and sparse blocks won by their estimates lost in
    // the end (up to 12% larger: the first pass's cheaper blocks left the series dictionary untried).
    bool encode_sparse(const T* v, size_t m, Writer& w, SeqLog* log) {
        size_t sampled = 0;
        for (size_t i = 0; i < m; i += 32) sampled += bits_of(v[i]) == 0;
        if (sampled + 1 < (m + 31) / 32) return false;
        int64_t gaps[kScratch];
        T vals[kScratch];
        size_t k = 0, next = 0;
        for (size_t i = 0; i < m; ++i) {
            const bool nonzero = bits_of(v[i]) != 0;
            gaps[k] = int64_t(i - next);
            vals[k] = v[i];
            next = nonzero ? i + 1 : next;
            k += nonzero;
        }
        if (k == 0 || k * 2 > m) return false;
        w.clear();
        w.u8(kSparse);
        w.varint(k);
        write_intseq(gaps, k, opt.max_order, w, log, kCtxSparseGaps);
        append_base(w, vals, k, log);
        return true;
    }

    // Interleaved channels: channel c (values c, c + L, c + 2L, ... of the block) as a nested block each.
    bool encode_stride(const T* v, size_t m, unsigned lanes, Writer& w, SeqLog* log) {
        if (m < 2 * size_t(lanes)) return false;
        w.clear();
        w.u8(kStride);
        w.u8(uint8_t(lanes));
        T lane[kScratch];
        for (unsigned c = 0; c < lanes; ++c) {
            size_t mc = 0;
            for (size_t i = c; i < m; i += lanes) lane[mc++] = v[i];
            append_base(w, lane, mc, log);
        }
        return true;
    }

    // Sampled values all within one unit in the last place of a float32.
    static bool within_an_ulp_of_float32(const T* v, size_t m) {
        const size_t ns = std::min<size_t>(m, 16);
        for (size_t j = 0; j < ns; ++j)
            if (uint64_t(ulps_from_float32(double(v[ns == 16 ? (j * m) >> 4 : j]))) + 1 > 2) return false;
        return true;
    }

    // The smallest of the base methods (those a nested block may use). Returns the writer holding it.
    // `split`: whether the high-precision split and float deltas may be tried at all. `est`: the chosen
    // block's estimate (estimate() of it).
    Writer& encode_base(const T* v, size_t m, int depth, SeqLog* log, bool split = true, double* est = nullptr,
                        bool everything = false, double rival = std::numeric_limits<double>::infinity()) {
        Writer* best = nullptr;
        const size_t raw_size = 1 + m * sizeof(Ub);
        SeqLog* logs = cand_logs;
        if (log)
            for (unsigned k = 0; k < 5; ++k) logs[k].clear();
        // With the entropy stage to follow, candidates are compared as it will see them.
        double best_est = double(raw_size);
        double est_of[5] = {};
        bool tried[5] = {};
        // A candidate is judged by its estimate alone: one stream whose frame of reference is wider than
        // the raw values (a sign change among float deltas) may still code far below them. If its streams
        // stay frames of reference after all, the block goes out raw (cap_blocks_at_raw).
        auto consider = [&](Writer& w) {
            const double est = estimate(w, log ? &logs[&w - &cand[depth][0]] : nullptr);
            if (est >= double(raw_size)) return;
            est_of[&w - &cand[depth][0]] = est;
            tried[&w - &cand[depth][0]] = true;
            if (est < best_est) {
                best_est = est;
                best = &w;
            }
        };
        auto delta = [&](const int64_t* ints) {
            Writer& wd = cand[depth][2];
            wd.clear();
            wd.u8(kDelta);
            // Integers, and a nested block's floats (run values alternating between two levels: lag 2), may
            // go to the entropy stage at a lag. Not a top-level block's floats: where they repeat a pattern
            // exactly, the series dictionary codes it (and its codes take the lag); a lagged delta stream
            // beat the dictionary block by block, then cost more in its own table (a check mix 6% larger).
            const bool lag_wanted = opt.automatic && (depth > 0 || !Traits<T>::kFloat);
            const size_t lag = log && lag_wanted ? pattern_lag(ints, m) : 0;
            write_intseq(ints, m, opt.max_order, wd, log ? &logs[2] : nullptr, kCtxDelta, &order_memory[depth][2], lag);
            consider(wd);
        };
        if constexpr (Traits<T>::kFloat) {
            Writer& wa = cand[depth][0];
            wa.clear();
            bool attempted[5] = {};
            bool hopeless = false;
            // Round 0 tries the methods worth trying; round 1 the others, when the block came out far worse
            // than this row group's blocks so far (or raw): the data has changed.
            for (int round = everything ? 1 : 0; round < 2; ++round) {
                auto want = [&](unsigned k) { return !attempted[k] && (round == 1 || worth_trying(depth, k)); };
                if (want(0)) {
                    attempted[0] = true;
                    ComboMemory& memory = combo_memory[depth];
                    const bool settled = opt.automatic && memory.settled();
                    const bool coded = log && opt.compare_coded;
                    Combo c = settled ? memory.combo : pick_combo(v, m, combos, coded, opt.automatic, hopeless);
                    bool clean = false;
                    NearCount nc;
                    NearCount* ncp = depth == 0 && opt.automatic ? &nc : nullptr;
                    // Lags at the top level only: nested decimal blocks gained nothing from them on the check
                    // inputs.
                    const bool lags = opt.automatic && depth == 0;
                    if (!hopeless) clean = encode_alp(v, m, c, opt, wa, log ? &logs[0] : nullptr, &order_memory[depth][0], ncp, lags);
                    if (settled && !clean) {
                        // The settled pair missed values: the data may have changed, so rank the pairs after all.
                        c = pick_combo(v, m, combos, coded, opt.automatic, hopeless);
                        wa.clear();
                        if (log) logs[0].clear();
                        nc = NearCount{};
                        if (!hopeless) clean = encode_alp(v, m, c, opt, wa, log ? &logs[0] : nullptr, &order_memory[depth][0], ncp, lags);
                    }
                    memory.saw(c, clean);
                    if (depth == 0) {
                        near_pair = c;
                        near_worth = !hopeless && !clean && near_pays(nc, m);
                    }
                    // Decimals that the sample says are nearly all exceptions are not worth writing out.
                    if (!hopeless) consider(wa);
                }
                if (sig_on && want(4)) {
                    attempted[4] = true;
                    Writer& ws = cand[depth][4];
                    ws.clear();
                    const int64_t* q = nullptr;
                    const uint8_t* bad = nullptr;
                    if (depth == 0) {
                        kernels::sig_encode(v, m, sig.e, sig.p, sig.L, sig_q, sig_bad);
                        sig_kept = true;
                        q = sig_q, bad = sig_bad;
                    } else if (sig_from) {
                        for (size_t i = 0; i < m; ++i) nested_sig_q[i] = sig_q[sig_from[i]];
                        for (size_t i = 0; i < m; ++i) nested_sig_bad[i] = sig_bad[sig_from[i]];
                        q = nested_sig_q, bad = nested_sig_bad;
                    }
                    encode_sig(v, m, sig, opt.max_order, ws, log ? &logs[4] : nullptr, &order_memory[depth][1], q, bad);
                    consider(ws);
                }
                // The split only pays when the decimal route costs more than a high-precision value would.
                if (split && (!attempted[0] || hopeless || wa.size() * 8 > m * (Traits<T>::kBits - 20))) {
                    if (want(1)) {
                        attempted[1] = true;
                        // A high-precision block holds at least its right parts, packed: against a candidate
                        // already smaller it cannot win, and is counted at that size instead of written (on
                        // ETTh1's float32 decimals it took a tenth of the encode time). The candidate may be
                        // the caller's `rival`, a block of another kind (float32, dictionary) that the base
                        // methods face.
                        const unsigned rb = group_rd_right();
                        const double floor = double(3 + packed_size(m, rb));
                        if (floor < std::min(best_est, rival)) {
                            Writer& wr = cand[depth][1];
                            wr.clear();
                            encode_alp_rd(v, m, rb, *kc, wr);
                            consider(wr);
                        } else if (floor < double(raw_size)) {
                            est_of[1] = floor;
                            tried[1] = true;
                        }
                    }
                    if (opt.float_delta && want(2)) {
                        attempted[2] = true;
                        int64_t ints[kScratch];
                        for (size_t i = 0; i < m; ++i) ints[i] = int64_t(bits_of(v[i]));
                        delta(ints);
                    }
                }
                const size_t c = calls[size_t(depth)];
                if (!best || c == 0) continue;  // raw so far: try everything
                if (best_est / double(m) <= kClose * per_value_sum[size_t(depth)] / double(c)) break;
            }
        } else {
            int64_t ints[kScratch];
            std::memcpy(ints, v, m * sizeof(int64_t));
            delta(ints);
        }
        ++calls[size_t(depth)];
        per_value_sum[size_t(depth)] += (best ? best_est : double(raw_size)) / double(m);
        for (unsigned k = 0; k < 5; ++k)
            if (tried[k]) {
                closest[size_t(depth)][k] = std::min(closest[size_t(depth)][k], est_of[k] / best_est);
                losing[size_t(depth)][k] = est_of[k] > kLose * best_est ? losing[size_t(depth)][k] + 1 : 0;
            }
        if (est) *est = best_est;  // raw_size when no candidate beat raw
        if (!best) {
            ++wins[size_t(depth)][3];
            Writer& w = cand[depth][3];
            w.clear();
            w.u8(kRaw);
            w.append(v, m * sizeof(Ub));
            return w;
        }
        ++wins[size_t(depth)][size_t(best - &cand[depth][0])];
        if (log) log->absorb(logs[best - &cand[depth][0]]);
        return *best;
    }

    // A candidate's size as the entropy stage will see it (with compare_coded and a log), else its bytes.
    double estimate(const Writer& w, const SeqLog* log) const {
        return log && opt.compare_coded ? entropy_size_estimate(w, *log, opt.table_share) : double(w.size());
    }

    double last_estimate = 0;  // of the block encode_block returned last

    // In this row group: float32 blocks against the base methods on the same values, and dictionary blocks
    // against every other method.
    Rivalry f32_rivalry, dict_rivalry;
    // Stride blocks that lose (a row group whose first and last values looked interleaved, and the rest
    // not) back off as float32 blocks do.
    Rivalry stride_rivalry;
    // Run-length blocks that lose back off the same way.
    Rivalry rle_rivalry;
    // Near blocks that lose back off the same way. near_pair: the decimal pair the top-level alp candidate
    // of this block took; near_worth: whether it left values out (exceptions or a second pair), which
    // a near block may bring back as corrections.
    Rivalry near_rivalry;
    Combo near_pair;
    bool near_worth = false;
    // Whether a near block won in this row group, and the pair of the last one that did.
    bool near_won = false;
    Combo won_near_pair;
    // The estimate of the block encode_block returned last without the dictionary (where the other methods
    // were not tried, kClose times the dictionary block's: what they came to at best in this row group).
    double last_without_dict = 0;
    // Bytes by which the block encode_block returned last came out cheaper for pricing a few levels
    // (order_proxies): the dictionary is judged against the blocks without it (see worth_a_try).
    double last_levels_saving = 0;

    // Top-level block: the base methods, then (auto) the nesting ones. `entry` (the series dictionary's
    // entries of the block's values, see encode_dict) makes the dictionary a candidate, tried first.
    Writer& encode_block(const T* v, size_t m, SeqLog* log, const uint32_t* entry = nullptr) {
        sig_kept = false;  // the sig integers kept are this block's only
        // Top-level delta streams of floats are also priced as a few levels (order_proxies) where the
        // series has no dictionary: blocks of a few full-precision levels in a series that takes none
        // (a stretch of set points in a longer record). Not where it has one, which codes them already: the
        // entropy stage's table then holds each level's full bit pattern a second time (a series of 14
        // blocks came out 18% larger). Nor in nested blocks (a run-length block's values): runs of a few
        // levels, priced so, no longer left room for the dictionary.
        order_memory[0][2].levels = Traits<T>::kFloat && entry == nullptr;
        order_memory[0][2].levels_saving = 0;
        last_levels_saving = 0;
        near_worth = false;
        SeqLog& base_log = block_logs[6];
        SeqLog* comp_log = block_logs;
        if (log)
            for (SeqLog& l : block_logs) l.clear();
        double dict_est = std::numeric_limits<double>::infinity();
        // Where a challenger's block says the data has changed, every base method is tried again.
        bool changed = false;
        if (entry) {
            if (encode_dict(v, entry, m, comp[2], log ? &comp_log[2] : nullptr)) {
                dict_est = estimate(comp[2], log ? &comp_log[2] : nullptr);
                changed = dict_rivalry.changed(dict_est / double(m));
            } else {
                dict_rivalry.failed();
            }
            if (dict_est < double(1 + m * sizeof(Ub)) &&
                !dict_rivalry.others_worth_trying(dict_est / double(m), Rivalry::kFar)) {
                dict_rivalry.saw(dict_est, std::numeric_limits<double>::infinity(), m);
                last_estimate = dict_est;
                last_without_dict = dict_rivalry.others_at_least(Rivalry::kFar) * dict_est;
                if (log) log->absorb(comp_log[2]);
                return comp[2];
            }
        }
        // Float32 values widened (or an ulp off them) first: the float32 block then costs at most 32 bits
        // and a tiny correction a value, which the 48 and more bits of a split double can never beat.
        bool f32 = false, split = true;
        bool try_f32 = f32_rivalry.worth_trying();
        if constexpr (std::is_same_v<T, double>) {
            if (opt.automatic && try_f32) {
                f32 = encode_f32(v, m, comp[0], log ? &comp_log[0] : nullptr);
                split = !(f32 && within_an_ulp_of_float32(v, m));
            }
        }
        double best_est = std::numeric_limits<double>::infinity();
        Writer* best = nullptr;
        SeqLog* best_log = &base_log;
        double f32_est = 0;
        if (f32) {
            f32_est = estimate(comp[0], log ? &comp_log[0] : nullptr);
            changed |= f32_rivalry.changed(f32_est / double(m));
        }
        // Where the float32 blocks of this row group have beaten the base methods by far, the base methods
        // are only tried on every kExplore-th block, or when the float32 block is far costlier or cheaper
        // than the row group's float32 blocks so far (Rivalry).
        const bool base_needed =
            !f32 || f32_est >= double(1 + m * sizeof(Ub)) ||
            f32_rivalry.others_worth_trying(f32_est / double(m), Rivalry::kFarFloat32);
        if (base_needed)
            best = &encode_base(v, m, 0, log ? &base_log : nullptr, split, &best_est, changed,
                                std::min(dict_est, f32 ? f32_est : std::numeric_limits<double>::infinity()));
        last_estimate = best_est;
        if (!opt.automatic) {
            if (log) log->absorb(base_log);
            return *best;
        }
        auto consider = [&](int k, double est) {
            if (est < best_est) {
                best = &comp[k];
                best_log = &comp_log[k];
                best_est = est;
            }
        };
        const double base_est = best ? best_est : std::numeric_limits<double>::infinity();
        if (f32) f32_rivalry.saw(f32_est, base_est, m);
        double rle_est = std::numeric_limits<double>::infinity();
        if (rle_rivalry.worth_trying() || rle_rivalry.others_changed(base_est / double(m))) {
            const bool coded = encode_rle(v, m, comp[1], log ? &comp_log[1] : nullptr);
            if (coded) rle_est = estimate(comp[1], log ? &comp_log[1] : nullptr);
            rle_rivalry.tried(coded, rle_est, base_est, m);
        } else {
            rle_rivalry.skip();
        }
        const double others_est = std::min(base_est, rle_est);
        if constexpr (std::is_same_v<T, double>) {
            // Left out after losing, but tried where the other methods' block says the data has changed.
            if (!try_f32 && f32_rivalry.others_changed(others_est / double(m))) {
                f32 = encode_f32(v, m, comp[0], log ? &comp_log[0] : nullptr);
                if (f32) f32_est = estimate(comp[0], log ? &comp_log[0] : nullptr);
                try_f32 = true;
            }
        }
        if (!try_f32) {
            f32_rivalry.skip();
        } else {
            f32_rivalry.tried(f32, f32_est, others_est, m);
            if (f32) consider(0, f32_est);
        }
        consider(1, rle_est);
        // Kept only 10% below the others: where they come close (a tenth of the values nonzero decimals,
        // coded as small integers among zeros), the estimate's pick cost up to 12% more than it saved, the
        // gaps taking an entropy table of their own.
        if (encode_sparse(v, m, comp[4], log ? &comp_log[4] : nullptr)) {
            const double est = estimate(comp[4], log ? &comp_log[4] : nullptr);
            if (est < kSparseMargin * best_est) consider(4, est);
        }
        // A block whose decimal candidate took a pair that leaves nothing for near blocks (a finer one that
        // fits every value) is tried under the pair of the row group's last near block, while near blocks
        // do not lose: float32 sums of 2-decimal values are exact with 6 decimals, which the pair ranking
        // preferred on some blocks to 2 decimals with a fifth of the values an ulp off, and from there on
        // the blocks went to float deltas at 16 bits a value where near blocks take 10.
        const bool retry = !near_worth && near_won && near_rivalry.worth_trying();
        if (retry) near_pair = won_near_pair;
        if (near_worth || retry) {
            if (near_rivalry.worth_trying() || near_rivalry.others_changed(best_est / double(m))) {
                const bool coded = encode_near(v, m, comp[5], log ? &comp_log[5] : nullptr);
                const double est = coded ? estimate(comp[5], log ? &comp_log[5] : nullptr) : 0;
                near_rivalry.tried(coded, est, best_est, m);
                // Values a few units off a decimal pair that does not fit the data otherwise (ETTh1's
                // float32 readings under a pair of many decimals): near blocks came out 3.7x the others'
                // on the first blocks, each try a nested block's encode (8% of ETTh1 HUFL's encode time).
                if (coded && est > kNearFar * best_est) near_rivalry.back_off();
                if (coded && est < kNearMargin * best_est) consider(5, est);
            } else {
                near_rivalry.skip();
            }
        }
        if (stride) {
            if (stride_rivalry.worth_trying() || stride_rivalry.others_changed(best_est / double(m))) {
                const bool coded = encode_stride(v, m, stride, comp[3], log ? &comp_log[3] : nullptr);
                const double est = coded ? estimate(comp[3], log ? &comp_log[3] : nullptr) : 0;
                stride_rivalry.tried(coded, est, best_est, m);
                if (coded) consider(3, est);
            } else {
                stride_rivalry.skip();
            }
        }
        last_without_dict = best_est;
        if (dict_est < std::numeric_limits<double>::infinity()) {
            dict_rivalry.saw(dict_est, best_est, m);
            consider(2, dict_est);
        }
        last_estimate = best_est;
        if (best == &cand[0][2]) last_levels_saving = order_memory[0][2].levels_saving / 8;
        if (best == &comp[5]) {
            near_won = true;
            won_near_pair = near_pair;
        }
        if (log) log->absorb(*best_log);
        return *best;
    }

    // Whether a block's dictionary codes take fewer bits (their order-0 entropy) with "again" codes than with
    // every value's own entry. Repeats of the value before pay where they come in runs; among a few levels
    // drawn at random, a sixth of the values equal the one before by chance, and the again code, which the
    // entry codes then no longer rule out, cost 0.2 bits a value over the levels' own entropy. Only blocks
    // of small entries are checked (their counts fit a small table; a large dictionary's repeats save a
    // long code each, and losing a little where they are chance costs little there). A value equal to the
    // one before is in the dictionary (it occurs twice), so the escapes are the same either way.
    // In a row group where the check kept the again codes on its last two blocks (runs), only every eighth
    // block is checked: the counts took 2.5% of ETTh1 LULL's encode time, checked on every block.
    struct AgainMemory {
        static constexpr unsigned kEvery = 8;
        unsigned kept = 0, blocks = 0;
        bool check_due() { return kept < 2 || blocks++ % kEvery == 0; }
        void saw(bool pays) { kept = pays ? kept + 1 : 0; }
    };
    AgainMemory again_memory;
    static constexpr uint32_t kAgainCheckEntries = 64;
    static constexpr double kChanceRepeats = 1.15;
    static bool small_entries(const uint32_t* entry, size_t m) {
        uint32_t top = 0;
        for (size_t i = 0; i < m; ++i) top = std::max(top, entry[i]);
        return top < kAgainCheckEntries;
    }
    static bool again_pays(const uint32_t* entry, const int64_t* codes, size_t m) {
        uint32_t with[kAgainCheckEntries + 2] = {}, without[kAgainCheckEntries + 2] = {};
        for (size_t i = 0; i < m; ++i) {
            ++with[codes[i]];
            ++without[entry[i] ? entry[i] + 1 : 0];
        }
        // Repeats more often than the entries' frequencies make by chance (m times the sum of their squared
        // shares) are runs: the again code is kept. Blocks of runs of one value might look cheaper without
        // it, as their own entropy goes, but the again code is cheap in the model all blocks share, their
        // value's entry code is not.
        double sw = 0, so = 0, squares = 0;
        for (size_t c = 2; c < kAgainCheckEntries + 2; ++c) squares += double(without[c]) * double(without[c]);
        if (double(with[1]) * double(m) > kChanceRepeats * squares) return true;
        // The sum of c log2 c over the counts is m log2 m less the entropy in bits: the larger, the fewer bits.
        for (size_t c = 0; c < kAgainCheckEntries + 2; ++c) {
            sw += with[c] > 1 ? double(with[c]) * log2_of_count(with[c]) : 0.0;
            so += without[c] > 1 ? double(without[c]) * log2_of_count(without[c]) : 0.0;
        }
        return sw >= so;
    }

    // The lag at which a block's dictionary entries repeat themselves (pattern_lag), or 0. A pattern of
    // exact values takes a dictionary entry per value, so its codes are where it shows; an entropy-coded
    // stream at that lag is then a few bits a pattern.
    static size_t entry_lag(const uint32_t* entry, size_t m) {
        return entry[m - 1] != 0 ? pattern_lag(entry, m) : 0;
    }

    // Codes into the series dictionary: 0 = escape (the value follows in a nested block), 1 = the previous
    // value again, c >= 2 = entry c - 2. `entry`: each value's entry + 1 in the dictionary, 0 if not in it.
    bool encode_dict(const T* v, const uint32_t* entry, size_t m, Writer& w, SeqLog* log) {
        int64_t codes[kScratch];
        T esc[kScratch];
        // Codes first (a kernel: one loop that also gathered the escapes took a branch on whether a value
        // repeats the one before, mispredicted on levels that repeat at random, and did not vectorise: 8%
        // of ETTh1 LULL's encode time), then the escapes (code 0), where there are any.
        size_t nesc = kernels::dict_codes(v, entry, m, codes);
        if (nesc * 8 > m * 7) return false;  // hardly anything in the dictionary
        if (nesc) {
            nesc = 0;
            for (size_t i = 0; i < m; ++i) {
                esc[nesc] = v[i];
                nesc += codes[i] == 0;
            }
        }
        if (opt.compare_coded && again_memory.check_due() && small_entries(entry, m)) {
            const bool pays = again_pays(entry, codes, m);
            again_memory.saw(pays);
            if (!pays)
                for (size_t i = 0; i < m; ++i) codes[i] = entry[i] ? int64_t(entry[i]) + 1 : 0;
        }
        w.clear();
        w.u8(kDict);
        write_intseq(codes, m, opt.max_order, w, log, kCtxDictCodes, &codes_memory, log ? entry_lag(entry, m) : 0);
        if (nesc) {
            append_base(w, esc, nesc, log);
        }
        return true;
    }

    // Appends a nested block's bytes and its integer streams (offsets moved to where the bytes land).
    static void append_nested(Writer& w, const Writer& nested, const SeqLog& nested_log, SeqLog* log) {
        if (log) log->take(nested_log, w.size());
        w.append(nested.bytes.data(), nested.size());
    }
    // Appends k values as a nested block of the smallest base method.
    void append_base(Writer& w, const T* vals, size_t k, SeqLog* log) {
        nested_log.clear();
        Writer& nb = encode_base(vals, k, 1, log ? &nested_log : nullptr);
        append_nested(w, nb, nested_log, log);
    }

    // Doubles that are float32 values, or within a few units in the last place of one (float32 data printed
    // with 17 digits and parsed back): the float32 values through the float32 methods, plus corrections.
    bool encode_f32(const T* v, size_t m, Writer& w, SeqLog* log) {
        if constexpr (std::is_same_v<T, double>) {
            // A look at a few values first: ordinary doubles are far from every float32 and leave at once,
            // as soon as enough of the few are far to fail the look (three of 16: the first three, for most
            // blocks of ordinary doubles). The block is not in cache yet, and each of the 16 is a cache line
            // of its own: looking at all of them was 3-4% of the decimal series' encode time.
            // (Positions j * m / nf without a division each: nf is 16, or m itself.)
            const size_t nf = std::min<size_t>(m, 16);
            size_t far = 0;
            for (size_t j = 0; j < nf; ++j) {
                far += !near_float32(ulps_from_float32(v[nf == 16 ? (j * m) >> 4 : j]));
                if ((nf - far) * 8 < nf * 7) return false;  // under 7/8 near even if the rest are
            }
            float fv[kScratch];
            int64_t corr[kScratch];
            uint64_t any = 0;
            size_t near = 0;
            bool subnormal = false;
            for (size_t i = 0; i < m; ++i) {
                const float f = float(v[i]);
                fv[i] = f;
                const uint32_t fb = std::bit_cast<uint32_t>(f);
                // Subnormal floats would widen differently on machines that flush them; never store them.
                subnormal |= (fb & 0x7F800000u) == 0 && (fb & 0x007FFFFFu) != 0;
                corr[i] = int64_t(std::bit_cast<uint64_t>(v[i]) - std::bit_cast<uint64_t>(double(f)));
                any |= uint64_t(corr[i]);
                near += near_float32(corr[i]);
            }
            // Mostly far from float32 values (ordinary doubles): not worth trying.
            if (subnormal || near * 8 < m * 7) return false;
            if (!narrow) narrow = std::make_unique<SeriesEncoder<float>>(opt, kc);
            // The float32 side is analysed once per row group, when the first block gets here: from the row
            // group's samples (spread over 8 blocks) when they are float32 values too, else from
            // this block's.
            if (!narrow_ready) {
                float s[kL1Blocks * kL1PerBlock];
                size_t ns = 0;
                for (size_t j = 0; j < group_ns; ++j) {
                    s[ns] = float(group_samples[j]);
                    ns += near_float32(ulps_from_float32(group_samples[j]));
                }
                if (ns * 8 < group_ns * 7) ns = sample_block(fv, m, s, true);
                narrow->analyse_samples(s, ns);
                narrow_ready = true;
            }
            nested_log.clear();
            Writer& nb = narrow->encode_base(fv, m, 1, log ? &nested_log : nullptr);
            w.clear();
            w.u8(kF32);
            w.u8(any ? 1 : 0);
            if (any) write_intseq(corr, m, opt.max_order, w, log, kCtxF32Corr);
            append_nested(w, nb, nested_log, log);
            return true;
        } else {
            (void)v, (void)m, (void)w, (void)log;
            return false;
        }
    }

    // Near blocks are tried where the block's decimal candidate (encode_alp's NearCount) says they pay: a
    // few values off cost little as its exceptions; values far from every decimal are no better here; and
    // where most are off, the pair is too fine a grid for values that are not decimals (full-precision
    // float32 values lie a few units off 7-decimal numbers).
    static bool near_pays(const NearCount& nc, size_t m) {
        return nc.off * 32 >= m && (nc.missed - nc.off) * 8 <= m && (m - nc.missed) * 2 >= m;
    }
    // Kept only 10% below the others, as sparse blocks are: its two streams take entropy tables of their
    // own, which a few near blocks among others do not pay for (a float32 2-D field, 4 near blocks of 20,
    // came out 1.7% larger).
    static constexpr double kNearMargin = 0.9;
    static constexpr double kNearFar = 3;
    // Decimals a few units in the last place off (sums of decimals, prices times quantities, unit
    // conversions: arithmetic in binary lands next to the decimal a quarter of the time or more), which
    // the decimal block makes exceptions of: the decimals themselves as a nested block, and each value's
    // distance from its decimal in units in the last place as an integer stream (mostly 0 and +-1). The
    // decimal of a value is what the block's decimal pair decodes its integer to; values far from it
    // (NaN, or not decimals at all) go into the nested block as they are, with no correction.
    bool encode_near(const T* v, size_t m, Writer& w, SeqLog* log) {
        if constexpr (Traits<T>::kFloat) {
            int64_t ints[kScratch];
            uint8_t bad[kScratch];
            if (!kernels::alp_encode(v, m, near_pair.e, near_pair.f, ints, bad, true)) return false;
            // (encode_alp counted these distances for near_pays under the same pair, so the block is coded.)
            using S = std::make_signed_t<Ub>;
            T a[kScratch];
            int64_t corr[kScratch];
            for (size_t i = 0; i < m; ++i) {
                a[i] = v[i];
                corr[i] = 0;
                if (!bad[i]) continue;
                const T d = alp_decode_value(ints[i], near_pair.e, near_pair.f, T{});
                const int64_t c = int64_t(S(Ub(bits_of(v[i]) - bits_of(d))));
                if (c >= -kNearUlps && c <= kNearUlps) {
                    a[i] = d;
                    corr[i] = c;
                }
            }
            w.clear();
            w.u8(kNear);
            write_intseq(corr, m, opt.max_order, w, log, kCtxNearCorr | (sizeof(T) == 4 ? 1u << 16 : 0),
                         &near_memory);
            append_base(w, a, m, log);
            return true;
        } else {
            (void)v, (void)m, (void)w, (void)log;
            return false;
        }
    }

    // Runs of identical values: run lengths, then the run values as a nested block.
    bool encode_rle(const T* v, size_t m, Writer& w, SeqLog* log) {
        const size_t changes = kernels::count_changes(v, m);  // counted first: most blocks have too many runs
        if ((changes + 1) * 4 > m * 3) return false;
        // Where each run starts, without a branch per value (runs of random lengths mispredict): every
        // position is written at the next free slot, which only moves on at a change.
        uint16_t start[kScratch + 1];
        size_t runs = 1;
        start[0] = 0;
        for (size_t i = 1; i < m; ++i) {
            start[runs] = uint16_t(i);
            runs += bits_of(v[i]) != bits_of(v[i - 1]);
        }
        start[runs] = uint16_t(m);
        T vals[kScratch];
        int64_t lens[kScratch];
        for (size_t r = 0; r < runs; ++r) {
            vals[r] = v[start[r]];
            lens[r] = int64_t(start[r + 1] - start[r]) - 1;
        }
        if (runs * 4 > m * 3) return false;
        nested_log.clear();
        // The runs' values are some of the block's own: where the block's sig integers were just made, the
        // nested block's are taken from them (sig integers are made value by value).
        sig_from = sig_kept ? start : nullptr;
        Writer& nb = encode_base(vals, runs, 1, log ? &nested_log : nullptr);
        sig_from = nullptr;
        w.clear();
        w.u8(kRle);
        w.varint(runs);
        write_intseq(lens, runs, opt.max_order, w, log, kCtxRunLengths);
        append_nested(w, nb, nested_log, log);
        return true;
    }

    // Per nesting depth and method, the blocks running on which it was tried and lost by over kLose: it
    // is then left out like a method that never came close (worth_trying), until it comes within kLose
    // again on one of the blocks where everything is tried. (ucr_facefour's decimals came within 1.25 of
    // its significant digits once, and were tried on every block after, to lose by 10-50%.)
    std::array<std::array<uint32_t, 5>, 2> losing{};
    static constexpr uint32_t kLosingStreak = 4;
    static constexpr double kLose = 1.1;

    // The row group's high-precision split, found from its samples when a block first tries the method:
    // most row groups never do (decimals, float32 data), and the search over 16 splits on every row group
    // cost exchange_rate/c4 3-4% of its encode time and the decimal series up to 2.5%.
    T rd_samples[kL1Blocks * kL1PerBlock];
    size_t rd_ns = 0;
    bool rd_known = false;
    // The sig integers and verdicts of the block encode_block is writing, where its base methods tried sig
    // (sig_kept), and while a nested block of its runs is encoded, where each run's value sits in it
    // (sig_from).
    int64_t sig_q[kScratch];
    uint8_t sig_bad[kScratch];
    int64_t nested_sig_q[kScratch];
    uint8_t nested_sig_bad[kScratch];
    bool sig_kept = false;
    const uint16_t* sig_from = nullptr;

    unsigned group_rd_right() {
        if constexpr (Traits<T>::kFloat) {
            if (!rd_known) {
                rd_right = find_rd_right(rd_samples, rd_ns, *kc);
                rd_known = true;
            }
        }
        return rd_right;
    }
};

struct BlockPass {
    Writer blocks;
    std::vector<uint16_t> dir;
    SeqLog log;
    // The blocks' sizes as the entropy stage will see them (their bytes without one): the dictionary is
    // judged by these, since a block chosen for its coded size may hold wide frames of reference.
    std::vector<double> estimates;
    // The same without the series dictionary (where that was not tried: see last_without_dict).
    std::vector<double> without_dict;
    // What pricing a few levels took off each block's estimate (SeriesEncoder::last_levels_saving): the
    // dictionary is judged against the blocks without it, as it holds those levels already (priced so, a
    // block kept over a `dict` block made a table of the same levels in full).
    std::vector<double> levels_saving;

    void clear() {
        blocks.clear();
        dir.clear();
        log.clear();
        estimates.clear();
        without_dict.clear();
        levels_saving.clear();
    }
    static double sum(const std::vector<double>& v) {
        double total = 0;
        for (double e : v) total += e;
        return total;
    }
    double estimated_bytes() const { return sum(estimates); }
    double estimated_bytes_without_levels() const { return sum(estimates) + sum(levels_saving); }
    // Appends another pass's blocks (the next ones in the series).
    void take(const BlockPass& other) {
        log.take(other.log, blocks.size());
        blocks.append(other.blocks.bytes.data(), other.blocks.size());
        dir.insert(dir.end(), other.dir.begin(), other.dir.end());
        estimates.insert(estimates.end(), other.estimates.begin(), other.estimates.end());
        without_dict.insert(without_dict.end(), other.without_dict.begin(), other.without_dict.end());
        levels_saving.insert(levels_saving.end(), other.levels_saving.begin(), other.levels_saving.end());
    }
};

// One encoder (with its scratch) per thread, and with several threads one more for the first row group
// alone (the last one): the first blocks are encoded before the others to choose the series dictionary,
// and the first row group continues from there with that encoder's state.
template <class T>
struct Workers {
    std::vector<std::unique_ptr<KeyCounter>> counters;
    std::vector<std::unique_ptr<SeriesEncoder<T>>> encoders;
    Workers(const EncodeOptions& opt, unsigned threads) {
        for (unsigned k = 0; k < (threads > 1 ? threads + 1 : 1); ++k) {
            counters.push_back(std::make_unique<KeyCounter>());
            encoders.push_back(std::make_unique<SeriesEncoder<T>>(opt, counters.back().get()));
        }
    }
    // For another series: every other field is set again as the row groups are analysed.
    void set_options(const EncodeOptions& opt) {
        for (auto& e : encoders) {
            e->opt = opt;
            if constexpr (std::is_same_v<T, double>) {
                if (e->narrow) e->narrow->opt = opt;
            }
        }
    }
    SeriesEncoder<T>& first_group() { return *encoders.back(); }
    // The series' first blocks (encode_series), kept with the workers for their buffers: fresh ones grew
    // from nothing on every call and gave their memory back to the system at the end (a tenth of
    // exchange_rate/c4's encode went to page faults and the heap's growth and trimming).
    BlockPass head;
};

// Workers for one encode, taken from those the thread kept from earlier ones (or made) and given back after
// it. Fresh ones cost the short series 2-6% of their encode: the key counter's table is cleared and every
// candidate's buffers grow again from nothing. A nested encode (a dictionary's entries) takes another while
// the outer one holds its own.
template <class T>
class PooledWorkers {
public:
    PooledWorkers(const EncodeOptions& opt, unsigned threads) {
        std::vector<std::unique_ptr<Workers<T>>>& kept = pool();
        const size_t encoders = threads > 1 ? threads + 1 : 1;
        for (size_t k = kept.size(); k-- > 0;)
            if (kept[k]->encoders.size() == encoders) {
                w_ = std::move(kept[k]);
                kept.erase(kept.begin() + long(k));
                w_->set_options(opt);
                return;
            }
        w_ = std::make_unique<Workers<T>>(opt, threads);
    }
    ~PooledWorkers() {
        std::vector<std::unique_ptr<Workers<T>>>& kept = pool();
        if (kept.size() < kKept) kept.push_back(std::move(w_));
    }
    PooledWorkers(const PooledWorkers&) = delete;
    PooledWorkers& operator=(const PooledWorkers&) = delete;
    Workers<T>& operator*() { return *w_; }

private:
    static constexpr size_t kKept = 4;  // an encode and its dictionary's, for a thread count or two
    static std::vector<std::unique_ptr<Workers<T>>>& pool() {
        static thread_local std::vector<std::unique_ptr<Workers<T>>> kept;
        return kept;
    }
    std::unique_ptr<Workers<T>> w_;
};

// Row groups are encoded independently (each is analysed from its own samples), so they can be spread
// over threads; their blocks are then joined in order, which gives the same bytes for any thread count.
// The blocks are appended to those `pass` holds already.
template <class T, class F>
void by_row_groups(Workers<T>& workers, size_t nblocks, unsigned threads, BlockPass& pass, F&& group) {
    const size_t ngroups = (nblocks + kRowgroupBlocks - 1) / kRowgroupBlocks;
    if (threads <= 1 || ngroups <= 1) {
        for (size_t g = 0; g < ngroups; ++g) group(g ? *workers.encoders[0] : workers.first_group(), g, pass);
        return;
    }
    std::vector<BlockPass> parts(ngroups);
    detail::parallel_tasks(ngroups, threads, [&](size_t g, unsigned w) {
        group(g ? *workers.encoders[w] : workers.first_group(), g, parts[g]);
    });
    for (const BlockPass& part : parts) pass.take(part);
}

// The first-pass blocks [from, to) of row group g onto `into`; each row group is analysed at its first
// block. `entry`: the series dictionary's entry of every value, when it is a candidate in every block.
template <class T>
void encode_blocks(SeriesEncoder<T>& enc, const T* values, size_t n, size_t from, size_t to, bool want_log,
                   const uint32_t* entry, BlockPass& into) {
    SeqLog& block_log = enc.block_log;
    for (size_t b = from; b < to; ++b) {
        const size_t at = b * kBlockValues;
        if (b % kRowgroupBlocks == 0) enc.analyse(values + at, std::min(n - at, kRowgroupBlocks * kBlockValues));
        const size_t before = into.blocks.size();
        block_log.clear();
        Writer& w = enc.encode_block(values + at, std::min(kBlockValues, n - at), want_log ? &block_log : nullptr,
                                     entry ? entry + at : nullptr);
        if (want_log) into.log.take(block_log, before);
        into.blocks.append(w.bytes.data(), w.size());
        into.dir.push_back(uint16_t(w.size()));
        into.estimates.push_back(enc.last_estimate);
        into.without_dict.push_back(enc.last_without_dict);
        into.levels_saving.push_back(enc.last_levels_saving);
    }
}

// The first pass from block `start` on (the blocks before it are in `pass` already, encoded by the first
// row group's encoder, which goes on from there).
template <class T>
void run_blocks(Workers<T>& workers, const T* values, size_t n, bool want_log, unsigned threads, size_t start,
                const uint32_t* entry, BlockPass& pass) {
    const size_t nblocks = (n + kBlockValues - 1) / kBlockValues;
    by_row_groups(workers, nblocks, threads, pass, [&](SeriesEncoder<T>& enc, size_t g, BlockPass& into) {
        encode_blocks(enc, values, n, std::max(start, g * kRowgroupBlocks),
                      std::min(nblocks, (g + 1) * kRowgroupBlocks), want_log, entry, into);
    });
}

// The pass with a dictionary: each block is the first pass's block unless a `dict` block is smaller (the
// other methods would choose exactly as they did, so they are not run again). `analysed`: the first row
// group's encoder goes on from the blocks it has just encoded (the first blocks of a dictionary-first pass),
// so its row group is not analysed again.
template <class T>
void run_dict_blocks(Workers<T>& workers, const T* values, const uint32_t* entry, size_t n, bool want_log,
                     unsigned threads, const BlockPass& first, bool analysed, BlockPass& pass) {
    const size_t nblocks = first.dir.size();
    pass.clear();
    pass.blocks.bytes.reserve(first.blocks.size());
    pass.dir.reserve(nblocks);
    // Where each block starts in the first pass.
    std::vector<size_t> offset(nblocks + 1, 0);
    for (size_t b = 0; b < nblocks; ++b) offset[b + 1] = offset[b] + first.dir[b];
    by_row_groups(workers, nblocks, threads, pass, [&](SeriesEncoder<T>& enc, size_t g, BlockPass& into) {
        SeqLog block_log;
        const size_t b0 = g * kRowgroupBlocks;
        size_t src = offset[b0];
        size_t next = size_t(std::lower_bound(first.log.entries.begin(), first.log.entries.end(), src,
                                              [](const SeqEntry& e, size_t at) { return e.start < at; }) -
                             first.log.entries.begin());
        const size_t at0 = b0 * kBlockValues;
        if (!analysed) enc.analyse(values + at0, std::min(n - at0, kRowgroupBlocks * kBlockValues));
        for (size_t b = b0; b < std::min(nblocks, b0 + kRowgroupBlocks); ++b) {
            const size_t at = b * kBlockValues;
            const size_t m = std::min(kBlockValues, n - at);
            const size_t before = into.blocks.size();
            const size_t end = src + first.dir[b];
            const size_t from = next;  // this block's streams in the first pass: [from, next)
            while (next < first.log.entries.size() && first.log.entries[next].start < end) ++next;
            block_log.clear();
            Writer& w = enc.comp[2];
            SeqLog* wlog = want_log ? &block_log : nullptr;
            const bool coded = enc.encode_dict(values + at, entry + at, m, w, wlog);
            const double est = coded ? enc.estimate(w, wlog) : 0;
            if (coded) {
                enc.dict_rivalry.saw(est, first.estimates[b], m);
            } else {
                enc.dict_rivalry.failed();
            }
            into.without_dict.push_back(first.estimates[b]);
            if (coded && est < first.estimates[b] + first.levels_saving[b]) {
                if (want_log) into.log.take(block_log, before);
                into.blocks.append(w.bytes.data(), w.size());
                into.estimates.push_back(est);
                into.levels_saving.push_back(0);
            } else {
                into.blocks.append(first.blocks.bytes.data() + src, first.dir[b]);
                if (want_log) into.log.take_entries(first.log, from, next, before - src);
                into.estimates.push_back(first.estimates[b]);
                into.levels_saving.push_back(first.levels_saving[b]);
            }
            into.dir.push_back(uint16_t(into.blocks.size() - before));
            src = end;
        }
    });
}

// A dictionary pays when a large share of the values repeat and the plain blocks are expensive (their
// bytes as written: frames of reference).
constexpr size_t kDictMinBitsPerValue = 12;

void cap_blocks_at_raw(Writer& out, size_t area, std::vector<uint16_t>& dir, const uint8_t* values, size_t n,
                       size_t value_bytes) {
    auto raw_size = [&](size_t b) { return 1 + std::min(kBlockValues, n - b * kBlockValues) * value_bytes; };
    size_t at = area, b = 0;
    while (b < dir.size() && dir[b] <= raw_size(b)) at += dir[b++];
    if (b == dir.size()) return;
    Writer tail;
    for (size_t src = at; b < dir.size(); ++b) {
        const size_t size = dir[b];
        if (size <= raw_size(b)) {
            tail.append(out.bytes.data() + src, size);
        } else {
            tail.u8(kRaw);
            tail.append(values + b * kBlockValues * value_bytes, raw_size(b) - 1);
            dir[b] = uint16_t(raw_size(b));
        }
        src += size;
    }
    out.bytes.resize(at);
    out.append(tail.bytes.data(), tail.size());
}

// A look at the series once its first blocks are encoded (kProbeBlocks[0] of them): given their estimated
// bits a value, and a way to ask whether the series dictionary's sample already rules a dictionary out
// (taken when first asked, and kept for the dictionary's own decision), it may stop the encode, which then
// returns nothing.
using HeadCheck = std::function<bool(double, const std::function<bool()>&)>;
// `storage`: a buffer the payload is written into (its capacity reused, its contents dropped).
template <class T>
std::vector<uint8_t> encode_series(const uint8_t* raw, size_t n, const EncodeOptions& opt, unsigned threads,
                                   const HeadCheck* check = nullptr, std::vector<uint8_t>* storage = nullptr);

// The first blocks, encoded before the dictionary is chosen (see encode_series): four, then sixteen when
// four did not say it pays (a series whose first blocks are cheaper than the rest, `nyc29_lon`).
constexpr size_t kProbeBlocks[2] = {4, 16};
// Before them, a first look at one block: where the dictionary's estimate comes to at most kFirstLookSlack
// times that block's (not kDictSlack times), it is taken from there on without the other probe blocks.
constexpr size_t kFirstLookBlocks = 1;
constexpr double kFirstLookSlack = 0.8;
// The first blocks whose repeats the dictionary's estimate counts block by block (SeriesDict::worth_a_try):
// as many as the probe takes at most.
constexpr size_t kHeadCoverageBlocks = kProbeBlocks[1];

// The series dictionary: the values that repeat, sorted and coded as a series of their own, and the entry
// of every value of the series.
template <class T>
struct SeriesDict {
    using Ub = U<T>;
    Repeats<Ub> rep;
    bool scanned = false;  // rep holds the series' repeats
    bool bounded = false;  // bounds holds bounds on them (from a sample, or none)
    RepeatBounds bounds;
    bool counted = false;  // equal holds the values equal to the one before them
    size_t equal = 0;
    size_t equal_to_previous(const T* values, size_t n) {
        if (!counted) {
            counted = true;
            equal = n - 1 - kernels::count_changes(values, n);
        }
        return equal;
    }
    bool built = false;    // payload, size and entries are ready
    std::vector<uint8_t> payload;
    size_t size = 0;
    // Each value's entry + 1, 0 for values seen once (in place of the slots once built).
    const uint32_t* entries() const { return rep.slot_of.data(); }

    // Whether the dictionary looks worth a pass against blocks that take `bytes` as written and `estimated`
    // as the entropy stage will see them (builds it if so).
    // The hashed sample's bounds on the repeats, taken once: none (every dictionary keeps its chance) where
    // the series is too short for a sample or the strided look says the dictionary is likely.
    const RepeatBounds& sampled_bounds(const T* values, size_t n) {
        if (!bounded) {
            bounded = true;
            bounds = {0, n};
            if (hashed_repeats_shift(n) && strided_repeats(values, n) * 16 < 3 * kStridedSample)
                bounds = hashed_repeats(values, n, hashed_repeats_shift(n));
        }
        return bounds;
    }

    // `seen`: the blocks those figures come from, which start the series (their first blocks' estimates are
    // weighed one by one, dict_blocks_look_smaller).
    // `slack`: how much of the blocks' estimate the dictionary's may come to (below kDictSlack, a look whose
    // blocks say too little to go by otherwise: the first blocks are then not weighed one by one either).
    bool worth_a_try(const T* values, size_t n, const EncodeOptions& opt, unsigned threads, double bytes,
                     double estimated, const BlockPass& seen, double slack = kDictSlack) {
        if (!opt.dict || !(bytes * 8 > double(n * kDictMinBitsPerValue) || few_levels(values, n))) return false;
        // Every value equal to the one before it is a repeat, and the dictionary's estimate counts at least a
        // bit for each: where those bits alone fail its bar, no scan can change the answer (long runs of a
        // few levels, zeros with rare spikes: the scan was a fifth of their encode time). Only blocks under
        // a bit a value can fail it.
        if (!dict_may_be_smaller(n, estimated) && !dict_may_be_smaller(equal_to_previous(values, n), estimated))
            return false;
        // The scan of the whole series (a third of the encode time of a decimal series) only where bounds
        // from a sample leave the dictionary a chance: its estimate grows with the entries and falls with
        // the values covered, so at the fewest entries and the most values covered it is at its lowest.
        // (Repeats of a few levels lower it further: those are left to the scan. The values covered are
        // bounded alone too, as the scan's result is.)
        if (!scanned) {
            const RepeatBounds& b = sampled_bounds(values, n);
            if (b.max_covered * 8 < n ||
                (b.min_repeated > kFewLevels &&
                 !dict_looks_smaller(n, b.min_repeated, b.max_covered, 0, estimated, slack)))
                return false;
            find_repeats(values, n, rep);
            scanned = true;
        }
        const size_t d = rep.entries.size();
        // A handful of levels counts too: six full-precision values in random order cost 51 bits a value
        // without the dictionary (their bit patterns are far apart) and 3 with it.
        const size_t repeats = opt.compare_coded && d <= kFewLevels ? equal_to_previous(values, n) : 0;
        if (d < 2 || rep.covered * 8 < n) return false;
        // Spread evenly, the estimate charges every block for the dictionary; the first blocks are then
        // weighed one by one. (The bounds above, which spare the scan, are drawn against the even spread.)
        if (!dict_looks_smaller(n, d, rep.covered, repeats, estimated, slack)) {
            if (slack < kDictSlack) return false;
            const size_t k = std::min(seen.estimates.size(), kHeadCoverageBlocks);
            double head[kHeadCoverageBlocks];
            uint32_t covered[kHeadCoverageBlocks];
            for (size_t b = 0; b < k; ++b) head[b] = seen.estimates[b] + seen.levels_saving[b];
            rep.head_covered(n, k, covered);
            if (!dict_blocks_look_smaller(n, d, rep.covered, estimated, head, covered, k, kBlockValues)) return false;
        }
        if (!built) build(n, opt, threads);
        return true;
    }

    void build(size_t n, const EncodeOptions& opt, unsigned threads) {
        using Entry = typename Repeats<Ub>::Entry;
        static thread_local std::vector<Entry> kept_scratch;
        static thread_local std::vector<uint32_t, UninitAllocator<uint32_t>> kept_entry_of_slot;
        Lent<std::vector<Entry>> scratch(kept_scratch);
        radix_sort(rep.entries.data(), rep.entries.size(), scratch.v, [](const Entry& e) { return uint64_t(e.bits); });
        size = rep.entries.size();
        std::vector<Ub> sorted(size);
        Lent<std::vector<uint32_t, UninitAllocator<uint32_t>>> lent(kept_entry_of_slot);
        auto& entry_of_slot = lent.v;
        entry_of_slot.assign(rep.slots, 0);
        for (size_t k = 0; k < size; ++k) {
            sorted[k] = rep.entries[k].bits;
            entry_of_slot[rep.entries[k].slot] = uint32_t(k + 1);
        }
        for (size_t i = 0; i < n; ++i) rep.slot_of[i] = entry_of_slot[rep.slot_of[i]];
        EncodeOptions inner = opt;
        inner.models = false;
        inner.dict = false;
        payload = encode_series<T>(reinterpret_cast<const uint8_t*>(sorted.data()), size, inner, threads);
        built = true;
    }
};

template <class T>
std::vector<uint8_t> encode_series(const uint8_t* raw, size_t n, const EncodeOptions& opt, unsigned threads,
                                   const HeadCheck* check, std::vector<uint8_t>* storage) {
    // Row groups are the block passes' tasks: no more encoders (and their scratch) than there are of them.
    const size_t row_groups = (n + kRowgroupBlocks * kBlockValues - 1) / (kRowgroupBlocks * kBlockValues);
    PooledWorkers<T> pooled(opt, unsigned(std::min<size_t>(threads, std::max<size_t>(1, row_groups))));
    Workers<T>& workers = *pooled;
    // Callers may hand unaligned memory: only then is a copy made.
    std::vector<T> copy;
    const T* values = reinterpret_cast<const T*>(raw);
    if (reinterpret_cast<uintptr_t>(raw) % alignof(T)) {
        copy.resize(n);
        std::memcpy(copy.data(), raw, n * sizeof(T));
        values = copy.data();
    }
    // The residual log and the block areas of the two passes are as large as the series; fresh ones would
    // be faulted in page by page on every call, so each thread keeps the last ones for the next call (up
    // to kKeptBytes each).
    static thread_local Arena kept_arena;
    static thread_local std::vector<uint8_t> kept_blocks[2];
    const size_t nblocks = (n + kBlockValues - 1) / kBlockValues;
    const bool want_log = opt.models;
    BlockPass pass;
    pass.log.arena.swap(kept_arena);
    pass.log.arena.clear();
    pass.blocks.bytes.swap(kept_blocks[0]);
    // Room for the worst case up front (pages are only touched as they are written): no regrowth copies.
    pass.blocks.bytes.reserve(n * sizeof(T) + nblocks);
    pass.dir.reserve(nblocks);
    // The log holds each value's residuals, and a second order's where the packed and the entropy coder's
    // choices differ (sensor-like data with one decimal came to 1.3 residuals a value): a regrowth past the
    // reserve copied it all into fresh pages.
    if (want_log) pass.log.arena.reserve(2 * n + 64 * nblocks);

    // The first blocks first: where they say the dictionary will pay, it is a candidate in every block from
    // the start, and the other methods are mostly skipped where it wins (a dictionary-first pass), instead
    // of a full pass without it and a second one with it.
    SeriesDict<T> dict;
    size_t start = 0;
    const uint32_t* entry = nullptr;
    if (opt.dict) {
        BlockPass& head = workers.head;
        head.clear();
        // The first look (kFirstLookBlocks), where the series has more than the probe's four blocks: ETTh1's
        // columns (126-669 levels of float32 values, whose dictionary comes to 0.6-0.75 of their blocks'
        // estimate) take the dictionary there, and encode 2-5% faster than after three more probe blocks
        // that try every other method.
        struct Look {
            size_t blocks;
            double slack;
        };
        constexpr Look kLooks[3] = {{kFirstLookBlocks, kFirstLookSlack}, {kProbeBlocks[0], kDictSlack},
                                    {kProbeBlocks[1], kDictSlack}};
        for (const Look& look : kLooks) {
            const size_t probe = look.blocks;
            if (nblocks <= std::max(probe, kProbeBlocks[0])) break;
            encode_blocks(workers.first_group(), values, n, start, probe, want_log, nullptr, head);
            if (check && probe == kProbeBlocks[0]) {
                const std::function<bool()> no_dictionary = [&] {
                    return dict.sampled_bounds(values, n).max_covered * 8 < n;
                };
                if ((*check)(head.estimated_bytes() * 8 / double(probe * kBlockValues), no_dictionary)) {
                    keep(pass.log.arena, kept_arena);
                    keep(pass.blocks.bytes, kept_blocks[0]);
                    return {};
                }
            }
            start = probe;
            const double scale = double(n) / double(start * kBlockValues);
            if (dict.worth_a_try(values, n, opt, threads, scale * double(head.blocks.size()),
                                 scale * head.estimated_bytes_without_levels(), head, look.slack)) {
                entry = dict.entries();
                run_dict_blocks(workers, values, entry, n, want_log, threads, head, true, pass);
                break;
            }
        }
        if (!entry) pass.take(head);
    }
    run_blocks(workers, values, n, want_log, threads, start, entry, pass);

    size_t dict_size = 0;
    if (entry) {
        // Blocks where the other methods were skipped count at what the others came to at least against the
        // dictionary on the blocks of the row group that tried them (Rivalry::others_at_least).
        if (pass.estimated_bytes() + 9 + double(dict.payload.size()) < BlockPass::sum(pass.without_dict)) {
            dict_size = dict.size;
        } else {
            pass.clear();
            run_blocks(workers, values, n, want_log, threads, 0, nullptr, pass);
        }
    } else if (dict.worth_a_try(values, n, opt, threads, double(pass.blocks.size()),
                                pass.estimated_bytes_without_levels(), pass)) {
        const double first_bytes = pass.estimated_bytes();
        BlockPass with_dict;
        with_dict.blocks.bytes.swap(kept_blocks[1]);
        run_dict_blocks(workers, values, dict.entries(), n, want_log, threads, pass, false, with_dict);
        if (with_dict.estimated_bytes() + 9 + double(dict.payload.size()) < first_bytes) {
            std::swap(pass, with_dict);
            dict_size = dict.size;
        }
        keep(with_dict.blocks.bytes, kept_blocks[1]);
    }
    if (!dict_size) dict.payload.clear();  // built, then not used
    EntropyPlan plan;
    if (opt.models) plan = plan_entropy(pass.log, threads);
    const std::vector<Model>& models = plan.models;
    Writer out;
    if (storage) {
        out.bytes.swap(*storage);
        out.bytes.clear();
    }
    out.bytes.reserve(1 + 4096 + 8 + dict.payload.size() + 2 * pass.dir.size() + pass.blocks.size());
    out.u8(uint8_t((models.empty() ? 0 : kSectionModels) | (dict_size ? kSectionDict : 0)));
    if (!models.empty()) write_models(models, out);
    if (dict_size) {
        out.u32(uint32_t(dict_size));
        out.u32(uint32_t(dict.payload.size()));
        out.append(dict.payload.data(), dict.payload.size());
    }
    const size_t dir_at = out.size();
    out.grow(2 * pass.dir.size());
    if (models.empty()) {
        fill_deferred(pass.blocks, pass.log);
        out.append(pass.blocks.bytes.data(), pass.blocks.size());
    } else {
        write_blocks(pass.blocks, pass.dir, pass.log, plan, threads, out);
    }
    cap_blocks_at_raw(out, dir_at + 2 * pass.dir.size(), pass.dir, reinterpret_cast<const uint8_t*>(values), n,
                      sizeof(T));
    std::memcpy(out.bytes.data() + dir_at, pass.dir.data(), 2 * pass.dir.size());
    recycle(plan);
    keep(pass.log.arena, kept_arena);
    keep(pass.blocks.bytes, kept_blocks[0]);
    return std::move(out.bytes);
}

constexpr size_t kCompareCodedValues = kBlockValues + 1;
constexpr double kTableBytes = 256;

namespace {

EncodeOptions options_for(Profile profile, size_t n) {
    EncodeOptions opt;
    opt.automatic = profile == Profile::automatic;
    opt.max_order = 2;
    opt.float_delta = opt.automatic;
    opt.models = opt.automatic;
    opt.dict = opt.automatic && n <= 0xFFFFFFFFu;
    // One block rarely pays for a table: there the frame-of-reference sizes are what the streams will hold.
    // From two blocks on, candidates are compared as the entropy stage will code them, each entropy-coded
    // stream charged its share of a table (256 bytes spread over the series' blocks). Before, that took
    // eight blocks: smooth float32 data of 2,000 values took 18 bits a value as decimals where float deltas
    // take 12.7; charged nothing for tables, a 3-block series of runs grew 12%.
    opt.compare_coded = opt.models && n >= kCompareCodedValues;
    opt.table_share = kTableBytes * double(kBlockValues) / double(n);
    return opt;
}

// A series reference is looked for in series of at least 16 blocks that cost at least 16 bits a value
// without one (cheaper data leaves it little to win against its own cost and the search's time). It is tried
// when the differences from it estimate at least 3% smaller, and kept when smaller.
constexpr size_t kReferenceMinValues = 16 * kBlockValues;
constexpr double kReferenceMinBits = 16;
constexpr double kReferenceGain = 0.97;
// The plain encode is given up for the reference early, once its first blocks are encoded, where (1) they
// cost at least kReferenceMinBits a value, (2) a reference is found and estimated as above against them, and
// (3) the differences' first blocks estimate no larger than theirs (the reference's own values charged at
// the plain blocks' rate). The reference is then kept without a plain encode to compare it with if it comes
// out at most kReferenceSure times what kSpreadBlocks blocks spread over the series estimate the plain
// encode at; otherwise the plain encode follows and the smaller is kept, as when the reference is looked for
// late. (Encoding the series both ways took cfd_baler, whose reference saves 3.7%, 60% of its time. On the
// benchmark's series, the blocks' estimates come out between 24% below their plain size and 2.5% above it;
// cfd_baler's 1.8% below.)
constexpr double kReferenceSure = 0.99;
// A series that repeats a pattern exactly (exact_period) tries a reference once it has two blocks.
constexpr size_t kExactPeriodMinValues = kBlockValues + 1;
constexpr size_t kSpreadBlocks = 16;

// The first blocks' estimated bytes, as the pass over the whole series would have them.
template <class T>
double head_estimate(const T* values, size_t n, size_t blocks, const EncodeOptions& opt) {
    PooledWorkers<T> pooled(opt, 1);
    BlockPass& head = (*pooled).head;
    head.clear();
    encode_blocks((*pooled).first_group(), values, n, 0, blocks, opt.models, nullptr, head);
    return head.estimated_bytes();
}

// Estimated bits a value of `samples` blocks spread over the series (each row group analysed as in a pass).
template <class T>
double spread_estimate(const T* values, size_t n, size_t samples, const EncodeOptions& opt) {
    PooledWorkers<T> pooled(opt, 1);
    SeriesEncoder<T>& enc = (*pooled).first_group();
    const size_t nblocks = (n + kBlockValues - 1) / kBlockValues;
    samples = std::min(samples, nblocks);
    size_t group = SIZE_MAX, covered = 0;
    double bytes = 0;
    SeqLog log;
    for (size_t j = 0; j < samples; ++j) {
        const size_t b = j * nblocks / samples, g = b / kRowgroupBlocks;
        const size_t g0 = g * kRowgroupBlocks * kBlockValues;
        if (g != group) enc.analyse(values + g0, std::min(n - g0, kRowgroupBlocks * kBlockValues));
        group = g;
        const size_t at = b * kBlockValues, m = std::min(kBlockValues, n - at);
        log.clear();
        enc.encode_block(values + at, m, opt.models ? &log : nullptr);
        bytes += enc.last_estimate;
        covered += m;
    }
    return bytes * 8 / double(covered);
}

template <class T>
std::vector<uint8_t> encode_payload(const void* values, size_t n, Profile profile, unsigned threads,
                                    bool reference, std::vector<uint8_t>* storage = nullptr);

// A reference for a series and its differences from it.
template <class T>
struct ReferencePlan {
    bool looked = false;
    ReferenceChoice choice;
    std::vector<T> ref;
    std::vector<int64_t> d;

    // A reference of the given period, found by other means than the search.
    void take(const T* v, size_t n, size_t period) {
        looked = true;
        choice = {period, RefDomain::bits};
        ref = reference_values(v, n, period);
        d = reference_differences(v, n, ref, choice.domain);
    }

    // Whether a reference is found, and worth trying against a series of plain_bits a value.
    bool promising(const T* v, size_t n, double plain_bits) {
        if (!looked) {
            looked = true;
            choice = find_reference(v, n);
            if (choice.period) {
                ref = reference_values(v, n, choice.period);
                d = reference_differences(v, n, ref, choice.domain);
            }
        }
        return choice.period && reference_bits(d, choice.period, plain_bits) <= kReferenceGain * plain_bits;
    }

    std::vector<uint8_t> encode(size_t n, Profile profile, unsigned threads) const {
        const std::vector<uint8_t> diffs =
            encode_series<int64_t>(reinterpret_cast<const uint8_t*>(d.data()), n, options_for(profile, n), threads);
        const std::vector<uint8_t> refs = encode_payload<T>(ref.data(), ref.size(), profile, threads, false);
        Writer out;
        out.bytes.reserve(diffs.size() + varint_size(choice.period) + 1 + 4 + refs.size());
        out.u8(uint8_t(diffs[0] | kSectionReference));
        out.varint(choice.period);
        out.u8(uint8_t(choice.domain));
        out.u32(uint32_t(refs.size()));
        out.append(refs.data(), refs.size());
        out.append(diffs.data() + 1, diffs.size() - 1);
        return std::move(out.bytes);
    }
};

template <class T>
std::vector<uint8_t> encode_payload(const void* values, size_t n, Profile profile, unsigned threads,
                                    bool reference, std::vector<uint8_t>* storage) {
    const EncodeOptions opt = options_for(profile, n);
    const uint8_t* raw = static_cast<const uint8_t*>(values);
    if (!reference || !opt.automatic || n < kExactPeriodMinValues) return encode_series<T>(raw, n, opt, threads, nullptr, storage);
    std::vector<T> copy;  // callers may hand unaligned memory: only then is a copy made
    const T* v = static_cast<const T*>(values);
    if (reinterpret_cast<uintptr_t>(values) % alignof(T) != 0) {
        copy.assign(n, T{});
        std::memcpy(copy.data(), values, n * sizeof(T));
        v = copy.data();
        raw = reinterpret_cast<const uint8_t*>(v);  // aligned now: encode_series makes no copy of its own
    }
    ReferencePlan<T> plan;
    // A pattern repeated exactly: its period as the reference, whatever the series costs plain (its blocks
    // code each repeat of the pattern at least once, a reference does so once for the series).
    if (const size_t period = exact_period(v, n)) {
        plan.take(v, n, period);
        std::vector<uint8_t> plain = encode_series<T>(raw, n, opt, threads, nullptr, storage);
        std::vector<uint8_t> with_reference = plan.encode(n, profile, threads);
        if (with_reference.size() < plain.size()) return with_reference;
        return plain;
    }
    if (n < kReferenceMinValues) return encode_series<T>(raw, n, opt, threads, nullptr, storage);
    const HeadCheck early = [&](double bits, const std::function<bool()>& no_dictionary) {
        if (bits < kReferenceMinBits || !plan.promising(v, n, bits)) return false;
        // Blocks' estimates know nothing of a series dictionary: where one may take part, only the plain
        // encode can say what it comes to. (A series of frames whose second half cycles through seven
        // values came out 16% larger with the reference than plain, which the dictionary made 19% smaller
        // than its blocks' estimates.)
        if (!no_dictionary()) return false;
        const size_t blocks = kProbeBlocks[0];
        const double diff_bits = head_estimate(plan.d.data(), n, blocks, options_for(profile, n)) * 8 /
                                 double(blocks * kBlockValues);
        return diff_bits + bits * double(plan.choice.period) / double(n) <= bits;
    };
    std::vector<uint8_t> plain = encode_series<T>(raw, n, opt, threads, &early, storage);
    std::vector<uint8_t> with_reference;
    if (plain.empty()) {
        with_reference = plan.encode(n, profile, threads);
        const double plain_est = spread_estimate(v, n, kSpreadBlocks, opt);
        if (double(with_reference.size()) * 8 <= kReferenceSure * plain_est * double(n)) return with_reference;
        plain = encode_series<T>(raw, n, opt, threads, nullptr, storage);
    }
    const double plain_bits = double(plain.size()) * 8 / double(n);
    if (with_reference.empty()) {
        if (plain_bits < kReferenceMinBits || !plan.promising(v, n, plain_bits)) return plain;
        with_reference = plan.encode(n, profile, threads);
    }
    if (with_reference.size() < plain.size()) return with_reference;  // moved out, not copied as a ?: would
    return plain;
}

}  // namespace

template <class T>
std::vector<uint8_t> encode(const void* values, size_t n, Profile profile, unsigned threads,
                            std::vector<uint8_t>&& storage) {
    if (n == 0) return {};
    return encode_payload<T>(values, n, profile, std::max(1u, threads), true, &storage);
}

template <class T>
std::vector<uint8_t> encode_without_reference(const void* values, size_t n, Profile profile, unsigned threads) {
    if (n == 0) return {};
    return encode_payload<T>(values, n, profile, std::max(1u, threads), false);
}

template std::vector<uint8_t> encode<double>(const void*, size_t, Profile, unsigned, std::vector<uint8_t>&&);
template std::vector<uint8_t> encode<float>(const void*, size_t, Profile, unsigned, std::vector<uint8_t>&&);
template std::vector<uint8_t> encode<int64_t>(const void*, size_t, Profile, unsigned, std::vector<uint8_t>&&);
template std::vector<uint8_t> encode_without_reference<double>(const void*, size_t, Profile, unsigned);
template std::vector<uint8_t> encode_without_reference<float>(const void*, size_t, Profile, unsigned);
template std::vector<uint8_t> encode_without_reference<int64_t>(const void*, size_t, Profile, unsigned);

}  // namespace tsquash::codecs::alp
