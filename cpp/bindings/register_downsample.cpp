// Point-selection downsamplers. tsquash.downsample validates arguments and converts dtypes; these bindings
// take C-contiguous float32/float64/int64 arrays, run with the GIL released and return int64 indices.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "register.hpp"
#include "tsquash/downsample/downsample.hpp"

namespace py = pybind11;
namespace ds = tsquash::downsample;

namespace tsquash::bindings {
namespace {

struct Options {
    std::string method;
    size_t n_out;
    size_t ratio;
    ds::Nan nan;
    unsigned n_threads;
    bool check_x;
};

template <class X, class Y>
ds::Indices run_xy(std::span<const X> x, std::span<const Y> y, const Options& o) {
    if (o.method == "lttb") return ds::lttb(x, y, o.n_out, o.n_threads, o.check_x);
    if (o.method == "minmax") return ds::minmax(x, y, o.n_out, o.nan, o.n_threads);
    if (o.method == "m4") return ds::m4(x, y, o.n_out, o.nan, o.n_threads);
    if (o.method == "minmaxlttb") return ds::minmax_lttb(x, y, o.n_out, o.ratio, o.nan, o.n_threads);
    throw py::value_error("unknown downsampling method " + o.method);
}

template <class Y>
ds::Indices run_y(std::span<const Y> y, const Options& o) {
    if (o.method == "lttb") return ds::lttb(y, o.n_out, o.n_threads);
    if (o.method == "minmax") return ds::minmax(y, o.n_out, o.nan, o.n_threads);
    if (o.method == "m4") return ds::m4(y, o.n_out, o.nan, o.n_threads);
    if (o.method == "minmaxlttb") return ds::minmax_lttb(y, o.n_out, o.ratio, o.nan, o.n_threads);
    throw py::value_error("unknown downsampling method " + o.method);
}

template <class T>
std::span<const T> view(const py::array& a) {
    return {static_cast<const T*>(a.data()), static_cast<size_t>(a.shape(0))};
}

void check_array(const py::array& a, const char* what) {
    if (a.ndim() != 1) throw py::value_error(std::string(what) + ": expected a 1-D array");
    if (!(a.flags() & py::array::c_style)) throw py::value_error(std::string(what) + ": expected a contiguous array");
}

// Calls f(std::span<const T>) with T the array's dtype (float32, float64 or int64).
template <class F>
auto with_dtype(const py::array& a, const char* what, F&& f) {
    if (a.dtype().equal(py::dtype::of<double>())) return f(view<double>(a));
    if (a.dtype().equal(py::dtype::of<float>())) return f(view<float>(a));
    if (a.dtype().equal(py::dtype::of<int64_t>())) return f(view<int64_t>(a));
    throw py::type_error(std::string(what) + ": expected float32, float64 or int64, got " +
                         std::string(py::str(a.dtype())));
}

py::array_t<int64_t> to_numpy(ds::Indices&& idx) {
    auto* v = new ds::Indices(std::move(idx));
    py::capsule owner(v, [](void* p) { delete static_cast<ds::Indices*>(p); });
    return py::array_t<int64_t>(static_cast<py::ssize_t>(v->size()), v->data(), owner);
}

}  // namespace

void register_downsample(py::module_& m) {
    m.def(
        "downsample",
        [](const std::string& method, const std::optional<py::array>& x, const py::array& y, size_t n_out,
           size_t ratio, bool nan_keep, unsigned n_threads, bool check_x) {
            check_array(y, "y");
            if (check_x && method != "lttb") throw py::value_error("check_x is implemented for lttb only");
            const Options o{method, n_out, ratio, nan_keep ? ds::Nan::keep : ds::Nan::ignore, n_threads, check_x};
            ds::Indices idx;
            if (x) {
                check_array(*x, "x");
                with_dtype(*x, "x", [&](auto xs) {
                    with_dtype(y, "y", [&](auto ys) {
                        py::gil_scoped_release nogil;
                        idx = run_xy(xs, ys, o);
                        return 0;
                    });
                    return 0;
                });
            } else {
                with_dtype(y, "y", [&](auto ys) {
                    py::gil_scoped_release nogil;
                    idx = run_y(ys, o);
                    return 0;
                });
            }
            return to_numpy(std::move(idx));
        },
        py::arg("method"), py::arg("x"), py::arg("y"), py::arg("n_out"), py::arg("ratio") = 4,
        py::arg("nan_keep") = false, py::arg("n_threads") = 1, py::arg("check_x") = false,
        "Indices chosen by method ('lttb', 'minmax', 'm4', 'minmaxlttb') on y (and x, if not None); check_x "
        "(lttb only) verifies that x is non-decreasing while scanning it.");
    m.def(
        "every_nth", [](size_t n, size_t n_out) { return to_numpy(ds::every_nth(n, n_out)); }, py::arg("n"),
        py::arg("n_out"), "floor(i * max(1, n / n_out)) for as many i as fit below n - 0.1.");
    m.def(
        "check_non_decreasing",
        [](const py::array& x) {
            check_array(x, "x");
            with_dtype(x, "x", [&](auto xs) {
                py::gil_scoped_release nogil;
                ds::check_non_decreasing(xs);
                return 0;
            });
        },
        py::arg("x"), "Raise ValueError at the first position where x decreases or holds NaN.");
}

}  // namespace tsquash::bindings
