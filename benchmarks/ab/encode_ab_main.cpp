// encode_ab's driver: encodes each file (little-endian float64) with both sides in turn and prints each
// side's speed and their ratio, and whether their bytes agree. A side's time for a file is the sum, over
// the file's rotations, of the fastest of --reps encodes of each rotation; the two sides alternate call by
// call, the one going first swapped every rep, so that the machine's slow spells hit both alike.
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

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s REPS FILE.f64...\n", argv[0]);
        return 2;
    }
    const int reps = std::atoi(argv[1]);
    const bool b_first = std::getenv("AB_B_FIRST") != nullptr;
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
        for (int r = 0; r < reps; ++r)
            for (size_t q = 0; q < k; ++q) {
                size_t s;
                uint64_t h;
                double ta, tb;
                if (r & 1) {
                    tb = B_encode(rot[q].data(), n, &s, &h);
                    ta = A_encode(rot[q].data(), n, &s, &h);
                } else {
                    ta = A_encode(rot[q].data(), n, &s, &h);
                    tb = B_encode(rot[q].data(), n, &s, &h);
                }
                best_a[q] = std::min(best_a[q], ta);
                best_b[q] = std::min(best_b[q], tb);
            }
        double ta = 0, tb = 0;
        for (size_t q = 0; q < k; ++q) ta += best_a[q] / double(k), tb += best_b[q] / double(k);
        std::printf("%-40s A %8.1f  B %8.1f MB/s  B/A %.3f  %s\n", argv[a], double(n) * 8 / ta / 1e6,
                    double(n) * 8 / tb / 1e6, ta / tb, sa == sb && ha == hb ? "same bytes" : "BYTES DIFFER");
        log_ratio += std::log(ta / tb);
        ++files;
    }
    if (files) std::printf("geometric mean B/A %.3f over %d files\n", std::exp(log_ratio / files), files);
}
