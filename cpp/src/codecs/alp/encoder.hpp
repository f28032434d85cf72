// Encoder internals shared by encoder.cpp and the entropy stage.
#pragma once
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "common.hpp"
#include "entropy.hpp"
#include "tsquash/codecs/alp.hpp"  // Profile

namespace tsquash::codecs::alp {

struct EncodeOptions {
    bool automatic = false;   // the `auto` profile: every method and the entropy stage
    unsigned max_order = 2;   // highest delta order an integer stream may use
    bool float_delta = false; // try integer deltas on float bit patterns
    bool models = false;      // entropy stage (models section)
    bool dict = false;        // series dictionary (dictionary section) when repeats abound
    bool compare_coded = false;  // choose among candidates by their estimated entropy-coded size
    double table_share = 0;      // with compare_coded: table bytes charged to each entropy-coded stream
};

// Rough entropy-coded size in bits of n residuals from their histogram by bit width (classes of the
// zigzagged residuals): a class costs its share's code length plus its width - 1 raw bits, which is about
// what bins and offsets pay.
double class_estimate(const uint32_t* hist, size_t n);

// A dictionary of at most this many entries is "a few levels": runs of them are counted as repeats.
inline constexpr size_t kFewLevels = 64;

// Whether a second pass with the dictionary is worth its time, against the first pass's blocks as the
// entropy stage will see them (their estimates: the blocks' bytes overstate blocks chosen for their coded
// size, and ucr_facefour then ran a pass it dropped): a covered value costs about its index (log2 of the
// dictionary size), an uncovered one its current bits plus an escape code, and the entries themselves about
// what values cost now. Of the covered values, `repeats` equal the value before and cost about a bit; the
// caller counts them only for a few levels entropy-coded (runs of a few levels are what such a dictionary
// is for), elsewhere a repeat costs a whole index too, as in a frame of reference. (Priced at a bit for
// every dictionary, repeats made ucr_facefour, 13,883 entries, look 5% smaller with a dictionary; it came
// out 19% larger, so the pass was wasted. The estimate underprices large dictionaries: their entries cost
// more than it says.)
// It only has to rule out the series where the dictionary clearly loses.
inline constexpr double kDictSlack = 1.1;  // a mixed block (runs among random values) beats the estimate
// Bits of `values` values, `covered` of them in the dictionary, that take `cur` bits without it: an index
// of `code` bits each, and the others their current bits plus an escape code.
inline double dict_bits(size_t values, size_t covered, double cur, double code) {
    return double(covered) * code + double(values - covered) * (cur / double(values) + code);
}
inline bool dict_looks_smaller(size_t n, size_t d, size_t covered, size_t repeats, double block_bytes,
                               double slack = kDictSlack) {
    const double cur = 8.0 * block_bytes;
    const double code = std::log2(double(d) + 2);
    repeats = std::min(repeats, covered);
    const double est = double(repeats) * (1 - code) + dict_bits(n, covered, cur, code) + double(d) * cur / double(n);
    return est < slack * cur;
}
// dict_looks_smaller with the first blocks seen one by one (`head_bytes` and `head_covered` for each of
// `head_blocks` blocks of `block_values`, the last one possibly short): each takes the dictionary or not,
// whichever its estimate says is smaller, and so does the rest of the series as a whole (block_bytes is the
// whole series' estimate). The even spread of dict_looks_smaller charges every block for the dictionary: a
// series that starts with a stretch of repeated levels and goes on with values that never repeat (draws
// from 2,000 levels of 6 decimals, then a float32 walk) was estimated 18% costlier with it, where its
// blocks of levels take it and the series comes out 15% smaller.
inline bool dict_blocks_look_smaller(size_t n, size_t d, size_t covered, double block_bytes, const double* head_bytes,
                                     const uint32_t* head_covered, size_t head_blocks, size_t block_values) {
    const double code = std::log2(double(d) + 2);
    double cur_head = 0, dict_head = 0;
    size_t head_values = 0, head_cov = 0;
    for (size_t b = 0; b < head_blocks && head_values < n; ++b) {
        const size_t m = std::min(block_values, n - head_values);
        const size_t c = std::min<size_t>(head_covered[b], m);
        const double cur = 8.0 * head_bytes[b];
        cur_head += cur;
        dict_head += std::min(cur, dict_bits(m, c, cur, code));
        head_values += m;
        head_cov += c;
    }
    const double cur = 8.0 * block_bytes;
    const double cur_rest = std::max(0.0, cur - cur_head);
    const size_t rest = n - head_values, cov_rest = covered - std::min(covered, head_cov);
    const double dict_rest = rest ? std::min(cur_rest, dict_bits(rest, cov_rest, cur_rest, code)) : 0.0;
    return dict_head + dict_rest + double(d) * cur / double(n) < kDictSlack * cur;
}
// A bound that needs no scan: `equal_to_previous` values that equal the one before them are repeats, and
// dict_looks_smaller's estimate counts at least a bit for each of them, whatever the scan would find.
inline bool dict_may_be_smaller(size_t equal_to_previous, double block_bytes) {
    return double(equal_to_previous) < kDictSlack * 8.0 * block_bytes;
}

// Bounds on a series' repeats from the values whose hash falls in one part in 2^k of the hash space. Every
// copy of a value is in or out together, so each sampled value's count is its count in the series, and the
// numbers of repeated and of single values are binomial with chance 2^-k per value: scaled by 2^k, three
// standard deviations below what the sample holds, they bound the series' own from below. (A sample of
// values spread over the series, not chosen by hash, sees few of a value's copies: it only bounded the
// entries from below, which ruled the scan out on `dew_point_temp` and left it to run on the other 14
// benchmark series that the hashed sample now spares it.)
struct RepeatBounds {
    size_t min_repeated = 0;  // distinct values that occur more than once: at least this many
    size_t max_covered = 0;   // values that are repeats (occur more than once): at most this many
};
// k for a series of n values: 0 where the scan itself is about as cheap as a sample (encoder.cpp).
unsigned hashed_repeats_shift(size_t n);
// T is double, float or int64_t; 1 <= k <= 31.
template <class T>
RepeatBounds hashed_repeats(const T* v, size_t n, unsigned k);

// `auto` (or any profile) without the series reference, for tests that compare the two: T is double, float
// or int64_t.
template <class T>
std::vector<uint8_t> encode_without_reference(const void* values, size_t n, Profile profile, unsigned threads);

// Integer streams are tagged with a context so the entropy stage gives streams of one kind a shared model.
inline constexpr uint32_t kCtxAlp = 1;     // | (e - f) << 8 | float32-mix << 16
inline constexpr uint32_t kCtxDelta = 2;
inline constexpr uint32_t kCtxRunLengths = 3;
inline constexpr uint32_t kCtxDictCodes = 4;
inline constexpr uint32_t kCtxF32Corr = 5;
inline constexpr uint32_t kCtxSig = 6;     // | float32 << 16
inline constexpr uint32_t kCtxSparseGaps = 7;
inline constexpr uint32_t kCtxExceptionPositions = 8;
inline constexpr uint32_t kCtxExceptionValues = 9;  // | float32 << 16
// Order-0 delta streams priced as a few levels: a table of their own, whose bins are single values (shared
// with wide streams, their table grew to thousands of bins that fit neither).
inline constexpr uint32_t kCtxDeltaLevels = 10;
inline constexpr uint32_t kCtxNearCorr = 11;  // | float32 << 16

// Where the integer streams of a candidate block sit in its bytes, with their residuals, so the entropy
// stage can re-code a stream in place (nothing in a block records a stream's length, so splicing in a
// different coding of one stream leaves the rest of the block valid).
struct SeqEntry {
    size_t start = 0;      // offset of the stream's header byte in the block
    size_t length = 0;     // bytes of the stream as written (frame of reference)
    uint32_t context = 0;
    size_t head_first = 0; // header byte + delta starts for an entropy-coded version, at heads[...]
    size_t head_len = 0;
    size_t first = 0;      // that version's residuals at arena[first, first + count)
    size_t count = 0;
    double coded_bits = 0; // their estimated entropy-coded size (write_intseq's bit-width classes)
    int64_t min = 0, max = 0;  // their range, as signed values
    // The frame of reference's packed bits are the stream's last bytes. `deferred`: they are not written
    // yet (each is residual - for_min in for_width bits, the residuals at arena[for_first, for_first +
    // for_count): the logged ones where the frame of reference has the logged order, else its own), so a
    // candidate that loses, or a stream the entropy stage codes, is never packed.
    bool deferred = false;
    uint8_t for_width = 0;
    int64_t for_min = 0;
    size_t for_first = 0;
    size_t for_count = 0;
};

using Arena = std::vector<uint64_t, UninitAllocator<uint64_t>>;

struct SeqLog {
    std::vector<SeqEntry> entries;
    Arena arena;
    std::vector<uint8_t> heads;

    void clear() {
        entries.clear();
        arena.clear();
        heads.clear();
    }
    // Room for the next entry's rc residuals at the end of the arena: written there, then logged by
    // add_written() without a copy.
    uint64_t* room(size_t rc) {
        arena.resize(arena.size() + rc);
        return arena.data() + arena.size() - rc;
    }
    // An entry whose rc residuals are the last rc in the arena (see room).
    void add_written(size_t start, const uint8_t* head, size_t head_len, size_t rc, uint32_t context,
                     double coded_bits, int64_t min, int64_t max) {
        const size_t first = arena.size() - rc;
        entries.push_back({start, 0, context, heads.size(), head_len, first, rc, coded_bits, min, max});
        entries.back().for_first = first;
        entries.back().for_count = rc;
        heads.insert(heads.end(), head, head + head_len);
    }
    // rc residuals copied to the end of the arena (as one memcpy: an insert copied them 16 bytes at a time).
    void append_residuals(const uint64_t* resid, size_t rc) {
        if (rc) std::memcpy(room(rc), resid, rc * sizeof(uint64_t));
    }
    // The last entry's frame of reference in a delta order of its own: its rc residuals, the last rc in the
    // arena (see room).
    void mark_for_residuals(size_t rc) {
        entries.back().for_first = arena.size() - rc;
        entries.back().for_count = rc;
    }
    void finish_last(size_t length) { entries.back().length = length; }
    // Where the log stands, and a return there (the entries logged since are dropped).
    struct Mark {
        size_t entries, arena, heads;
    };
    Mark mark() const { return {entries.size(), arena.size(), heads.size()}; }
    void rollback(const Mark& m) {
        entries.resize(m.entries);
        arena.resize(m.arena);
        heads.resize(m.heads);
    }
    // Move another log's entries in (it is left empty): by swapping buffers when this one is empty.
    void absorb(SeqLog& other) {
        if (entries.empty()) {
            entries.swap(other.entries);
            arena.swap(other.arena);
            heads.swap(other.heads);
        } else {
            take(other);
        }
        other.clear();
    }
    // Copy another log's entries in, their offsets moved by `shift` bytes.
    void take(const SeqLog& other, size_t shift = 0) { take_entries(other, 0, other.entries.size(), shift); }
    // Copy entries [k0, k1) of another log in, their offsets moved by `shift` bytes (modulo 2^64, so a move
    // back is a shift by its negation).
    void take_entries(const SeqLog& other, size_t k0, size_t k1, size_t shift) {
        for (size_t k = k0; k < k1; ++k) {
            const SeqEntry& from = other.entries[k];
            SeqEntry e = from;
            e.start += shift;
            e.first = arena.size();
            e.head_first = heads.size();
            append_residuals(other.arena.data() + from.first, e.count);
            e.for_first = e.first;
            if (from.for_first != from.first) {
                e.for_first = arena.size();
                append_residuals(other.arena.data() + from.for_first, from.for_count);
            }
            heads.insert(heads.end(), other.heads.begin() + long(from.head_first),
                         other.heads.begin() + long(from.head_first + e.head_len));
            entries.push_back(e);
        }
    }
};

// A block's nexc exceptions (values v[pos[k]], positions strictly increasing) as two integer streams, their
// positions and then their bit patterns (the alp_exc and sig_exc layouts), written where at least half of
// them have the bits of the one before and the streams take fewer bytes than raw exceptions (16 bits and
// the value's for each): missing readings (NaN) among decimals, each an exception, cost 80 bits a value raw
// and a few bits here. Returns whether it wrote them; otherwise nothing is written or logged.
template <class T>
bool write_exception_streams(const T* v, const uint16_t* pos, size_t nexc, unsigned max_order, Writer& out,
                             SeqLog* log);

// The entropy stage (entropy_stage.cpp): models built from a sample of the logged streams, and which
// stream each one codes (with the bins of its residuals, found once).
struct EntropyPlan {
    std::vector<Model> models;
    std::vector<int> model_of;        // per log entry: index into models, -1 = stays frame of reference
    // Per logged residual, its bin where model_of says a model codes it (the rest are left unset: the vector
    // grows without zeroing).
    std::vector<uint16_t, UninitAllocator<uint16_t>> bins;
};
// Both spread their work over up to `threads` threads, with the same result for any count.
EntropyPlan plan_entropy(const SeqLog& log, unsigned threads);
// Keeps the plan's largest buffer for the next plan on this thread (fresh memory is faulted in page by page).
void recycle(EntropyPlan& plan);
// Packs the deferred frame-of-reference streams of the block area in place (when no entropy stage follows).
void fill_deferred(Writer& blocks, const SeqLog& log);
// Appends the block area to out with the planned streams entropy-coded (where that is really smaller) and
// sets dir to the blocks' new sizes.
void write_blocks(const Writer& blocks, std::vector<uint16_t>& dir, const SeqLog& log, const EntropyPlan& plan,
                  unsigned threads, Writer& out);

// A block never takes more than its raw values and the method byte (docs/format.md). A candidate chosen for
// its estimated coded size can, when the entropy stage leaves its streams as frames of reference: such
// blocks are rewritten raw. The blocks of the n values (value_bytes each) start at `area` in out; dir holds
// their sizes and is updated.
void cap_blocks_at_raw(Writer& out, size_t area, std::vector<uint16_t>& dir, const uint8_t* values, size_t n,
                       size_t value_bytes);

// The positions of the values marked bad (nonzero bytes of bad[0, m)) into pos, in order; returns their
// count. Eight flags a load: most blocks have a few bad values or none, and looking at every byte was most
// of encode_alp's own time on the decimal series.
inline size_t flagged_positions(const uint8_t* bad, size_t m, uint16_t* pos) {
    size_t n = 0, i = 0;
    if constexpr (std::endian::native == std::endian::little)  // the lowest byte first in a word
        for (; i + 8 <= m; i += 8) {
            uint64_t w;
            std::memcpy(&w, bad + i, 8);
            while (w) {
                const unsigned byte = unsigned(std::countr_zero(w)) / 8;
                pos[n++] = uint16_t(i + byte);
                w &= ~(uint64_t(0xFF) << (8 * byte));
            }
        }
    for (; i < m; ++i) {
        pos[n] = uint16_t(i);
        n += bad[i] != 0;
    }
    return n;
}

// Gives each of the n values at pos (increasing positions in a block of m: its exceptions) its neighbour's
// integer, so that exceptions widen neither the frame of reference nor the deltas: the previous value's, and
// for those before the first value that is not an exception, that value's (0 if there is none).
inline void take_neighbours(int64_t* ints, const uint16_t* pos, size_t n, size_t m) {
    size_t lead = 0;  // exceptions at 0, 1, ..., lead - 1; the value at lead (if any) is not one
    while (lead < n && pos[lead] == lead) ++lead;
    const int64_t first_ok = lead < m ? ints[lead] : 0;
    for (size_t k = 0; k < n; ++k) ints[pos[k]] = k < lead ? first_ok : ints[pos[k] - 1];
}

// How the delta orders fared on the last streams of one kind (the decimal integers of a row group's blocks,
// say). Once one order has been the entropy coder's choice kSettle times running, only it is estimated for
// the next streams of the kind; otherwise, an order whose estimate came out over kLose times the best one's
// kSettle times running is left out. All orders are estimated again on every kRecheck-th stream, when a
// stream costs 15% more bits than the last fully estimated one, and when a left-out order's range is over
// twice narrower than the chosen one's. Neighbouring blocks are alike, and estimating the three orders of
// every stream was a fifth of the decimal series' encode time.
struct OrderMemory {
    static constexpr unsigned kSettle = 4;
    static constexpr unsigned kRecheck = 16;
    static constexpr double kLose = 1.1;
    unsigned order = 0, streak = 0;
    unsigned losing[3] = {0, 0, 0};
    unsigned calls = 0;
    double bits = 0;  // the estimated bits per residual of the last stream whose orders were all estimated
    bool streaks = true;  // whether an order taken kSettle times in a row is the only one estimated
    bool levels = false;  // whether values of order 0 are also priced as a few levels (see order_proxies)
    double levels_saving = 0;  // bits the last stream's estimate came out below its classes' by that pricing
    void reset() { *this = OrderMemory{.streaks = streaks, .levels = levels}; }
    // The orders to estimate for the next stream, as a mask (bit o for order o).
    unsigned orders() {
        unsigned mask = 0;
        for (unsigned o = 0; o < 3; ++o) mask |= unsigned(losing[o] < kSettle) << o;
        if (streaks && streak >= kSettle) mask = 1u << order;
        if (mask == 7) return 7;
        return ++calls % kRecheck == 0 ? 7 : mask;
    }
    bool surprised(double b) const { return b > 1.15 * bits + 0.5; }
    // key: each order's estimate (infinite where not estimated); chosen: the order taken, b its bits per
    // residual; all: whether every order was estimated.
    void saw(const double* key, unsigned chosen, double b, bool all) {
        streak = chosen == order ? streak + 1 : 1;
        order = chosen;
        if (!all) return;
        bits = b;
        const double best = std::min({key[0], key[1], key[2]});
        for (unsigned o = 0; o < 3; ++o) losing[o] = key[o] > kLose * best ? losing[o] + 1 : 0;
    }
};

// Writes an integer stream (docs/format.md "integer streams") with frame of reference and bit packing,
// choosing the delta order (up to max_order) that packs smallest. With a log (the entropy stage follows)
// and a memory, it may estimate only the order the memory has settled on. With a log and a lag (2 <= lag
// < m), the entropy stage may get the stream as differences at that lag (order 3) instead.
void write_intseq(const int64_t* v, size_t m, unsigned max_order, Writer& out, SeqLog* log, uint32_t context,
                  OrderMemory* memory = nullptr, size_t lag = 0);

}  // namespace tsquash::codecs::alp
