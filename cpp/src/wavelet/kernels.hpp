// The inner loops of the wavelet transform, shared by the whole-array and the streaming transforms so both give
// bit-identical coefficients: each output is the same sequence of floating-point operations whichever path and
// block position computes it.
#pragma once
#include <algorithm>
#include <cstddef>

#include "tsquash/wavelet/wavelet.hpp"

namespace tsquash::wavelet::detail {

// Outputs per block: the deinterleaved inputs and the outputs of a block stay in L1.
inline constexpr size_t kBlock = 256;
// Half the longest filter (coif17 has 102 taps).
inline constexpr size_t kMaxHalf = 51;

// One analysis block. e[i] = s(2i), od[i] = s(2i + 1) for a source s of c + h - 1 pairs (h = F/2);
// ca[t] = sum_m rec_lo[m] s(2t + m), cd[t] likewise with rec_hi.
void analysis_block(const double* e, const double* od, size_t c, const Wavelet& w, double* ca, double* cd);

// One synthesis block over coefficient windows a, d of c + h - 1 values (nullptr: zeros):
// ye[t] = sum_j rec_lo[2j] a[t+h-1-j] + rec_hi[2j] d[t+h-1-j], yo[t] likewise with the odd taps.
void synthesis_block(const double* a, const double* d, size_t c, const Wavelet& w, double* ye, double* yo);

// The two-tap (haar) levels, for the fused multilevel transforms of haar.cpp, with the arithmetic of
// analysis_block / synthesis_block for F = 2 so that both give the same bits. taps = {lo[0], lo[1], hi[0],
// hi[1]} of the synthesis filters (rec_lo, rec_hi).
// ca[t], cd[t] from the pair s[2t], s[2t + 1], t in [0, pairs). stream_cd: cd is written with non-temporal
// stores (for bands far larger than the caches; call stream_fence() before anyone reads them).
void haar_analysis(const double* s, size_t pairs, const double* taps, double* ca, double* cd,
                   bool stream_cd = false);
void stream_fence();
// y[2t], y[2t + 1] from a[t], d[t], t in [0, count); stream: y is written with non-temporal stores.
void haar_synthesis(const double* a, const double* d, size_t count, const double* taps, double* y,
                    bool stream = false);

// The value at index k (outside [0, n)) of x extended by `mode` (not periodization); get(i) reads x[i].
// Mirrors of mirrors when the extension is longer than the signal, as PyWavelets does.
template <class Get>
double extend(const Get& get, ptrdiff_t n, ptrdiff_t k, Mode mode) {
    switch (mode) {
        case Mode::zero: return 0.0;
        case Mode::constant: return k < 0 ? get(0) : get(n - 1);
        case Mode::symmetric: {
            ptrdiff_t m = k % (2 * n);
            if (m < 0) m += 2 * n;
            return m < n ? get(m) : get(2 * n - 1 - m);
        }
        case Mode::reflect: {
            if (n == 1) return get(0);
            ptrdiff_t m = k % (2 * n - 2);
            if (m < 0) m += 2 * n - 2;
            return m < n ? get(m) : get(2 * n - 2 - m);
        }
        case Mode::periodic: {
            ptrdiff_t m = k % n;
            return get(m < 0 ? m + n : m);
        }
        case Mode::smooth:
            if (n == 1) return get(0);
            if (k < 0) return get(0) + double(-k) * (get(0) - get(1));
            return get(n - 1) + double(k - n + 1) * (get(n - 1) - get(n - 2));
        case Mode::antisymmetric: {
            ptrdiff_t q = k / n, r = k % n;
            if (r < 0) {
                r += n;
                --q;
            }
            const bool odd = (q % 2) != 0;
            return odd ? -get(n - 1 - r) : get(r);
        }
        case Mode::antireflect: {
            if (n == 1) return get(0);
            // Point mirror about the end sample, repeated until the index falls inside.
            double sign = 1.0, offset = 0.0;
            while (k < 0 || k >= n) {
                if (k < 0) {
                    offset += sign * 2.0 * get(0);
                    k = -k;
                } else {
                    offset += sign * 2.0 * get(n - 1);
                    k = 2 * (n - 1) - k;
                }
                sign = -sign;
            }
            return offset + sign * get(k);
        }
        case Mode::periodization: break;
    }
    return 0.0;
}

// Analysis outputs t in [0, count) of a source whose output t reads s(first + 2t + m), m in [0, F).
// src.direct(lo, hi) returns a pointer to s(lo) when s(lo..hi) are plain stored samples, else nullptr;
// src(k) returns any s(k).
template <class Src>
void analysis_run(const Src& src, ptrdiff_t first, size_t count, const Wavelet& w, double* ca, double* cd) {
    const size_t h = w.length() / 2;
    double e[kBlock + kMaxHalf], od[kBlock + kMaxHalf];
    for (size_t t0 = 0; t0 < count; t0 += kBlock) {
        const size_t c = std::min(kBlock, count - t0);
        const size_t pairs = c + h - 1;
        const ptrdiff_t lo = first + ptrdiff_t(2 * t0);
        if (const double* p = src.direct(lo, lo + ptrdiff_t(2 * pairs))) {
            for (size_t i = 0; i < pairs; ++i) {
                e[i] = p[2 * i];
                od[i] = p[2 * i + 1];
            }
        } else {
            for (size_t i = 0; i < pairs; ++i) {
                e[i] = src(lo + ptrdiff_t(2 * i));
                od[i] = src(lo + ptrdiff_t(2 * i + 1));
            }
        }
        analysis_block(e, od, c, w, ca + t0, cd + t0);
    }
}

}  // namespace tsquash::wavelet::detail
