// Each register_*.cpp adds one area of the C++ core to the tsquash._core module.
#pragma once
#include <pybind11/pybind11.h>

namespace tsquash::bindings {

void register_errors(pybind11::module_& m);
void register_codecs(pybind11::module_& m);
void register_filters(pybind11::module_& m);
void register_downsample(pybind11::module_& m);

}  // namespace tsquash::bindings
