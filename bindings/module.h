// The pieces of the _ndflow extension module, one registration function per file.
#pragma once

#include <nanobind/nanobind.h>

namespace ndflow::python {

namespace nb = nanobind;

void bind_errors(nb::module_& m);     // errors.cc
void bind_runtime(nb::module_& m);    // runtime.cc: devices, barriers, profiler, engine facts
void bind_ndarray(nb::module_& m);    // ndarray.cc: the array class and its operators
void bind_functions(nb::module_& m);  // functions.cc: creation, random, math, joins
void bind_dlpack(nb::module_& m);     // dlpack.cc: __dlpack__ and from_dlpack

}  // namespace ndflow::python
