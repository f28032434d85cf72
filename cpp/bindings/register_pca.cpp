// pca_fit for the learned compressor's PCA model; the SVD runs with the GIL released.
#include <pybind11/numpy.h>

#include "register.hpp"
#include "tsquash/learned/pca.hpp"

namespace py = pybind11;

namespace tsquash::bindings {

void register_pca(py::module_& m) {
    m.def(
        "pca_fit",
        [](py::array_t<double, py::array::c_style> x, size_t n_components) {
            if (x.ndim() != 2) throw py::value_error("pca_fit: expected a 2-D float64 array");
            const auto n = static_cast<size_t>(x.shape(0));
            const auto d = static_cast<size_t>(x.shape(1));
            learned::PcaFit fit;
            {
                py::gil_scoped_release release;
                fit = learned::pca_fit(x.data(), n, d, n_components);
            }
            const auto k = static_cast<py::ssize_t>(fit.n_components);
            const auto nd = static_cast<py::ssize_t>(fit.n_features);
            py::array_t<double> mean(nd);
            py::array_t<double> components({k, nd});
            py::array_t<double> sv(k);
            std::copy(fit.mean.begin(), fit.mean.end(), mean.mutable_data());
            std::copy(fit.components.begin(), fit.components.end(), components.mutable_data());
            std::copy(fit.singular_values.begin(), fit.singular_values.end(), sv.mutable_data());
            return py::make_tuple(mean, components, sv);
        },
        py::arg("x"), py::arg("n_components"),
        "Thin-SVD PCA of a float64 (n, d) array: (mean (d,), components (k, d) orthonormal rows, singular "
        "values (k,)).");
}

}  // namespace tsquash::bindings
