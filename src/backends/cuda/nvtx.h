// NVTX ranges named after ops, around the issuing of GPU ops' work: Nsight Systems shows each
// op on the lane worker that issued it and, projected through the launches, on the stream
// that ran it. NVTX is header-only; until a tool attaches (NVTX_INJECTION64_PATH) a range
// costs a check of a function pointer. Builds without CUDA have no NVTX: ranges are no-ops.
#pragma once

#if NDFLOW_HAS_CUDA
#include <nvtx3/nvToolsExt.h>
#endif

namespace ndflow::detail {

// Loads NVTX's tool (if one is attached) now. Call it before starting the threads that push
// ranges: NVTX's lazy first-use initialisation reads its state with a plain load, which
// ThreadSanitizer reports as a race when two workers push their first ranges at once.
inline void initialize_nvtx() noexcept {
#if NDFLOW_HAS_CUDA
  nvtxInitialize(nullptr);
#endif
}

class NvtxRange {
 public:
  explicit NvtxRange(const char* name) noexcept {
#if NDFLOW_HAS_CUDA
    nvtxRangePushA(name);
#else
    (void)name;
#endif
  }
  ~NvtxRange() {
#if NDFLOW_HAS_CUDA
    nvtxRangePop();
#endif
  }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;
};

}  // namespace ndflow::detail
