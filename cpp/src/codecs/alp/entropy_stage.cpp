// The encoder's entropy stage (profile auto): one model per kind of integer stream (its context) built from
// a sample of all streams of that kind, then every stream that the model makes smaller is coded with it as
// the block area is copied into the payload. Streams are replaced in place: nothing in a block records a
// stream's length, so the rest of the block is unchanged.
#include <algorithm>
#include <limits>
#include <map>

#include "encoder.hpp"
#include "entropy.hpp"
#include "../../parallel.hpp"

namespace tsquash::codecs::alp {

namespace {

// Streams of one kind taking fewer bytes than this together never pay for a table. (A bound on residual
// counts instead passed over a few hundred 64-bit values that a table would code in half their bytes.)
constexpr size_t kMinGroupBytes = 256;
// A model is built from a sample of its streams' residuals: up to 2^15 of them, or 2^14 where the streams
// pack in under 16 bits a residual. Narrow residuals (decimal data) take few distinct values, which half the
// sample finds as well: the decimal series encode 1.5-3.5% faster for 0.1% more bytes, where wide residuals
// (shapes_all, blockchain_tr) lost 0.15-0.3% with the smaller sample. Residuals of 40 bits and more (bit
// patterns of doubles) make coarse bins, which 2^14 of them place as well (poi_lat 3-5% faster, 0.007%
// smaller). And never more than half the streams' residuals, unless that leaves fewer than 2^13: a model
// built from every residual of a short series spent twice the time for the same table (ucr_facefour 13%
// faster, 0.1% larger; 0.008% larger over the 215 check inputs).
constexpr size_t kSampleValues = 1 << 15;
constexpr size_t kNarrowSampleValues = 1 << 14;
constexpr size_t kNarrowBits = 16;
constexpr size_t kVeryWideBits = 40;
constexpr size_t kMinSampleValues = 1 << 13;

// A stream is entropy-coded only when that saves at least this share of its bytes: decoding a
// bit-packed stream is several times faster, so a sliver of size is not worth it.
constexpr double kMinSavedShare = 1.0 / 64;

}  // namespace

namespace {

thread_local std::vector<uint16_t, UninitAllocator<uint16_t>> kept_bins;
constexpr size_t kKeptBins = size_t(1) << 20;

}  // namespace

void recycle(EntropyPlan& plan) {
    if (plan.bins.capacity() <= kKeptBins && plan.bins.capacity() > kept_bins.capacity()) {
        plan.bins.clear();
        plan.bins.swap(kept_bins);
    }
}

EntropyPlan plan_entropy(const SeqLog& log, unsigned threads) {
    std::map<uint32_t, std::vector<size_t>> by_context;
    for (size_t k = 0; k < log.entries.size(); ++k) by_context[log.entries[k].context].push_back(k);
    std::vector<const std::vector<size_t>*> groups;
    for (const auto& [ctx, idx] : by_context) groups.push_back(&idx);

    struct Candidate {
        Model model;
        double savings = 0;  // bytes, estimated
        std::vector<size_t> entries;
        bool kept = false;
    };
    EntropyPlan plan;
    plan.bins.swap(kept_bins);
    plan.bins.resize(log.arena.size());
    // One candidate model per context; contexts are independent (each writes only its own entries' bins).
    std::vector<Candidate> all(groups.size());
    detail::parallel_tasks(groups.size(), threads, [&](size_t gi, unsigned) {
        const std::vector<size_t>& idx = *groups[gi];
        size_t total = 0, bytes = 0;
        int64_t mn = std::numeric_limits<int64_t>::max(), mx = std::numeric_limits<int64_t>::min();
        for (size_t k : idx) {
            const SeqEntry& e = log.entries[k];
            total += e.count;
            bytes += e.length;
            mn = std::min(mn, e.min);
            mx = std::max(mx, e.max);
        }
        if (bytes < kMinGroupBytes) return;
        const bool smaller_sample = bytes * 8 < kNarrowBits * total || bytes * 8 >= kVeryWideBits * total;
        const size_t want = std::min(smaller_sample ? kNarrowSampleValues : kSampleValues,
                                     std::max(kMinSampleValues, total / 2));
        const size_t stride = (total + want - 1) / want;
        std::vector<int64_t> sample((total + stride - 1) / stride);
        int64_t* to = sample.data();
        size_t skip = 0;  // values to pass over before the next sampled one
        for (size_t k : idx) {
            const SeqEntry& e = log.entries[k];
            const uint64_t* from = log.arena.data() + e.first;
            size_t i = skip;
            for (; i < e.count; i += stride) *to++ = int64_t(from[i]);
            skip = i - e.count;
        }
        sample.resize(size_t(to - sample.data()));
        Candidate& c = all[gi];
        c.model = build_model(sample, total, mn, mx);
        for (size_t k : idx) {
            const SeqEntry& e = log.entries[k];
            double bits = 0;
            if (!c.model.code_bits(log.arena.data() + e.first, e.count, plan.bins.data() + e.first, bits)) continue;
            const double ans = double(e.head_len) + bits / 8;
            const double fr = double(e.length);
            if (ans + 1 + fr * kMinSavedShare < fr) {
                c.savings += fr - ans;
                c.entries.push_back(k);
            }
        }
        c.kept = c.savings > double(model_bytes(c.model)) + 8;
    });
    std::vector<Candidate> cands;
    std::vector<int> cand_of(log.entries.size(), -1);
    for (Candidate& c : all)
        if (c.kept) {
            for (size_t k : c.entries) cand_of[k] = int(cands.size());
            cands.push_back(std::move(c));
        }
    // At most kMaxModels tables: keep the ones that save most.
    std::vector<size_t> order(cands.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return cands[x].savings > cands[y].savings; });
    std::vector<int> index_of(cands.size(), -1);
    for (size_t i = 0; i < order.size() && plan.models.size() < kMaxModels; ++i) {
        index_of[order[i]] = int(plan.models.size());
        plan.models.push_back(std::move(cands[order[i]].model));
    }
    plan.model_of.assign(log.entries.size(), -1);
    for (size_t k = 0; k < plan.model_of.size(); ++k) plan.model_of[k] = cand_of[k] >= 0 ? index_of[cand_of[k]] : -1;
    return plan;
}

namespace {

// The frame of reference's packed bits of a deferred stream, at dst.
void pack_entry(const SeqLog& log, const SeqEntry& e, uint8_t* dst) {
    uint64_t off[kScratch];
    const uint64_t* r = log.arena.data() + e.for_first;
    for (size_t i = 0; i < e.for_count; ++i) off[i] = r[i] - uint64_t(e.for_min);
    pack_to(off, e.for_count, e.for_width, dst);
}

// A stream as a frame of reference (packed now if it was deferred).
void append_for(const Writer& blocks, const SeqLog& log, const SeqEntry& e, Writer& out) {
    if (!e.deferred) {
        out.append(blocks.bytes.data() + e.start, e.length);
        return;
    }
    const size_t pb = packed_size(e.for_count, e.for_width);
    out.append(blocks.bytes.data() + e.start, e.length - pb);
    pack_entry(log, e, out.grow(pb));
}

}  // namespace

void fill_deferred(Writer& blocks, const SeqLog& log) {
    for (const SeqEntry& e : log.entries)
        if (e.deferred) pack_entry(log, e, blocks.bytes.data() + e.start + e.length - packed_size(e.for_count, e.for_width));
}

namespace {

// Blocks [b0, b1) (starting at byte src of the block area, their first log entry at `next`) appended to out.
void splice_blocks(const Writer& blocks, std::vector<uint16_t>& dir, size_t b0, size_t b1, size_t src, size_t next,
                   const SeqLog& log, const EntropyPlan& plan, Writer& out) {
    for (size_t b = b0; b < b1; ++b) {
        const size_t end = src + dir[b];
        const size_t start_out = out.size();
        size_t cur = src;
        for (; next < log.entries.size() && log.entries[next].start < end; ++next) {
            const int model = plan.model_of[next];
            const SeqEntry& e = log.entries[next];
            if (model < 0 && !e.deferred) continue;  // goes out with the bytes around it
            out.append(blocks.bytes.data() + cur, e.start - cur);
            bool coded = false;
            if (model >= 0) {
                const size_t at = out.size();
                out.u8(uint8_t(log.heads[e.head_first] | (3 << 2)));  // coder 3: table ANS
                out.append(log.heads.data() + e.head_first + 1, e.head_len - 1);
                out.u8(uint8_t(model));
                ans_encode(log.arena.data() + e.first, plan.bins.data() + e.first, e.count, plan.models[size_t(model)],
                           out);
                coded = out.size() - at < e.length;
                if (!coded) out.bytes.resize(at);  // the estimate was off: keep the frame of reference
            }
            if (!coded) append_for(blocks, log, e, out);
            cur = e.start + e.length;
        }
        out.append(blocks.bytes.data() + cur, end - cur);
        dir[b] = uint16_t(out.size() - start_out);
        src = end;
    }
}

constexpr size_t kSpliceChunkBlocks = 64;

}  // namespace

void write_blocks(const Writer& blocks, std::vector<uint16_t>& dir, const SeqLog& log, const EntropyPlan& plan,
                  unsigned threads, Writer& out) {
    const size_t nchunks = (dir.size() + kSpliceChunkBlocks - 1) / kSpliceChunkBlocks;
    if (threads <= 1 || nchunks <= 1) {
        splice_blocks(blocks, dir, 0, dir.size(), 0, 0, log, plan, out);
        return;
    }
    std::vector<size_t> offset(nchunks + 1, 0);
    for (size_t c = 0; c < nchunks; ++c)
        for (size_t b = c * kSpliceChunkBlocks; b < std::min(dir.size(), (c + 1) * kSpliceChunkBlocks); ++b)
            offset[c + 1] += dir[b];
    for (size_t c = 0; c < nchunks; ++c) offset[c + 1] += offset[c];
    std::vector<Writer> parts(nchunks);
    detail::parallel_tasks(nchunks, threads, [&](size_t c, unsigned) {
        const size_t next = size_t(std::lower_bound(log.entries.begin(), log.entries.end(), offset[c],
                                                    [](const SeqEntry& e, size_t at) { return e.start < at; }) -
                                   log.entries.begin());
        parts[c].bytes.reserve(offset[c + 1] - offset[c]);
        splice_blocks(blocks, dir, c * kSpliceChunkBlocks, std::min(dir.size(), (c + 1) * kSpliceChunkBlocks),
                      offset[c], next, log, plan, parts[c]);
    });
    for (const Writer& part : parts) out.append(part.bytes.data(), part.size());
}

}  // namespace tsquash::codecs::alp
