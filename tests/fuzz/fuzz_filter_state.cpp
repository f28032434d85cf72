// libFuzzer target for the filters' state bytes and their step functions.
//   1. The input parsed as a filter state (any kind); CorruptStream and InvalidArgument are the only
//      acceptable errors. A state that loads must save back to the same bytes, and the filter must then take
//      points, flush, and save again without crashing.
//   2. The same bytes with the trailing CRC recomputed, so mutations get past the checksum to the layout
//      and consistency checks.
//   3. The bytes as (time, value) pairs through every filter kind, as a batch and point by point: both runs
//      must give identical output, and the SDT output must be within the deviation of every point when
//      times and values are moderate.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/filters/filters.hpp"

namespace {

using namespace tsquash::filters;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "filter_state: %s\n", what);
    std::abort();
}

template <class F>
void exercise_loaded(const uint8_t* p, size_t n) {
    std::string annotation;
    F f = F::from_state(p, n, &annotation);
    const std::vector<uint8_t> again = f.state(annotation);
    if (again.size() != n || std::memcmp(again.data(), p, n) != 0) die("a loaded state does not save back to the same bytes");
    using T = typename F::time_type;
    auto ignore = [](T, double) {};
    T t = f.started() ? f.last_time() : T{};
    for (int i = 0; i < 8; ++i) {
        if constexpr (std::is_same_v<T, int64_t>) {
            if (t > std::numeric_limits<int64_t>::max() - 1000) return;
            t += 1 + i * 97;
        } else {
            if (!(std::fabs(t) < 1e300)) return;
            t = std::nextafter(t + 1.0 + i, INFINITY);
        }
        try {
            f.push(t, std::sin(double(i)), ignore);
        } catch (const tsquash::InvalidArgument&) {
            return;  // the restored stream position may refuse these times
        }
    }
    f.flush(ignore);
    (void)f.state();
}

void parse(const uint8_t* p, size_t n) {
    try {
        const StateHeader h = peek_state(p, n);
        const bool i64 = h.time == TimeCode::int64;
        switch (h.kind) {
            case Kind::sdt: i64 ? exercise_loaded<Sdt<int64_t>>(p, n) : exercise_loaded<Sdt<double>>(p, n); break;
            case Kind::sdt_compat:
                if (!i64) exercise_loaded<SdtCompat>(p, n);
                break;
            case Kind::deadband:
                i64 ? exercise_loaded<Deadband<int64_t>>(p, n) : exercise_loaded<Deadband<double>>(p, n);
                break;
            case Kind::hysteresis:
                i64 ? exercise_loaded<Hysteresis<int64_t>>(p, n) : exercise_loaded<Hysteresis<double>>(p, n);
                break;
        }
    } catch (const tsquash::CorruptStream&) {
    } catch (const tsquash::InvalidArgument&) {
    }
}

template <class F, class T = typename F::time_type>
void stream_vs_batch(double thr, const std::vector<T>& t, const std::vector<double>& v) {
    F a(thr), b(thr);
    std::vector<T> ot(max_batch_output(t.size()));
    std::vector<double> ov(max_batch_output(t.size()));
    size_t m = 0;
    bool batch_ok = true;
    try {
        m = run_batch(a, t.data(), v.data(), t.size(), ot.data(), ov.data());
    } catch (const tsquash::InvalidArgument&) {
        batch_ok = false;
    }
    std::vector<T> st;
    std::vector<double> sv;
    auto emit = [&](T tt, double vv) {
        st.push_back(tt);
        sv.push_back(vv);
    };
    bool stream_ok = true;
    for (size_t i = 0; i < t.size(); ++i) {
        try {
            b.push(t[i], v[i], emit);
        } catch (const tsquash::InvalidArgument&) {
            stream_ok = false;
            break;
        }
    }
    if (batch_ok != stream_ok) die("batch and stream disagree on validity");
    if (!batch_ok) return;
    if (st.size() != m) die("batch and stream emit different counts");
    for (size_t i = 0; i < m; ++i)
        if (st[i] != ot[i] || std::memcmp(&sv[i], &ov[i], 8) != 0) die("batch and stream emit different points");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::parse_as_is_and_crc_fixed(data, size, 12, parse);

    if (size >= 9) {
        const double thr = double(data[0]) / 16.0;
        std::vector<int64_t> ti;
        std::vector<double> td, v;
        int64_t acc = 0;
        for (size_t i = 1; i + 2 <= size; i += 2) {
            acc += data[i] % 8;  // zero steps test the time checks
            ti.push_back(acc);
            td.push_back(double(acc) * 0.25);
            v.push_back(double(int8_t(data[i + 1])) / 4.0);
        }
        stream_vs_batch<Sdt<int64_t>>(thr, ti, v);
        stream_vs_batch<Sdt<double>>(thr, td, v);
        stream_vs_batch<SdtCompat>(thr, td, v);
        stream_vs_batch<Deadband<int64_t>>(thr, ti, v);
        stream_vs_batch<Hysteresis<double>>(thr, td, v);
    }
    return 0;
}
