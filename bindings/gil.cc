#include "gil.h"

#include <atomic>

#include "module.h"
#include "ndflow/blocked_push.h"

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

namespace {

// Thrown by the check below to end a blocked push's wait.
struct CtrlCPending {};

// With the GIL held, on the main thread: whether Ctrl-C came. Python's handler has not run
// yet, and this consumes the signal, so it is sent again: the handler then runs (raising
// KeyboardInterrupt, say) as soon as the interpreter looks, once the push has returned.
bool ctrl_c_pending() {
  if (!PyOS_InterruptOccurred()) return false;
  PyErr_SetInterrupt();
  return true;
}

void end_wait_if_ctrl_c_pending() {
  if (python_finalizing()) return;
  nb::gil_scoped_acquire gil;
  if (ctrl_c_pending()) throw CtrlCPending();
}

bool run_blocked_push(BlockedPush& push) noexcept {
  // Not a thread of Python's holding the GIL (a C++ thread, or one inside without_gil), or
  // an interpreter on its way out: nothing to let go of.
  if (!holds_gil() || python_finalizing()) {
    push.wait();
    return true;
  }
  if (!on_main_thread()) {
    without_gil([&push] { push.wait(); });
    return true;
  }
  if (ctrl_c_pending()) return false;  // already pressed: the rest of this call goes through
  try {
    WaitInterruption interruption(&end_wait_if_ctrl_c_pending, kSignalCheckPeriod);
    without_gil([&] { push.wait(&interruption); });
    return true;
  } catch (const CtrlCPending&) {
    return false;
  }
}

}  // namespace

void install_blocked_push_hook() { set_blocked_push_hook(&run_blocked_push); }

}  // namespace ndflow::python
