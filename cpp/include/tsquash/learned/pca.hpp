// Principal component analysis by a thin SVD of the centred data (Eigen). The learned compressor's
// linear baseline: x ~ mean + z * components, z = (x - mean) * components^T.
#pragma once
#include <cstddef>
#include <vector>

namespace tsquash::learned {

struct PcaFit {
    size_t n_features = 0;
    size_t n_components = 0;
    std::vector<double> mean;             // n_features
    std::vector<double> components;       // n_components x n_features, row-major, orthonormal rows
    std::vector<double> singular_values;  // n_components, descending
};

// x: n_rows x n_features, row-major, finite. n_components is clamped to min(n_rows, n_features).
// Throws InvalidArgument for empty input, n_components == 0 or non-finite values.
PcaFit pca_fit(const double* x, size_t n_rows, size_t n_features, size_t n_components);

}  // namespace tsquash::learned
