#include "gil.h"

#include <atomic>

#include "module.h"

namespace ndflow::python {

namespace {
std::atomic<unsigned long> g_main_thread{0};
}  // namespace

void remember_main_thread() {
  const nb::object main = nb::module_::import_("threading").attr("main_thread")();
  g_main_thread.store(nb::cast<unsigned long>(main.attr("ident")), std::memory_order_relaxed);
}

bool on_main_thread() {
  return PyThread_get_thread_ident() == g_main_thread.load(std::memory_order_relaxed);
}

void run_python_signal_handlers() {
  if (python_finalizing()) return;  // no handlers run then; taking the GIL could end us
  nb::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw nb::python_error();
}

}  // namespace ndflow::python
