// OpenBLAS held at one thread per call (blas.h, docs/threading.md).
#include "backends/cpu/blas.h"

#include <cblas.h>

#include <mutex>

// OpenBLAS's pthreads build starts its own thread pool when it loads, and those threads
// busy-wait for work for a while (OPENBLAS_THREAD_TIMEOUT, about 0.1 s) before sleeping.
// ndflow never gives them work, so they only take cores from ndflow's workers: a
// 1000x1000 product in a process's first moments took 20 ms instead of 10. This stops
// the pool; a one-thread call runs on the calling thread and does not restart it.
extern "C" void blas_thread_shutdown_(void);

namespace ndflow::detail {

void blas_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    openblas_set_num_threads(1);
    blas_thread_shutdown_();
  });
}

std::string blas_config() {
  const char* config = openblas_get_config();
  return config ? config : "OpenBLAS";
}

}  // namespace ndflow::detail
