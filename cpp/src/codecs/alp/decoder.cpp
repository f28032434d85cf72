// Decoder for the alp/auto payload (docs/format.md, "alp and auto"). Nothing here trusts its input: every
// field is range-checked, every byte read goes through Reader, and a block must end exactly where the
// directory says. Values are produced as bit patterns (U) so NaN payloads and -0.0 pass through untouched.
#include <algorithm>
#include <limits>
#include <memory>

#include "common.hpp"
#include "entropy.hpp"
#include "kernels.hpp"
#include "../../parallel.hpp"
#include "reference.hpp"
#include "sig_decode.hpp"

namespace tsquash::codecs::alp {

namespace {

// Scratch for one nesting level; heap-allocated once per decoder so deep stacks are never needed, and not
// zeroed (every block writes what it reads, and blocks reuse it anyway).
struct Work {
    int64_t ints[kScratch];
    uint64_t a[kScratch];
    uint64_t b[kScratch];
    uint64_t vals[kScratch];
};

struct Shared {
    const std::vector<Model>* models = nullptr;
    const void* dict = nullptr;  // U[dict_size]
    size_t dict_size = 0;
    Work* work[2] = {nullptr, nullptr};
};

// ---- integer streams -------------------------------------------------------------------------------------

void decode_intseq(Reader& r, size_t m, int64_t* out, const Shared& sh) {
    const uint8_t hdr = r.u8("integer stream header");
    const unsigned coder = (hdr >> 2) & 3;
    if (hdr & 0xF0) corrupt("bad integer stream header");
    auto* u = reinterpret_cast<uint64_t*>(out);  // same object, unsigned view: wrapping arithmetic
    // Order 3 is a lag: first differences up to the lag, then differences from the value `lag` back.
    const bool lagged = (hdr & 3) == 3;
    size_t lag = 0;
    if (lagged) {
        const uint64_t p = r.varint("lag");
        if (p < 2 || p >= m) corrupt("lag not within 2 and the value count");
        lag = size_t(p);
    }
    // Values given in full before the residuals: o for order o, one for a lag.
    const unsigned order = lagged ? 0 : hdr & 3, starts = lagged ? 1 : order;
    if (starts >= m) corrupt("delta order not below the value count");
    for (unsigned k = 0; k < starts; ++k) u[k] = uint64_t(unzigzag(r.varint("delta start")));
    const size_t rc = m - starts;
    if (coder == 0) {
        const unsigned w = r.u8("bit width");
        if (w > 64) corrupt("bit width above 64");
        const uint64_t base = uint64_t(unzigzag(r.varint("frame of reference")));
        const uint8_t* src = r.take(packed_size(rc, w), "bit-packed integers");
        unpack(src, r.hard_end(), rc, w, u + starts);
        for (size_t i = starts; i < m; ++i) u[i] += base;
    } else {
        const unsigned idx = r.u8("model index");
        if (!sh.models || idx >= sh.models->size()) corrupt("integer stream names a missing model");
        // The decoder's running sums are fused into the residuals' loop for orders 1 and 2; a lag's are not.
        ans_decode(r, rc, (*sh.models)[idx], u + starts, order, coder);
        if (!lagged) return;
    }
    if (lagged) {
        for (size_t i = 1; i < lag; ++i) u[i] += u[i - 1];
        for (size_t i = lag; i < m; ++i) u[i] += u[i - lag];
    } else if (order == 1) {
        for (size_t i = 1; i < m; ++i) u[i] += u[i - 1];
    } else if (order == 2) {
        uint64_t d = u[1];
        u[1] = u[0] + d;
        for (size_t i = 2; i < m; ++i) {
            d += u[i];
            u[i] = u[i - 1] + d;
        }
    }
}

// ---- methods ---------------------------------------------------------------------------------------------

template <class T>
using U = typename Traits<T>::U;

template <class T>
void patch_exceptions(const uint8_t* pos, const uint8_t* vals, size_t nexc, size_t m, U<T>* out) {
    size_t prev = 0;
    for (size_t k = 0; k < nexc; ++k) {
        const size_t p = Reader::load<uint16_t>(pos + 2 * k);
        if (p >= m || (k > 0 && p <= prev)) corrupt("exception positions out of range or out of order");
        prev = p;
        out[p] = Reader::load<U<T>>(vals + sizeof(U<T>) * k);
    }
}

// Exceptions from two integer streams (alp_exc, sig_exc): positions and bit patterns.
template <class T>
void patch_streamed_exceptions(const uint64_t* pos, const uint64_t* bits, size_t nexc, size_t m, U<T>* out) {
    for (size_t k = 0; k < nexc; ++k) {
        if (pos[k] >= m || (k > 0 && pos[k] <= pos[k - 1])) corrupt("exception positions out of range or out of order");
        if (bits[k] > std::numeric_limits<U<T>>::max()) corrupt("exception value wider than the dtype");
        out[pos[k]] = U<T>(bits[k]);
    }
}

// `streams`: alp_exc, whose exceptions are two integer streams (positions, bit patterns) after the integers.
template <class T>
void decode_alp(Reader& r, size_t m, U<T>* out, const Shared& sh, Work& w, bool streams) {
    const unsigned e = r.u8("exponent"), f = r.u8("factor");
    if (e > Traits<T>::kMaxE || f > e) corrupt("exponent or factor out of range");
    const uint64_t nexc = r.varint("exception count");
    if (nexc > m) corrupt("more exceptions than values");
    if (streams && nexc == 0) corrupt("alp_exc block without exceptions");
    const uint64_t n2 = r.varint("second-pair count");
    if (n2 > m) corrupt("more second-pair values than values");
    unsigned e2 = 0, f2 = 0;
    if (n2) {
        e2 = r.u8("second exponent");
        f2 = r.u8("second factor");
        if (e2 > Traits<T>::kMaxE || f2 > e2) corrupt("second exponent or factor out of range");
    }
    decode_intseq(r, m, w.ints, sh);
    const int64_t* n = w.ints;
    kernels::alp_decode(n, m, e, f, out);
    const uint8_t* pos = nullptr;
    const uint8_t* vals = nullptr;
    if (streams) {
        decode_intseq(r, size_t(nexc), reinterpret_cast<int64_t*>(w.a), sh);
        decode_intseq(r, size_t(nexc), reinterpret_cast<int64_t*>(w.b), sh);
    } else {
        pos = r.take(2 * size_t(nexc), "exception positions");
        vals = r.take(sizeof(U<T>) * size_t(nexc), "exception values");
    }
    const uint8_t* pos2 = r.take(2 * size_t(n2), "second-pair positions");
    size_t prev = 0;
    for (size_t k = 0; k < n2; ++k) {
        const size_t p = Reader::load<uint16_t>(pos2 + 2 * k);
        if (p >= m || (k > 0 && p <= prev)) corrupt("second-pair positions out of range or out of order");
        prev = p;
        out[p] = std::bit_cast<U<T>>(alp_decode_value(n[p], e2, f2, T{}));
    }
    if (streams) patch_streamed_exceptions<T>(w.a, w.b, size_t(nexc), m, out);
    else patch_exceptions<T>(pos, vals, size_t(nexc), m, out);
}

template <class T>
void decode_sig(Reader& r, size_t m, U<T>* out, const Shared& sh, Work& w, bool streams) {
    SigGrid g;
    g.e = r.u8("exponent");
    g.p = r.u8("significant digits");
    g.L = r.u8("decade count");
    if (g.e > Traits<T>::kMaxE || g.p < 1 || g.p > kSigMaxDigits<T> || g.L > g.e)
        corrupt("exponent, significant digits or decade count out of range");
    const uint64_t nexc = r.varint("exception count");
    if (nexc > m) corrupt("more exceptions than values");
    if (streams && nexc == 0) corrupt("sig_exc block without exceptions");
    decode_intseq(r, m, w.ints, sh);
    // Checked before any value is formed: an integer past the last decade would index past the powers.
    const uint64_t top = g.top();
    uint64_t worst = 0;
    for (size_t i = 0; i < m; ++i) {
        const uint64_t q = uint64_t(w.ints[i]);
        worst = std::max(worst, int64_t(q) < 0 ? 0 - q : q);
    }
    if (worst >= top) corrupt("significant-digit integer past the last decade");
    sig_values(w.ints, m, g, out);
    if (streams) {
        decode_intseq(r, size_t(nexc), reinterpret_cast<int64_t*>(w.a), sh);
        decode_intseq(r, size_t(nexc), reinterpret_cast<int64_t*>(w.b), sh);
        patch_streamed_exceptions<T>(w.a, w.b, size_t(nexc), m, out);
        return;
    }
    const uint8_t* pos = r.take(2 * size_t(nexc), "exception positions");
    const uint8_t* vals = r.take(sizeof(U<T>) * size_t(nexc), "exception values");
    patch_exceptions<T>(pos, vals, size_t(nexc), m, out);
}

template <class T>
void decode_alp_rd(Reader& r, size_t m, U<T>* out, Work& w) {
    constexpr unsigned W = Traits<T>::kBits;
    const unsigned rb = r.u8("right width");
    if (rb < W - 16 || rb > W - 1) corrupt("right width out of range");
    const unsigned lw = W - rb;
    const unsigned k = r.u8("dictionary size");
    if (k < 1 || k > 8) corrupt("left dictionary size out of range");
    U<T> dict[8] = {};
    for (unsigned j = 0; j < k; ++j) {
        const unsigned v = r.u16("left dictionary");
        if (v >> lw) corrupt("left dictionary entry wider than the left part");
        dict[j] = U<T>(v) << rb;
    }
    const uint64_t nexc = r.varint("exception count");
    if (nexc > m) corrupt("more exceptions than values");
    const unsigned cb = bit_width64(k - 1);
    unpack(r.take(packed_size(m, cb), "left codes"), r.hard_end(), m, cb, w.a);
    uint64_t worst = 0;
    for (size_t i = 0; i < m; ++i) worst = std::max(worst, w.a[i]);
    if (worst >= k) corrupt("left code outside the dictionary");
    unpack(r.take(packed_size(m, rb), "right parts"), r.hard_end(), m, rb, w.b);
    for (size_t i = 0; i < m; ++i) out[i] = dict[w.a[i]] | U<T>(w.b[i]);
    const uint8_t* pos = r.take(2 * size_t(nexc), "exception positions");
    const uint8_t* left = r.take(2 * size_t(nexc), "exception left parts");
    size_t prev = 0;
    for (size_t j = 0; j < nexc; ++j) {
        const size_t p = Reader::load<uint16_t>(pos + 2 * j);
        const unsigned v = Reader::load<uint16_t>(left + 2 * j);
        if (p >= m || (j > 0 && p <= prev)) corrupt("exception positions out of range or out of order");
        if (v >> lw) corrupt("exception left part too wide");
        prev = p;
        out[p] = (U<T>(v) << rb) | U<T>(w.b[p]);
    }
}

template <class T>
void decode_body(Reader& r, size_t m, U<T>* out, const Shared& sh, int depth) {
    const uint8_t method = r.u8("block method");
    if (method >= kMethodCount) corrupt("unknown block method " + std::to_string(method));
    if (depth > 0 && !is_base_method(method)) corrupt("nested block uses a nesting method");
    Work& w = *sh.work[depth];
    switch (method) {
        case kRaw: {
            const uint8_t* src = r.take(m * sizeof(U<T>), "raw values");
            std::memcpy(out, src, m * sizeof(U<T>));
            return;
        }
        case kAlp:
        case kAlpExc:
            if constexpr (Traits<T>::kFloat) {
                decode_alp<T>(r, m, out, sh, w, method == kAlpExc);
                return;
            }
            break;
        case kAlpRd:
            if constexpr (Traits<T>::kFloat) {
                decode_alp_rd<T>(r, m, out, w);
                return;
            }
            break;
        case kSig:
        case kSigExc:
            if constexpr (Traits<T>::kFloat) {
                decode_sig<T>(r, m, out, sh, w, method == kSigExc);
                return;
            }
            break;
        case kDelta:
            decode_intseq(r, m, w.ints, sh);
            for (size_t i = 0; i < m; ++i) out[i] = U<T>(w.ints[i]);
            return;
        case kRle: {
            const uint64_t runs = r.varint("run count");
            if (runs < 1 || runs > m) corrupt("run count out of range");
            decode_intseq(r, size_t(runs), w.ints, sh);
            uint64_t total = 0;
            for (size_t j = 0; j < runs; ++j) {
                const uint64_t len = uint64_t(w.ints[j]);
                if (len >= m) corrupt("run longer than the block");
                total += len + 1;
            }
            if (total != m) corrupt("run lengths do not add up to the block");
            auto* vals = reinterpret_cast<U<T>*>(w.vals);
            decode_body<T>(r, size_t(runs), vals, sh, 1);
            // Most runs are short: those get a fixed 32 bytes of copies, the next runs writing over the spare
            // ones (a fill of the run's own length spent more on its set-up than on its stores).
            constexpr size_t kShort = 32 / sizeof(U<T>);
            size_t at = 0;
            for (size_t j = 0; j < runs; ++j) {
                const size_t len = size_t(w.ints[j]) + 1;
                const U<T> x = vals[j];
                if (len <= kShort && at + kShort <= m) {
                    U<T> copies[kShort];
                    std::fill(copies, copies + kShort, x);
                    std::memcpy(out + at, copies, sizeof copies);
                } else {
                    std::fill(out + at, out + at + len, x);
                }
                at += len;
            }
            return;
        }
        case kDict: {
            // Codes: 0 = the next escaped value, 1 = the previous value again, c >= 2 = dictionary entry c - 2.
            if (sh.dict_size == 0) corrupt("dictionary block without a dictionary");
            decode_intseq(r, m, w.ints, sh);
            size_t escapes = 0;
            uint64_t worst = 0;
            for (size_t i = 0; i < m; ++i) {
                const uint64_t c = uint64_t(w.ints[i]);
                worst = std::max(worst, c);
                escapes += c == 0;
            }
            if (worst > sh.dict_size + 1) corrupt("dictionary code out of range");
            if (w.ints[0] == 1) corrupt("repeat code at the start of a block");
            auto* esc = reinterpret_cast<U<T>*>(w.vals);
            if (escapes) decode_body<T>(r, escapes, esc, sh, 1);
            const auto* dict = static_cast<const U<T>*>(sh.dict);
            size_t j = 0;
            U<T> prev = 0;
            for (size_t i = 0; i < m; ++i) {
                const uint64_t c = uint64_t(w.ints[i]);
                const U<T> v = c >= 2 ? dict[c - 2] : c == 1 ? prev : esc[j++];
                out[i] = v;
                prev = v;
            }
            return;
        }
        case kStride: {
            // Channel c holds values c, c + L, c + 2L, ... of the block, each channel a nested block.
            const unsigned lanes = r.u8("stride");
            if (lanes < 2 || lanes > kMaxStride || lanes > m) corrupt("stride out of range");
            auto* lane = reinterpret_cast<U<T>*>(w.vals);
            for (unsigned c = 0; c < lanes; ++c) {
                const size_t mc = (m - c + lanes - 1) / lanes;
                decode_body<T>(r, mc, lane, sh, 1);
                for (size_t j = 0; j < mc; ++j) out[c + j * lanes] = lane[j];
            }
            return;
        }
        case kSparse: {
            // The values that are not zero (bit pattern 0), with the gaps between their positions.
            const uint64_t k = r.varint("nonzero count");
            if (k < 1 || k >= m) corrupt("nonzero count out of range");
            decode_intseq(r, size_t(k), w.ints, sh);
            auto* vals = reinterpret_cast<U<T>*>(w.vals);
            decode_body<T>(r, size_t(k), vals, sh, 1);
            std::fill(out, out + m, U<T>(0));
            uint64_t at = 0;
            for (size_t j = 0; j < k; ++j) {
                const uint64_t gap = uint64_t(w.ints[j]);
                if (gap >= m - at) corrupt("nonzero position past the block");
                at += gap;
                out[at++] = vals[j];
            }
            return;
        }
        case kNear:
            // Values a few units in the last place off the decimals of a nested block.
            if constexpr (Traits<T>::kFloat) {
                decode_intseq(r, m, w.ints, sh);
                decode_body<T>(r, m, out, sh, 1);
                for (size_t i = 0; i < m; ++i) out[i] += U<T>(w.ints[i]);
                return;
            }
            break;
        case kF32:
            if constexpr (std::is_same_v<T, double>) {
                const uint8_t flags = r.u8("float32 flags");
                if (flags > 1) corrupt("unknown float32 flags");
                if (flags) decode_intseq(r, m, w.ints, sh);
                Shared inner = sh;
                inner.dict = nullptr;
                inner.dict_size = 0;
                auto* narrow = reinterpret_cast<uint32_t*>(w.vals);
                decode_body<float>(r, m, narrow, inner, 1);
                for (size_t i = 0; i < m; ++i)
                    out[i] = std::bit_cast<uint64_t>(double(std::bit_cast<float>(narrow[i])));
                if (flags)
                    for (size_t i = 0; i < m; ++i) out[i] += uint64_t(w.ints[i]);
                return;
            }
            break;
    }
    corrupt("block method " + std::to_string(method) + " does not apply to this dtype");
}

// ---- framing ---------------------------------------------------------------------------------------------

struct Frame {
    const uint8_t* blocks = nullptr;
    std::vector<uint64_t> offsets;  // nblocks + 1
    uint64_t count = 0;
    size_t block_len(size_t b) const {
        const uint64_t first = uint64_t(b) * kBlockValues;
        return size_t(std::min<uint64_t>(kBlockValues, count - first));
    }
};

// The directory and block area that close a payload (or a nested dictionary payload).
Frame read_frame(Reader& r, uint64_t count) {
    Frame fr;
    fr.count = count;
    const uint64_t nblocks = (count + kBlockValues - 1) / kBlockValues;
    if (nblocks > r.left() / 2) corrupt("block directory truncated");
    const uint8_t* dir = r.take(size_t(nblocks) * 2, "block directory");
    fr.offsets.resize(size_t(nblocks) + 1);
    uint64_t at = 0;
    for (size_t b = 0; b < nblocks; ++b) {
        const unsigned sz = Reader::load<uint16_t>(dir + 2 * b);
        if (sz == 0) corrupt("empty block in the directory");
        at += sz;
        fr.offsets[b + 1] = at;
    }
    if (at < r.left()) corrupt("payload has bytes left over after the last block");
    if (at > r.left()) corrupt("block directory claims more bytes than the payload holds");
    fr.blocks = r.take(size_t(at), "blocks");
    return fr;
}

}  // namespace

template <class T>
struct Decoder<T>::State {
    using Ub = typename Traits<T>::U;
    Frame frame;
    std::vector<Model> models;
    std::vector<Ub> dict;
    std::unique_ptr<Work> work[2];
    Shared shared;
    const uint8_t* hard_end = nullptr;
    // Sequential reading: the position, and the last block decoded into buf when a read stopped inside it.
    uint64_t pos = 0;
    std::vector<Ub> buf;
    size_t buf_block = SIZE_MAX;

    // The series reference, if any: the blocks are int64 blocks of differences from its patterns, and the
    // dictionary theirs.
    std::vector<uint64_t> reference;  // patterns in the domain, one per phase
    RefDomain domain = RefDomain::bits;
    std::vector<uint64_t> dict64;

    void decode_block(size_t b, Ub* out) { decode_block_with(b, out, shared); }
    void decode_block_with(size_t b, Ub* out, const Shared& sh) const {
        const size_t m = frame.block_len(b);
        Reader r(frame.blocks + frame.offsets[b], size_t(frame.offsets[b + 1] - frame.offsets[b]), hard_end);
        if (reference.empty()) {
            decode_body<T>(r, m, out, sh, 0);
        } else {
            uint64_t d[kScratch];
            decode_body<int64_t>(r, m, d, sh, 0);
            const size_t period = reference.size();
            size_t p = size_t(uint64_t(b) * kBlockValues % period);
            for (size_t i = 0; i < m; ++i) {
                out[i] = from_domain<T>(d[i] + reference[p], domain);
                p = p + 1 == period ? 0 : p + 1;
            }
        }
        if (r.left() != 0) corrupt("block " + std::to_string(b) + " has bytes left over");
    }
};

namespace {

// A nested payload (the dictionary): framing only, no sections of its own, decoded whole.
template <class T>
std::vector<typename Traits<T>::U> decode_nested(Reader& r, uint64_t count, const Shared& outer) {
    using Ub = typename Traits<T>::U;
    const uint8_t sections = r.u8("dictionary sections byte");
    if (sections != 0) corrupt("a dictionary payload cannot have sections");
    Frame fr = read_frame(r, count);
    std::vector<Ub> out(size_t(count) + 16);
    Shared sh = outer;
    sh.dict = nullptr;
    sh.dict_size = 0;
    for (size_t b = 0; b + 1 < fr.offsets.size(); ++b) {
        Reader br(fr.blocks + fr.offsets[b], size_t(fr.offsets[b + 1] - fr.offsets[b]), r.hard_end());
        decode_body<T>(br, fr.block_len(b), out.data() + b * kBlockValues, sh, 0);
        if (br.left() != 0) corrupt("dictionary block has bytes left over");
    }
    out.resize(size_t(count));
    return out;
}

}  // namespace

template <class T>
Decoder<T>::Decoder(const uint8_t* payload, size_t size, uint64_t count) : s_(std::make_unique<State>()) {
    State& s = *s_;
    s.work[0] = std::make_unique_for_overwrite<Work>();
    s.work[1] = std::make_unique_for_overwrite<Work>();
    s.shared.work[0] = s.work[0].get();
    s.shared.work[1] = s.work[1].get();
    s.hard_end = payload + size;
    s.frame.count = count;
    s.frame.offsets = {0};
    if (count == 0) {
        if (size != 0) corrupt("an empty series has an empty payload");
        return;
    }
    Reader r(payload, size);
    const uint8_t sections = r.u8("sections byte");
    if (sections & ~(kSectionModels | kSectionDict | kSectionReference)) corrupt("unknown sections");
    if (sections & kSectionReference) {
        const uint64_t period = r.varint("reference period");
        if (period < 1 || period > count) corrupt("reference period out of range");
        const uint8_t domain = r.u8("reference domain");
        if (domain > uint8_t(RefDomain::float32) || (domain == uint8_t(RefDomain::float32) && !std::is_same_v<T, double>))
            corrupt("unknown reference domain");
        s.domain = RefDomain(domain);
        const size_t len = r.u32("reference bytes");
        Reader rr = r.sub(len, "reference");
        if (len > 0 && (rr.pos()[0] & kSectionReference)) corrupt("a reference payload cannot have a reference");
        std::vector<T> values(static_cast<size_t>(period));
        Decoder<T> inner(rr.pos(), len, period);
        inner.read_range(0, size_t(period), values.data());
        s.reference.resize(size_t(period));
        for (size_t p = 0; p < s.reference.size(); ++p) s.reference[p] = to_domain(values[p], s.domain);
    }
    if (sections & kSectionModels) {
        s.models = read_models(r);
        s.shared.models = &s.models;
    }
    if (sections & kSectionDict) {
        const uint64_t dcount = r.u32("dictionary size");
        if (dcount < 1 || dcount > count) corrupt("dictionary size out of range");
        const size_t len = r.u32("dictionary bytes");
        Reader dr = r.sub(len, "dictionary");
        if (s.reference.empty()) {
            s.dict = decode_nested<T>(dr, dcount, s.shared);
            s.shared.dict = s.dict.data();
            s.shared.dict_size = s.dict.size();
        } else {
            s.dict64 = decode_nested<int64_t>(dr, dcount, s.shared);
            s.shared.dict = s.dict64.data();
            s.shared.dict_size = s.dict64.size();
        }
    }
    s.frame = read_frame(r, count);
}

template <class T>
Decoder<T>::~Decoder() = default;
template <class T>
Decoder<T>::Decoder(Decoder&&) noexcept = default;
template <class T>
Decoder<T>& Decoder<T>::operator=(Decoder&&) noexcept = default;

template <class T>
uint64_t Decoder<T>::count() const {
    return s_->frame.count;
}

template <class T>
size_t Decoder<T>::block_count() const {
    return s_->frame.offsets.size() - 1;
}

template <class T>
BlockSummary Decoder<T>::summary() const {
    const State& s = *s_;
    BlockSummary out;
    const size_t nblocks = s.frame.offsets.size() - 1;
    out.methods.resize(nblocks);
    for (size_t b = 0; b < nblocks; ++b) out.methods[b] = s.frame.blocks[s.frame.offsets[b]];  // never empty
    out.dictionary_entries = s.shared.dict_size;
    out.entropy_tables = s.models.size();
    out.reference_period = s.reference.size();
    return out;
}

const char* block_method_name(uint8_t method) {
    static constexpr const char* kNames[kMethodCount] = {"raw",  "alp",     "alp_rd", "delta",  "rle",    "dict",
                                                         "float32", "sig", "stride", "sparse", "alp_exc", "sig_exc",
                                                         "near"};
    static_assert(kRaw == 0 && kAlp == 1 && kAlpRd == 2 && kDelta == 3 && kRle == 4 && kDict == 5 && kF32 == 6 &&
                  kSig == 7 && kStride == 8 && kSparse == 9 && kAlpExc == 10 && kSigExc == 11 && kNear == 12);
    return method < kMethodCount ? kNames[method] : nullptr;
}

template <class T>
void Decoder<T>::read_range(uint64_t first, size_t n, void* out_values, unsigned threads) {
    State& s = *s_;
    using Ub = typename State::Ub;
    if (first > s.frame.count || n > s.frame.count - first) throw InvalidArgument("alp: range past the end");
    auto* out = static_cast<uint8_t*>(out_values);
    // The vectorised loops assume naturally aligned output; other buffers go through the block buffer.
    const bool aligned = reinterpret_cast<uintptr_t>(out) % alignof(Ub) == 0;
    // Partial blocks at either end go through the block buffer: the rest of the block at `first`, or less.
    auto partial = [&] {
        const size_t b = size_t(first / kBlockValues);
        const size_t within = size_t(first % kBlockValues);
        const size_t take = std::min(n, s.frame.block_len(b) - within);
        if (s.buf_block != b) {
            s.buf.resize(kBlockValues);
            s.buf_block = SIZE_MAX;
            s.decode_block(b, s.buf.data());
            s.buf_block = b;
        }
        std::memcpy(out, s.buf.data() + within, take * sizeof(Ub));
        out += take * sizeof(Ub);
        first += take;
        n -= take;
    };
    if (!aligned) {
        while (n > 0) partial();
        return;
    }
    if (n > 0 && first % kBlockValues != 0) partial();
    // Whole blocks straight into the caller's buffer.
    const size_t b0 = size_t(first / kBlockValues);
    const size_t nblocks = s.frame.offsets.size() - 1;
    size_t whole = 0, values = 0;
    while (b0 + whole < nblocks && s.frame.block_len(b0 + whole) <= n - values) values += s.frame.block_len(b0 + whole++);
    auto* dst = reinterpret_cast<Ub*>(out);
    if (threads <= 1 || whole < 2) {
        for (size_t k = 0; k < whole; ++k) s.decode_block(b0 + k, dst + k * kBlockValues);
    } else {
        // Each thread decodes with its own scratch; the sections are shared, read-only.
        const unsigned workers = unsigned(std::min<size_t>(threads, whole));
        std::vector<std::unique_ptr<Work>> work(2 * size_t(workers));
        std::vector<Shared> shared(workers, s.shared);
        for (unsigned w = 0; w < workers; ++w) {
            for (int d = 0; d < 2; ++d) {
                work[2 * w + d] = std::make_unique_for_overwrite<Work>();
                shared[w].work[d] = work[2 * w + d].get();
            }
        }
        detail::parallel_tasks(whole, workers, [&](size_t k, unsigned worker) {
            s.decode_block_with(b0 + k, dst + k * kBlockValues, shared[worker]);
        });
    }
    out += values * sizeof(Ub);
    first += values;
    n -= values;
    if (n > 0) partial();
}

template <class T>
void Decoder<T>::read(void* out, size_t n, unsigned threads) {
    read_range(s_->pos, n, out, threads);
    s_->pos += n;
}

template <class T>
void Decoder<T>::skip(uint64_t n) {
    if (n > s_->frame.count - s_->pos) throw InvalidArgument("alp: skip past the end");
    s_->pos += n;
}

template <class T>
void Decoder<T>::seek(uint64_t position) {
    if (position > s_->frame.count) throw InvalidArgument("alp: seek past the end");
    s_->pos = position;
}

template <class T>
void Decoder<T>::expect_end() const {
    if (s_->pos != s_->frame.count) corrupt("values left undecoded");
}

template class Decoder<double>;
template class Decoder<float>;
template class Decoder<int64_t>;

}  // namespace tsquash::codecs::alp
