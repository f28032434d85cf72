// encode_ab's driver: encodes each file (little-endian float64) with both sides in turn and prints each
// side's speed and their ratio, and whether their bytes agree. A side's time for a file is the sum, over
// the file's rotations, of the fastest of --reps encodes of each rotation; the two sides alternate call by
// call, the one going first swapped every rep, so that the machine's slow spells hit both alike. With
// AB_MODE=decode, the same for decoding: each side decodes its own streams of the rotations, into one
// buffer of its own (as a fresh array of the same size would be: the block just freed), checked against
// the values.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" double A_encode(const double*, size_t, size_t*, uint64_t*);
extern "C" double B_encode(const double*, size_t, size_t*, uint64_t*);
extern "C" size_t A_encode_into(const double*, size_t, uint8_t*, size_t);
extern "C" size_t B_encode_into(const double*, size_t, uint8_t*, size_t);
extern "C" double A_decode(const uint8_t*, size_t, size_t, double*);
extern "C" double B_decode(const uint8_t*, size_t, size_t, double*);

namespace {

// Times side A's and side B's call on each of k inputs, reps times, keeping each input's fastest: the two
// calls alternate, the one going first swapped every rep.
template <class CallA, class CallB>
void alternate(int reps, size_t k, CallA&& a, CallB&& b, std::vector<double>& best_a, std::vector<double>& best_b) {
    // AB_FLUSH=MB: that many MiB are written over before every call, so that each call starts with its input
    // out of the caches, as a call does between other work (the fastest of warm calls hides what a change to
    // memory traffic does).
    const char* flush_env = std::getenv("AB_FLUSH");
    std::vector<uint8_t> junk(flush_env ? size_t(std::atol(flush_env)) << 20 : 0);
    auto flush = [&junk] {
        for (size_t i = 0; i < junk.size(); i += 64) junk[i] = uint8_t(junk[i] + 1);
    };
    for (int r = 0; r < reps; ++r)
        for (size_t q = 0; q < k; ++q) {
            double ta, tb;
            if (r & 1) {
                flush();
                tb = b(q);
                flush();
                ta = a(q);
            } else {
                flush();
                ta = a(q);
                flush();
                tb = b(q);
            }
            best_a[q] = std::min(best_a[q], ta);
            best_b[q] = std::min(best_b[q], tb);
        }
}

// Each side's streams of the rotations, decoded in turn as the encodes are timed below; false where a
// decode did not give the values back. `same`: whether the two sides' streams are byte for byte the same.
bool time_decodes(const std::vector<std::vector<double>>& rot, int reps, std::vector<double>& best_a,
                  std::vector<double>& best_b, bool& same) {
    const size_t k = rot.size(), n = rot[0].size(), cap = 16 * n + 4096;
    std::vector<std::vector<uint8_t>> ea(k, std::vector<uint8_t>(cap)), eb(k, std::vector<uint8_t>(cap));
    std::vector<size_t> za(k), zb(k);
    for (size_t q = 0; q < k; ++q) {
        za[q] = A_encode_into(rot[q].data(), n, ea[q].data(), cap);
        zb[q] = B_encode_into(rot[q].data(), n, eb[q].data(), cap);
    }
    same = za == zb;
    for (size_t q = 0; q < k && same; ++q) same = std::memcmp(ea[q].data(), eb[q].data(), za[q]) == 0;
    std::vector<double> out_a(n), out_b(n);
    bool exact = true;
    for (size_t q = 0; q < k; ++q) {  // checked once (the first call of each side sets up its buffers)
        A_decode(ea[q].data(), za[q], n, out_a.data());
        B_decode(eb[q].data(), zb[q], n, out_b.data());
        exact = exact && std::memcmp(out_a.data(), rot[q].data(), 8 * n) == 0 &&
                std::memcmp(out_b.data(), rot[q].data(), 8 * n) == 0;
    }
    alternate(
        reps, k, [&](size_t q) { return A_decode(ea[q].data(), za[q], n, out_a.data()); },
        [&](size_t q) { return B_decode(eb[q].data(), zb[q], n, out_b.data()); }, best_a, best_b);
    return exact;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s REPS FILE.f64...\n", argv[0]);
        return 2;
    }
    const int reps = std::atoi(argv[1]);
    const bool b_first = std::getenv("AB_B_FIRST") != nullptr;
    const char* mode = std::getenv("AB_MODE");
    const bool decode = mode && std::strcmp(mode, "decode") == 0;
    double log_ratio = 0;
    int files = 0;
    for (int a = 2; a < argc; ++a) {
        std::ifstream f(argv[a], std::ios::binary);
        const std::vector<char> raw((std::istreambuf_iterator<char>(f)), {});
        const size_t n = raw.size() / 8;
        if (n == 0) continue;
        std::vector<double> v(n);
        std::memcpy(v.data(), raw.data(), n * 8);
        // Rotations taken in turn (at least 4, and 2^19 values in all), as benchmarks/python/lossless.py does:
        // encoding one array over and over lets the branch predictor learn it.
        const size_t k = std::max<size_t>(4, (size_t(1) << 19) / n + 1);
        std::vector<std::vector<double>> rot(k, std::vector<double>(n));
        for (size_t r = 0; r < k; ++r)
            for (size_t i = 0; i < n; ++i) rot[r][i] = v[(i + r * n / k) % n];
        size_t sa = 0, sb = 0;
        uint64_t ha = 0, hb = 0;
        // The first call of each side sets up its buffers: AB_B_FIRST makes B's the older ones.
        if (b_first) {
            B_encode(v.data(), n, &sb, &hb);
            A_encode(v.data(), n, &sa, &ha);
        } else {
            A_encode(v.data(), n, &sa, &ha);
            B_encode(v.data(), n, &sb, &hb);
        }
        std::vector<double> best_a(k, 1e30), best_b(k, 1e30);
        bool exact = true, same = true;
        if (decode) {
            exact = time_decodes(rot, reps, best_a, best_b, same);
        } else {
            size_t s;
            uint64_t h;
            alternate(
                reps, k, [&](size_t q) { return A_encode(rot[q].data(), n, &s, &h); },
                [&](size_t q) { return B_encode(rot[q].data(), n, &s, &h); }, best_a, best_b);
        }
        double ta = 0, tb = 0;
        for (size_t q = 0; q < k; ++q) ta += best_a[q] / double(k), tb += best_b[q] / double(k);
        std::printf("%-40s A %8.1f  B %8.1f MB/s  B/A %.3f  %s\n", argv[a], double(n) * 8 / ta / 1e6,
                    double(n) * 8 / tb / 1e6, ta / tb,
                    !exact ? "NOT EXACT" : (decode ? same : sa == sb && ha == hb) ? "same bytes" : "BYTES DIFFER");
        log_ratio += std::log(ta / tb);
        ++files;
    }
    if (files) std::printf("geometric mean B/A %.3f over %d files\n", std::exp(log_ratio / files), files);
}
