// Device: where memory lives and work runs. A small, hashable value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace ndflow {

enum class DeviceType : std::uint8_t { kCPU = 0, kGPU = 1 };

struct Device {
  DeviceType type = DeviceType::kCPU;
  std::int16_t index = 0;

  static constexpr Device cpu(int i = 0) noexcept {
    return Device{DeviceType::kCPU, static_cast<std::int16_t>(i)};
  }
  static constexpr Device gpu(int i = 0) noexcept {
    return Device{DeviceType::kGPU, static_cast<std::int16_t>(i)};
  }
  constexpr bool is_cpu() const noexcept { return type == DeviceType::kCPU; }
  constexpr bool operator==(const Device&) const noexcept = default;

  // "cpu(0)", "gpu(1)": the spelling the chapters and error messages use.
  std::string to_string() const;
};

// GPUs this build can use: 0 when it has no GPU backend or none is visible.
int num_gpus();

}  // namespace ndflow

template <>
struct std::hash<ndflow::Device> {
  std::size_t operator()(const ndflow::Device& d) const noexcept {
    return (static_cast<std::size_t>(d.type) << 16) ^ static_cast<std::uint16_t>(d.index);
  }
};
