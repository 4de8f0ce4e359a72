// OpenBLAS inside ndflow: one thread per call, since ndflow splits large products across
// its own workers (docs/threading.md).
#pragma once

namespace ndflow::detail {

// Sets OpenBLAS to one thread the first time it is called; cheap afterwards. Call before
// any BLAS routine.
void blas_init();

}  // namespace ndflow::detail
