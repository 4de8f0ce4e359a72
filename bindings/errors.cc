// ndflow's C++ errors as the Python exceptions NumPy users expect. The message is the C++
// one, unchanged. nanobind already maps std::invalid_argument (ShapeError, AxisError) to
// ValueError and other std::exceptions (DeviceError, kernel failures) to RuntimeError.
#include <nanobind/nanobind.h>

#include "module.h"
#include "ndflow/engine.h"
#include "ndflow/error.h"

namespace ndflow::python {

void bind_errors(nb::module_&) {
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const ndflow::IndexError& e) {
      PyErr_SetString(PyExc_IndexError, e.what());
    } catch (const ndflow::DTypeError& e) {
      PyErr_SetString(PyExc_TypeError, e.what());
    } catch (const ndflow::DeadlockError& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
}

}  // namespace ndflow::python
