#include "backends/cpu/blas.h"

#include <cblas.h>

#include <mutex>

namespace ndflow::detail {

void blas_init() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

std::string blas_config() {
  const char* config = openblas_get_config();
  return config ? config : "OpenBLAS";
}

}  // namespace ndflow::detail
