// Running blocking C++ without the GIL.
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

namespace ndflow::python {

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

}  // namespace ndflow::python
