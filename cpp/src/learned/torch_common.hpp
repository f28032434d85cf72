// What the LibTorch models (autoencoder.cpp, wavelet_scorer.cpp) do alike around their networks.
#pragma once
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <thread>

#include "tsquash/errors.hpp"

namespace tsquash::learned::detail {

// threads <= 0 means one per hardware thread. LibTorch's thread count is process-wide; it is set only when it
// differs from what is wanted.
inline void set_threads(int threads) {
    const int want = threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    if (at::get_num_threads() != want) at::set_num_threads(want);
}

inline void require_finite(const float* x, size_t count, const char* what) {
    for (size_t i = 0; i < count; ++i)
        if (!std::isfinite(x[i]))
            throw InvalidArgument(std::string(what) + " holds a non-finite value at flat index " + std::to_string(i));
}

}  // namespace tsquash::learned::detail
