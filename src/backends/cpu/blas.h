// OpenBLAS inside ndflow: one thread per call, since ndflow splits large products across
// its own workers (docs/threading.md).
#pragma once

#include <string>

namespace ndflow::detail {

// Sets OpenBLAS to one thread the first time it is called; cheap afterwards. Call before
// any BLAS routine.
void blas_init();

// OpenBLAS's description of its build ("OpenBLAS 0.3.21 DYNAMIC_ARCH ... Zen MAX_THREADS=64").
std::string blas_config();

}  // namespace ndflow::detail
