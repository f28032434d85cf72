// The error-bounded filters (SDT, pydbfilter-compatible SDT, deadband, hysteresis) for int64 and double
// times. The Python layer (tsquash.filters) picks the class from the caller's time type and converts
// times; these bindings take strided numpy views without copying and run batches with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <mutex>
#include <optional>
#include <string>

#include "register.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/filters/filters.hpp"

namespace py = pybind11;
using namespace tsquash::filters;

namespace tsquash::bindings {
namespace {

template <class T>
const char* dtype_label() {
    return std::is_same_v<T, int64_t> ? "int64" : "float64";
}

// A 1-D array of exactly dtype T whose stride is a whole number of elements.
template <class T>
ptrdiff_t element_stride(const py::array& a, const char* what, bool writeable) {
    if (a.ndim() != 1) throw py::value_error(std::string(what) + ": expected a 1-D array");
    if (!a.dtype().equal(py::dtype::of<T>()))
        throw py::type_error(std::string(what) + ": expected " + dtype_label<T>() + ", got " + std::string(py::str(a.dtype())));
    if (writeable && !a.writeable()) throw py::value_error(std::string(what) + ": array is read-only");
    const ptrdiff_t s = a.strides(0);
    if (s % static_cast<ptrdiff_t>(sizeof(T)) != 0)
        throw py::value_error(std::string(what) + ": stride is not a multiple of the item size");
    return s / static_cast<ptrdiff_t>(sizeof(T));
}

template <class F>
class PyFilter {
public:
    using T = typename F::time_type;

    PyFilter(double threshold, std::optional<T> max_interval) : f_(threshold, max_interval) {}
    explicit PyFilter(F f) : f_(std::move(f)) {}

    py::list push(T t, double v) {
        std::lock_guard<std::mutex> lock(mu_);
        py::list out;
        f_.push(t, v, [&](T tt, double vv) { out.append(py::make_tuple(tt, vv)); });
        return out;
    }

    py::list flush() {
        std::lock_guard<std::mutex> lock(mu_);
        py::list out;
        f_.flush([&](T tt, double vv) { out.append(py::make_tuple(tt, vv)); });
        return out;
    }

    // Filters times[i], values[i] into out_times, out_values (each at least n + 2 long); returns how many
    // points were written.
    size_t run(const py::array& times, const py::array& values, py::array& out_times, py::array& out_values) {
        const ptrdiff_t ts = element_stride<T>(times, "times", false);
        const ptrdiff_t vs = element_stride<double>(values, "values", false);
        const ptrdiff_t ots = element_stride<T>(out_times, "out_times", true);
        const ptrdiff_t ovs = element_stride<double>(out_values, "out_values", true);
        const size_t n = static_cast<size_t>(times.shape(0));
        if (static_cast<size_t>(values.shape(0)) != n)
            throw py::value_error("times and values differ in length: " + std::to_string(n) + " and " +
                                  std::to_string(values.shape(0)));
        const size_t cap = max_batch_output(n);
        if (static_cast<size_t>(out_times.shape(0)) < cap || static_cast<size_t>(out_values.shape(0)) < cap)
            throw py::value_error("output arrays must hold n + 2 points");
        Column<T> tc{static_cast<const T*>(times.data()), ts};
        Column<double> vc{static_cast<const double*>(values.data()), vs};
        OutColumn<T> otc{static_cast<T*>(out_times.mutable_data()), ots};
        OutColumn<double> ovc{static_cast<double*>(out_values.mutable_data()), ovs};
        py::gil_scoped_release nogil;
        std::lock_guard<std::mutex> lock(mu_);
        return run_batch(f_, tc, vc, n, otc, ovc);
    }

    py::bytes state(const py::bytes& annotation) {
        std::lock_guard<std::mutex> lock(mu_);
        const auto s = f_.state(std::string(annotation));
        return py::bytes(reinterpret_cast<const char*>(s.data()), s.size());
    }

    double threshold() const { return f_.threshold(); }
    std::optional<T> max_interval() const { return f_.max_interval(); }
    uint64_t points_in() const { return f_.points_in(); }
    uint64_t points_out() const { return f_.points_out(); }
    std::optional<T> last_time() const { return f_.started() ? std::optional<T>(f_.last_time()) : std::nullopt; }

private:
    F f_;
    std::mutex mu_;
};

template <class F>
void bind_filter(py::module_& m, const char* name, const char* doc) {
    using T = typename F::time_type;
    py::class_<PyFilter<F>>(m, name, doc)
        .def(py::init<double, std::optional<T>>(), py::arg("threshold"), py::arg("max_interval") = py::none())
        .def("push", &PyFilter<F>::push, py::arg("t"), py::arg("v"),
             "Feed one point; returns the released points as (t, v) tuples.")
        .def("flush", &PyFilter<F>::flush, "Release the held last point (if not yet emitted).")
        .def("run", &PyFilter<F>::run, py::arg("times"), py::arg("values"), py::arg("out_times"),
             py::arg("out_values"), "Filter a batch (strided 1-D arrays) into preallocated outputs; returns the count.")
        .def("state", &PyFilter<F>::state, py::arg("annotation") = py::bytes(""), "The complete state as bytes.")
        .def_property_readonly("threshold", &PyFilter<F>::threshold)
        .def_property_readonly("max_interval", &PyFilter<F>::max_interval)
        .def_property_readonly("points_in", &PyFilter<F>::points_in)
        .def_property_readonly("points_out", &PyFilter<F>::points_out)
        .def_property_readonly("last_time", &PyFilter<F>::last_time);
}

template <class F>
py::tuple restore_as(const uint8_t* p, size_t n) {
    std::string annotation;
    F f = F::from_state(p, n, &annotation);
    return py::make_tuple(py::cast(new PyFilter<F>(std::move(f)), py::return_value_policy::take_ownership),
                          py::bytes(annotation));
}

}  // namespace

void register_filters(py::module_& m) {
    bind_filter<Sdt<int64_t>>(m, "SdtI64", "Swinging door trending with a guaranteed bound, int64 times.");
    bind_filter<Sdt<double>>(m, "SdtF64", "Swinging door trending with a guaranteed bound, float64 times.");
    bind_filter<SdtCompat>(m, "SdtCompatF64", "pydbfilter-compatible swinging door, float64 times.");
    bind_filter<Deadband<int64_t>>(m, "DeadbandI64", "Deadband filter, int64 times.");
    bind_filter<Deadband<double>>(m, "DeadbandF64", "Deadband filter, float64 times.");
    bind_filter<Hysteresis<int64_t>>(m, "HysteresisI64", "Hysteresis filter, int64 times.");
    bind_filter<Hysteresis<double>>(m, "HysteresisF64", "Hysteresis filter, float64 times.");

    m.def("filter_from_state", [](const py::bytes& blob) {
        const std::string s(blob);
        const auto* p = reinterpret_cast<const uint8_t*>(s.data());
        const StateHeader h = peek_state(p, s.size());
        const bool i64 = h.time == TimeCode::int64;
        switch (h.kind) {
            case Kind::sdt: return i64 ? restore_as<Sdt<int64_t>>(p, s.size()) : restore_as<Sdt<double>>(p, s.size());
            case Kind::sdt_compat:
                if (i64) throw CorruptStream("filter state: compat SDT state with int64 times");
                return restore_as<SdtCompat>(p, s.size());
            case Kind::deadband:
                return i64 ? restore_as<Deadband<int64_t>>(p, s.size()) : restore_as<Deadband<double>>(p, s.size());
            case Kind::hysteresis:
                return i64 ? restore_as<Hysteresis<int64_t>>(p, s.size()) : restore_as<Hysteresis<double>>(p, s.size());
        }
        throw CorruptStream("filter state: unknown kind");
    }, py::arg("state"), "Rebuild a filter from state bytes: returns (filter object, annotation bytes).");
}

}  // namespace tsquash::bindings
