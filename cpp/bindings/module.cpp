#include "register.hpp"

PYBIND11_MODULE(_core, m) {
    m.doc() = "tsquash C++ core (private; use the tsquash package)";
    tsquash::bindings::register_errors(m);
    tsquash::bindings::register_codecs(m);
    tsquash::bindings::register_filters(m);
    tsquash::bindings::register_wavelet(m);
    tsquash::bindings::register_pca(m);
    tsquash::bindings::register_downsample(m);
}
