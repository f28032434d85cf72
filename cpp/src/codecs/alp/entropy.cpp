// The entropy stage (docs/format.md, "models and entropy-coded streams"): bins + four interleaved rANS
// states over a shared table, offsets as packed bits; and, for the encoder, building a model from a sample.
#include "entropy.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "kernels.hpp"

// Loops compiled for BMI2 beside the baseline, picked at run time: GCC on x86-64.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TSQ_BMI2_CLONES 1
// The decode loops: no straight-line vectoriser (see TSQ_DECODE_LOOPS). GCC's scheduling pass before
// register allocation (off by default on x86-64), guided by register pressure, keeps the one-pass loop's
// four states in registers more often: the decimal series decode 3.5-4% faster.
#define TSQ_DECODE_OPT [[gnu::optimize("no-tree-slp-vectorize", "schedule-insns", "sched-pressure")]]
#else
#define TSQ_BMI2_CLONES 0
#define TSQ_DECODE_OPT
#endif

namespace tsquash::codecs::alp {

namespace {

// Table ANS: the bin at each of the 2^L table positions. Each bin's positions are spread over the table by
// a fixed odd step (so the walk visits every position once), which puts a bin's states far apart: a state's
// successors then cover the bins in about their proportions, which keeps the code close to the weights'
// entropy.
std::vector<uint16_t> spread_bins(const Model& m) {
    const uint32_t size = 1u << m.log2, mask = size - 1, step = (size >> 1) + (size >> 3) + 3;
    std::vector<uint16_t> at(size);
    uint32_t pos = 0;
    for (size_t b = 0; b < m.bins.size(); ++b)
        for (uint32_t k = 0; k < m.bins[b].weight; ++k, pos = (pos + step) & mask) at[pos] = uint16_t(b);
    return at;
}

}  // namespace

const Model::Slot* Model::rans_slots() const {
    std::call_once(rans->once, [&] {
        std::vector<Slot>& slots = rans->slots;
        slots.resize(size_t(1) << log2);
        for (const Bin& bin : bins) {
            // below = (2^16 - 1 - k) / weight, one division per bin rather than per slot.
            const uint32_t w = bin.weight, a = (kAnsLow - 1) / w, rem = (kAnsLow - 1) % w;
            const auto b = uint16_t(&bin - bins.data());
            for (uint32_t k = 0; k < w; ++k)
                slots[bin.cum + k] = {b, uint16_t(w), uint16_t(k), uint16_t(a - (k > rem))};
        }
    });
    return rans->slots.data();
}

void Model::finalize(bool decoder) {
    uint32_t cum = 0;
    dec_lower.resize(bins.size());
    widths.resize(bins.size());
    max_width = 0;
    for (size_t b = 0; b < bins.size(); ++b) {
        bins[b].cum = cum;
        cum += bins[b].weight;
        dec_lower[b] = bins[b].lower;
        widths[b] = bins[b].width;
        max_width = std::max(max_width, bins[b].width);
    }
    if (!decoder) return;
    rans = std::make_shared<RansSlots>();
    // The j-th position of bin b (of weight w) in table order is the state the encoder reaches from the
    // states X with X >> nb = w + j; from it the decoder reads nb bits back: X - 2^L = ((w + j) << nb) - 2^L
    // + those bits, nb the shift that brings w + j to L + 1 bits. Each bin's slots start from a prototype
    // of the fields they share (one 16-byte load a slot, not three from the bins).
    const std::vector<uint16_t> at = spread_bins(*this);
    std::vector<TSlot> proto(bins.size());
    for (size_t b = 0; b < bins.size(); ++b) proto[b] = {bins[b].lower, 0, 0, bins[b].width, uint16_t(b), 0};
    std::vector<uint32_t> next(bins.size());
    for (size_t b = 0; b < bins.size(); ++b) next[b] = bins[b].weight;
    tslots.resize(at.size());
    for (size_t s = 0; s < at.size(); ++s) {
        const unsigned b = at[s];
        const uint32_t xs = next[b]++;
        const unsigned nb = log2 + 1 - unsigned(std::bit_width(xs));
        TSlot t = proto[b];
        t.base = uint16_t(2 * ((xs << nb) - (1u << log2)));
        t.nb = uint8_t(nb);
        tslots[s] = t;
    }
}

std::vector<Model> read_models(Reader& r) {
    const unsigned k = r.u8("model count");
    if (k < 1 || k > kMaxModels) corrupt("model count out of range");
    std::vector<Model> models(k);
    for (Model& m : models) {
        m.log2 = r.u8("model table size");
        if (m.log2 < kAnsMinLog2 || m.log2 > kAnsMaxLog2) corrupt("model table size out of range");
        const uint32_t total = 1u << m.log2;
        const unsigned nb = r.u16("bin count");
        if (nb < 1 || nb > total) corrupt("bin count out of range");
        m.bins.resize(nb);
        uint64_t sum = 0, lower = 0;
        for (Bin& b : m.bins) {
            const uint64_t w = r.varint("bin weight");
            if (w < 1 || w > total) corrupt("bin weight out of range");
            sum += w;
            b.weight = uint32_t(w);
            b.width = r.u8("bin width");
            if (b.width > 64) corrupt("bin width above 64");
            lower += uint64_t(unzigzag(r.varint("bin lower bound")));
            b.lower = lower;
        }
        if (sum != total) corrupt("bin weights do not add up to the table size");
        m.finalize();
    }
    return models;
}

namespace {

void write_model(const Model& m, Writer& w) {
    w.u8(uint8_t(m.log2));
    w.u16(uint16_t(m.bins.size()));
    uint64_t prev = 0;
    for (const Bin& b : m.bins) {
        w.varint(b.weight);
        w.u8(b.width);
        w.varint(zigzag(int64_t(b.lower - prev)));
        prev = b.lower;
    }
}

}  // namespace

void write_models(const std::vector<Model>& models, Writer& w) {
    w.u8(uint8_t(models.size()));
    for (const Model& m : models) write_model(m, w);
}

// ---- decoding --------------------------------------------------------------------------------------------

namespace {

// Masks of 0..64 low bits, so an offset of any width is extracted without a branch or a shift by 64.
constexpr auto kLowMask = [] {
    std::array<uint64_t, 65> m{};
    for (unsigned w = 1; w <= 64; ++w) m[w] = w == 64 ? ~0ull : (1ull << w) - 1;
    return m;
}();

}  // namespace

namespace {

// Offsets of at most this many bits go four at a time (the encoder joins them so, OffsetBits::put_group,
// and the decoder reads them so).
constexpr unsigned kQuadOffsetBits = 14;

// The w low bits of v (w <= 64): one instruction with BMI2 (only called so from the loops picked on a CPU
// that has it; written as assembly because the function that inlines it is not itself marked for BMI2),
// a table of masks without.
template <bool Bmi2>
[[gnu::always_inline]] inline uint64_t low_bits(uint64_t v, unsigned w) {
#if TSQ_BMI2_CLONES
    if constexpr (Bmi2) {
        uint64_t out;
        asm("bzhiq %2, %1, %0" : "=r"(out) : "r"(v), "r"(uint64_t(w)));
        return out;
    }
#endif
    return v & kLowMask[w];
}

// Values rebuilt from residuals of delta order Order as they come (wrapping sums, in the caller's locals
// prev and d), for both offsets loops. start_sums reads the delta starts at dst[-Order, 0) (for order 2 the
// first value and the first difference, the latter replaced by the second value here); put_sum writes the
// value of residual r at `at`.
template <unsigned Order>
[[gnu::always_inline]] inline void start_sums(uint64_t* dst, uint64_t& prev, uint64_t& d) {
    prev = d = 0;
    if constexpr (Order == 1) prev = dst[-1];
    if constexpr (Order == 2) {
        d = dst[-1];
        prev = dst[-2] + d;
        dst[-1] = prev;
    }
}
template <unsigned Order>
[[gnu::always_inline]] inline void put_sum(uint64_t* at, uint64_t r, uint64_t& prev, uint64_t& d) {
    if constexpr (Order == 0) {
        *at = r;
    } else if constexpr (Order == 1) {
        prev += r;
        *at = prev;
    } else {
        d += r;
        prev += d;
        *at = prev;
    }
}

// The offsets of rc residuals (bins known) at src, which may be read 16 bytes past its end; Order > 0:
// dst[-Order, 0) hold the delta starts and the values are rebuilt (wrapping sums) as they come. Returns
// the offsets' length in bits.
template <unsigned Order, bool Bmi2>
[[gnu::always_inline]] inline uint64_t offsets_body(const uint8_t* src, const uint16_t* bin_of, size_t rc,
                                                   const Model& model, uint64_t* dst) {
    const uint64_t* lowers = model.dec_lower.data();
    const uint8_t* widths = model.widths.data();
    uint64_t prev, d;
    start_sums<Order>(dst, prev, d);
    auto emit = [&](size_t k, uint64_t r) { put_sum<Order>(dst + k, r, prev, d); };
    uint64_t pos = 0;
    size_t k0 = 0;
    if (model.max_width <= kQuadOffsetBits) {
        // Four offsets from one load, shifted out in turn (4 x 14 bits fit the 57 a load at any bit position
        // holds): a load and its address once a round, not once an offset.
        for (; k0 + 4 <= rc; k0 += 4) {
            uint64_t bits = Reader::load<uint64_t>(src + (pos >> 3)) >> (pos & 7);
            for (size_t k = k0; k < k0 + 4; ++k) {
                const unsigned b = bin_of[k], w = widths[b];
                emit(k, lowers[b] + low_bits<Bmi2>(bits, w));
                bits >>= w;
                pos += w;
            }
        }
    }
    if (model.max_width <= 57) {
        // One 64-bit load covers any offset of up to 57 bits at any bit position: no branch at all.
#pragma GCC unroll 4
        for (size_t k = k0; k < rc; ++k) {
            const unsigned b = bin_of[k], w = widths[b];
            const uint64_t lo = Reader::load<uint64_t>(src + (pos >> 3)) >> (pos & 7);
            emit(k, lowers[b] + low_bits<Bmi2>(lo, w));
            pos += w;
        }
    } else {
        for (size_t k = 0; k < rc; ++k) {
            const unsigned b = bin_of[k], w = widths[b];
            const uint8_t* p = src + (pos >> 3);
            const unsigned sh = unsigned(pos & 7);
            uint64_t lo = Reader::load<uint64_t>(p) >> sh;
            if (w + sh > 64) lo |= uint64_t(p[8]) << (64 - sh);
            emit(k, lowers[b] + low_bits<Bmi2>(lo, w));
            pos += w;
        }
    }
    return pos;
}

// The rANS rounds of ans_decode while 8 bytes of words remain, for a table of 2^L slots (L fixed, so that
// the shifts and masks by it are constants). A round decodes one symbol from each of the four states. A
// state below 2^16 takes one 16-bit word (never two: the decoded state is at least 2^(16 - L) * weight >= 4,
// so one word lifts it to 2^18), the words in state order. Whether a state takes a word depends on the data
// (about one symbol in three on decimal series); as a branch it is mispredicted often on data the predictor
// has not seen before. So no branch: state j reads the word after those its round's earlier states took, and
// keeps it or not through a mask. Returns how many symbols it decoded.
template <unsigned L>
[[gnu::always_inline]] inline size_t ans_rounds_body(const Model::Slot* slots, size_t rc, uint32_t* x,
                                                    const uint8_t*& word, const uint8_t* wend, uint16_t* bin_of) {
    constexpr uint32_t mask = (1u << L) - 1;
    uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    const uint8_t* w = word;
    size_t i = 0;
    // A round takes at most 8 bytes: as many rounds as are safe are run without a check, then counted again.
    for (size_t safe; (safe = std::min((rc - i) / 4, size_t(wend - w) / 8)) != 0;) {
        for (const size_t stop = i + 4 * safe; i < stop; i += 4) {
            // The round's words are shifted out of one load: a load per word, at an address that waits on
            // the earlier states' choices, put a second load on each round's critical path.
            const uint64_t words = Reader::load<uint64_t>(w);
            unsigned taken = 0;  // bits of words taken so far in this round
            auto step = [&](uint32_t& st, size_t k) {
                const Model::Slot e = slots[st & mask];
                bin_of[k] = e.bin;
                const uint32_t q = st >> L;
                const uint32_t take = 0u - uint32_t(q <= e.below);  // all ones when the state takes a word
                const uint32_t next = uint32_t(words >> taken) & 0xFFFFu & take;
                st = ((uint32_t(e.weight) * q + e.k) << (16 & take)) | next;
                taken += 16 & take;
            };
            step(x0, i);
            step(x1, i + 1);
            step(x2, i + 2);
            step(x3, i + 3);
            w += taken / 8;
        }
    }
    x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
    word = w;
    return i;
}

// Offsets read per 64-bit load in the fused loop: Group offsets of at most this many bits fit the 57 bits a
// load holds at any bit position.
constexpr unsigned group_width(unsigned group) { return group == 4 ? kQuadOffsetBits : group == 2 ? 28 : 57; }

// ans_decode for offsets of at most 57 bits, the offsets' start being known (the stream gives the words'
// count): each rANS round's four bins go straight to their offsets (Group of them from one load) and the
// values are rebuilt in the same pass. The states' chains and the offsets' bit position are independent, so
// they overlap, and the bins never go through memory: 9-10% faster than a pass of each. Runs while 8 bytes of
// words may be read (up to wend), then finishes with checked steps (words up to words_end). Returns the
// offsets' length in bits.
template <unsigned L, unsigned Order, unsigned Group, bool Bmi2>
[[gnu::always_inline]] inline uint64_t fused_body(const Model& model, size_t rc, uint32_t* x, const uint8_t*& word,
                                                  const uint8_t* wend, const uint8_t* words_end,
                                                  const uint8_t* src, uint64_t* dst) {
    // L = 0: the table size is read at run time. As a constant, it keeps a register free: 4% faster.
    const unsigned l = L ? L : model.log2;
    const uint32_t mask = (1u << l) - 1;
    const Model::Slot* slots = model.rans_slots();
    const uint64_t* lowers = model.dec_lower.data();
    const uint8_t* widths = model.widths.data();
    uint64_t prev, d;
    start_sums<Order>(dst, prev, d);
    auto emit = [&](uint64_t* at, uint64_t r) { put_sum<Order>(at, r, prev, d); };
    uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    const uint8_t* w = word;
    uint64_t pos = 0;
    size_t i = 0;
    for (size_t safe; (safe = std::min((rc - i) / 4, size_t(wend - w) / 8)) != 0;) {
        // A count down and a moving output: registers are short here, and a state kept in memory puts a
        // store and a load on its chain.
        uint64_t* at = dst + i;
        i += 4 * safe;
        for (size_t n = safe; n; --n, at += 4) {
            // The rANS round, as in ans_rounds_body.
            const uint64_t words = Reader::load<uint64_t>(w);
            unsigned taken = 0;
            auto step = [&](uint32_t& st) {
                const Model::Slot e = slots[st & mask];
                const uint32_t q = st >> l;
                // All ones when the state takes no word (q above below; both below 2^26): a subtraction
                // and an arithmetic shift instead of a compare, a flag to a register and a negation.
                const uint32_t keep = uint32_t((int32_t(e.below) - int32_t(q)) >> 31);
                const uint32_t next = uint32_t(words >> taken) & 0xFFFFu & ~keep;
                st = ((uint32_t(e.weight) * q + e.k) << (16 & ~keep)) | next;
                taken += 16 & ~keep;
                return unsigned(e.bin);
            };
            const unsigned bins[4] = {step(x0), step(x1), step(x2), step(x3)};
            w += taken / 8;
            for (unsigned g = 0; g < 4; g += Group) {
                uint64_t bits = Reader::load<uint64_t>(src + (pos >> 3)) >> (pos & 7);
                for (unsigned j = g; j < g + Group; ++j) {
                    const unsigned b = bins[j], wd = widths[b];
                    emit(at + j, lowers[b] + low_bits<Bmi2>(bits, wd));
                    bits >>= wd;
                    pos += wd;
                }
            }
        }
    }
    x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
    // The last symbols, near the end of the words: every word read is checked.
    for (; i < rc; ++i) {
        uint32_t& st = x[i % kAnsStates];
        const Model::Slot e = slots[st & mask];
        st = uint32_t(e.weight) * (st >> l) + e.k;
        if (st < kAnsLow) {
            if (words_end - w < 2) corrupt("rANS stream runs out");
            st = (st << 16) | Reader::load<uint16_t>(w);
            w += 2;
        }
        const unsigned wd = widths[e.bin];
        const uint64_t bits = Reader::load<uint64_t>(src + (pos >> 3)) >> (pos & 7);
        emit(dst + i, lowers[e.bin] + low_bits<Bmi2>(bits, wd));
        pos += wd;
    }
    word = w;
    return pos;
}

// Table ANS (coder 3). A state is a table position; a step reads the slot's nb bits (at most L <= 14) from
// the state bits, so four steps (a round) take at most 56 bits: one load a round. The rounds run unchecked
// while the load stays within the state bits and 8 bytes past them (tbits + 64 bits; the caller's source
// has 16 bytes of room there), which a valid stream never leaves (its bits end at tbits); the last
// residuals, and any of a stream whose bits run out early, take checked steps.
constexpr unsigned kTansRoundBits = 4 * kAnsMaxLog2;

// The decoder keeps each state doubled (2 x its table position), so that the 16-byte slot's address is the
// state scaled by 8, which x86 addressing does in the load (two instructions less a step); the slots' bases
// are doubled too.
[[gnu::always_inline]] inline const Model::TSlot& tslot(const Model::TSlot* tslots, uint32_t st) {
    return *reinterpret_cast<const Model::TSlot*>(reinterpret_cast<const uint8_t*>(tslots) + size_t(st) * 8);
}

// A checked step of state st: its slot, the state moved on (false when the bits run out).
[[gnu::always_inline]] inline bool tans_checked_step(const Model::TSlot* tslots, uint32_t& st, const uint8_t* tsrc,
                                                     uint64_t& tpos, uint64_t tbits, Model::TSlot& e) {
    e = tslot(tslots, st);
    if (tpos + e.nb > tbits) return false;
    const uint64_t bits = Reader::load<uint64_t>(tsrc + (tpos >> 3)) >> (tpos & 7);
    st = e.base + 2 * uint32_t(bits & ((1u << e.nb) - 1));
    tpos += e.nb;
    return true;
}

// How many unchecked rounds may start at bit tpos.
inline size_t tans_safe_rounds(uint64_t tpos, uint64_t tbits) {
    return tpos > tbits + 64 ? 0 : size_t((tbits + 64 - tpos) / kTansRoundBits);
}

// The bins of rc residuals into bin_of (the offsets come in a pass of their own: any width).
template <bool Bmi2>
[[gnu::always_inline]] inline void tans_states_body(const Model& model, size_t rc, uint32_t* x, const uint8_t* tsrc,
                                                    uint64_t& tpos_io, uint64_t tbits, uint16_t* bin_of) {
    const Model::TSlot* tslots = model.tslots.data();
    uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    uint64_t tpos = tpos_io;
    size_t i = 0;
    for (size_t safe; (safe = std::min((rc - i) / 4, tans_safe_rounds(tpos, tbits))) != 0;) {
        for (const size_t stop = i + 4 * safe; i < stop; i += 4) {
            uint64_t tb = Reader::load<uint64_t>(tsrc + (tpos >> 3)) >> (tpos & 7);
            auto step = [&](uint32_t& st, size_t k) {
                const Model::TSlot& e = tslot(tslots, st);
                bin_of[k] = e.bin;
                st = e.base + 2 * uint32_t(low_bits<Bmi2>(tb, e.nb));
                tb >>= e.nb;
                tpos += e.nb;
            };
            step(x0, i);
            step(x1, i + 1);
            step(x2, i + 2);
            step(x3, i + 3);
        }
    }
    x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
    for (; i < rc; ++i) {
        Model::TSlot e;
        if (!tans_checked_step(tslots, x[i % kAnsStates], tsrc, tpos, tbits, e)) corrupt("table ANS bits run out");
        bin_of[i] = e.bin;
    }
    tpos_io = tpos;
}

// Table ANS with the offsets (at most 57 bits) taken as the bins come and the values rebuilt in the same
// pass, as fused_body does for rANS. The offsets follow the state bits (tbits of them) at `field`, which
// one pointer reads both from: registers are short here. Each step's state, offset and value go in turn,
// so few values are live at once. Returns the offsets' length in bits.
template <unsigned Order, unsigned Group, bool Bmi2>
[[gnu::always_inline]] inline uint64_t tans_fused_body(const Model& model, size_t rc, uint32_t* x,
                                                       const uint8_t* field, uint64_t& tpos_io, uint64_t tbits,
                                                       uint64_t* dst) {
    const Model::TSlot* tslots = model.tslots.data();
    uint64_t prev, d;
    start_sums<Order>(dst, prev, d);
    uint32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    uint64_t tpos = tpos_io, pos = tbits;
    size_t i = 0;
    for (size_t safe; (safe = std::min((rc - i) / 4, tans_safe_rounds(tpos, tbits))) != 0;) {
        uint64_t* at = dst + i;
        i += 4 * safe;
        for (uint64_t* const stop = at + 4 * safe; at != stop; at += 4) {
            uint64_t tb = Reader::load<uint64_t>(field + (tpos >> 3)) >> (tpos & 7);
            uint64_t ob = 0;
            auto step = [&](uint32_t& st, unsigned j) {
                if (j % Group == 0) ob = Reader::load<uint64_t>(field + (pos >> 3)) >> (pos & 7);
                const Model::TSlot& e = tslot(tslots, st);
                const unsigned nb = e.nb, wd = e.width;
                st = e.base + 2 * uint32_t(low_bits<Bmi2>(tb, nb));
                tb >>= nb;
                tpos += nb;
                put_sum<Order>(at + j, e.lower + low_bits<Bmi2>(ob, wd), prev, d);
                ob >>= wd;
                pos += wd;
            };
            step(x0, 0);
            step(x1, 1);
            step(x2, 2);
            step(x3, 3);
        }
    }
    x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;
    for (; i < rc; ++i) {
        Model::TSlot e;
        if (!tans_checked_step(tslots, x[i % kAnsStates], field, tpos, tbits, e)) corrupt("table ANS bits run out");
        const uint64_t bits = Reader::load<uint64_t>(field + (pos >> 3)) >> (pos & 7);
        put_sum<Order>(dst + i, e.lower + low_bits<Bmi2>(bits, e.width), prev, d);
        pos += e.width;
    }
    tpos_io = tpos;
    return pos - tbits;
}

// Each loop compiled for the baseline and, where the compiler can, with BMI2 (shifts by a variable count
// without the cl register, the low bits of a word in one instruction): picked at run time. The compiler's
// straight-line vectoriser is kept off them: it packs the four rANS states into one vector register when
// AVX2 is on (a -march=native build), which decoded 35% slower.
#define TSQ_DECODE_LOOPS(suffix, attr)                                                                        \
    template <unsigned L>                                                                                     \
    attr size_t ans_rounds_##suffix(const Model::Slot* slots, size_t rc, uint32_t* x, const uint8_t*& word,   \
                                    const uint8_t* wend, uint16_t* bin_of) {                                  \
        return ans_rounds_body<L>(slots, rc, x, word, wend, bin_of);                                          \
    }                                                                                                         \
    template <size_t... Ls>                                                                                   \
    constexpr auto rounds_table_##suffix(std::index_sequence<Ls...>) {                                        \
        return std::array<RoundsFn, sizeof...(Ls)>{&ans_rounds_##suffix<unsigned(Ls + kAnsMinLog2)>...};      \
    }                                                                                                         \
    template <unsigned Order>                                                                                 \
    attr uint64_t offsets_##suffix(const uint8_t* src, const uint16_t* bin_of, size_t rc, const Model& model, \
                                   uint64_t* dst) {                                                           \
        return offsets_body<Order, TSQ_IS_BMI2_##suffix>(src, bin_of, rc, model, dst);                        \
    }                                                                                                         \
    template <unsigned L, unsigned Order, unsigned Group>                                                     \
    attr uint64_t fused_##suffix(const Model& model, size_t rc, uint32_t* x, const uint8_t*& word,            \
                                 const uint8_t* wend, const uint8_t* words_end, const uint8_t* src,            \
                                 uint64_t* dst) {                                                              \
        return fused_body<L, Order, Group, TSQ_IS_BMI2_##suffix>(model, rc, x, word, wend, words_end, src, dst); \
    }                                                                                                         \
    template <unsigned L>                                                                                     \
    constexpr FusedBy fused_of_size_##suffix{                                                                 \
        {{&fused_##suffix<L, 0, 4>, &fused_##suffix<L, 0, 2>, &fused_##suffix<L, 0, 1>},                      \
         {&fused_##suffix<L, 1, 4>, &fused_##suffix<L, 1, 2>, &fused_##suffix<L, 1, 1>},                      \
         {&fused_##suffix<L, 2, 4>, &fused_##suffix<L, 2, 2>, &fused_##suffix<L, 2, 1>}}};                    \
    template <size_t... Ls>                                                                                   \
    constexpr auto fused_table_##suffix(std::index_sequence<Ls...>) {                                         \
        return std::array<FusedBy, sizeof...(Ls)>{                                                            \
            fused_of_size_##suffix<TSQ_FUSED_BY_SIZE_##suffix ? unsigned(Ls + kAnsMinLog2) : 0u>...};          \
    }                                                                                                         \
    attr void tans_states_##suffix(const Model& model, size_t rc, uint32_t* x, const uint8_t* tsrc,            \
                                   uint64_t& tpos, uint64_t tbits, uint16_t* bin_of) {                        \
        tans_states_body<TSQ_IS_BMI2_##suffix>(model, rc, x, tsrc, tpos, tbits, bin_of);                      \
    }                                                                                                         \
    template <unsigned Order, unsigned Group>                                                                 \
    attr uint64_t tans_fused_##suffix(const Model& model, size_t rc, uint32_t* x, const uint8_t* field,       \
                                      uint64_t& tpos, uint64_t tbits, uint64_t* dst) {                        \
        return tans_fused_body<Order, Group, TSQ_IS_BMI2_##suffix>(model, rc, x, field, tpos, tbits, dst);    \
    }                                                                                                         \
    constexpr DecodeLoops loops_##suffix{                                                                     \
        rounds_table_##suffix(std::make_index_sequence<kAnsMaxLog2 - kAnsMinLog2 + 1>{}),                     \
        {&offsets_##suffix<0>, &offsets_##suffix<1>, &offsets_##suffix<2>},                                   \
        fused_table_##suffix(std::make_index_sequence<kAnsMaxLog2 - kAnsMinLog2 + 1>{}),                      \
        &tans_states_##suffix,                                                                                \
        {{{&tans_fused_##suffix<0, 4>, &tans_fused_##suffix<0, 2>, &tans_fused_##suffix<0, 1>},               \
          {&tans_fused_##suffix<1, 4>, &tans_fused_##suffix<1, 2>, &tans_fused_##suffix<1, 1>},               \
          {&tans_fused_##suffix<2, 4>, &tans_fused_##suffix<2, 2>, &tans_fused_##suffix<2, 1>}}}};

using RoundsFn = size_t (*)(const Model::Slot*, size_t, uint32_t*, const uint8_t*&, const uint8_t*, uint16_t*);
using OffsetsFn = uint64_t (*)(const uint8_t*, const uint16_t*, size_t, const Model&, uint64_t*);
using FusedFn = uint64_t (*)(const Model&, size_t, uint32_t*, const uint8_t*&, const uint8_t*, const uint8_t*,
                             const uint8_t*, uint64_t*);
using FusedBy = std::array<std::array<FusedFn, 3>, 3>;  // by delta order, then by offsets a load (4, 2, 1)
using TansStatesFn = void (*)(const Model&, size_t, uint32_t*, const uint8_t*, uint64_t&, uint64_t, uint16_t*);
using TansFusedFn = uint64_t (*)(const Model&, size_t, uint32_t*, const uint8_t*, uint64_t&, uint64_t, uint64_t*);
struct DecodeLoops {
    std::array<RoundsFn, kAnsMaxLog2 - kAnsMinLog2 + 1> rounds;  // by table size
    std::array<OffsetsFn, 3> offsets;                             // by delta order
    std::array<FusedBy, kAnsMaxLog2 - kAnsMinLog2 + 1> fused;     // by table size
    TansStatesFn tans_states;
    std::array<std::array<TansFusedFn, 3>, 3> tans_fused;         // by delta order, then offsets a load
};

#define TSQ_IS_BMI2_generic false
#define TSQ_IS_BMI2_bmi2 true
// The fused loops of the baseline read the table size at run time: 9 loops instead of 81 to compile, for
// the CPUs without BMI2 (and other architectures).
#define TSQ_FUSED_BY_SIZE_generic false
#define TSQ_FUSED_BY_SIZE_bmi2 true
TSQ_DECODE_LOOPS(generic, TSQ_DECODE_OPT)
#if TSQ_BMI2_CLONES
TSQ_DECODE_LOOPS(bmi2, [[gnu::target("bmi2")]] TSQ_DECODE_OPT)
#endif

const DecodeLoops& decode_loops() {
#if TSQ_BMI2_CLONES
    if (kernels::bmi2_usable()) return loops_bmi2;
#endif
    return loops_generic;
}

}  // namespace

namespace {

// Where `longest` bytes from o (the most a field may take) can be read with 16 bytes of room past them: in
// place where the buffer has that room, else a zero-padded copy of what is left, in pad.
const uint8_t* readable(const Reader& r, const uint8_t* o, size_t longest, uint8_t* pad) {
    if (size_t(r.hard_end() - o) >= longest + 16) return o;
    const size_t have = std::min(longest, size_t(r.end() - o));
    std::memcpy(pad, o, have);
    std::memset(pad + have, 0, longest + 16 - have);
    return pad;
}

// Whether the bits of a field past its first `bits` (in its last byte) are zero: one encoding per stream.
bool padding_clear(const uint8_t* field, uint64_t bits) {
    return bits % 8 == 0 || (field[bits / 8] >> (bits % 8)) == 0;
}

// Takes the offsets, `total` bits from o, and checks their padding bits.
void take_offsets(Reader& r, const uint8_t* o, uint64_t total) {
    r.take(size_t((total + 7) / 8), "offset bits");
    if (!padding_clear(o, total)) corrupt("offset padding bits not zero");
}

void tans_decode(Reader& r, size_t rc, const Model& model, uint64_t* dst, unsigned order) {
    const unsigned L = model.log2;
    const uint64_t tbytes = r.varint("table ANS byte count");
    if (tbytes > (uint64_t(rc) * L + 7) / 8) corrupt("table ANS byte count above what the residuals can take");
    const uint8_t* s = r.take(2 * kAnsStates, "table ANS states");
    uint32_t x[kAnsStates];
    for (unsigned j = 0; j < kAnsStates; ++j) {
        x[j] = Reader::load<uint16_t>(s + 2 * j);
        if (x[j] >> L) corrupt("table ANS state out of range");
        x[j] *= 2;  // see tslot
    }
    const uint8_t* tfield = r.take(size_t(tbytes), "table ANS bits");
    const uint64_t tbits = 8 * tbytes;
    uint64_t tpos = 0, total;
    const DecodeLoops& loops = decode_loops();
    const uint8_t* o = r.pos();
    const size_t longest = (rc * model.max_width + 7) / 8;
    // Room for both fields, the longest they may be, and the rounds' 16 bytes past them.
    uint8_t pad[(kScratch * kAnsMaxLog2 + 7) / 8 + kBlockValues * 8 + 32];
    if (model.max_width <= group_width(1)) {
        const unsigned g = model.max_width <= group_width(4) ? 0 : model.max_width <= group_width(2) ? 1 : 2;
        total = loops.tans_fused[std::min(order, 2u)][g](model, rc, x, readable(r, tfield, size_t(tbytes) + longest, pad),
                                                          tpos, tbits, dst);
    } else {
        uint16_t bin_of[kScratch];
        loops.tans_states(model, rc, x, readable(r, tfield, size_t(tbytes), pad), tpos, tbits, bin_of);
        total = loops.offsets[std::min(order, 2u)](readable(r, o, longest, pad), bin_of, rc, model, dst);
    }
    // The bits must fill the field but its last byte's padding, which is zero.
    if (tpos > tbits || (tpos + 7) / 8 != tbytes) corrupt("table ANS stream does not take its byte count");
    if (!padding_clear(tfield, tpos)) corrupt("table ANS padding bits not zero");
    for (unsigned j = 0; j < kAnsStates; ++j)
        if (x[j] != 0) corrupt("table ANS stream does not end in its initial state");
    take_offsets(r, o, total);
}

}  // namespace

void ans_decode(Reader& r, size_t rc, const Model& model, uint64_t* dst, unsigned order, unsigned coder) {
    if (coder == 3) {
        tans_decode(r, rc, model, dst, order);
        return;
    }
    const bool counted = coder == 2;
    uint64_t nw = 0;
    if (counted) {
        nw = r.varint("rANS word count");
        if (nw > rc) corrupt("rANS word count above the residual count");  // a step takes one word at most
    }
    const uint8_t* s = r.take(4 * kAnsStates, "rANS states");
    uint32_t x[kAnsStates];
    for (unsigned j = 0; j < kAnsStates; ++j) {
        x[j] = Reader::load<uint32_t>(s + 4 * j);
        if (x[j] < kAnsLow) corrupt("rANS state below its lower bound");
    }
    // The unchecked rounds may read words up to the end of the reader's bytes (wend); the checked steps
    // stop at the end of the words where the stream gives their count, and whether the rounds took exactly
    // that many is checked at the end. Without the count, the words' end is known only once the last
    // symbol is decoded.
    const uint8_t* word = r.pos();
    const uint8_t* const words_end = counted ? r.take(2 * size_t(nw), "rANS words") + 2 * nw : r.end();
    const uint8_t* const wend = r.end();
    const unsigned L = model.log2;
    const uint32_t mask = (1u << L) - 1;
    const DecodeLoops& loops = decode_loops();
    const unsigned o_ix = std::min(order, 2u);
    // Offsets, LSB first, as many bits as the bins say, added to the bins' lower bounds; with a delta order
    // the running sums are taken in the same pass. The pass's word loads may run 16 bytes past the field:
    // it reads the longest field possible (every offset max_width bits) where the buffer has room for it.
    const size_t longest = (rc * model.max_width + 7) / 8;
    uint8_t pad[kBlockValues * 8 + 32];
    auto source = [&](const uint8_t* o) { return readable(r, o, longest, pad); };
    const uint8_t* o;
    uint64_t total;
    if (counted && model.max_width <= group_width(1)) {
        o = r.pos();
        const unsigned g = model.max_width <= group_width(4) ? 0 : model.max_width <= group_width(2) ? 1 : 2;
        total = loops.fused[L - kAnsMinLog2][o_ix][g](model, rc, x, word, wend, words_end, source(o), dst);
    } else {
        const Model::Slot* slots = model.rans_slots();
        uint16_t bin_of[kScratch];
        size_t i = loops.rounds[L - kAnsMinLog2](slots, rc, x, word, wend, bin_of);
        // The last rounds, near the end of the words: every word read is checked.
        for (; i < rc; ++i) {
            uint32_t& st = x[i % kAnsStates];
            const Model::Slot e = slots[st & mask];
            bin_of[i] = e.bin;
            st = uint32_t(e.weight) * (st >> L) + e.k;
            if (st < kAnsLow) {
                if (words_end - word < 2) corrupt("rANS stream runs out");
                st = (st << 16) | Reader::load<uint16_t>(word);
                word += 2;
            }
        }
        if (!counted) r.take(size_t(word - r.pos()), "rANS words");
        o = r.pos();
        total = loops.offsets[o_ix](source(o), bin_of, rc, model, dst);
    }
    if (counted && word != words_end) corrupt("rANS stream does not take its word count");
    for (unsigned j = 0; j < kAnsStates; ++j)
        if (x[j] != kAnsLow) corrupt("rANS stream does not end in its initial state");
    take_offsets(r, o, total);
}

// ---- encoding --------------------------------------------------------------------------------------------

namespace {

// Bits, LSB first, through a 64-bit accumulator that is stored whole after every put and then moves on by
// the bytes it completed: no branch, and no read-modify-write of bytes just written (which would stall on
// store forwarding). `out` needs room for 8 bytes past the last byte written.
struct BitSink {
    uint8_t* out;
    uint64_t acc = 0;
    unsigned fill = 0;
    size_t at = 0;

    // n bits (no others set in `bits`), at most 56 (the accumulator keeps up to 7).
    [[gnu::always_inline]] void put(uint64_t bits, unsigned n) {
        acc |= bits << fill;
        fill += n;
        std::memcpy(out + at, &acc, 8);
        at += fill >> 3;
        acc >>= fill & ~7u;
        fill &= 7;
    }
    // Up to 64 bits, for a sink that only takes these: the accumulator is stored when full, the rest kept.
    [[gnu::always_inline]] void put_wide(uint64_t bits, unsigned n) {
        acc |= bits << fill;  // fill < 64 here
        fill += n;
        if (fill >= 64) {
            std::memcpy(out + at, &acc, 8);
            at += 8;
            fill -= 64;
            acc = fill ? bits >> (n - fill) : 0;
        }
    }
    // The bytes written, the last one's padding bits zero.
    size_t finish() {
        std::memcpy(out + at, &acc, 8);
        return at + (fill + 7) / 8;
    }
};

// The residuals' offsets (residual minus its bin's lower bound, as many bits as the bin's width).
struct OffsetBits {
    const uint16_t* bin_of;
    const uint64_t* resid;
    const uint8_t* widths;
    const uint64_t* lowers;
    BitSink sink;

    [[gnu::always_inline]] void put(size_t k) {
        const unsigned b = bin_of[k];
        sink.put(resid[k] - lowers[b], widths[b]);  // offset 0 for width 0
    }
    // Offsets k to k + Group - 1 where none is wider than 56 / Group bits: joined first, their shifts
    // depending on the widths alone, they go through the accumulator's chain of dependent steps once instead
    // of Group times.
    template <unsigned Group>
    [[gnu::always_inline]] void put_group(size_t k) {
        uint64_t joined = 0;
        unsigned w = 0;
        for (unsigned j = 0; j < Group; ++j) {
            const unsigned b = bin_of[k + j];
            joined |= (resid[k + j] - lowers[b]) << w;
            w += widths[b];
        }
        sink.put(joined, w);
    }
    // An offset of up to 64 bits.
    [[gnu::always_inline]] void put_wide(size_t k) {
        const unsigned b = bin_of[k];
        sink.put_wide(resid[k] - lowers[b], widths[b]);
    }
};

}  // namespace

namespace {

// rANS (coder 2), which encoders wrote before table ANS: kept to test its decoder on fresh streams.
void rans_encode(const uint64_t* resid, const uint16_t* bin_of, size_t rc, const Model& model, Writer& out) {
    uint16_t words[kScratch * 2 + 8];
    size_t nw = 0;
    const Model::EncSym* syms = model.enc.data();
    auto step = [&](uint32_t& st, size_t i) {
        const Model::EncSym& e = syms[bin_of[i]];
        // One renormalisation at most: states stay below 2^32. The word is stored either way and kept
        // only when the state moves (no branch on data).
        const bool big = st >= e.limit;
        words[nw] = uint16_t(st);
        nw += big;
        st >>= unsigned(big) << 4;  // a shift by 0 or 16: the compiler may turn a select into a branch
        // st / weight by a multiplication with a 64-bit reciprocal (exact for 32-bit states and weights up
        // to 2^14), then the rANS step x -> (x / w) * 2^L + x mod w + cum written as x + cum + q * (2^L - w).
        const uint32_t q = uint32_t((static_cast<unsigned __int128>(st) * e.rcp) >> 64);
        st += e.bias + q * e.cmpl;
    };
    // The offsets go to a scratch area first: the rANS words, whose count is known only at the end, come
    // before them in the stream. Residual i belongs to state i mod 4, coded backwards.
    uint8_t obuf[kScratch * 8 + 16];
    OffsetBits ob{bin_of, resid, model.widths.data(), model.dec_lower.data(), {obuf}};
    uint32_t x[kAnsStates] = {kAnsLow, kAnsLow, kAnsLow, kAnsLow};
    for (size_t i = rc; i-- > 0;) step(x[i % kAnsStates], i);
    for (size_t k = 0; k < rc; ++k) {
        if (model.max_width <= 56) ob.put(k);
        else ob.put_wide(k);
    }
    const size_t obytes = ob.sink.finish();
    out.varint(nw);
    uint8_t* head = out.grow(4 * kAnsStates + 2 * nw + obytes);
    for (unsigned j = 0; j < kAnsStates; ++j) std::memcpy(head + 4 * j, &x[j], 4);
    head += 4 * kAnsStates;
    for (size_t j = nw; j-- > 0; head += 2) std::memcpy(head, &words[j], 2);
    std::memcpy(head, obuf, obytes);
}

// Table ANS (coder 3): the residuals coded backwards, residual i with state i mod 4, each step's bits kept
// (at most L <= 14 of them); then, front to back, the state bits and the offsets go out four a round.
template <bool Bmi2>
[[gnu::always_inline]] inline void tans_encode_body(const uint64_t* resid, const uint16_t* bin_of, size_t rc,
                                                    const Model& model, Writer& out) {
    const Model::TEnc* te = model.tenc.data();
    const uint16_t* tnext = model.tnext.data();
    // Per round of four residuals (the last may be short), their steps' bits joined in decoding order and
    // how many there are (at most 4 L <= 56).
    uint64_t joined[kScratch / 4 + 1];
    uint8_t count[kScratch / 4 + 1];
    // A step of state st for residual i: the state's low bits go below those of the residuals after it.
    auto step = [&](uint32_t& st, size_t i, uint64_t& j, unsigned& n) {
        const Model::TEnc e = te[bin_of[i]];
        const uint32_t k = (st + e.delta_nb) >> 16;
        j = (j << k) | low_bits<Bmi2>(st, k);
        n += k;
        st = tnext[(st >> k) + e.delta_find];  // unsigned: the row is never negative
    };
    const uint32_t size = 1u << model.log2;
    uint32_t x0 = size, x1 = size, x2 = size, x3 = size;
    const size_t whole = rc / 4;
    if (rc % 4) {
        uint64_t j = 0;
        unsigned n = 0;
        for (size_t i = rc; i-- > 4 * whole;) step(i % 4 == 0 ? x0 : i % 4 == 1 ? x1 : x2, i, j, n);
        joined[whole] = j;
        count[whole] = uint8_t(n);
    }
    for (size_t r = whole; r--;) {
        uint64_t j = 0;
        unsigned n = 0;
        step(x3, 4 * r + 3, j, n);
        step(x2, 4 * r + 2, j, n);
        step(x1, 4 * r + 1, j, n);
        step(x0, 4 * r, j, n);
        joined[r] = j;
        count[r] = uint8_t(n);
    }
    // The state bits through an accumulator of their own as the offsets go.
    uint8_t tbuf[(kScratch * kAnsMaxLog2 + 7) / 8 + 16];
    BitSink tsink{tbuf};
    auto tput = [&](size_t r) { tsink.put(joined[r], count[r]); };
    uint8_t obuf[kScratch * 8 + 16];
    OffsetBits ob{bin_of, resid, model.widths.data(), model.dec_lower.data(), {obuf}};
    // Whole rounds: the four steps' bits joined, and the offsets joined as many at a time as their widths
    // allow (Group; 0: offsets of up to 64 bits, one at a time).
    auto rounds = [&]<unsigned Group>() {
        size_t k = 0;
        for (; k + 4 <= rc; k += 4) {
            tput(k / 4);
            if constexpr (Group == 0) {
                for (unsigned j = 0; j < 4; ++j) ob.put_wide(k + j);
            } else {
                for (unsigned j = 0; j < 4; j += Group) ob.put_group<Group>(k + j);
            }
        }
        if (k < rc) tput(k / 4);
        for (; k < rc; ++k) {
            if constexpr (Group == 0) ob.put_wide(k);
            else ob.put(k);
        }
    };
    const unsigned mw = model.max_width;
    if (mw <= kQuadOffsetBits) rounds.template operator()<4>();
    else if (mw <= 28) rounds.template operator()<2>();
    else if (mw <= 56) rounds.template operator()<1>();
    else rounds.template operator()<0>();
    const size_t tbytes = tsink.finish(), obytes = ob.sink.finish();
    out.varint(tbytes);
    uint8_t* head = out.grow(2 * kAnsStates + tbytes + obytes);
    const uint16_t st[kAnsStates] = {uint16_t(x0 - size), uint16_t(x1 - size), uint16_t(x2 - size),
                                     uint16_t(x3 - size)};
    std::memcpy(head, st, sizeof st);
    std::memcpy(head + sizeof st, tbuf, tbytes);
    std::memcpy(head + sizeof st + tbytes, obuf, obytes);
}

void tans_encode(const uint64_t* resid, const uint16_t* bin_of, size_t rc, const Model& model, Writer& out) {
    tans_encode_body<false>(resid, bin_of, rc, model, out);
}
#if TSQ_BMI2_CLONES
[[gnu::target("bmi2")]] void tans_encode_bmi2(const uint64_t* resid, const uint16_t* bin_of, size_t rc,
                                              const Model& model, Writer& out) {
    tans_encode_body<true>(resid, bin_of, rc, model, out);
}
#endif

}  // namespace

void ans_encode(const uint64_t* resid, const uint16_t* bin_of, size_t rc, const Model& model, Writer& out, bool rans) {
    if (rans) {
        rans_encode(resid, bin_of, rc, model, out);
        return;
    }
#if TSQ_BMI2_CLONES
    if (kernels::bmi2_usable()) {
        tans_encode_bmi2(resid, bin_of, rc, model, out);
        return;
    }
#endif
    tans_encode(resid, bin_of, rc, model, out);
}

// ---- building a model --------------------------------------------------------------------------------------

namespace {

inline unsigned span_width(int64_t lo, int64_t hi) { return bit_width64(uint64_t(hi) - uint64_t(lo)); }

constexpr size_t kDirectWindow = size_t(1) << 14;
// A wide model has a direct table (the rest searched) rather than cells when the table's window holds at
// least this share of the bins' weight: a look-up in the table is about three times faster than one in the
// cells, but a branch between the table and a search that goes either way costs more than the table saves.
// (bird_migration's model, 94% in the window, and exchange_rate/c1's, 91%, coded 9-21% slower in cells
// alone; cfd_baler's and shapes_all's, at most 43%, 10-23% faster.)
constexpr double kLutShare = 0.75;

struct Atom {
    int64_t lo, hi;
    uint64_t count;
};

struct Node {
    int64_t lo, hi;
    uint64_t count;
    size_t prev, next;
    double own;  // cost(count, width), kept so a merge's gain costs one log2, not three
};

// A bin in the making during the rounds of merges.
struct Span {
    int64_t lo, hi;
    uint64_t count;
    double own;
};

struct BuildScratch {
    std::vector<Atom> atoms, spare;
    std::vector<Span> spans;
    std::vector<Node> nodes;
    std::vector<double> round_gain;
    std::vector<int64_t> gain;
    std::vector<uint32_t> best;
};

}  // namespace

const std::array<double, 4096> kLog2Table = [] {
    std::array<double, 4096> t{};
    for (size_t c = 1; c < t.size(); ++c) t[c] = std::log2(double(c));
    return t;
}();

namespace {

// A residual's cell in a wide model's table.
inline size_t cell_of(int64_t v, int64_t center) {
    // Distances below 2^(kCellBits + 1) have a cell each; past that, an octave has 2^kCellBits cells.
    constexpr unsigned kBits = Model::kCellBits;
    const bool below = v < center;
    const uint64_t x = below ? uint64_t(center) - uint64_t(v) - 1 : uint64_t(v) - uint64_t(center);
    const unsigned e = bit_width64(x);
    const uint64_t step =
        e <= kBits + 1 ? x : (uint64_t(e - kBits) << kBits) | ((x >> (e - kBits - 1)) & ((1u << kBits) - 1));
    return below ? Model::kCellSide - 1 - size_t(step) : Model::kCellSide + size_t(step);
}

// Bits every coded run starts with: its model index, its state bits' byte count (two bytes for most runs),
// the table ANS states, and a byte for rounding each of the two bit fields.
constexpr double kRunHeaderBits = 8.0 * (1 + 2 + 2 * kAnsStates) + 16;

// Costs of residuals [from, rc)'s bins (found by bin_of_value, which says false for a residual outside every
// bin) added to four partial sums in registers, residual i to the (i % 4)-th (from is a multiple of 4; the
// sums start at `sum`): one running sum would make every addition wait for the last. bits: their total.
template <class BinOf>
[[gnu::always_inline]] inline bool summed_costs(const uint64_t* resid, size_t from, size_t rc, uint16_t* bin_of,
                                                const double* cost, BinOf bin_of_value, const double (&sum)[4],
                                                double& bits) {
    auto add = [&](size_t i, double& acc) __attribute__((always_inline)) {
        uint16_t b;
        if (!bin_of_value(resid[i], b)) return false;
        bin_of[i] = b;
        acc += cost[b];
        return true;
    };
    double s0 = sum[0], s1 = sum[1], s2 = sum[2], s3 = sum[3];  // locals: an array stayed in memory
    size_t i = from;
    for (; i + 4 <= rc; i += 4)
        if (!add(i, s0) || !add(i + 1, s1) || !add(i + 2, s2) || !add(i + 3, s3)) return false;
    if (i < rc && !add(i++, s0)) return false;
    if (i < rc && !add(i++, s1)) return false;
    if (i < rc && !add(i++, s2)) return false;
    bits = (s0 + s1) + (s2 + s3);
    return true;
}

// One halving of a search for the last bin whose lower bound is at or below v among [lo, lo + len).
[[gnu::always_inline]] inline void halve(const int64_t* low, int64_t v, size_t& lo, size_t& len) {
    const size_t half = len / 2;
    lo = low[lo + half] <= v ? lo + half : lo;
    len -= half;
}

// The bin of v among all n, if one holds it: out of the hot loops (inlined in each, it made them slower).
[[gnu::noinline]] bool search_all(const int64_t* low, const int64_t* high, size_t n, int64_t v, uint16_t& bin) {
    if (v < low[0]) return false;
    size_t lo = 0, len = n;
    while (len > 1) halve(low, v, lo, len);
    if (v > high[lo]) return false;  // past what the model was built for
    bin = uint16_t(lo);
    return true;
}

}  // namespace

bool Model::code_bits(const uint64_t* resid, size_t rc, uint16_t* bin_of, double& bits) const {
    const int64_t* low = lowers.data();
    const int64_t* high = highest.data();
    const size_t n = lowers.size();
    const uint16_t* table = lut.data();
    const uint64_t tsize = lut.size(), tbase = uint64_t(lut_base);
    if (cells.empty()) {
        // The direct table covers every bin of a narrow model but the first when that starts at the lowest
        // int64 (it catches what the sample never saw) and the end of a wide last bin, and most of a wide
        // model's weight: the rest is searched.
        return summed_costs(resid, 0, rc, bin_of, cost.data(), [&](uint64_t r, uint16_t& bin) __attribute__((always_inline)) {
            const uint64_t rel = r - tbase;
            if (rel < tsize) {
                bin = table[rel];
                return true;
            }
            return search_all(low, high, n, int64_t(r), bin);
        }, {kRunHeaderBits, 0, 0, 0}, bits);
    }
    const uint32_t* search = cells.data();
    const int64_t center = cell_center;
    const unsigned steps = cell_steps;
    const size_t cell_lo = cell_first, cell_hi = cell_last;
    // The first bin of v's search, and how many it spans.
    auto start = [&](int64_t v, size_t& lo, size_t& len) __attribute__((always_inline)) {
        const uint32_t s = search[std::min(std::max(cell_of(v, center), cell_lo), cell_hi) - cell_lo];
        lo = s & 0xFFFF;
        len = s >> 16;
    };
    // A fixed number of halvings: enough for the cell with most bins, and a loop the branch predictor knows.
    auto by_cell = [&](uint64_t r, uint16_t& bin) __attribute__((always_inline)) {
        const int64_t v = int64_t(r);
        if (v < low[0]) return false;
        size_t lo, len;
        start(v, lo, len);
        for (unsigned s = 0; s < steps; ++s) halve(low, v, lo, len);
        if (v > high[lo]) return false;  // past what the model was built for
        bin = uint16_t(lo);
        return true;
    };
    // kBatch residuals' searches step together, so that their loads are in flight at once (one
    // at a time, each search waited on its own loads); the rest one at a time.
    constexpr size_t kBatch = 8;
    double sum[4] = {kRunHeaderBits, 0, 0, 0};
    const double* c = cost.data();
    size_t i = 0;
    for (; i + kBatch <= rc; i += kBatch) {
        int64_t v[kBatch];
        size_t lo[kBatch], len[kBatch];
        bool outside = false;
        for (size_t j = 0; j < kBatch; ++j) {
            v[j] = int64_t(resid[i + j]);
            outside |= v[j] < low[0];
            start(v[j], lo[j], len[j]);
        }
        if (outside) return false;
        for (unsigned s = 0; s < steps; ++s)
            for (size_t j = 0; j < kBatch; ++j) halve(low, v[j], lo[j], len[j]);
        bool past = false;
        for (size_t j = 0; j < kBatch; ++j) {
            past |= v[j] > high[lo[j]];
            bin_of[i + j] = uint16_t(lo[j]);
        }
        if (past) return false;
        for (size_t j = 0; j < kBatch; ++j) sum[j % 4] += c[lo[j]];
    }
    return summed_costs(resid, i, rc, bin_of, c, by_cell, sum, bits);
}

Model build_model(std::vector<int64_t>& sample, size_t population, int64_t global_min, int64_t global_max) {
    const size_t s = sample.size();
    // Atoms: the distinct values with their counts; when there are too many, consecutive ones are grouped
    // into quantile groups of about equal population (a value that alone fills a group stays alone).
    // Kept per thread between calls, like every buffer here that grows with the sample: fresh ones would be
    // faulted in page by page every time (wide residuals make tens of thousands of atoms).
    static thread_local BuildScratch scratch_keep;
    BuildScratch& scratch = scratch_keep;
    std::vector<Atom>& atoms = scratch.atoms;
    atoms.clear();
    {
        // Most residuals sit in a narrow window around the sample's middle value: those are counted in a
        // direct array (one increment each), the rest are sorted; each distinct value is an atom.
        int64_t few[33];
        const size_t nf = std::min<size_t>(33, s);
        for (size_t j = 0; j < nf; ++j) few[j] = sample[j * s / nf];
        std::sort(few, few + nf);
        // Never much wider than the sample, nor than the residuals' whole range (which it then starts at):
        // the counts are scanned for the atoms.
        size_t window = 1024;
        while (window < kDirectWindow && window < 2 * s) window <<= 1;
        const uint64_t range = uint64_t(global_max) - uint64_t(global_min);
        const bool whole = range < window;
        if (whole) window = std::max<size_t>(64, std::bit_ceil(size_t(range) + 1));
        // Inside the int64 range: a window wrapping from the largest int64 to the smallest would hand out
        // its atoms out of order (samples that wrap, as residuals near both ends do, made unsorted bins,
        // which the lookups' searches assume sorted).
        constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();
        const int64_t half = int64_t(window / 2);
        const int64_t mid = std::clamp(few[nf / 2], kMin + half, kMax - half);
        const uint64_t base = whole ? uint64_t(global_min) : uint64_t(mid) - uint64_t(half);
        // Kept per thread between calls: fresh tables would be faulted in page by page every time. Loops use
        // plain pointers: each access to a thread_local from a shared library is a call. The counts are
        // zero between calls: only the entries counted are cleared, as they are read.
        static thread_local std::vector<uint32_t> direct_keep;
        static thread_local std::vector<uint8_t> marked_keep;
        static thread_local std::vector<int64_t> rest_keep;
        if (direct_keep.size() < kDirectWindow + 1) {
            direct_keep.assign(kDirectWindow + 1, 0);
            marked_keep.assign(kDirectWindow + 1, 0);
        }
        if (rest_keep.size() < s) rest_keep.resize(s);
        uint32_t* direct = direct_keep.data();
        uint8_t* marked = marked_keep.data();
        int64_t* rest = rest_keep.data();
        // Where the middle 80% of the few values spans an eighth of the window or more, the residuals are
        // scattered over it: each entry counted is also marked in a byte, the marks are read eight at a
        // time into a bitmap, and only the entries marked are read. (A scan of the counts took most of the
        // time of a model for the exchange_rate columns, its branch on empty entries going either way.)
        // Narrow residuals hit a few entries over and over: there a mark costs more than the scan, which
        // skips four empty counts at a time.
        const bool scattered = uint64_t(few[nf - 1 - nf / 10]) - uint64_t(few[nf / 10]) >= window / 8;
        // One more count than the window: values outside it are counted there too (and ignored), so the
        // loop has no branch on the data; they also always go to `rest`, which only moves on for them.
        // (The number of values outside is kept in the loop: stores to `rest` might change it otherwise.)
        auto count = [sample = sample.data(), s, base, window, direct, rest, marked](auto mark) {
            size_t outside_count = 0;
            for (size_t i = 0; i < s; ++i) {
                const int64_t v = sample[i];
                const uint64_t rel = uint64_t(v) - base;
                const bool outside = rel >= window;
                const size_t at = outside ? window : rel;
                ++direct[at];
                if constexpr (decltype(mark)::value) marked[at] = 1;
                rest[outside_count] = v;
                outside_count += outside;
            }
            return outside_count;
        };
        atoms.reserve(std::min(window, s));  // no allocation (which may throw) while counts are left set
        const size_t r = scattered ? count(std::true_type{}) : count(std::false_type{});
        direct[window] = 0;
        marked[window] = 0;
        if (scattered) {
            for (size_t w = 0; w < window; w += 64) {
                uint64_t bits = 0;
                for (size_t b = 0; b < 64; b += 8) {
                    uint64_t eight;
                    std::memcpy(&eight, marked + w + b, 8);
                    // Bytes of 0 or 1: the product's top byte holds byte i's bit at bit i (no carry reaches it).
                    bits |= ((eight * 0x0102040810204080ull) >> 56) << b;
                }
                for (; bits; bits &= bits - 1) {
                    const size_t j = w + size_t(std::countr_zero(bits));
                    atoms.push_back({int64_t(base + j), int64_t(base + j), direct[j]});
                    direct[j] = 0;
                    marked[j] = 0;
                }
            }
        } else {
            for (size_t k = 0; k < window; k += 4) {
                uint64_t two[2];
                std::memcpy(two, direct + k, 16);
                if ((two[0] | two[1]) == 0) continue;
                for (size_t j = k; j < k + 4; ++j)
                    if (direct[j]) {
                        atoms.push_back({int64_t(base + j), int64_t(base + j), direct[j]});
                        direct[j] = 0;
                    }
            }
        }
        // A bin needs a few values to pay for its table entry: small populations get fewer atoms (one per
        // eight values: finer groups cost model-building time and, on the benchmark series, no size). Past
        // that many, neighbouring atoms are grouped while both hold fewer than `per` values.
        const size_t max_atoms = std::clamp<size_t>(population / 8, 256, 4096);
        const uint64_t per = std::max<uint64_t>(1, s / (max_atoms / 2));
        std::vector<Atom>& out = scratch.spare;
        out.clear();
        auto group = [&out, per](const Atom& at) {
            if (!out.empty() && out.back().count < per && at.count < per) {
                out.back().hi = at.hi;
                out.back().count += at.count;
            } else {
                out.push_back(at);
            }
        };
        if (r) {
            // The values outside the window are sorted (keys relative to the smallest: residuals around zero
            // would otherwise differ in every digit), each run of equal ones becoming an atom: those below
            // the window, the window's, then those above it, which is their order. (Counting them in a hash
            // table first, then sorting the distinct ones, took twice as long on wide residuals, where nearly
            // all are distinct.) Wide residuals make tens of thousands of atoms: they are grouped as they are
            // made, not stored first.
            int64_t low = std::numeric_limits<int64_t>::max();
            for (size_t i = 0; i < r; ++i) low = std::min(low, rest[i]);
            static thread_local std::vector<int64_t> sort_keep;
            radix_sort(rest, r, sort_keep, [low](int64_t x) { return uint64_t(x) - uint64_t(low); });
            size_t distinct = 1;
            for (size_t i = 1; i < r; ++i) distinct += rest[i] != rest[i - 1];
            const size_t below = size_t(std::lower_bound(rest, rest + r, int64_t(base)) - rest);
            const bool grouped = atoms.size() + distinct > max_atoms;
            auto add = [&](const Atom& at) {
                if (grouped) group(at);
                else out.push_back(at);
            };
            auto runs = [&](size_t from, size_t to) {
                for (size_t i = from; i < to;) {
                    size_t j = i + 1;
                    while (j < to && rest[j] == rest[i]) ++j;
                    add({rest[i], rest[i], j - i});
                    i = j;
                }
            };
            runs(0, below);
            for (const Atom& at : atoms) add(at);
            runs(below, r);
            atoms.swap(out);
        } else if (atoms.size() > max_atoms) {
            for (const Atom& at : atoms) group(at);
            atoms.swap(out);
        }
    }
    // Greedy bottom-up merging of neighbouring bins while it lowers the cost: count * (code bits + offset
    // bits) plus a price per bin, scaled to the sample. An entry in the models section takes about five
    // bytes, but a bin also often brings a gap bin and thins the table's weights, and bins fitted to a
    // sample overfit it: on the benchmark suite 120 bits gave the smallest output (40 cost 0.5%).
    const double total = double(s);
    const double kBinBits = 120.0 * double(s) / double(std::max<size_t>(population, s));
    // log2 of small counts from a table (a libm call per merge candidate dominated the merging).
    const double log2_total = std::log2(total);
    auto cost = [&](uint64_t c, unsigned w) {
        const double lc = log2_of_count(c);
        return double(c) * (log2_total - lc + w) + kBinBits;
    };
    // First, rounds of merges made at once: in each, every pair whose gain is positive, at least half the
    // round's best and a local maximum (above the pair on its left, at least the one on its right) merges,
    // left to right, and the gains are computed again for the next round. Once a round merges fewer than
    // one node in 16, the tournament below takes over, one merge at a time. The pairs a round merges are
    // the ones the one-at-a-time merging would take soon anyway: over the 215 check inputs the bytes change by
    // less than 0.006% in all (single inputs by up to 1.2% either way), and build_model is 1.1-2x as fast
    // (1.5x on the decimal series' samples, 2x on exchange_rate's and ETTh1's). With no floor on the gain
    // (any local maximum) it was faster still but 0.04-0.06% larger.
    // The rounds work on the atoms' array itself, closed up after each round: a pass over the array in
    // order, where walking a linked list waited on each link (the rounds took 40% of a model's time on
    // exchange_rate/c4's sample; the tournament needs the links, and gets them after the rounds).
    std::vector<Span>& spans = scratch.spans;
    spans.resize(atoms.size());
    for (size_t i = 0; i < atoms.size(); ++i)
        spans[i] = {atoms[i].lo, atoms[i].hi, atoms[i].count, cost(atoms[i].count, span_width(atoms[i].lo, atoms[i].hi))};
    auto pair_gain = [&](const Span& x, const Span& y) { return x.own + y.own - cost(x.count + y.count, span_width(x.lo, y.hi)); };
    if (spans.size() > 1) {
        constexpr double kRoundFloor = 0.5;
        constexpr size_t kRoundsEndBelow = 16;
        std::vector<double>& g = scratch.round_gain;
        for (;;) {
            const size_t live = spans.size();
            Span* r = spans.data();
            g.resize(live);
            double top = 0;
            for (size_t i = 0; i + 1 < live; ++i) {
                g[i] = pair_gain(r[i], r[i + 1]);
                top = std::max(top, g[i]);
            }
            g[live - 1] = 0;
            const double floor = std::max(kRoundFloor * top, std::numeric_limits<double>::min());
            double left = -std::numeric_limits<double>::infinity();  // the gain of the pair on the left
            size_t merged = 0, out = 0, i = 0;
            // Closed up in place: a span is written at or before where it was read.
            while (i + 1 < live) {
                const bool right_lower = i + 2 == live || g[i] >= g[i + 1];
                if (g[i] >= floor && g[i] > left && right_lower) {
                    const Span x = r[i], y = r[i + 1];
                    r[out++] = {x.lo, y.hi, x.count + y.count, cost(x.count + y.count, span_width(x.lo, y.hi))};
                    ++merged;
                    // The next pair starts after the merged one; the pair between them is gone.
                    left = -std::numeric_limits<double>::infinity();
                    i += 2;
                } else {
                    left = g[i];
                    r[out++] = r[i++];
                }
            }
            if (i + 1 == live) r[out++] = r[i];
            spans.resize(out);
            if (merged * kRoundsEndBelow < live) break;
        }
    }
    const size_t a = spans.size();
    const size_t none = SIZE_MAX;
    std::vector<Node>& nodes = scratch.nodes;
    nodes.resize(a);
    for (size_t i = 0; i < a; ++i)
        nodes[i] = {spans[i].lo, spans[i].hi, spans[i].count, i ? i - 1 : none, i + 1 < a ? i + 1 : none, spans[i].own};
    auto merge_gain = [&](size_t l) {
        const Node& x = nodes[l];
        const Node& y = nodes[x.next];
        return x.own + y.own - cost(x.count + y.count, span_width(x.lo, y.hi));
    };
    // Then each live node with a right neighbour is one merge candidate, a leaf of a tournament tree over the
    // nodes whose inner entries hold the best gain below them and its node (ties: the leftmost, whose index
    // is lower). Gains are kept as integers that order like the doubles (finite ones, and -inf for no
    // candidate), so a level costs integer compares and selects. With a binary heap, which made the same
    // choices through branches the predictor cannot learn, build_model took 1.6x as long (the decimal
    // series' samples, taken in turn).
    auto key = [](double g) {
        const int64_t b = std::bit_cast<int64_t>(g);
        return b ^ int64_t(uint64_t(b >> 63) >> 1);
    };
    const size_t leaves = std::bit_ceil(std::max<size_t>(a, 2));
    std::vector<int64_t>& gain = scratch.gain;
    std::vector<uint32_t>& best = scratch.best;
    const int64_t kGone = key(-std::numeric_limits<double>::infinity());
    gain.assign(2 * leaves, kGone);
    best.assign(2 * leaves, 0);
    for (size_t i = a ? 0 : none; i != none; i = nodes[i].next)
        if (nodes[i].next != none) gain[leaves + i] = key(merge_gain(i));
    for (size_t i = 0; i < leaves; ++i) best[leaves + i] = uint32_t(i);
    for (size_t k = leaves; k-- > 1;) {
        const size_t c = 2 * k + size_t(gain[2 * k + 1] > gain[2 * k]);
        gain[k] = gain[c];
        best[k] = best[c];
    }
    // A leaf's new gain walks up with its node in registers against each sibling's stored best, until an
    // entry already holds what it would get. The sibling wins a tie when it is the left one.
    auto set = [&](size_t v, int64_t g) {
        size_t k = leaves + v;
        uint32_t node = uint32_t(v);
        gain[k] = g;
        for (; k > 1; k >>= 1) {
            const int64_t gs = gain[k ^ 1];
            const uint32_t bs = best[k ^ 1];
            // Through masks: a conditional here becomes a branch, which the data makes unpredictable.
            const int64_t take = -int64_t(uint64_t(gs > g) | (uint64_t(gs == g) & (k & 1)));
            g = (gs & take) | (g & ~take);
            node = (bs & uint32_t(take)) | (node & ~uint32_t(take));
            if (gain[k >> 1] == g && best[k >> 1] == node) break;
            gain[k >> 1] = g;
            best[k >> 1] = node;
        }
    };
    while (gain[1] > 0) {  // a positive gain has a positive key
        const uint32_t l = best[1];
        Node& x = nodes[l];
        const uint32_t r = uint32_t(x.next);
        Node& y = nodes[r];
        if (y.next != none) set(r, kGone);
        x.hi = y.hi;
        x.count += y.count;
        x.own = cost(x.count, span_width(x.lo, x.hi));
        x.next = y.next;
        if (x.next != none) {
            nodes[x.next].prev = l;
            set(l, key(merge_gain(l)));
        } else {
            set(l, kGone);
        }
        if (x.prev != none) set(x.prev, key(merge_gain(x.prev)));
    }
    struct Range {
        int64_t lo;
        unsigned width;
        uint64_t count;
    };
    std::vector<Range> data;
    // The live nodes, left to right (a merge only ever removes a right neighbour, so node 0 stays).
    for (size_t i = 0; i != none && i < a; i = nodes[i].next)
        data.push_back({nodes[i].lo, span_width(nodes[i].lo, nodes[i].hi), nodes[i].count});
    // Make the bins a partition of [global_min, global_max]: each value belongs to the last bin whose lower
    // bound is at or below it, so a bin must reach the next one's lower bound; where its own width falls
    // short, a gap bin (weight 1) covers the rest. Values the sample missed still find a bin.
    std::vector<Range> all;
    auto end_of = [](int64_t lo, unsigned w, bool& saturated) {  // first value past [lo, lo + 2^w)
        const uint64_t room = uint64_t(std::numeric_limits<int64_t>::max()) - uint64_t(lo);
        saturated = w >= 64 || (uint64_t(1) << w) > room;
        return saturated ? std::numeric_limits<int64_t>::max() : int64_t(uint64_t(lo) + (uint64_t(1) << w));
    };
    if (data.front().lo > global_min) all.push_back({global_min, span_width(global_min, data.front().lo - 1), 0});
    for (size_t k = 0; k < data.size(); ++k) {
        all.push_back(data[k]);
        const bool last = k + 1 == data.size();
        if (last && global_max == std::numeric_limits<int64_t>::max()) {
            bool sat = false;
            const int64_t end = end_of(data[k].lo, data[k].width, sat);
            if (!sat) all.push_back({end, span_width(end, global_max), 0});
            break;
        }
        const int64_t next_lo = last ? global_max + 1 : data[k + 1].lo;
        bool sat = false;
        const int64_t end = end_of(data[k].lo, data[k].width, sat);
        if (!sat && end < next_lo) all.push_back({end, span_width(end, next_lo - 1), 0});
    }
    Model m;
    // A table with eight slots a bin or more, so weights keep some precision: rounding them to a table of
    // twice the bins cost up to 2% on the benchmark series (CFD frames, air pressure, stocks_de); sixteen
    // slots saved another 0.06% but the larger tables slowed decoding by 3%.
    m.log2 = kAnsMinLog2 + 4;
    while (m.log2 < kAnsMaxLog2 && (size_t(1) << m.log2) < 8 * all.size()) ++m.log2;
    while (all.size() > (size_t(1) << m.log2) / 2) {  // too many bins even so: merge the rarest neighbours
        size_t best = 0;
        for (size_t k = 0; k + 1 < all.size(); ++k)
            if (all[k].count + all[k + 1].count < all[best].count + all[best + 1].count) best = k;
        const int64_t hi = all[best + 1].width >= 64 ? std::numeric_limits<int64_t>::max()
                                                     : int64_t(uint64_t(all[best + 1].lo) + ((1ull << all[best + 1].width) - 1));
        all[best].width = std::max(span_width(all[best].lo, hi), all[best].width);
        all[best].count += all[best + 1].count;
        all.erase(all.begin() + long(best) + 1);
    }
    const uint32_t slots = 1u << m.log2;
    // Weights: proportional to counts, at least 1, adding up to the table size (largest remainders).
    uint64_t counted = 0;
    for (const Range& r : all) counted += r.count;
    const uint32_t free_slots = slots - uint32_t(all.size());
    std::vector<uint32_t> wts(all.size(), 1);
    uint32_t used = uint32_t(all.size());
    std::vector<std::pair<double, size_t>> rema;
    for (size_t k = 0; k < all.size(); ++k) {
        const double exact = counted ? double(all[k].count) * free_slots / double(counted) : 0;
        const uint32_t fl = uint32_t(exact);
        wts[k] += fl;
        used += fl;
        rema.push_back({exact - fl, k});
    }
    std::sort(rema.begin(), rema.end(),
              [](const auto& x, const auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); });
    for (size_t k = 0; used < slots; ++k, ++used) ++wts[rema[k % rema.size()].second];
    for (size_t k = 0; k < all.size(); ++k) {
        Bin b;
        b.lower = uint64_t(all[k].lo);
        b.width = uint8_t(all[k].width);
        b.weight = wts[k];
        m.bins.push_back(b);
    }
    m.finalize(false);
    m.prepare_costs(population);
    return m;
}

void Model::prepare_costs(size_t population) {
    enc.resize(bins.size());
    for (size_t b = 0; b < bins.size(); ++b) {
        const uint32_t w = bins[b].weight, start = bins[b].cum;
        EncSym& e = enc[b];
        e.limit = uint64_t(w) << (32 - log2);
        e.cmpl = (1u << log2) - w;
        // rcp = ceil(2^64 / w). Weight 1 would need 2^64: it gets 2^64 - 1 instead, whose product gives
        // x - 1 (states are at least 1 there), and the missing (2^L - w) goes into the bias.
        e.bias = w == 1 ? start + e.cmpl : start;
        e.rcp = w == 1 ? ~0ull : ~0ull / w + 1;
    }
    // Table ANS: a state X in [2^L, 2^(L+1)) coding bin b of weight w writes its nb low bits, nb the shift
    // that brings X into [w, 2w): L + 1 - t or one less, t = bit_width(w), the larger where X >= w << (L + 1
    // - t), which (X + delta_nb) >> 16 tells (X < 2^15). X >> nb = w + j is then the bin's j-th position.
    const uint32_t size = 1u << log2;
    tenc.resize(bins.size());
    for (size_t b = 0; b < bins.size(); ++b) {
        const uint32_t w = bins[b].weight, top = log2 + 1 - unsigned(std::bit_width(w));
        tenc[b] = {(top << 16) - (w << top), bins[b].cum - w};
    }
    const std::vector<uint16_t> at = spread_bins(*this);
    std::vector<uint32_t> next(bins.size());
    for (size_t b = 0; b < bins.size(); ++b) next[b] = bins[b].cum;
    tnext.resize(size);
    for (uint32_t s = 0; s < size; ++s) tnext[next[at[s]]++] = uint16_t(size + s);
    cost.resize(bins.size());
    lowers.resize(bins.size());
    highest.resize(bins.size());
    for (size_t b = 0; b < bins.size(); ++b) {
        cost[b] = double(log2) - std::log2(double(bins[b].weight)) + bins[b].width;
        lowers[b] = int64_t(bins[b].lower);
        const uint64_t room = uint64_t(std::numeric_limits<int64_t>::max()) - bins[b].lower;
        const unsigned w = bins[b].width;
        highest[b] = w >= 64 || (uint64_t(1) << w) - 1 > room ? std::numeric_limits<int64_t>::max()
                                                              : int64_t(bins[b].lower + ((uint64_t(1) << w) - 1));
    }
    // A direct table from residual to bin over every bin when their lower bounds span few values, else over
    // the window of that many values where the bins hold the most weight if that holds most of it
    // (kLutShare), else cells (below).
    // A first bin from the lowest int64 only catches what the sample never saw: the table starts after it.
    lut.clear();
    cells.clear();
    const size_t from = lowers.size() > 1 && lowers[0] == std::numeric_limits<int64_t>::min() ? 1 : 0;
    const uint64_t span = uint64_t(lowers.back()) - uint64_t(lowers[from]);
    const uint64_t limit = std::min<uint64_t>(1u << 16, 4 * uint64_t(population) + 4097);
    // A wide last bin is usually the weight-1 gap up to the extreme: rare values, found by the search.
    const uint64_t last_reach = bins.back().width >= 12 ? 1 : (1ull << bins.back().width);
    auto fill_lut = [&](size_t first, uint64_t size) {
        lut_base = lowers[first];
        lut.reserve(size_t(size));
        // Bin by bin: each fills the entries from its lower bound up to the next one's (appended, so each
        // entry is written once: zeroed first, a table over most of the window cost the short series 2%).
        for (size_t k = first, i = 0; i < size; ++k) {
            const uint64_t next = k + 1 < lowers.size() ? uint64_t(lowers[k + 1]) - uint64_t(lut_base) : size;
            const size_t to = size_t(std::min<uint64_t>(next, size));
            lut.insert(lut.end(), to - i, uint16_t(k));
            i = to;
        }
    };
    if (span < limit) {
        fill_lut(from, std::min<uint64_t>(span + last_reach, 1u << 17));
        return;
    }
    uint64_t best = 0, held = 0, total = 0;
    size_t first = from;
    for (size_t i = from, j = from; i < lowers.size(); held -= bins[i].weight, ++i) {
        while (j < lowers.size() && uint64_t(lowers[j]) - uint64_t(lowers[i]) < limit) held += bins[j++].weight;
        if (held > best) best = held, first = i;
    }
    for (const Bin& b : bins) total += b.weight;
    if (double(best) >= kLutShare * double(total)) {
        const uint64_t to_end = uint64_t(lowers.back()) - uint64_t(lowers[first]);
        fill_lut(first, std::min<uint64_t>(limit, to_end + std::min<uint64_t>(last_reach, limit)));
        return;
    }
    // The cells, centred on that window.
    cell_center = int64_t(uint64_t(lowers[first]) + limit / 2);
    cell_first = cell_of(lowers[from], cell_center);
    cell_last = cell_of(lowers.back(), cell_center);
    // Per cell, the bins whose lower bound lies in an earlier one, counted first.
    std::vector<uint32_t> before(cell_last - cell_first + 2, 0);
    for (const int64_t lower : lowers) ++before[std::max(cell_of(lower, cell_center), cell_first) - cell_first + 1];
    for (size_t c = 1; c < before.size(); ++c) before[c] += before[c - 1];
    cells.resize(before.size() - 1);
    size_t most = 1;
    for (size_t c = 0; c < cells.size(); ++c) {
        const uint32_t first = before[c] - (before[c] != 0), len = before[c + 1] - first;
        cells[c] = first | len << 16;
        most = std::max<size_t>(most, len);
    }
    cell_steps = 0;
    while ((size_t(1) << cell_steps) < most) ++cell_steps;
}

size_t model_bytes(const Model& m) {
    // Written on its own, not as a one-model list: that copied the model's tables into fresh memory,
    // faulted in page by page (the exchange_rate columns encoded 1.5-1.7x slower).
    Writer w;
    write_model(m, w);
    return w.size();
}

}  // namespace tsquash::codecs::alp
