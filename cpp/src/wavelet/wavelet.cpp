#include "tsquash/wavelet/wavelet.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <map>

#include "filter_table.hpp"
#include "tsquash/errors.hpp"

namespace tsquash::wavelet {

namespace {

constexpr const char* kModeNames[] = {"zero",   "constant",      "symmetric",   "reflect",      "periodic",
                                      "smooth", "antisymmetric", "antireflect", "periodization"};

Wavelet make_bank(const detail::FilterEntry& e) {
    Wavelet w;
    w.name = e.name;
    const auto digit = std::find_if(w.name.begin(), w.name.end(), [](char c) { return std::isdigit(c); });
    w.family = std::string(w.name.begin(), digit);
    w.order = digit == w.name.end() ? 1 : std::stoi(std::string(digit, w.name.end()));
    const size_t F = e.length;
    w.rec_lo.assign(e.rec_lo, e.rec_lo + F);
    w.dec_lo.assign(w.rec_lo.rbegin(), w.rec_lo.rend());
    w.rec_hi.resize(F);
    for (size_t k = 0; k < F; ++k) w.rec_hi[k] = (k % 2 ? -1.0 : 1.0) * w.rec_lo[F - 1 - k];
    w.dec_hi.assign(w.rec_hi.rbegin(), w.rec_hi.rend());
    return w;
}

struct Registry {
    std::vector<Wavelet> banks;
    std::vector<std::string> names;
    std::map<std::string, size_t, std::less<>> index;
    Registry() {
        for (size_t i = 0; i < detail::kFilterTableSize; ++i) {
            banks.push_back(make_bank(detail::kFilterTable[i]));
            names.push_back(banks.back().name);
            index.emplace(banks.back().name, i);
        }
    }
};

const Registry& registry() {
    static const Registry r;
    return r;
}

}  // namespace

Mode parse_mode(std::string_view name) {
    for (Mode m : kAllModes)
        if (name == kModeNames[static_cast<int>(m)]) return m;
    std::string known;
    for (const char* n : kModeNames) known += std::string(known.empty() ? "" : ", ") + n;
    throw InvalidArgument("unknown signal extension mode '" + std::string(name) + "'; known modes: " + known);
}

const char* mode_name(Mode m) { return kModeNames[static_cast<int>(m)]; }

const Wavelet& wavelet(std::string_view name) {
    const Registry& r = registry();
    const auto it = r.index.find(name);
    if (it == r.index.end())
        throw InvalidArgument("unknown wavelet '" + std::string(name) +
                              "'; supported: haar, db1..db20, sym2..sym20, coif1..coif17");
    return r.banks[it->second];
}

const std::vector<std::string>& wavelet_names() { return registry().names; }

size_t dwt_coeff_len(size_t n, size_t filter_len, Mode mode) {
    if (n == 0) throw InvalidArgument("the signal is empty: a wavelet transform needs at least one sample");
    if (filter_len < 2) throw InvalidArgument("the filter length must be at least 2");
    return mode == Mode::periodization ? (n + 1) / 2 : (n + filter_len - 1) / 2;
}

int dwt_max_level(size_t n, size_t filter_len) {
    if (filter_len <= 1 || n < filter_len - 1) return 0;
    return static_cast<int>(std::bit_width(n / (filter_len - 1))) - 1;
}

size_t idwt_len(size_t n, size_t filter_len, Mode mode) {
    if (n == 0) throw InvalidArgument("no coefficients: the inverse transform needs at least one per band");
    if (mode == Mode::periodization) return 2 * n;
    if (n < filter_len / 2)
        throw InvalidArgument("too few coefficients (" + std::to_string(n) + ") for a filter of length " +
                              std::to_string(filter_len) + " in mode " + mode_name(mode) +
                              ": were they made with this wavelet and mode?");
    return 2 * n - filter_len + 2;
}

std::vector<size_t> wavedec_lengths(size_t n, size_t filter_len, Mode mode, int level) {
    if (level < 0) throw InvalidArgument("the level must be >= 0, got " + std::to_string(level));
    std::vector<size_t> details;
    size_t len = n;
    for (int l = 0; l < level; ++l) {
        len = dwt_coeff_len(len, filter_len, mode);
        details.push_back(len);
    }
    std::vector<size_t> out{len};
    out.insert(out.end(), details.rbegin(), details.rend());
    return out;
}

size_t waverec_len(std::span<const size_t> lengths, size_t filter_len, Mode mode) {
    if (lengths.empty()) throw InvalidArgument("no coefficient bands to reconstruct from");
    size_t a = lengths[0];
    for (size_t i = 1; i < lengths.size(); ++i) {
        const size_t d = lengths[i];
        if (a == d + 1) a = d;  // an odd length upstream leaves cA one longer than the cD it pairs with
        else if (a != d)
            throw InvalidArgument("coefficient band lengths do not fit together: an approximation of " +
                                  std::to_string(a) + " values cannot pair with a detail band of " +
                                  std::to_string(d));
        a = idwt_len(a, filter_len, mode);
    }
    return a;
}

}  // namespace tsquash::wavelet
