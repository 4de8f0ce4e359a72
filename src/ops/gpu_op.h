// Pushing an op that runs on a GPU (docs/architecture.md, "GPU lanes and fences"). The op
// goes to one of the GPU's lanes; its worker, when the engine says the op may run, makes the
// lane's stream wait for the fences of the storages the op touches, enqueues the op's work
// (a CUDA launch, or the host kernel on a simulated GPU), records one event and leaves it
// as the new fence of those storages. For the engine the op is then done: later GPU ops
// order themselves on the GPU through the fences, host waits wait for the events.
#pragma once

#include <functional>
#include <vector>

#include "array/array_impl.h"
#include "ndflow/engine.h"

namespace ndflow::detail {

// Launches an op's CUDA kernels on `stream` (a cudaStream_t).
using CudaLaunch = std::function<void(void* stream)>;
using HostKernel = std::function<void()>;

// Pushes an op on the lane of `kind` of GPU `device`. `host` runs on simulated GPUs, `cuda`
// on CUDA ones, and on simulated ones under NDFLOW_SIMULATED_GPU_KERNELS=cuda (given
// cuda::host_stream() for its stream). Where the GPUs run CUDA kernels, an op with no `cuda`
// is refused at once (DeviceError).
void push_gpu_kernel(const char* name, VarList reads, std::vector<GpuStorage*> read_gpu,
                     VarList writes, std::vector<GpuStorage*> write_gpu, Device device,
                     HostKernel host, CudaLaunch cuda);

// copy_to between a GPU and the host or between GPUs: `src` and `out` are contiguous, of
// one shape and dtype, at least one on a GPU. A copy that reads or writes host memory is
// done (for the engine) only when it has run, so host memory is never reused or read early.
void push_gpu_copy(const Array& src, const Array& out);

}  // namespace ndflow::detail
