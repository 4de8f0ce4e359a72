// The exit handler that finishes pending GPU work (gpu_device.cc), and keeping it ahead of
// every CUDA runtime's teardown.
//
// Exit handlers run last-registered first, and a CUDA runtime registers its teardown when it
// starts. ndflow's own runtime starts with the GPU list, just before the handler is
// registered. But cuBLAS, cuBLASLt and cuRAND each carry a runtime of their own, linked in
// statically (their shared libraries import no libcudart), which may start only at the
// library's first call: on a lane worker, later. Its teardown would then run before the
// handler, and matmuls still pending at exit would call into a torn-down library. So the
// kernels register the handler again after each library's first call. Running it more than
// once is harmless: it only waits.
#pragma once

#include <mutex>

namespace ndflow::detail {

// Registers `handler` with std::atexit now and remembers it for the calls below.
void register_gpu_exit_handler(void (*handler)());

// Registers the remembered handler again, once per `library` flag (a static once_flag per
// library); nothing before register_gpu_exit_handler. Call right after a call into a library
// that may have started a CUDA runtime of its own.
void keep_gpu_exit_handler_first(std::once_flag& library) noexcept;

}  // namespace ndflow::detail
