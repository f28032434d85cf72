// The entropy stage: an integer stream's residuals are mapped to bins (a lower bound and a number of raw
// offset bits, as in pcodec), the bin indices are coded with four interleaved ANS states against a table
// of bin weights shared by the whole series (a "model"), and the offsets follow as packed bits. Streams are
// written with table ANS (coder 3: a state moves by a table look-up and a few bits read); the rANS streams
// that earlier encoders wrote (coders 1 and 2) still decode.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common.hpp"

namespace tsquash::codecs::alp {

inline constexpr unsigned kAnsMinLog2 = 6;
inline constexpr unsigned kAnsMaxLog2 = 14;
inline constexpr uint32_t kAnsLow = 1u << 16;  // state lower bound; states live in [2^16, 2^32)
inline constexpr unsigned kAnsStates = 4;
inline constexpr size_t kMaxModels = 64;

// log2 of counts below 4096 (a libm call per count is slow in loops over bins).
extern const std::array<double, 4096> kLog2Table;
inline double log2_of_count(uint64_t c) { return c < kLog2Table.size() ? kLog2Table[c] : std::log2(double(c)); }

struct Bin {
    uint64_t lower = 0;
    uint32_t weight = 0;  // table slots (frequency)
    uint32_t cum = 0;     // first slot
    uint8_t width = 0;    // offset bits
};

struct Model {
    unsigned log2 = 0;
    std::vector<Bin> bins;           // sorted by lower bound (as signed values)
    // Decoder: everything one rANS step needs from its slot, in one 8-byte entry (2^log2 entries); the
    // bin's lower bound is looked up later, in the offsets pass, which keeps the table small.
    struct Slot {
        uint16_t bin;
        uint16_t weight;  // at most 2^14
        uint16_t k;       // slot - the bin's first slot
        // A state x in this slot decodes to weight * (x >> log2) + k, which is below 2^16 (so it takes a
        // word) exactly when x >> log2 <= below: known before the multiplication.
        uint16_t below;
    };
    // The rANS slots (2^log2 of them) are only for streams of coders 1 and 2, which older encoders wrote:
    // built on the first such stream, once, and shared by the model's copies (they depend on the bins alone).
    struct RansSlots {
        std::once_flag once;
        std::vector<Slot> slots;
    };
    std::shared_ptr<RansSlots> rans;  // a decoder's model (finalize) has one
    const Slot* rans_slots() const;
    // Table ANS decoder (coder 3): per state (a table position, 2^log2 of them) everything a step needs,
    // in one 16-byte entry: the bin's lower bound and offset width, the bits the state reads and the base
    // of the next state (the bin's lower bound here saves a dependent load and a register in the loop).
    struct TSlot {
        uint64_t lower;
        uint16_t base;  // twice the next state's base: next state = base / 2 + the nb bits read
        uint8_t nb;     // at most log2
        uint8_t width;  // the bin's offset bits
        uint16_t bin;
        uint16_t unused;
    };
    std::vector<TSlot, UninitAllocator<TSlot>> tslots;
    std::vector<uint64_t> dec_lower;  // per bin, its lower bound
    std::vector<uint8_t> widths;      // per bin, its offset bits
    uint8_t max_width = 0;
    std::vector<double> cost;        // encoder: bits of each bin's code plus its offset bits
    // Encoder lookup: bins' lower bounds as signed values, and a direct table from (r - lut_base) to the bin
    // over every bin or, for models spanning a wide range, over the values where the bins hold most weight
    // if that is most of it (the rest is searched).
    std::vector<int64_t> lowers;
    std::vector<int64_t> highest;  // per bin, the last value it holds (as a signed value)
    std::vector<uint16_t> lut;
    int64_t lut_base = 0;
    // Other models spanning a wide range have cells instead, on a log scale around cell_center (2^kCellBits
    // cells an octave on either side, so about as fine as the bins, which grow with their distance from the
    // middle too). A residual's bin is the one holding its cell's first value or one up to the one holding
    // its last: per cell, the first of those bins and their number (in the high 16 bits), and cell_steps
    // halvings find it. Only the cells from the one of the lowest bin (past the catch-all bin from the lowest
    // int64, if any) to the one of the highest are kept: values beyond go to the nearest of them.
    static constexpr unsigned kCellBits = 5;
    static constexpr size_t kCellSide = size_t(65 - kCellBits) << kCellBits;  // cells on either side
    std::vector<uint32_t> cells;
    int64_t cell_center = 0;
    size_t cell_first = 0, cell_last = 0;
    unsigned cell_steps = 0;
    // cum, widths and lower bounds from the weights; with `decoder`, also the table ANS slots (the encoder
    // never needs them).
    void finalize(bool decoder = true);
    // rANS encoder (coder 2, for tests of its decoder): per bin the constants of a division-free step.
    struct EncSym {
        uint64_t limit;
        uint64_t rcp;
        uint32_t bias, cmpl;
    };
    std::vector<EncSym> enc;
    // Table ANS encoder: per bin the constants that give a state's bits to write and its row in `tnext`,
    // and tnext, the states (2^log2 + position) of each bin's table positions, bin by bin.
    struct TEnc {
        uint32_t delta_nb;    // bits written from state X: (X + delta_nb) >> 16
        uint32_t delta_find;  // X's row in tnext: (X >> bits) + delta_find, mod 2^32
    };
    std::vector<TEnc> tenc;
    std::vector<uint16_t> tnext;
    void prepare_costs(size_t population);  // cost, lowers, lut, enc, tenc, tnext
    // Encoder: the bins of rc residuals and the bits the coded run would take after the header byte and
    // delta starts (the ANS payload estimated from the weights, offsets exact, sizes and states included);
    // false when a residual falls outside every bin.
    bool code_bits(const uint64_t* resid, size_t rc, uint16_t* bins, double& bits) const;
};

// A model for residuals like those in the sample (sorted in place) of `population` residuals, covering
// [global_min, global_max].
Model build_model(std::vector<int64_t>& sample, size_t population, int64_t global_min, int64_t global_max);
// Bytes the model takes in the models section.
size_t model_bytes(const Model& m);

// Section bytes <-> models (docs/format.md "models section").
std::vector<Model> read_models(Reader& r);
void write_models(const std::vector<Model>& models, Writer& w);

// An entropy-coded residual run (after the model index byte) of coder 1, 2 or 3: rc residuals into dst
// (room for rc values). With a delta order o > 0, dst[-o, 0) hold the stream's delta starts and the rebuilt
// values are written instead of the residuals (the running sums taken in the same pass).
void ans_decode(Reader& r, size_t rc, const Model& model, uint64_t* dst, unsigned order, unsigned coder);
// Encoder side: bins[i] is the bin of residual i (the caller found it). Appends the coded run: table ANS
// (coder 3), or with `rans` the rANS run of coder 2 (kept for tests of the older streams).
void ans_encode(const uint64_t* resid, const uint16_t* bins, size_t rc, const Model& model, Writer& out,
                bool rans = false);

}  // namespace tsquash::codecs::alp
