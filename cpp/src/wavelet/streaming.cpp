#include "tsquash/wavelet/streaming.hpp"

#include <algorithm>

#include "kernels.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/io/bytes.hpp"
#include "tsquash/io/crc32c.hpp"
#include "tsquash/io/fields.hpp"
#include "tsquash/wavelet/dwt.hpp"

namespace tsquash::wavelet {

namespace {

constexpr uint8_t kVersion = 1;
constexpr int kMaxLevel = 64;
// Stands for "the series goes on" while pushing: the left extension then reads the first samples only.
constexpr int64_t kOpenEnded = int64_t(1) << 52;

bool streamable(Mode m) { return m != Mode::periodic && m != Mode::periodization; }

// The samples a level still holds, extended past the start by the mode and, once the length is known, past
// the end too.
struct LevelSource {
    const StreamingDwt::Level& lv;
    Mode mode;
    int64_t n;  // the length (kOpenEnded while pushing)
    double get(ptrdiff_t i) const {
        if (size_t(i) < lv.head.size()) return lv.head[size_t(i)];
        return lv.buf[size_t(i) - lv.base];
    }
    const double* direct(ptrdiff_t lo, ptrdiff_t hi) const {
        if (lo < 0 || uint64_t(lo) < lv.base || uint64_t(hi) > lv.n_in) return nullptr;
        return lv.buf.data() + (uint64_t(lo) - lv.base);
    }
    double operator()(ptrdiff_t k) const {
        if (k >= 0 && uint64_t(k) < lv.n_in) return get(k);
        return detail::extend([this](ptrdiff_t i) { return get(i); }, ptrdiff_t(n), k, mode);
    }
};

constexpr const char* kFormat = "wavelet stream state";

void write_doubles(io::FieldWriter& w, const std::vector<double>& v) {
    w.u64(v.size());
    for (double x : v) w.u64(std::bit_cast<uint64_t>(x));
}

std::vector<double> read_doubles(io::FieldReader& r, size_t max) {
    const uint64_t count = r.u64();
    if (count > max) r.fail("buffer longer than the state allows");
    const uint8_t* p = r.take(count * 8);
    std::vector<double> v(count);
    for (size_t i = 0; i < count; ++i) v[i] = std::bit_cast<double>(io::load_le<uint64_t>(p + 8 * i));
    return v;
}

std::string read_text(io::FieldReader& r, size_t len) { return std::string(reinterpret_cast<const char*>(r.take(len)), len); }

}  // namespace

StreamingDwt::StreamingDwt(std::string_view wavelet_name, Mode mode, int level)
    : w_(&wavelet::wavelet(wavelet_name)), mode_(mode) {
    if (!streamable(mode))
        throw InvalidArgument(std::string("mode ") + mode_name(mode) +
                              " cannot be streamed: its first coefficients depend on the end of the series");
    if (level < 1 || level > kMaxLevel)
        throw InvalidArgument("the streaming level must be in 1.." + std::to_string(kMaxLevel) + ", got " +
                              std::to_string(level));
    levels_.resize(size_t(level));
}

void StreamingDwt::emit(size_t l, uint64_t count, int64_t n_ext, std::vector<std::vector<double>>& bands) {
    if (count == 0) return;
    Level& lv = levels_[l];
    const size_t F = w_->length();
    const size_t L = levels_.size();
    std::vector<double> ca(count);
    std::vector<double>& cd_band = bands[L - l];
    const size_t at = cd_band.size();
    cd_band.resize(at + count);
    const LevelSource src{lv, mode_, n_ext};
    detail::analysis_run(src, ptrdiff_t(2 * lv.next_out) + 2 - ptrdiff_t(F), count, *w_, ca.data(),
                         cd_band.data() + at);
    lv.next_out += count;
    if (l + 1 < L) push_level(l + 1, ca, bands);
    else bands[0].insert(bands[0].end(), ca.begin(), ca.end());
}

void StreamingDwt::push_level(size_t l, std::span<const double> x, std::vector<std::vector<double>>& bands) {
    Level& lv = levels_[l];
    const size_t F = w_->length();
    for (size_t i = 0; i < x.size() && lv.head.size() < F; ++i) lv.head.push_back(x[i]);
    lv.buf.insert(lv.buf.end(), x.begin(), x.end());
    lv.n_in += x.size();
    if (lv.n_in < F) return;
    emit(l, lv.n_in / 2 - lv.next_out, kOpenEnded, bands);
    // Keep what later outputs read, and the last F samples for the right extension at finish.
    const int64_t keep = std::max<int64_t>(
        0, std::min<int64_t>(int64_t(2 * lv.next_out) + 2 - int64_t(F), int64_t(lv.n_in) - int64_t(F)));
    if (uint64_t(keep) > lv.base) {
        lv.buf.erase(lv.buf.begin(), lv.buf.begin() + ptrdiff_t(uint64_t(keep) - lv.base));
        lv.base = uint64_t(keep);
    }
}

void StreamingDwt::finish_level(size_t l, std::vector<std::vector<double>>& bands) {
    Level& lv = levels_[l];
    const size_t F = w_->length();
    const size_t L = levels_.size();
    if (lv.n_in > 0) {
        if (lv.n_in < F) {
            // Too short to have emitted anything: the whole-array transform on what is buffered.
            const size_t m = dwt_coeff_len(lv.n_in, F, mode_);
            std::vector<double> ca(m);
            std::vector<double>& cd_band = bands[L - l];
            const size_t at = cd_band.size();
            cd_band.resize(at + m);
            dwt(lv.buf, *w_, mode_, ca, std::span<double>(cd_band.data() + at, m));
            lv.next_out = m;
            if (l + 1 < L) push_level(l + 1, ca, bands);
            else bands[0].insert(bands[0].end(), ca.begin(), ca.end());
        } else {
            emit(l, dwt_coeff_len(lv.n_in, F, mode_) - lv.next_out, int64_t(lv.n_in), bands);
        }
    }
    if (l + 1 < L) finish_level(l + 1, bands);
}

void StreamingDwt::push(std::span<const double> x, std::vector<std::vector<double>>& bands) {
    if (finished_) throw InvalidArgument("the wavelet stream is finished: start a new one");
    bands.resize(levels_.size() + 1);
    if (!x.empty()) push_level(0, x, bands);
}

void StreamingDwt::finish(std::vector<std::vector<double>>& bands) {
    if (finished_) throw InvalidArgument("the wavelet stream is already finished");
    bands.resize(levels_.size() + 1);
    finish_level(0, bands);
    finished_ = true;
}

// Layout (little-endian): "TSQW" | u8 version | u8 mode | u8 levels | u8 finished | u8 name length | name |
// per level: u64 n_in, u64 next_out, u64 base, u64 head count, head f64s, u64 buf count, buf f64s | u32 CRC-32C.
std::vector<uint8_t> StreamingDwt::state() const {
    io::FieldWriter w;
    for (char c : std::string_view("TSQW")) w.u8(uint8_t(c));
    w.u8(kVersion);
    w.u8(uint8_t(mode_));
    w.u8(uint8_t(levels_.size()));
    w.u8(finished_ ? 1 : 0);
    w.u8(uint8_t(w_->name.size()));
    for (char c : w_->name) w.u8(uint8_t(c));
    for (const Level& lv : levels_) {
        w.u64(lv.n_in);
        w.u64(lv.next_out);
        w.u64(lv.base);
        write_doubles(w, lv.head);
        write_doubles(w, lv.buf);
    }
    return w.finish_with_crc();
}

StreamingDwt StreamingDwt::restore(const uint8_t* data, size_t n) {
    if (data == nullptr || n < 13) throw CorruptStream("wavelet stream state: too short");
    if (io::load_le<uint32_t>(data + n - 4) != io::crc32c(data, n - 4))
        throw CorruptStream("wavelet stream state: checksum mismatch (truncated or corrupted)");
    io::FieldReader r(data, n - 4, kFormat);
    if (read_text(r, 4) != "TSQW") throw CorruptStream("wavelet stream state: bad magic");
    if (const uint8_t v = r.u8(); v != kVersion)
        throw CorruptStream("wavelet stream state: unsupported version " + std::to_string(v));
    const uint8_t mode = r.u8();
    if (mode >= std::size(kAllModes) || !streamable(Mode(mode)))
        throw CorruptStream("wavelet stream state: bad mode");
    const uint8_t levels = r.u8();
    if (levels < 1 || levels > kMaxLevel) throw CorruptStream("wavelet stream state: bad level count");
    const uint8_t fin = r.u8();
    if (fin > 1) throw CorruptStream("wavelet stream state: bad flag");
    const std::string name = read_text(r, r.u8());
    const auto& names = wavelet_names();
    if (std::find(names.begin(), names.end(), name) == names.end())
        throw CorruptStream("wavelet stream state: unknown wavelet '" + name + "'");
    StreamingDwt s(name, Mode(mode), levels);
    s.finished_ = fin == 1;
    const size_t F = s.w_->length();
    for (Level& lv : s.levels_) {
        lv.n_in = r.u64();
        lv.next_out = r.u64();
        lv.base = r.u64();
        lv.head = read_doubles(r, F);
        lv.buf = read_doubles(r, n);
    }
    if (!r.at_end()) throw CorruptStream("wavelet stream state: trailing bytes");
    s.check_invariants();
    return s;
}

void StreamingDwt::check_invariants() const {
    const uint64_t F = w_->length();
    for (size_t l = 0; l < levels_.size(); ++l) {
        const Level& lv = levels_[l];
        const bool ok =
            // Both bounded first, so that the signed arithmetic below cannot overflow on foreign bytes.
            lv.n_in < (uint64_t(1) << 50) && lv.next_out < (uint64_t(1) << 50) &&
            lv.head.size() == std::min<uint64_t>(lv.n_in, F) &&
            lv.base <= lv.n_in && lv.buf.size() == lv.n_in - lv.base &&
            (finished_ ? (lv.n_in == 0 || lv.next_out == dwt_coeff_len(lv.n_in, F, mode_))
                       : lv.next_out == (lv.n_in < F ? 0 : lv.n_in / 2)) &&
            (lv.n_in >= F || lv.base == 0) &&
            lv.base <= uint64_t(std::max<int64_t>(0, std::min<int64_t>(int64_t(2 * lv.next_out) + 2 - int64_t(F),
                                                                       int64_t(lv.n_in) - int64_t(F)))) &&
            (l == 0 || lv.n_in == levels_[l - 1].next_out);
        if (!ok) throw CorruptStream("wavelet stream state: inconsistent buffers");
    }
}

}  // namespace tsquash::wavelet
