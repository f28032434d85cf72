// The high-precision (ALP-RD) split's left parts: how often each occurs, the dictionary of the most
// frequent, and the split width that makes the smallest block from a sample.
#pragma once
#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common.hpp"

namespace tsquash::codecs::alp {

// Counts of up to a block's worth of small keys (left parts, < 2^16): open addressing over 4096 slots,
// cleared by a generation stamp instead of a memset per block.
struct KeyCounter {
    static constexpr size_t kSlots = 4096;
    struct Slot {
        uint32_t stamp = 0;
        uint16_t key = 0;
        uint32_t count = 0;
    };
    std::array<Slot, kSlots> slots{};
    uint32_t gen = 0;
    std::vector<uint16_t> keys;
    void reset() {
        keys.clear();
        last_count = nullptr;
        if (++gen == 0) {  // wrapped: start over
            slots.fill(Slot{});
            gen = 1;
        }
    }
    // Runs of one key (neighbouring values mostly share their left part) count without a lookup.
    uint32_t* last_count = nullptr;
    uint16_t last_key = 0;
    void add(uint16_t k) {
        if (last_count && k == last_key) {
            ++*last_count;
            return;
        }
        size_t h = (uint32_t(k) * 0x9E3779B1u) >> 20;
        while (slots[h].stamp == gen && slots[h].key != k) h = (h + 1) & (kSlots - 1);
        Slot& s = slots[h];
        if (s.stamp != gen) {
            s = {gen, k, 0};
            keys.push_back(k);
        }
        ++s.count;
        last_count = &s.count;
        last_key = k;
    }
    uint32_t count_of(uint16_t k) const {
        size_t h = (uint32_t(k) * 0x9E3779B1u) >> 20;
        while (slots[h].stamp == gen && slots[h].key != k) h = (h + 1) & (kSlots - 1);
        return slots[h].stamp == gen ? slots[h].count : 0;
    }
    // The up to 8 most frequent keys, most frequent first (ties: smaller key first).
    std::vector<std::pair<uint32_t, uint16_t>> top8() {
        std::vector<std::pair<uint32_t, uint16_t>> v;
        v.reserve(keys.size());
        for (uint16_t k : keys) v.push_back({count_of(k), k});
        const size_t t = std::min<size_t>(8, v.size());
        std::partial_sort(v.begin(), v.begin() + t, v.end(), [](const auto& a, const auto& b) {
            return a.first != b.first ? a.first > b.first : a.second < b.second;
        });
        v.resize(t);
        return v;
    }
};

// Best dictionary size for the counts: bits of codes, exceptions (position + left part) and entries.
inline unsigned best_dict_size(const std::vector<std::pair<uint32_t, uint16_t>>& top, size_t m, uint64_t* bits) {
    unsigned best_k = 1;
    uint64_t best = UINT64_MAX, covered = 0;
    for (unsigned k = 1; k <= top.size(); ++k) {
        covered += top[k - 1].first;
        const uint64_t cost = uint64_t(m) * bit_width64(k - 1) + (m - covered) * 32 + 16 * k;
        if (cost < best) {
            best = cost;
            best_k = k;
        }
    }
    if (bits) *bits = best;
    return best_k;
}

// The right parts' width (bits below the split) that gives the sample's values the smallest block: left
// parts of 1 to 16 bits, each with its best dictionary; the narrowest left part among equals.
template <class T>
inline unsigned find_rd_right(const T* s, size_t ns, KeyCounter& kc) {
    constexpr unsigned W = Traits<T>::kBits;
    // The left parts of each width (1 to 16 bits) are prefixes of the 16-bit ones: those are counted once
    // and sorted, and each narrower width merges neighbours (counting the samples 16 times over was 4% of
    // ETTh1's encode).
    kc.reset();
    for (size_t i = 0; i < ns; ++i) kc.add(uint16_t(std::bit_cast<typename Traits<T>::U>(s[i]) >> (W - 16)));
    std::vector<std::pair<uint32_t, uint32_t>> lefts;  // (left part, count), in order of left part
    lefts.reserve(kc.keys.size());
    for (uint16_t k : kc.keys) lefts.push_back({k, kc.count_of(k)});
    std::sort(lefts.begin(), lefts.end());
    std::vector<std::pair<uint32_t, uint16_t>> top;  // (count, left part), as best_dict_size takes them
    uint64_t cost[17];
    for (unsigned lw = 16; lw >= 1; --lw) {
        if (lw < 16) {
            size_t d = 0;
            for (size_t k = 0; k < lefts.size(); ++k) {
                const uint32_t left = lefts[k].first >> 1;
                if (d > 0 && lefts[d - 1].first == left) {
                    lefts[d - 1].second += lefts[k].second;
                } else {
                    lefts[d++] = {left, lefts[k].second};
                }
            }
            lefts.resize(d);
        }
        top.clear();
        for (const auto& [left, count] : lefts) top.push_back({count, uint16_t(left)});
        const size_t t = std::min<size_t>(8, top.size());
        std::partial_sort(top.begin(), top.begin() + long(t), top.end(),
                          [](const auto& a, const auto& b) { return a.first > b.first; });
        top.resize(t);
        uint64_t dict_bits = 0;
        best_dict_size(top, ns, &dict_bits);
        cost[lw] = dict_bits + uint64_t(ns) * (W - lw);
    }
    unsigned best_rb = W - 16;
    uint64_t best = UINT64_MAX;
    for (unsigned lw = 1; lw <= 16; ++lw) {
        if (cost[lw] < best) {
            best = cost[lw];
            best_rb = W - lw;
        }
    }
    return best_rb;
}

}  // namespace tsquash::codecs::alp
