// Byte counts: as people write them in environment variables (NDFLOW_GPU_MEMORY_LIMIT,
// NDFLOW_MAX_INFLIGHT_BYTES), and the machine's memory, which defaults are fractions of.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace ndflow::detail {

// Parses a byte count: a whole number, optionally followed by K, M, G, KiB, MiB or GiB
// (any case, space allowed before the suffix). K/M/G mean powers of 1024 like their KiB
// spellings: a memory limit in powers of 1000 is rarely what anyone means. Throws
// std::invalid_argument saying what was expected for anything else, zero included.
std::size_t parse_byte_size(std::string_view text);

// The environment variable `name` parsed with parse_byte_size, or nullopt when it is unset
// or empty. Throws std::invalid_argument naming the variable when its value does not parse.
std::optional<std::size_t> byte_size_from_env(const char* name);

// The machine's physical memory, or 8 GiB where the system does not say.
std::size_t physical_memory_bytes() noexcept;

}  // namespace ndflow::detail
