#include "tsquash/wavelet/dwt.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "haar.hpp"
#include "kernels.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/wavelet/streaming.hpp"

namespace tsquash::wavelet {

namespace {

using detail::kBlock;
using detail::kMaxHalf;

// The signal extended by one of the mirror/constant modes.
struct ExtendedSource {
    const double* x;
    ptrdiff_t n;
    Mode mode;
    const double* direct(ptrdiff_t lo, ptrdiff_t hi) const { return lo >= 0 && hi <= n ? x + lo : nullptr; }
    double operator()(ptrdiff_t k) const {
        if (k >= 0 && k < n) return x[k];
        return detail::extend([this](ptrdiff_t i) { return x[i]; }, n, k, mode);
    }
};

// Periodization: an odd-length signal gets its last sample repeated, then the whole is periodic.
struct PeriodizedSource {
    const double* x;
    ptrdiff_t n;
    ptrdiff_t period;  // n rounded up to even
    const double* direct(ptrdiff_t lo, ptrdiff_t hi) const { return lo >= 0 && hi <= n ? x + lo : nullptr; }
    double operator()(ptrdiff_t k) const {
        ptrdiff_t m = k % period;
        if (m < 0) m += period;
        return x[m < n ? m : n - 1];
    }
};

void check_signal(size_t n, Mode mode) {
    if (n == 0) throw InvalidArgument("the signal is empty: a wavelet transform needs at least one sample");
    if (n == 1 && (mode == Mode::reflect || mode == Mode::antireflect))
        throw InvalidArgument(std::string("mode ") + mode_name(mode) + " needs at least 2 samples");
}

void check_size(size_t got, size_t want, const char* what) {
    if (got != want)
        throw InvalidArgument(std::string(what) + " holds " + std::to_string(got) + " values; the transform needs " +
                              std::to_string(want));
}

// Inverse level, writing y'[s] for s in [s0, s0 + len) of the valid upsampled convolution over coefficient
// windows produced by `window(t0, count, a_buf, d_buf)`, which returns the pointers to use.
template <class Window>
void synthesis_run(size_t s0, size_t len, const Wavelet& w, double* out, const Window& window) {
    const size_t h = w.length() / 2;
    double ye[kBlock], yo[kBlock];
    double abuf[kBlock + kMaxHalf], dbuf[kBlock + kMaxHalf];
    const size_t t_begin = s0 / 2, t_end = (s0 + len - 1) / 2 + 1;
    for (size_t t0 = t_begin; t0 < t_end; t0 += kBlock) {
        const size_t c = std::min(kBlock, t_end - t0);
        const auto [a, d] = window(t0, c + h - 1, abuf, dbuf);
        detail::synthesis_block(a, d, c, w, ye, yo);
        size_t s = 2 * t0;
        if (s >= s0 && s + 2 * c <= s0 + len) {
            double* o = out + (s - s0);
            for (size_t t = 0; t < c; ++t) {
                o[2 * t] = ye[t];
                o[2 * t + 1] = yo[t];
            }
        } else {
            for (size_t t = 0; t < c; ++t, s += 2) {
                if (s >= s0 && s < s0 + len) out[s - s0] = ye[t];
                if (s + 1 >= s0 && s + 1 < s0 + len) out[s + 1 - s0] = yo[t];
            }
        }
    }
}

}  // namespace

// Large buffers are 2 MiB-aligned and advised onto huge pages (as numpy does for its arrays): a fresh 40 MB
// buffer otherwise costs ten thousand page faults, more than the transform that fills it.
double* Workspace::buffer(int which, size_t n) {
    Buf& b = bufs_[which & 1];
    if (b.capacity < n) {
        constexpr size_t kHuge = size_t(2) << 20;
        const size_t bytes = (std::max<size_t>(n, 1) * sizeof(double) + kHuge - 1) / kHuge * kHuge;
        void* p = std::aligned_alloc(kHuge, bytes);
        if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
        b.data.reset(static_cast<double*>(p));
        b.capacity = bytes / sizeof(double);
    }
    return b.data.get();
}

void Workspace::Free::operator()(double* p) const { std::free(p); }

void dwt(std::span<const double> x, const Wavelet& w, Mode mode, std::span<double> ca, std::span<double> cd) {
    check_signal(x.size(), mode);
    const size_t F = w.length();
    const size_t m = dwt_coeff_len(x.size(), F, mode);
    check_size(ca.size(), m, "the approximation output");
    check_size(cd.size(), m, "the detail output");
    const auto n = ptrdiff_t(x.size());
    if (mode == Mode::periodization) {
        const PeriodizedSource src{x.data(), n, n + (n % 2)};
        detail::analysis_run(src, 1 - ptrdiff_t(F / 2), m, w, ca.data(), cd.data());
    } else {
        const ExtendedSource src{x.data(), n, mode};
        detail::analysis_run(src, 2 - ptrdiff_t(F), m, w, ca.data(), cd.data());
    }
}

void idwt(std::span<const double> ca, std::span<const double> cd, const Wavelet& w, Mode mode,
          std::span<double> out) {
    if (ca.empty() && cd.empty()) throw InvalidArgument("both coefficient bands are empty");
    if (!ca.empty() && !cd.empty() && ca.size() != cd.size())
        throw InvalidArgument("the approximation (" + std::to_string(ca.size()) + ") and detail (" +
                              std::to_string(cd.size()) + ") bands must have the same length");
    const size_t n = std::max(ca.size(), cd.size());
    const size_t F = w.length(), h = F / 2;
    const size_t len = idwt_len(n, F, mode);
    check_size(out.size(), len, "the output");
    const double* a = ca.empty() ? nullptr : ca.data();
    const double* d = cd.empty() ? nullptr : cd.data();
    if (mode != Mode::periodization) {
        synthesis_run(0, len, w, out.data(), [&](size_t t0, size_t, double*, double*) {
            return std::pair{a ? a + t0 : nullptr, d ? d + t0 : nullptr};
        });
        return;
    }
    // Periodization: the valid convolution over the coefficients extended periodically, c'[i] = c[(i - i0) mod n],
    // read from the window where output p of the level is y'[p + s0].
    const size_t i0 = h / 2;
    const size_t s0 = 2 * i0 + 1 - h;
    synthesis_run(s0, len, w, out.data(), [&](size_t t0, size_t count, double* abuf, double* dbuf) {
        const auto lo = ptrdiff_t(t0) - ptrdiff_t(i0);
        if (lo >= 0 && size_t(lo) + count <= n)
            return std::pair<const double*, const double*>{a ? a + lo : nullptr, d ? d + lo : nullptr};
        for (size_t i = 0; i < count; ++i) {
            ptrdiff_t k = (lo + ptrdiff_t(i)) % ptrdiff_t(n);
            if (k < 0) k += ptrdiff_t(n);
            abuf[i] = a ? a[k] : 0.0;
            dbuf[i] = d ? d[k] : 0.0;
        }
        return std::pair<const double*, const double*>{abuf, dbuf};
    });
}

namespace {

// Very long signals in the modes that can be streamed go through all levels piece by piece (the streaming
// transform, which gives the same bits): the intermediate approximations then live in cache-sized buffers
// instead of scratch arrays half as long as the signal (400 MB for 1e8 samples). Below this length the
// level-by-level path is faster (measured: the piecewise bookkeeping costs more than the memory it saves).
std::atomic<size_t> g_fuse_min{size_t(1) << 25};
constexpr size_t kFuseChunk = size_t(1) << 14;

bool fused_forward(Mode mode, size_t n, int level) {
    return mode != Mode::periodic && mode != Mode::periodization && n >= g_fuse_min.load() && level >= 2 &&
           level <= 64;
}

void wavedec_fused(std::span<const double> x, const Wavelet& w, Mode mode, int level,
                   std::span<const std::span<double>> bands) {
    StreamingDwt s(w.name, mode, level);
    std::vector<std::vector<double>> fresh;
    std::vector<size_t> filled(bands.size(), 0);
    auto drain = [&] {
        for (size_t b = 0; b < fresh.size(); ++b) {
            if (filled[b] + fresh[b].size() > bands[b].size())
                throw std::logic_error("wavedec: the streamed levels produced more coefficients than planned");
            std::copy(fresh[b].begin(), fresh[b].end(), bands[b].begin() + ptrdiff_t(filled[b]));
            filled[b] += fresh[b].size();
            fresh[b].clear();
        }
    };
    for (size_t pos = 0; pos < x.size(); pos += kFuseChunk) {
        s.push(x.subspan(pos, std::min(kFuseChunk, x.size() - pos)), fresh);
        drain();
    }
    s.finish(fresh);
    drain();
    for (size_t b = 0; b < bands.size(); ++b)
        if (filled[b] != bands[b].size())
            throw std::logic_error("wavedec: the streamed levels produced fewer coefficients than planned");
}

// The inverse, level by level through small buffers (outside periodization every inverse level is a plain
// sliding window over its two bands): each level's output feeds the next as soon as it is computed.
class FusedInverse {
public:
    FusedInverse(std::span<const std::span<const double>> bands, const Wavelet& w, std::span<double> out)
        : bands_(bands), w_(w), out_(out), levels_(bands.size() - 1) {}

    void run() { feed(0, bands_[0].data(), bands_[0].size()); }

private:
    struct Level {
        std::vector<double> a;  // pending approximation values, a[0] is global index base
        size_t base = 0;
        size_t received = 0;
        size_t pairs_done = 0;
    };

    void feed(size_t i, const double* v, size_t count) {
        Level& lv = levels_[i];
        const std::span<const double> d = bands_[i + 1];
        const size_t h = w_.length() / 2;
        // An approximation one longer than its detail band drops its last value (PyWavelets' rule).
        const size_t take = std::min(count, d.size() - std::min(d.size(), lv.received));
        lv.a.insert(lv.a.end(), v, v + take);
        lv.received += take;
        const size_t pairs_total = d.size() - h + 1;
        const size_t possible = lv.received >= h ? std::min(lv.received - h + 1, pairs_total) : 0;
        const bool last = i + 2 == bands_.size();
        double ye[kBlock], yo[kBlock], y[2 * kBlock];
        while (lv.pairs_done < possible) {
            const size_t c = std::min(kBlock, possible - lv.pairs_done);
            detail::synthesis_block(lv.a.data() + (lv.pairs_done - lv.base), d.data() + lv.pairs_done, c, w_, ye,
                                    yo);
            double* dst = last ? out_.data() + 2 * lv.pairs_done : y;
            for (size_t t = 0; t < c; ++t) {
                dst[2 * t] = ye[t];
                dst[2 * t + 1] = yo[t];
            }
            lv.pairs_done += c;
            if (!last) feed(i + 1, y, 2 * c);
        }
        // The next window starts at pairs_done.
        const size_t drop = lv.pairs_done - lv.base;
        if (drop > 0) {
            lv.a.erase(lv.a.begin(), lv.a.begin() + ptrdiff_t(drop));
            lv.base = lv.pairs_done;
        }
    }

    std::span<const std::span<const double>> bands_;
    const Wavelet& w_;
    std::span<double> out_;
    std::vector<Level> levels_;
};

}  // namespace

size_t detail::set_piecewise_threshold(size_t samples) { return g_fuse_min.exchange(samples); }

void wavedec(std::span<const double> x, const Wavelet& w, Mode mode, int level,
             std::span<const std::span<double>> bands, Workspace& ws) {
    const std::vector<size_t> lengths = wavedec_lengths(x.size(), w.length(), mode, level);
    check_size(bands.size(), lengths.size(), "the list of output bands");
    for (size_t i = 0; i < lengths.size(); ++i) check_size(bands[i].size(), lengths[i], "an output band");
    if (level == 0) {
        std::copy(x.begin(), x.end(), bands[0].begin());
        return;
    }
    if (detail::haar_wavedec(x, w, mode, level, bands)) return;
    if (fused_forward(mode, x.size(), level)) {
        wavedec_fused(x, w, mode, level, bands);
        return;
    }
    // The intermediate approximations (as long as the detail band of their level; with filters longer than the
    // signal they grow from level to level).
    size_t widest = 0;
    for (size_t i = 2; i < lengths.size(); ++i) widest = std::max(widest, lengths[i]);
    double* ping[2] = {ws.buffer(0, widest), ws.buffer(1, widest)};
    // Each level's detail goes straight to its band; its approximation to a ping-pong buffer (at the last level,
    // to band 0).
    std::span<const double> cur = x;
    for (int l = 1; l <= level; ++l) {
        const size_t m = lengths[size_t(level - l + 1)];
        std::span<double> cd = bands[size_t(level - l + 1)];
        std::span<double> ca = l == level ? bands[0] : std::span<double>(ping[l % 2], m);
        dwt(cur, w, mode, ca, cd);
        cur = ca;
    }
}

void waverec(std::span<const std::span<const double>> bands, const Wavelet& w, Mode mode, std::span<double> out,
             Workspace& ws) {
    std::vector<size_t> lengths;
    for (const auto& b : bands) lengths.push_back(b.size());
    const size_t len = waverec_len(lengths, w.length(), mode);
    check_size(out.size(), len, "the output");
    if (bands.size() == 1) {
        std::copy(bands[0].begin(), bands[0].end(), out.begin());
        return;
    }
    if (detail::haar_waverec(bands, w, out)) return;
    if (mode != Mode::periodization && bands.size() > 2 && len >= g_fuse_min.load()) {
        FusedInverse(bands, w, out).run();
        return;
    }
    // Every level but the last writes to a ping-pong buffer.
    size_t widest = 0;
    for (size_t i = 1; i + 1 < lengths.size(); ++i) widest = std::max(widest, idwt_len(lengths[i], w.length(), mode));
    double* ping[2] = {ws.buffer(0, widest), ws.buffer(1, widest)};
    std::span<const double> a = bands[0];
    for (size_t i = 1; i < bands.size(); ++i) {
        std::span<const double> d = bands[i];
        if (a.size() == d.size() + 1) a = a.first(d.size());
        const size_t m = idwt_len(d.size(), w.length(), mode);
        std::span<double> y = i + 1 == bands.size() ? out : std::span<double>(ping[i % 2], m);
        idwt(a, d, w, mode, y);
        a = y;
    }
}

namespace {
template <class T>
std::vector<std::span<T>> split(std::span<T> flat, std::span<const size_t> lengths) {
    size_t total = 0;
    for (size_t l : lengths) total += l;
    check_size(flat.size(), total, "the concatenated coefficients");
    std::vector<std::span<T>> parts;
    size_t pos = 0;
    for (size_t l : lengths) {
        parts.push_back(flat.subspan(pos, l));
        pos += l;
    }
    return parts;
}
}  // namespace

void wavedec(std::span<const double> x, const Wavelet& w, Mode mode, int level, std::span<double> out,
             Workspace& ws) {
    const std::vector<size_t> lengths = wavedec_lengths(x.size(), w.length(), mode, level);
    const auto parts = split(out, lengths);
    wavedec(x, w, mode, level, parts, ws);
}

void waverec(std::span<const double> coeffs, std::span<const size_t> lengths, const Wavelet& w, Mode mode,
             std::span<double> out, Workspace& ws) {
    const auto parts = split(coeffs, lengths);
    waverec(parts, w, mode, out, ws);
}

std::vector<std::vector<double>> wavedec(std::span<const double> x, const Wavelet& w, Mode mode, int level) {
    const std::vector<size_t> lengths = wavedec_lengths(x.size(), w.length(), mode, level);
    size_t total = 0;
    for (size_t l : lengths) total += l;
    std::vector<double> flat(total);
    Workspace ws;
    wavedec(x, w, mode, level, flat, ws);
    std::vector<std::vector<double>> bands;
    size_t pos = 0;
    for (size_t l : lengths) {
        bands.emplace_back(flat.begin() + ptrdiff_t(pos), flat.begin() + ptrdiff_t(pos + l));
        pos += l;
    }
    return bands;
}

std::vector<double> waverec(const std::vector<std::vector<double>>& bands, const Wavelet& w, Mode mode) {
    std::vector<size_t> lengths;
    std::vector<double> flat;
    for (const auto& b : bands) {
        lengths.push_back(b.size());
        flat.insert(flat.end(), b.begin(), b.end());
    }
    std::vector<double> out(waverec_len(lengths, w.length(), mode));
    Workspace ws;
    waverec(flat, lengths, w, mode, out, ws);
    return out;
}

std::vector<double> analysis_matrix(size_t n, const Wavelet& w, Mode mode, int level) {
    const std::vector<size_t> lengths = wavedec_lengths(n, w.length(), mode, level);
    size_t rows = 0;
    for (size_t l : lengths) rows += l;
    std::vector<double> mat(rows * n), unit(n, 0.0), col(rows);
    Workspace ws;
    for (size_t j = 0; j < n; ++j) {
        unit[j] = 1.0;
        wavedec(unit, w, mode, level, col, ws);
        unit[j] = 0.0;
        for (size_t r = 0; r < rows; ++r) mat[r * n + j] = col[r];
    }
    return mat;
}

std::vector<double> synthesis_matrix(size_t n, const Wavelet& w, Mode mode, int level) {
    const std::vector<size_t> lengths = wavedec_lengths(n, w.length(), mode, level);
    size_t cols = 0;
    for (size_t l : lengths) cols += l;
    const size_t len = waverec_len(lengths, w.length(), mode);
    std::vector<double> mat(n * cols), unit(cols, 0.0), y(len);
    Workspace ws;
    for (size_t j = 0; j < cols; ++j) {
        unit[j] = 1.0;
        waverec(unit, lengths, w, mode, y, ws);
        unit[j] = 0.0;
        for (size_t r = 0; r < n && r < len; ++r) mat[r * cols + j] = y[r];
    }
    return mat;
}

}  // namespace tsquash::wavelet
