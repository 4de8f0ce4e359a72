// The _ndflow extension module: ndflow's C++ API for the Python package (python/ndflow).
// Conversion and GIL handling only; every waiting call releases the GIL (gil.h), and on the
// main thread Ctrl-C ends it.
#include "module.h"
#include "gil.h"

NB_MODULE(_ndflow, m) {
  m.doc() = "ndflow's C++ core; use it through `from ndflow import np, npx`.";
  ndflow::python::remember_main_thread();
  ndflow::python::install_blocked_push_hook();
  ndflow::python::bind_errors(m);
  ndflow::python::bind_runtime(m);  // Device first: the others take devices as arguments
  ndflow::python::bind_ndarray(m);
  ndflow::python::bind_functions(m);
  ndflow::python::bind_dlpack(m);
}
