// Multilevel DWT of a series that arrives in pieces, giving the same coefficients, bit for bit, as wavedec on
// the whole series.
//
// Modes: zero, constant, symmetric, reflect, smooth, antisymmetric, antireflect: every mode whose left
// extension depends only on the first samples. periodic and periodization wrap the end of the series around to
// its start, so their first coefficients are unknown until the series ends; they are refused.
//
// What is emitted when, per level (F = filter length, n = samples that level has received):
//   - nothing until n >= F, so that the left extension can be built from the first F samples;
//   - then every output o with 2o + 1 < n: those see only received samples and the left extension;
//   - finish() knows the length N and emits the rest, built with the right extension from the last F samples
//     (a series shorter than F is transformed whole at finish).
// Level l + 1 is fed the approximation coefficients of level l as they appear. The detail coefficients of a
// level, and the approximation of the last level, are therefore a prefix of the whole-array band at every
// moment, and equal to it after finish(). Memory per level: the first F samples plus at most F + the piece.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tsquash/wavelet/wavelet.hpp"

namespace tsquash::wavelet {

class StreamingDwt {
public:
    // Throws InvalidArgument for an unknown wavelet, a periodic mode or level < 1.
    StreamingDwt(std::string_view wavelet_name, Mode mode, int level);

    // The coefficients that became final, appended per band in wavedec's order [cA_level, cD_level, ..., cD_1].
    // bands is resized to level + 1 when it has another size.
    void push(std::span<const double> x, std::vector<std::vector<double>>& bands);
    // Emits the remaining coefficients; afterwards push and finish throw InvalidArgument.
    void finish(std::vector<std::vector<double>>& bands);

    // The whole state as self-describing bytes (magic "TSQW", version, parameters, buffers, CRC-32C; the layout
    // is in docs/wavelet.md); restore() rebuilds it and throws CorruptStream for bytes that are not such a state.
    std::vector<uint8_t> state() const;
    static StreamingDwt restore(const uint8_t* data, size_t n);

    const Wavelet& wavelet() const { return *w_; }
    Mode mode() const { return mode_; }
    int level() const { return int(levels_.size()); }
    uint64_t samples_in() const { return levels_.front().n_in; }
    bool finished() const { return finished_; }

    struct Level {
        uint64_t n_in = 0;         // samples received
        uint64_t next_out = 0;     // outputs emitted
        uint64_t base = 0;         // global index of buf[0]
        std::vector<double> head;  // the first min(n_in, F) samples
        std::vector<double> buf;   // samples [base, n_in)
    };

private:
    void push_level(size_t l, std::span<const double> x, std::vector<std::vector<double>>& bands);
    void finish_level(size_t l, std::vector<std::vector<double>>& bands);
    void emit(size_t l, uint64_t count, int64_t n_ext, std::vector<std::vector<double>>& bands);
    void check_invariants() const;  // for restore: every read of a later push or finish stays in bounds

    const Wavelet* w_;
    Mode mode_;
    bool finished_ = false;
    std::vector<Level> levels_;
};

}  // namespace tsquash::wavelet
