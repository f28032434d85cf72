// The position predictor of tsquash.wavelet_downsample.LearnedDownsampler. Python cuts windows, transforms them
// and selects; these bindings insist on C-contiguous float32 arrays ((n, window) coefficient rows to train on,
// (n, approx_len) approximation rows to score), and train and score with the GIL released (the per-epoch
// callback takes it back).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <string>

#include "register.hpp"
#include "tsquash/learned/wavelet_scorer.hpp"

namespace py = pybind11;
using namespace tsquash::learned;

namespace tsquash::bindings {
namespace {

const float* float_rows(const py::array& a, int64_t width, int64_t& n, const char* what) {
    const std::string name(what);
    if (!a.dtype().equal(py::dtype::of<float>()))
        throw py::type_error(name + ": expected float32, got " + std::string(py::str(a.dtype())));
    if (a.ndim() != 2 || a.shape(1) != width) throw py::value_error(name + ": expected shape (n, " + std::to_string(width) + ")");
    if (!(a.flags() & py::array::c_style)) throw py::value_error(name + ": expected a C-contiguous array");
    n = a.shape(0);
    return static_cast<const float*>(a.data());
}

}  // namespace

void register_learned_downsample(py::module_& m) {
    py::class_<WaveletScorer>(m, "WaveletScorer")
        .def(py::init([](int64_t window, const std::string& wavelet, int level, int64_t d_model, int64_t heads, int64_t ff,
                         int64_t layers, uint64_t seed) {
                 return WaveletScorer(ScorerConfig{window, wavelet, level, d_model, heads, ff, layers}, seed);
             }),
             py::arg("window"), py::arg("wavelet"), py::arg("level"), py::arg("d_model"), py::arg("heads"), py::arg("ff"),
             py::arg("layers"), py::arg("seed"))
        .def(
            "fit",
            [](WaveletScorer& s, const py::array& coeffs, int64_t epochs, int64_t batch_size, double lr, double keep,
               int threads, uint64_t seed, const py::object& callback) {
                int64_t n = 0;
                const float* data = float_rows(coeffs, s.config().window, n, "coeffs");
                ScorerTrainOptions opt{epochs, batch_size, lr, keep, threads};
                ScorerCallback on_epoch = [&callback](const ScorerEpoch& e) {
                    py::gil_scoped_acquire gil;
                    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
                    if (callback.is_none()) return true;
                    const py::object res = callback(e.epoch, e.loss, e.magnitude_loss);
                    return !res.is(py::bool_(false));
                };
                std::vector<ScorerEpoch> h;
                {
                    py::gil_scoped_release nogil;
                    h = s.fit(data, n, opt, seed, on_epoch);
                }
                py::dict out;
                py::list loss, mag;
                for (const auto& e : h) {
                    loss.append(e.loss);
                    mag.append(e.magnitude_loss);
                }
                out["loss"] = loss;
                out["magnitude_loss"] = mag;
                return out;
            },
            py::arg("coeffs"), py::arg("epochs"), py::arg("batch_size"), py::arg("lr"), py::arg("keep"),
            py::arg("threads"), py::arg("seed"), py::arg("callback"))
        .def(
            "score",
            [](const WaveletScorer& s, const py::array& approx, const py::array& known, int threads) {
                int64_t n = 0, n_known = 0;
                const float* data = float_rows(approx, s.approx_len(), n, "approx");
                const float* kn = float_rows(known, s.detail_len(), n_known, "known");
                if (n_known != n) throw py::value_error("approx and known: different numbers of rows");
                py::array_t<float> out({n, s.detail_len()});
                float* o = out.mutable_data();
                py::gil_scoped_release nogil;
                s.score(data, kn, n, o, threads);
                return out;
            },
            py::arg("approx"), py::arg("known"), py::arg("threads"))
        .def("parameters",
             [](const WaveletScorer& s) {
                 const auto p = s.parameters();
                 py::array_t<float> out(static_cast<py::ssize_t>(p.size()));
                 std::copy(p.begin(), p.end(), out.mutable_data());
                 return out;
             })
        .def(
            "set_parameters",
            [](WaveletScorer& s, const py::array_t<float, py::array::c_style | py::array::forcecast>& p) {
                s.set_parameters(p.data(), static_cast<size_t>(p.size()));
            },
            py::arg("params"))
        .def_property_readonly("window", [](const WaveletScorer& s) { return s.config().window; })
        .def_property_readonly("wavelet", [](const WaveletScorer& s) { return s.config().wavelet; })
        .def_property_readonly("level", [](const WaveletScorer& s) { return s.config().level; })
        .def_property_readonly("approx_len", &WaveletScorer::approx_len)
        .def_property_readonly("detail_len", &WaveletScorer::detail_len)
        .def_property_readonly("n_parameters", &WaveletScorer::n_parameters);
}

}  // namespace tsquash::bindings
