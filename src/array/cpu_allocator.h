// Host memory for arrays: 64-byte aligned blocks in power-of-two size classes, kept for
// reuse after release (an array program frees and reallocates the same sizes constantly).
#pragma once

#include <cstddef>

namespace ndflow::detail {

void* cpu_alloc(std::size_t bytes);
void cpu_free(void* p, std::size_t bytes) noexcept;

}  // namespace ndflow::detail
