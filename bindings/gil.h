// Running blocking C++ without the GIL, and letting Ctrl-C end a wait.
//
// nb::gil_scoped_release takes the GIL back in a destructor. When the interpreter is
// finalising, a thread that takes the GIL back is ended with pthread_exit, whose forced
// unwind through a (noexcept) destructor aborts the process: a daemon thread blocked in
// wait_to_read at exit would crash it. without_gil instead leaves such a thread asleep, as
// Python leaves its own daemon threads.
#pragma once

#include <Python.h>

#include <chrono>
#include <thread>
#include <utility>

#include "ndflow/wait_interruption.h"

namespace ndflow::python {

// Whether the calling thread holds the GIL. Unlike PyGILState_Check, also right on threads
// Python never saw and once sub-interpreters exist.
inline bool holds_gil() {
#if PY_VERSION_HEX >= 0x030D0000
  return PyThreadState_GetUnchecked() != nullptr;
#else
  return _PyThreadState_UncheckedGet() != nullptr;
#endif
}

inline bool python_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsFinalizing() != 0;
#else
  return _Py_IsFinalizing() != 0;
#endif
}

// Called with the GIL held; runs f() without it and returns f's result (or rethrows).
template <class F>
decltype(auto) without_gil(F&& f) {
  PyThreadState* state = PyEval_SaveThread();
  const auto take_back = [state] {
    while (python_finalizing()) std::this_thread::sleep_for(std::chrono::hours(1));
    PyEval_RestoreThread(state);
  };
  try {
    if constexpr (std::is_void_v<decltype(f())>) {
      std::forward<F>(f)();
      take_back();
    } else {
      auto result = std::forward<F>(f)();
      take_back();
      return result;
    }
  } catch (...) {
    take_back();
    throw;
  }
}

// Notes the calling thread as Python's main thread, the one that runs signal handlers
// (called when the module loads; threading.main_thread() says which it is).
void remember_main_thread();
bool on_main_thread();
// With the GIL released: takes it and runs Python's pending signal handlers; raises what a
// handler raised (KeyboardInterrupt for Ctrl-C) as nb::python_error.
void run_python_signal_handlers();

// Installs the engine's blocked-push hook (ndflow/blocked_push.h). A push that has to wait
// for room (NDFLOW_MAX_INFLIGHT, NDFLOW_MAX_INFLIGHT_BYTES) then waits without the GIL, so
// other Python threads run meanwhile. On the main thread, Ctrl-C ends the wait and admits
// the push over the bound, so that KeyboardInterrupt is raised as soon as the call returns.
// Admitting rather than raising from inside the push leaves no op half pushed: an op that
// pushes pieces, and a release from a destructor, run as pushed.
void install_blocked_push_hook();

// How often a blocked wait on the main thread looks for Ctrl-C: quick enough for a person,
// rare enough that taking the GIL costs nothing measurable.
inline constexpr auto kSignalCheckPeriod = std::chrono::milliseconds(50);

// For the blockers (waitall, wait_to_read, asnumpy, item, print...): runs the wait f() as
// without_gil does, and on the main thread lets Ctrl-C end it, as it ends time.sleep():
// while f blocks, Python's signal handlers run every kSignalCheckPeriod, and the exception
// one raises ends the wait and is raised from it. The awaited ops are not cancelled; a
// later wait finds them done. Other threads wait as before (Python runs handlers on the
// main thread only).
template <class F>
decltype(auto) wait_without_gil(F&& f) {
  if (!on_main_thread()) return without_gil(std::forward<F>(f));
  WaitInterruption interruption(&run_python_signal_handlers, kSignalCheckPeriod);
  return without_gil(std::forward<F>(f));
}

}  // namespace ndflow::python
