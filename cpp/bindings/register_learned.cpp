// The autoencoder for tsquash.autoencoder. Argument checking and dtype conversion happen in Python; these
// bindings insist on C-contiguous float32 arrays of the right width, and train and infer with the GIL
// released (the per-epoch callback takes it back).
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <string>
#include <string_view>

#include "register.hpp"
#include "tsquash/errors.hpp"
#include "tsquash/learned/autoencoder.hpp"

namespace py = pybind11;
using namespace tsquash::learned;

namespace tsquash::bindings {
namespace {

template <class E>
E parse_name(const std::string& name, std::initializer_list<std::pair<const char*, E>> names, const char* what) {
    std::string known;
    for (const auto& [n, v] : names) {
        if (name == n) return v;
        known += known.empty() ? n : std::string(", ") + n;
    }
    throw py::value_error(std::string("unknown ") + what + " '" + name + "' (known: " + known + ")");
}

Kind parse_kind(const std::string& s) { return parse_name<Kind>(s, {{"dense", Kind::dense}, {"conv", Kind::conv}}, "kind"); }
const char* kind_name(Kind k) { return k == Kind::conv ? "conv" : "dense"; }

constexpr std::pair<const char*, Activation> activation_names[] = {
    {"leaky_relu", Activation::leaky_relu}, {"relu", Activation::relu}, {"tanh", Activation::tanh}, {"elu", Activation::elu}};

Activation parse_activation(const std::string& s) {
    return parse_name<Activation>(s, {activation_names[0], activation_names[1], activation_names[2], activation_names[3]}, "activation");
}
const char* activation_name(Activation a) {
    for (const auto& [n, v] : activation_names)
        if (v == a) return n;
    return "?";
}

Schedule parse_schedule(const std::string& s) {
    return parse_name<Schedule>(s, {{"plateau", Schedule::plateau}, {"cosine", Schedule::cosine}, {"constant", Schedule::constant}},
                                "lr_schedule");
}

// A C-contiguous float32 array of shape (n, width).
const float* rows_of(const py::array& a, int64_t width, const char* what, int64_t& n) {
    if (!a.dtype().equal(py::dtype::of<float>()))
        throw py::type_error(std::string(what) + ": expected float32, got " + std::string(py::str(a.dtype())));
    if (a.ndim() != 2 || a.shape(1) != width)
        throw py::value_error(std::string(what) + ": expected shape (n, " + std::to_string(width) + ")");
    if (!(a.flags() & py::array::c_style)) throw py::value_error(std::string(what) + ": expected a C-contiguous array");
    n = a.shape(0);
    return static_cast<const float*>(a.data());
}

py::array_t<float> new_rows(int64_t n, int64_t width) { return py::array_t<float>({n, width}); }

// tsquash._core.CorruptStreamError, held for the life of the process (translators cannot capture).
PyObject* g_corrupt_type = nullptr;

}  // namespace

void register_learned(py::module_& m) {
    // Errors from the C++ core cross as the same Python types tsquash._core uses.
    g_corrupt_type = py::object(py::module_::import("tsquash._core").attr("CorruptStreamError")).release().ptr();
    py::register_local_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const CorruptStream& e) {
            PyErr_SetString(g_corrupt_type, e.what());
        } catch (const TypeMismatch& e) {
            PyErr_SetString(PyExc_TypeError, e.what());
        } catch (const InvalidArgument& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });

    py::class_<AutoEncoder>(m, "AutoEncoder")
        .def(py::init([](const std::string& kind, std::vector<int64_t> input_shape, std::vector<int64_t> layers,
                         std::vector<int64_t> channels, int64_t latent, const std::string& activation, uint64_t seed,
                         bool linear) {
                 Architecture a;
                 a.kind = parse_kind(kind);
                 a.input_shape = std::move(input_shape);
                 a.layers = std::move(layers);
                 a.channels = std::move(channels);
                 a.latent = latent;
                 a.activation = parse_activation(activation);
                 a.linear = linear;
                 return AutoEncoder(a, seed);
             }),
             py::arg("kind"), py::arg("input_shape"), py::arg("layers"), py::arg("channels"), py::arg("latent"),
             py::arg("activation"), py::arg("seed"), py::arg("linear") = false)
        .def(
            "init_pca",
            [](AutoEncoder& ae, const py::array& x) {
                int64_t n = 0;
                const float* data = rows_of(x, ae.sample_size(), "x", n);
                py::gil_scoped_release nogil;
                ae.init_pca(data, n);
            },
            py::arg("x"))
        .def(
            "fit",
            [](AutoEncoder& ae, const py::array& x, int64_t epochs, int64_t batch_size, double lr, double val_fraction,
               int64_t patience, const std::string& schedule, int threads, const py::object& callback, double latent_step,
               const std::string& loss, double linear_lr) {
                int64_t n = 0;
                const float* data = rows_of(x, ae.sample_size(), "x", n);
                TrainOptions opt;
                opt.epochs = epochs;
                opt.batch_size = batch_size;
                opt.lr = lr;
                opt.val_fraction = val_fraction;
                opt.patience = patience;
                opt.schedule = parse_schedule(schedule);
                opt.threads = threads;
                opt.latent_step = latent_step;
                opt.linear_lr = linear_lr;
                opt.loss = parse_name<Loss>(loss, {{"mse", Loss::mse}, {"l1", Loss::l1}}, "loss");
                // Runs on the training thread: takes the GIL for the Python callback and to let Ctrl-C
                // (KeyboardInterrupt) stop training between epochs.
                EpochCallback on_epoch = [&callback](const EpochReport& r) {
                    py::gil_scoped_acquire gil;
                    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
                    if (callback.is_none()) return true;
                    const py::object res = callback(r.epoch, r.loss, r.val_loss, r.lr);
                    return !res.is(py::bool_(false));
                };
                TrainHistory h;
                {
                    py::gil_scoped_release nogil;
                    h = ae.fit(data, n, opt, on_epoch);
                }
                py::dict out;
                out["loss"] = h.loss;
                out["val_loss"] = h.val_loss;
                out["lr"] = h.lr;
                out["epochs_run"] = h.epochs_run;
                out["best_epoch"] = h.best_epoch;
                out["seconds"] = h.seconds;
                out["stopped"] = h.stopped_by_callback;
                out["initial_val_loss"] = h.initial_val_loss;
                return out;
            },
            py::arg("x"), py::arg("epochs"), py::arg("batch_size"), py::arg("lr"), py::arg("val_fraction"),
            py::arg("patience"), py::arg("lr_schedule"), py::arg("threads"), py::arg("callback"), py::arg("latent_step") = 0.0,
            py::arg("loss") = "mse", py::arg("linear_lr") = 0.1)
        .def(
            "encode",
            [](const AutoEncoder& ae, const py::array& x, int threads) {
                int64_t n = 0;
                const float* data = rows_of(x, ae.sample_size(), "x", n);
                auto z = new_rows(n, ae.architecture().latent);
                float* out = z.mutable_data();
                py::gil_scoped_release nogil;
                ae.encode(data, n, out, threads);
                return z;
            },
            py::arg("x"), py::arg("threads"))
        .def(
            "decode",
            [](const AutoEncoder& ae, const py::array& z, int threads) -> py::array {
                if (z.dtype().equal(py::dtype::of<double>())) {
                    const int64_t latent = ae.architecture().latent;
                    if (z.ndim() != 2 || z.shape(1) != latent || !(z.flags() & py::array::c_style))
                        throw py::value_error("z: expected a C-contiguous array of shape (n, " + std::to_string(latent) + ")");
                    const int64_t n = z.shape(0);
                    py::array_t<double> x({n, ae.sample_size()});
                    double* out = x.mutable_data();
                    const double* data = static_cast<const double*>(z.data());
                    py::gil_scoped_release nogil;
                    ae.decode(data, n, out, threads);
                    return std::move(x);
                }
                int64_t n = 0;
                const float* data = rows_of(z, ae.architecture().latent, "z", n);
                auto x = new_rows(n, ae.sample_size());
                float* out = x.mutable_data();
                py::gil_scoped_release nogil;
                ae.decode(data, n, out, threads);
                return x;
            },
            py::arg("z"), py::arg("threads"))
        .def("to_bytes",
             [](const AutoEncoder& ae) {
                 std::vector<uint8_t> b;
                 {
                     // Waits for a fit running in another thread, whose callback needs the GIL.
                     py::gil_scoped_release nogil;
                     b = ae.to_bytes();
                 }
                 return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
             })
        .def_static(
            "from_bytes",
            [](const py::bytes& b) {
                const std::string_view v = b;
                return AutoEncoder::from_bytes(reinterpret_cast<const uint8_t*>(v.data()), v.size());
            },
            py::arg("data"))
        .def_property_readonly("kind", [](const AutoEncoder& ae) { return kind_name(ae.architecture().kind); })
        .def_property_readonly("input_shape", [](const AutoEncoder& ae) { return py::tuple(py::cast(ae.architecture().input_shape)); })
        .def_property_readonly("layers", [](const AutoEncoder& ae) { return py::tuple(py::cast(ae.architecture().layers)); })
        .def_property_readonly("channels", [](const AutoEncoder& ae) { return py::tuple(py::cast(ae.architecture().channels)); })
        .def_property_readonly("latent", [](const AutoEncoder& ae) { return ae.architecture().latent; })
        .def_property_readonly("activation", [](const AutoEncoder& ae) { return activation_name(ae.architecture().activation); })
        .def_property_readonly("linear", [](const AutoEncoder& ae) { return ae.architecture().linear; })
        .def_property_readonly("sample_size", &AutoEncoder::sample_size)
        .def_property_readonly("n_parameters", &AutoEncoder::n_parameters)
        .def_property_readonly("trained", &AutoEncoder::trained);
}

}  // namespace tsquash::bindings
