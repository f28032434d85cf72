#include "estimate.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace tsquash::codecs::alp {

double entropy_size_estimate(const Writer& w, const SeqLog& log) {
    double bytes = double(w.size());
    for (const SeqEntry& e : log.entries) {
        const uint64_t* r = log.arena.data() + e.first;
        // Centre: the median of a few residuals (order 0 residuals are the values themselves).
        uint64_t few[64];
        const size_t nf = std::min<size_t>(64, e.count);
        if (nf == 0) continue;
        for (size_t j = 0; j < nf; ++j) few[j] = r[j * e.count / nf];
        std::nth_element(few, few + nf / 2, few + nf, [](uint64_t a, uint64_t b) { return int64_t(a) < int64_t(b); });
        const uint64_t c = few[nf / 2];
        // Every fourth residual is plenty to compare candidates (two histograms, alternating, so
        // consecutive residuals of one class do not wait on each other's increment).
        constexpr size_t kStep = 4;
        uint32_t hist[2][65] = {};
        size_t seen = 0;
        for (size_t i = 0, t = 0; i < e.count; i += kStep, t ^= 1, ++seen) {
            const int64_t d = int64_t(r[i] - c);
            ++hist[t][std::bit_width((uint64_t(d) << 1) ^ uint64_t(d >> 63))];
        }
        double bits = 0;
        for (unsigned k = 0; k <= 64; ++k) {
            const uint32_t h = hist[0][k] + hist[1][k];
            if (h) bits += double(h) * ((k ? k - 1 : 0) + std::log2(double(seen) / double(h)));
        }
        bits *= double(e.count) / double(seen);
        // Header, model index and the four rANS states come on top of the residuals.
        const double coded = double(e.head_len) + 1 + 16 + bits / 8;
        bytes -= double(e.length) - std::min(double(e.length), coded);
    }
    return bytes;
}

}  // namespace tsquash::codecs::alp
