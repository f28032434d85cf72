// Encoder side of the block method `sig` (sig.hpp, docs/format.md "sig (7)").
#include "sig_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels.hpp"

namespace tsquash::codecs::alp {

namespace {

template <class T>
using U = typename Traits<T>::U;

constexpr double kTwo51 = 2251799813685248.0;

inline unsigned digits(uint64_t n) {
    unsigned d = 1;
    while (d <= 18 && n >= kP10[d]) ++d;
    return d;
}

}  // namespace

template <class T>
bool find_sig_grid(const T* s, size_t ns, SigGrid& g) {
    constexpr unsigned kMaxE = Traits<T>::kMaxE;
    // Per sampled decimal: its fewest decimals d, its significant digits k (no trailing zeros) and the
    // digits of its integer at d decimals.
    unsigned d[256], k[256], nd[256];
    size_t c = 0;
    for (size_t i = 0; i < ns && c < 256; ++i) {
        const double a = std::fabs(double(s[i]));
        if (!(a > 0) || !std::isfinite(a)) continue;  // zeros, NaN and inf say nothing about digits
        for (unsigned e = 0; e <= kMaxE; ++e) {
            const double x = a * kF10[e];
            if (!(x < kTwo51)) break;
            const uint64_t n = uint64_t(round_to_int(x));
            if (n == 0 || sig_magnitude(n, e, T{}) != T(a)) continue;
            uint64_t t = n;
            while (t % 10 == 0) t /= 10;
            d[c] = e;
            k[c] = digits(t);
            nd[c] = digits(n);
            ++c;
            break;
        }
    }
    if (c * 2 < ns || c < 8) return false;  // mostly not short decimals
    // The fewest significant digits that all but a few sampled values fit in (the few become exceptions).
    unsigned sorted[256];
    std::memcpy(sorted, k, c * sizeof(unsigned));
    std::sort(sorted, sorted + c);
    const unsigned p = sorted[c - 1 - c / 64];
    if (p < 1 || p > kSigMaxDigits<T>) return false;
    unsigned e = 0, dmin = kMaxE;
    for (size_t i = 0; i < c; ++i)
        if (k[i] <= p) e = std::max(e, d[i]), dmin = std::min(dmin, d[i]);
    unsigned L = 0;
    for (size_t i = 0; i < c; ++i)
        if (k[i] <= p && nd[i] + (e - d[i]) > p) L = std::max(L, nd[i] + (e - d[i]) - p);
    L = std::min(L, e);
    // Without values above 10^p at the finest grid, or with every value at the same decimals, one
    // (e, f) pair per block is as good.
    if (L == 0 || dmin == e) return false;
    g = SigGrid{e, p, L};
    return true;
}

template <class T>
void encode_sig(const T* v, size_t m, const SigGrid& g, unsigned max_order, Writer& out, SeqLog* log,
                OrderMemory* memory, const int64_t* given_q, const uint8_t* given_bad) {
    int64_t q[kScratch];
    uint8_t bad[kScratch];
    size_t nbad = 0;
    if (given_q) {
        std::memcpy(q, given_q, m * sizeof(int64_t));
        std::memcpy(bad, given_bad, m);
        for (size_t i = 0; i < m; ++i) nbad += bad[i];
    } else {
        nbad = kernels::sig_encode(v, m, g.e, g.p, g.L, q, bad);
    }
    uint16_t pos[kScratch];
    size_t nexc = 0;
    if (nbad) {
        nexc = flagged_positions(bad, m, pos);
        take_neighbours(q, pos, nexc, m);
    }
    const size_t method_at = out.size();
    out.u8(kSig);
    out.u8(uint8_t(g.e));
    out.u8(uint8_t(g.p));
    out.u8(uint8_t(g.L));
    out.varint(nexc);
    write_intseq(q, m, max_order, out, log, kCtxSig | (sizeof(T) == 4 ? 1u << 16 : 0), memory);
    if (write_exception_streams(v, pos, nexc, max_order, out, log)) {
        out.bytes[method_at] = kSigExc;
        return;
    }
    for (size_t j = 0; j < nexc; ++j) out.u16(pos[j]);
    for (size_t j = 0; j < nexc; ++j) out.put(std::bit_cast<U<T>>(v[pos[j]]));
}

template bool find_sig_grid<double>(const double*, size_t, SigGrid&);
template bool find_sig_grid<float>(const float*, size_t, SigGrid&);
template void encode_sig<double>(const double*, size_t, const SigGrid&, unsigned, Writer&, SeqLog*, OrderMemory*,
                                 const int64_t*, const uint8_t*);
template void encode_sig<float>(const float*, size_t, const SigGrid&, unsigned, Writer&, SeqLog*, OrderMemory*,
                                const int64_t*, const uint8_t*);

}  // namespace tsquash::codecs::alp
