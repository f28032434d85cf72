#include "estimate.hpp"

#include <algorithm>

namespace tsquash::codecs::alp {

double entropy_size_estimate(const Writer& w, const SeqLog& log, double table_share) {
    double bytes = double(w.size());
    for (const SeqEntry& e : log.entries) {
        if (e.count == 0) continue;
        // Header, model index and the four rANS states come on top of the residuals.
        const double coded = double(e.head_len) + 1 + 16 + e.coded_bits / 8 + table_share;
        bytes -= double(e.length) - std::min(double(e.length), coded);
    }
    return bytes;
}

}  // namespace tsquash::codecs::alp
