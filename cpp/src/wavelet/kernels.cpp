#include "kernels.hpp"

#include <cstdint>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

// The kernels are compiled twice on x86-64 with GCC, for AVX2 and for the baseline, and picked at load time, so
// wheels built for any x86-64 use wide vectors where the CPU has them. Neither clone contracts a*b+c into an FMA
// (ISO C++ mode keeps -ffp-contract=off), so both give the same bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TSQ_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define TSQ_MULTIVERSION
#endif

namespace tsquash::wavelet::detail {

namespace {

// Filter length known at compile time: the tap loop unrolls and the output loop vectorises with the sums kept
// in registers.
template <size_t H>
[[gnu::always_inline]] inline void analysis_fixed(const double* __restrict e, const double* __restrict od,
                                                  size_t c, const double* __restrict lo,
                                                  const double* __restrict hi, double* __restrict ca,
                                                  double* __restrict cd) {
    double l0[H], l1[H], h0[H], h1[H];
    for (size_t k = 0; k < H; ++k) {
        l0[k] = lo[2 * k];
        l1[k] = lo[2 * k + 1];
        h0[k] = hi[2 * k];
        h1[k] = hi[2 * k + 1];
    }
    for (size_t t = 0; t < c; ++t) {
        double sa = 0.0, sd = 0.0;
        for (size_t k = H; k-- > 0;) {
            sa = sa + l1[k] * od[t + k] + l0[k] * e[t + k];
            sd = sd + h1[k] * od[t + k] + h0[k] * e[t + k];
        }
        ca[t] = sa;
        cd[t] = sd;
    }
}

// Any filter length: one pass over the block per tap pair, accumulating in the (L1-resident) outputs. The
// operation order per output is the one of analysis_fixed: taps from the newest sample back, as PyWavelets sums,
// so most coefficients come out bit-identical to its.
[[gnu::always_inline]] inline void analysis_generic(const double* __restrict e, const double* __restrict od,
                                                    size_t c, size_t h, const double* __restrict lo,
                                                    const double* __restrict hi, double* __restrict ca,
                                                    double* __restrict cd) {
    for (size_t t = 0; t < c; ++t) ca[t] = cd[t] = 0.0;
    for (size_t k = h; k-- > 0;) {
        const double l0 = lo[2 * k], l1 = lo[2 * k + 1], h0 = hi[2 * k], h1 = hi[2 * k + 1];
        const double* ek = e + k;
        const double* ok = od + k;
        for (size_t t = 0; t < c; ++t) {
            ca[t] = ca[t] + l1 * ok[t] + l0 * ek[t];
            cd[t] = cd[t] + h1 * ok[t] + h0 * ek[t];
        }
    }
}

template <size_t H>
[[gnu::always_inline]] inline void synthesis_fixed(const double* __restrict a, const double* __restrict d,
                                                   size_t c, const double* __restrict lo,
                                                   const double* __restrict hi, double* __restrict ye,
                                                   double* __restrict yo) {
    // Window index i = h-1-j pairs with tap 2j (even output) and 2j+1 (odd output).
    double le[H], lod[H], he[H], hod[H];
    for (size_t i = 0; i < H; ++i) {
        le[i] = lo[2 * (H - 1 - i)];
        lod[i] = lo[2 * (H - 1 - i) + 1];
        he[i] = hi[2 * (H - 1 - i)];
        hod[i] = hi[2 * (H - 1 - i) + 1];
    }
    for (size_t t = 0; t < c; ++t) {
        double ae = 0.0, ao = 0.0, de = 0.0, do_ = 0.0;
        for (size_t i = H; i-- > 0;) {
            ae = ae + le[i] * a[t + i];
            ao = ao + lod[i] * a[t + i];
            de = de + he[i] * d[t + i];
            do_ = do_ + hod[i] * d[t + i];
        }
        ye[t] = ae + de;
        yo[t] = ao + do_;
    }
}

[[gnu::always_inline]] inline void synthesis_generic(const double* __restrict a, const double* __restrict d,
                                                     size_t c, size_t h, const double* __restrict lo,
                                                     const double* __restrict hi, double* __restrict ye,
                                                     double* __restrict yo) {
    // The two bands are summed separately and added at the end, like the fixed-length version.
    double ae[kBlock], ao[kBlock];
    for (size_t t = 0; t < c; ++t) ae[t] = ao[t] = ye[t] = yo[t] = 0.0;
    for (size_t i = h; i-- > 0;) {
        const size_t j = h - 1 - i;
        const double le = lo[2 * j], lod = lo[2 * j + 1], he = hi[2 * j], hod = hi[2 * j + 1];
        const double* ai = a + i;
        const double* di = d + i;
        for (size_t t = 0; t < c; ++t) {
            ae[t] = ae[t] + le * ai[t];
            ao[t] = ao[t] + lod * ai[t];
            ye[t] = ye[t] + he * di[t];
            yo[t] = yo[t] + hod * di[t];
        }
    }
    for (size_t t = 0; t < c; ++t) {
        ye[t] = ae[t] + ye[t];
        yo[t] = ao[t] + yo[t];
    }
}

TSQ_MULTIVERSION
void analysis_dispatch(const double* e, const double* od, size_t c, size_t h, const double* lo, const double* hi,
                       double* ca, double* cd) {
    switch (h) {
        case 1: return analysis_fixed<1>(e, od, c, lo, hi, ca, cd);
        case 2: return analysis_fixed<2>(e, od, c, lo, hi, ca, cd);
        case 3: return analysis_fixed<3>(e, od, c, lo, hi, ca, cd);
        case 4: return analysis_fixed<4>(e, od, c, lo, hi, ca, cd);
        case 5: return analysis_fixed<5>(e, od, c, lo, hi, ca, cd);
        case 6: return analysis_fixed<6>(e, od, c, lo, hi, ca, cd);
        case 7: return analysis_fixed<7>(e, od, c, lo, hi, ca, cd);
        case 8: return analysis_fixed<8>(e, od, c, lo, hi, ca, cd);
        case 9: return analysis_fixed<9>(e, od, c, lo, hi, ca, cd);
        case 10: return analysis_fixed<10>(e, od, c, lo, hi, ca, cd);
        default: return analysis_generic(e, od, c, h, lo, hi, ca, cd);
    }
}

TSQ_MULTIVERSION
void synthesis_dispatch(const double* a, const double* d, size_t c, size_t h, const double* lo, const double* hi,
                        double* ye, double* yo) {
    switch (h) {
        case 1: return synthesis_fixed<1>(a, d, c, lo, hi, ye, yo);
        case 2: return synthesis_fixed<2>(a, d, c, lo, hi, ye, yo);
        case 3: return synthesis_fixed<3>(a, d, c, lo, hi, ye, yo);
        case 4: return synthesis_fixed<4>(a, d, c, lo, hi, ye, yo);
        case 5: return synthesis_fixed<5>(a, d, c, lo, hi, ye, yo);
        case 6: return synthesis_fixed<6>(a, d, c, lo, hi, ye, yo);
        case 7: return synthesis_fixed<7>(a, d, c, lo, hi, ye, yo);
        case 8: return synthesis_fixed<8>(a, d, c, lo, hi, ye, yo);
        case 9: return synthesis_fixed<9>(a, d, c, lo, hi, ye, yo);
        case 10: return synthesis_fixed<10>(a, d, c, lo, hi, ye, yo);
        default: return synthesis_generic(a, d, c, h, lo, hi, ye, yo);
    }
}

TSQ_MULTIVERSION
void haar_analysis_kernel(const double* __restrict s, size_t pairs, double l0, double l1, double h0, double h1,
                          double* __restrict ca, double* __restrict cd) {
    for (size_t t = 0; t < pairs; ++t) {
        const double e = s[2 * t], o = s[2 * t + 1];
        ca[t] = (0.0 + l1 * o) + l0 * e;
        cd[t] = (0.0 + h1 * o) + h0 * e;
    }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#pragma GCC diagnostic ignored "-Wpsabi"  // the 32-byte vectors below never cross a call
typedef double V4 __attribute__((vector_size(32)));

// haar_analysis_kernel with the details written by non-temporal stores: a detail band much larger than the
// caches would otherwise be read into them before being written (and evict the block being worked on).
TSQ_MULTIVERSION
void haar_analysis_stream_kernel(const double* __restrict s, size_t pairs, double l0, double l1, double h0,
                                 double h1, double* __restrict ca, double* __restrict cd) {
    size_t t = 0;
    for (; t < pairs && (reinterpret_cast<uintptr_t>(cd + t) % sizeof(__m128d)) != 0; ++t) {
        ca[t] = (0.0 + l1 * s[2 * t + 1]) + l0 * s[2 * t];
        cd[t] = (0.0 + h1 * s[2 * t + 1]) + h0 * s[2 * t];
    }
    for (; t + 4 <= pairs; t += 4) {
        V4 p, q;
        std::memcpy(&p, s + 2 * t, sizeof(V4));
        std::memcpy(&q, s + 2 * t + 4, sizeof(V4));
        const V4 e = __builtin_shufflevector(p, q, 0, 2, 4, 6), o = __builtin_shufflevector(p, q, 1, 3, 5, 7);
        const V4 a = (0.0 + l1 * o) + l0 * e, d = (0.0 + h1 * o) + h0 * e;
        std::memcpy(ca + t, &a, sizeof(V4));
        // 16-byte streaming stores are SSE2, so both clones have them (the write-combining buffers merge them).
        _mm_stream_pd(cd + t, __builtin_shufflevector(d, d, 0, 1));
        _mm_stream_pd(cd + t + 2, __builtin_shufflevector(d, d, 2, 3));
    }
    for (; t < pairs; ++t) {
        ca[t] = (0.0 + l1 * s[2 * t + 1]) + l0 * s[2 * t];
        cd[t] = (0.0 + h1 * s[2 * t + 1]) + h0 * s[2 * t];
    }
}

// haar_synthesis_kernel with y written by non-temporal stores; y must be 16-byte aligned (each pair is 16
// bytes, so a y that is not stays unaligned and takes ordinary stores).
TSQ_MULTIVERSION
void haar_synthesis_stream_kernel(const double* __restrict a, const double* __restrict d, size_t count, double le,
                                  double lo, double he, double ho, double* __restrict y) {
    size_t t = 0;
    for (; t + 4 <= count; t += 4) {
        V4 av, dv;
        std::memcpy(&av, a + t, sizeof(V4));
        std::memcpy(&dv, d + t, sizeof(V4));
        const V4 ye = (0.0 + le * av) + (0.0 + he * dv), yo = (0.0 + lo * av) + (0.0 + ho * dv);
        _mm_stream_pd(y + 2 * t, __builtin_shufflevector(ye, yo, 0, 4));
        _mm_stream_pd(y + 2 * t + 2, __builtin_shufflevector(ye, yo, 1, 5));
        _mm_stream_pd(y + 2 * t + 4, __builtin_shufflevector(ye, yo, 2, 6));
        _mm_stream_pd(y + 2 * t + 6, __builtin_shufflevector(ye, yo, 3, 7));
    }
    for (; t < count; ++t) {
        y[2 * t] = (0.0 + le * a[t]) + (0.0 + he * d[t]);
        y[2 * t + 1] = (0.0 + lo * a[t]) + (0.0 + ho * d[t]);
    }
}
#endif

TSQ_MULTIVERSION
void haar_synthesis_kernel(const double* __restrict a, const double* __restrict d, size_t count, double le,
                           double lo, double he, double ho, double* __restrict y) {
    for (size_t t = 0; t < count; ++t) {
        y[2 * t] = (0.0 + le * a[t]) + (0.0 + he * d[t]);
        y[2 * t + 1] = (0.0 + lo * a[t]) + (0.0 + ho * d[t]);
    }
}

}  // namespace

void haar_analysis(const double* s, size_t pairs, const double* taps, double* ca, double* cd, bool stream_cd) {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
    if (stream_cd) return haar_analysis_stream_kernel(s, pairs, taps[0], taps[1], taps[2], taps[3], ca, cd);
#endif
    haar_analysis_kernel(s, pairs, taps[0], taps[1], taps[2], taps[3], ca, cd);
}

void stream_fence() {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
    _mm_sfence();
#endif
}

void haar_synthesis(const double* a, const double* d, size_t count, const double* taps, double* y, bool stream) {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
    if (stream && reinterpret_cast<uintptr_t>(y) % sizeof(__m128d) == 0)
        return haar_synthesis_stream_kernel(a, d, count, taps[0], taps[1], taps[2], taps[3], y);
#endif
    haar_synthesis_kernel(a, d, count, taps[0], taps[1], taps[2], taps[3], y);
}

void analysis_block(const double* e, const double* od, size_t c, const Wavelet& w, double* ca, double* cd) {
    analysis_dispatch(e, od, c, w.length() / 2, w.rec_lo.data(), w.rec_hi.data(), ca, cd);
}

void synthesis_block(const double* a, const double* d, size_t c, const Wavelet& w, double* ye, double* yo) {
    static const double zeros[kBlock + kMaxHalf] = {};
    synthesis_dispatch(a ? a : zeros, d ? d : zeros, c, w.length() / 2, w.rec_lo.data(), w.rec_hi.data(), ye, yo);
}

}  // namespace tsquash::wavelet::detail
