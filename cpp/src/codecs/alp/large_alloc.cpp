// Large scratch buffers of the encoder (the residual log, the dictionary's table) on transparent huge pages
// where Linux offers them. On a long series they outgrow what a thread keeps between calls and come fresh
// from the system every time; faulting them in on 4 KiB pages cost as much as coding the values (1.8 GB/s
// here, against 4-5 GB/s on 2 MiB pages; unmapping 64 MiB took 5 ms against 0.2).
#include <cstdlib>
#include <new>

#include "common.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tsquash::codecs::alp {

#if defined(__linux__) && defined(MADV_HUGEPAGE)
namespace {
constexpr size_t kHugePage = size_t(2) << 20;
// Whole huge pages: what large_alloc maps, and large_free unmaps, for a buffer of `bytes`.
size_t mapped_size(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
}  // namespace
#endif

void* large_alloc(size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // Mapped with a huge page's worth to spare, then trimmed to a start on a huge-page boundary, so that
    // every whole 2 MiB of the buffer can be one page.
    const size_t size = mapped_size(bytes);
    void* p = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const uintptr_t at = reinterpret_cast<uintptr_t>(p);
    const uintptr_t start = (at + kHugePage - 1) / kHugePage * kHugePage;
    if (start > at) munmap(p, start - at);
    munmap(reinterpret_cast<void*>(start + size), at + kHugePage - start);  // start - at < kHugePage
    madvise(reinterpret_cast<void*>(start), size, MADV_HUGEPAGE);  // advice: the buffer works without it
    return reinterpret_cast<void*>(start);
#else
    void* p = std::malloc(bytes);
    if (!p) throw std::bad_alloc();
    return p;
#endif
}

void large_free(void* p, size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    munmap(p, mapped_size(bytes));
#else
    (void)bytes;
    std::free(p);
#endif
}

}  // namespace tsquash::codecs::alp
