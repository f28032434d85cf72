#include "register.hpp"
#include "tsquash/errors.hpp"

namespace py = pybind11;

namespace tsquash::bindings {

void register_errors(py::module_& m) {
    auto& corrupt = py::register_exception<CorruptStream>(m, "CorruptStreamError", PyExc_ValueError);
    corrupt.doc() =
        "The bytes are not a valid tsquash stream: truncated, corrupted, or of an unknown format version.";
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const TypeMismatch& e) {
            PyErr_SetString(PyExc_TypeError, e.what());
        } catch (const InvalidArgument& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });
}

}  // namespace tsquash::bindings
