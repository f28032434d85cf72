// tsquash._learned: the LibTorch models, in a module of their own so tsquash._core builds and imports
// without LibTorch.
#include "register.hpp"

PYBIND11_MODULE(_learned, m) {
    m.doc() = "tsquash LibTorch models (private; use tsquash.autoencoder)";
    tsquash::bindings::register_learned(m);
    tsquash::bindings::register_learned_downsample(m);
}
