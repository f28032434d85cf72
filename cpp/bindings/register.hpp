// Each register_*.cpp adds one area of the C++ core to the tsquash._core module.
#pragma once
#include <pybind11/pybind11.h>

namespace tsquash::bindings {

void register_errors(pybind11::module_& m);
void register_codecs(pybind11::module_& m);
void register_filters(pybind11::module_& m);
void register_learned(pybind11::module_& m);  // tsquash._learned, built only with LibTorch
void register_learned_downsample(pybind11::module_& m);  // tsquash._learned too
void register_wavelet(pybind11::module_& m);
void register_pca(pybind11::module_& m);
void register_wavelet(pybind11::module_& m);
void register_downsample(pybind11::module_& m);

}  // namespace tsquash::bindings
