// The decoder's loop for `sig` blocks (sig.hpp), compiled for the baseline x86-64 and with AVX2 (64-bit
// compares and blends vectorise only there), picked at run time. Blocks with up to four decades, nearly
// all, go through a loop without inner loops or table lookups, so the compiler can vectorise it; the
// division, which gives the exact decimal, is then four values per instruction.
#include "sig_decode.hpp"

namespace tsquash::codecs::alp {

namespace {

template <class T>
inline void sig_values_body(const int64_t* q, size_t m, const SigGrid& g, typename Traits<T>::U* out) {
    using Ub = typename Traits<T>::U;
    if (g.L > 4) {
        for (size_t i = 0; i < m; ++i) out[i] = sig_bits<T>(q[i], g);
        return;
    }
    const int64_t lo = int64_t(g.lo()), span = int64_t(g.span()), base = int64_t(g.base());
    constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
    const int64_t t1 = g.L > 1 ? span : kNever, t2 = g.L > 2 ? 2 * span : kNever, t3 = g.L > 3 ? 3 * span : kNever;
    auto pow_or_1 = [&](unsigned k) { return k <= g.L ? kF10[g.e - k] : 1.0; };
    const double d0 = kF10[g.e], d1 = pow_or_1(1), d2 = pow_or_1(2), d3 = pow_or_1(3), d4 = pow_or_1(4);
    for (size_t i = 0; i < m; ++i) {
        const int64_t v = q[i];
        const int64_t neg = v >> 63;
        const int64_t a = (v ^ neg) - neg;
        const int64_t t = a - lo;
        const bool up = t >= 0, j1 = t >= t1, j2 = t >= t2, j3 = t >= t3;
        const int64_t s = up ? base + t - (j1 ? span : 0) - (j2 ? span : 0) - (j3 ? span : 0) : a;
        const double div = up ? (j3 ? d4 : j2 ? d3 : j1 ? d2 : d1) : d0;
        const T mag = T(int_to_fp(s, 0.0) / div);
        out[i] = std::bit_cast<Ub>(mag) | (Ub(neg) << (Traits<T>::kBits - 1));
    }
}

void sig_values_f64_generic(const int64_t* q, size_t m, const SigGrid& g, uint64_t* out) {
    sig_values_body<double>(q, m, g, out);
}
void sig_values_f32_generic(const int64_t* q, size_t m, const SigGrid& g, uint32_t* out) {
    sig_values_body<float>(q, m, g, out);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TSQ_HAVE_AVX2_CLONES 1
__attribute__((target("avx2"))) void sig_values_f64_avx2(const int64_t* q, size_t m, const SigGrid& g, uint64_t* out) {
    sig_values_body<double>(q, m, g, out);
}
__attribute__((target("avx2"))) void sig_values_f32_avx2(const int64_t* q, size_t m, const SigGrid& g, uint32_t* out) {
    sig_values_body<float>(q, m, g, out);
}
bool has_avx2() {
    static const bool yes = __builtin_cpu_supports("avx2");
    return yes;
}
#endif

}  // namespace

void sig_values(const int64_t* q, size_t m, const SigGrid& g, uint64_t* out) {
#ifdef TSQ_HAVE_AVX2_CLONES
    if (has_avx2()) return sig_values_f64_avx2(q, m, g, out);
#endif
    sig_values_f64_generic(q, m, g, out);
}

void sig_values(const int64_t* q, size_t m, const SigGrid& g, uint32_t* out) {
#ifdef TSQ_HAVE_AVX2_CLONES
    if (has_avx2()) return sig_values_f32_avx2(q, m, g, out);
#endif
    sig_values_f32_generic(q, m, g, out);
}

}  // namespace tsquash::codecs::alp
