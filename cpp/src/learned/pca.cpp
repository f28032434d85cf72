#include "tsquash/learned/pca.hpp"

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <string>

#include "tsquash/errors.hpp"

namespace tsquash::learned {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

PcaFit pca_fit(const double* x, size_t n_rows, size_t n_features, size_t n_components) {
    if (n_rows == 0 || n_features == 0) throw InvalidArgument("pca: the data is empty");
    if (n_components == 0) throw InvalidArgument("pca: n_components must be at least 1");
    for (size_t i = 0; i < n_rows * n_features; ++i) {
        if (!std::isfinite(x[i])) {
            throw InvalidArgument("pca: non-finite value at row " + std::to_string(i / n_features) + ", column " +
                                  std::to_string(i % n_features));
        }
    }
    const auto n = static_cast<Eigen::Index>(n_rows);
    const auto d = static_cast<Eigen::Index>(n_features);
    Eigen::Map<const RowMatrix> data(x, n, d);
    const Eigen::RowVectorXd mean = data.colwise().mean();
    const RowMatrix centred = data.rowwise() - mean;

    // Divide-and-conquer SVD: fast for both tall (many rows, few columns) and wide (few frames of many
    // pixels) data; only the thin V is needed.
    Eigen::BDCSVD<Eigen::MatrixXd> svd(centred, Eigen::ComputeThinV);
    const size_t k = std::min({n_components, n_rows, n_features});

    PcaFit fit;
    fit.n_features = n_features;
    fit.n_components = k;
    fit.mean.assign(mean.data(), mean.data() + d);
    fit.components.resize(k * n_features);
    fit.singular_values.resize(k);
    const Eigen::MatrixXd& v = svd.matrixV();
    for (size_t c = 0; c < k; ++c) {
        fit.singular_values[c] = svd.singularValues()(static_cast<Eigen::Index>(c));
        // Sign convention: the largest-magnitude loading is positive, so refits give the same components.
        Eigen::Index arg = 0;
        v.col(static_cast<Eigen::Index>(c)).cwiseAbs().maxCoeff(&arg);
        const double sign = v(arg, static_cast<Eigen::Index>(c)) < 0 ? -1.0 : 1.0;
        for (size_t j = 0; j < n_features; ++j) {
            fit.components[c * n_features + j] = sign * v(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(c));
        }
    }
    return fit;
}

}  // namespace tsquash::learned
