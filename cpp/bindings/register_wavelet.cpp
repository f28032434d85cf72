// The discrete wavelet transform. tsquash.wavelet validates and reshapes the input (any axis becomes the last of
// a C-contiguous float64 2-D array); these bindings run the C++ transform over the rows with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "register.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/wavelet/dwt.hpp"
#include "tsquash/wavelet/streaming.hpp"

namespace py = pybind11;
using namespace tsquash::wavelet;

namespace tsquash::bindings {
namespace {

using Rows = py::array_t<double, py::array::c_style>;

void check_rows(const Rows& a, const char* what) {
    if (a.ndim() != 2) throw InvalidArgument(std::string(what) + ": expected a 2-D array (rows, samples)");
}

py::array_t<double> new_rows(size_t rows, size_t n) {
    return py::array_t<double>({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(n)});
}

py::array_t<double> to_array(const std::vector<double>& v) {
    py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
    std::copy(v.begin(), v.end(), out.mutable_data());
    return out;
}

// Scratch space kept per thread between calls, so transforms of up to about two million samples reuse warm
// memory instead of faulting in fresh pages on every call; larger buffers are handed back after the call
// rather than held.
class CachedWorkspace {
public:
    CachedWorkspace() : ws_(cache()) {}
    ~CachedWorkspace() {
        if (ws_.capacity() > kKeep) ws_ = Workspace();
    }
    Workspace& get() { return ws_; }

private:
    static constexpr size_t kKeep = size_t(1) << 20;  // doubles per buffer (8 MiB)
    static Workspace& cache() {
        thread_local Workspace ws;
        return ws;
    }
    Workspace& ws_;
};

py::tuple dwt_rows(const Rows& x, const std::string& name, const std::string& mode_s) {
    check_rows(x, "data");
    const Wavelet& w = tsquash::wavelet::wavelet(name);
    const Mode mode = parse_mode(mode_s);
    const size_t rows = size_t(x.shape(0)), n = size_t(x.shape(1));
    const size_t m = dwt_coeff_len(n, w.length(), mode);
    auto ca = new_rows(rows, m), cd = new_rows(rows, m);
    const double* px = x.data();
    double *pa = ca.mutable_data(), *pd = cd.mutable_data();
    {
        py::gil_scoped_release nogil;
        for (size_t r = 0; r < rows; ++r)
            dwt({px + r * n, n}, w, mode, {pa + r * m, m}, {pd + r * m, m});
    }
    return py::make_tuple(ca, cd);
}

py::array_t<double> idwt_rows(const std::optional<Rows>& ca, const std::optional<Rows>& cd, const std::string& name,
                              const std::string& mode_s) {
    if (!ca && !cd) throw InvalidArgument("idwt: cA and cD cannot both be None");
    if (ca) check_rows(*ca, "cA");
    if (cd) check_rows(*cd, "cD");
    if (ca && cd && (ca->shape(0) != cd->shape(0) || ca->shape(1) != cd->shape(1)))
        throw InvalidArgument("idwt: cA and cD must have the same shape");
    const Wavelet& w = tsquash::wavelet::wavelet(name);
    const Mode mode = parse_mode(mode_s);
    const Rows& ref = ca ? *ca : *cd;
    const size_t rows = size_t(ref.shape(0)), n = size_t(ref.shape(1));
    const size_t len = idwt_len(n, w.length(), mode);
    auto y = new_rows(rows, len);
    const double* pa = ca ? ca->data() : nullptr;
    const double* pd = cd ? cd->data() : nullptr;
    double* py_ = y.mutable_data();
    {
        py::gil_scoped_release nogil;
        for (size_t r = 0; r < rows; ++r)
            idwt(pa ? std::span<const double>(pa + r * n, n) : std::span<const double>(),
                 pd ? std::span<const double>(pd + r * n, n) : std::span<const double>(), w, mode,
                 {py_ + r * len, len});
    }
    return y;
}

py::list wavedec_rows(const Rows& x, const std::string& name, const std::string& mode_s, int level) {
    check_rows(x, "data");
    const Wavelet& w = tsquash::wavelet::wavelet(name);
    const Mode mode = parse_mode(mode_s);
    const size_t rows = size_t(x.shape(0)), n = size_t(x.shape(1));
    const std::vector<size_t> lengths = wavedec_lengths(n, w.length(), mode, level);
    std::vector<py::array_t<double>> arrays;
    std::vector<double*> ptrs;
    for (size_t l : lengths) {
        arrays.push_back(new_rows(rows, l));
        ptrs.push_back(arrays.back().mutable_data());
    }
    const double* px = x.data();
    {
        py::gil_scoped_release nogil;
        CachedWorkspace cached;
        Workspace& ws = cached.get();
        std::vector<std::span<double>> bands(lengths.size());
        for (size_t r = 0; r < rows; ++r) {
            for (size_t b = 0; b < lengths.size(); ++b) bands[b] = {ptrs[b] + r * lengths[b], lengths[b]};
            wavedec({px + r * n, n}, w, mode, level, bands, ws);
        }
    }
    py::list out;
    for (auto& a : arrays) out.append(a);
    return out;
}

py::array_t<double> waverec_rows(const std::vector<Rows>& coeffs, const std::string& name, const std::string& mode_s) {
    if (coeffs.empty()) throw InvalidArgument("waverec: no coefficient bands");
    const Wavelet& w = tsquash::wavelet::wavelet(name);
    const Mode mode = parse_mode(mode_s);
    std::vector<size_t> lengths;
    const size_t rows = size_t(coeffs[0].ndim() == 2 ? coeffs[0].shape(0) : 0);
    for (const Rows& c : coeffs) {
        check_rows(c, "coefficient band");
        if (size_t(c.shape(0)) != rows) throw InvalidArgument("waverec: the bands have different numbers of rows");
        lengths.push_back(size_t(c.shape(1)));
    }
    const size_t len = waverec_len(lengths, w.length(), mode);
    auto y = new_rows(rows, len);
    std::vector<const double*> ptrs;
    for (const Rows& c : coeffs) ptrs.push_back(c.data());
    double* py_ = y.mutable_data();
    {
        py::gil_scoped_release nogil;
        CachedWorkspace cached;
        Workspace& ws = cached.get();
        std::vector<std::span<const double>> bands(lengths.size());
        for (size_t r = 0; r < rows; ++r) {
            for (size_t b = 0; b < lengths.size(); ++b) bands[b] = {ptrs[b] + r * lengths[b], lengths[b]};
            waverec(bands, w, mode, {py_ + r * len, len}, ws);
        }
    }
    return y;
}

py::array_t<double> matrix(size_t n, const std::string& name, const std::string& mode_s, int level, bool synthesis) {
    const Wavelet& w = tsquash::wavelet::wavelet(name);
    const Mode mode = parse_mode(mode_s);
    const std::vector<size_t> lengths = wavedec_lengths(n, w.length(), mode, level);
    size_t total = 0;
    for (size_t l : lengths) total += l;
    std::vector<double> m;
    {
        py::gil_scoped_release nogil;
        m = synthesis ? synthesis_matrix(n, w, mode, level) : analysis_matrix(n, w, mode, level);
    }
    auto out = synthesis ? new_rows(n, total) : new_rows(total, n);
    std::copy(m.begin(), m.end(), out.mutable_data());
    return out;
}

class PyStream {
public:
    PyStream(const std::string& name, const std::string& mode, int level) : s_(name, parse_mode(mode), level) {}
    explicit PyStream(StreamingDwt s) : s_(std::move(s)) {}

    py::list push(const py::array_t<double, py::array::c_style>& x) {
        if (x.ndim() != 1) throw InvalidArgument("push: expected a 1-D array");
        std::vector<std::vector<double>> bands;
        {
            py::gil_scoped_release nogil;
            std::lock_guard<std::mutex> lock(mu_);
            s_.push({x.data(), size_t(x.shape(0))}, bands);
        }
        return to_list(bands);
    }
    py::list finish() {
        std::vector<std::vector<double>> bands;
        {
            std::lock_guard<std::mutex> lock(mu_);
            s_.finish(bands);
        }
        return to_list(bands);
    }
    py::bytes state() {
        std::lock_guard<std::mutex> lock(mu_);
        const std::vector<uint8_t> b = s_.state();
        return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
    }
    static std::unique_ptr<PyStream> restore(const py::bytes& b) {
        const std::string_view v(b);
        return std::make_unique<PyStream>(
            StreamingDwt::restore(reinterpret_cast<const uint8_t*>(v.data()), v.size()));
    }
    std::string wavelet_name() const { return s_.wavelet().name; }
    std::string mode() const { return mode_name(s_.mode()); }
    int level() const { return s_.level(); }
    uint64_t samples_in() const { return s_.samples_in(); }
    bool finished() const { return s_.finished(); }

private:
    py::list to_list(const std::vector<std::vector<double>>& bands) {
        py::list out;
        for (const auto& b : bands) out.append(to_array(b));
        return out;
    }
    StreamingDwt s_;
    std::mutex mu_;
};

}  // namespace

void register_wavelet(py::module_& m) {
    m.def("wavelet_names", [] { return wavelet_names(); });
    m.def("wavelet_modes", [] {
        std::vector<std::string> names;
        for (Mode md : kAllModes) names.push_back(mode_name(md));
        return names;
    });
    m.def("wavelet_filters", [](const std::string& name) {
        const Wavelet& w = tsquash::wavelet::wavelet(name);
        return py::make_tuple(w.family, w.order, w.dec_lo, w.dec_hi, w.rec_lo, w.rec_hi);
    });
    m.def("wavelet_dwt", &dwt_rows, py::arg("x"), py::arg("wavelet"), py::arg("mode"));
    m.def("wavelet_idwt", &idwt_rows, py::arg("ca"), py::arg("cd"), py::arg("wavelet"), py::arg("mode"));
    m.def("wavelet_wavedec", &wavedec_rows, py::arg("x"), py::arg("wavelet"), py::arg("mode"), py::arg("level"));
    m.def("wavelet_waverec", &waverec_rows, py::arg("coeffs"), py::arg("wavelet"), py::arg("mode"));
    m.def("wavelet_dwt_coeff_len", [](size_t n, size_t f, const std::string& mode) {
        return dwt_coeff_len(n, f, parse_mode(mode));
    });
    m.def("wavelet_dwt_max_level", [](size_t n, size_t f) { return dwt_max_level(n, f); });
    m.def("wavelet_matrix", &matrix, py::arg("n"), py::arg("wavelet"), py::arg("mode"), py::arg("level"),
          py::arg("synthesis"));
    m.def("wavelet_set_piecewise_threshold", &detail::set_piecewise_threshold, py::arg("samples"));
    py::class_<PyStream>(m, "WaveletStream")
        .def(py::init<const std::string&, const std::string&, int>(), py::arg("wavelet"), py::arg("mode"),
             py::arg("level"))
        .def("push", &PyStream::push)
        .def("finish", &PyStream::finish)
        .def("state", &PyStream::state)
        .def_static("restore", &PyStream::restore)
        .def_property_readonly("wavelet", &PyStream::wavelet_name)
        .def_property_readonly("mode", &PyStream::mode)
        .def_property_readonly("level", &PyStream::level)
        .def_property_readonly("samples_in", &PyStream::samples_in)
        .def_property_readonly("finished", &PyStream::finished);
}

}  // namespace tsquash::bindings
