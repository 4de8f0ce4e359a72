#include "ndflow/device.h"

namespace ndflow {

std::string Device::to_string() const {
  return (type == DeviceType::kCPU ? "cpu(" : "gpu(") + std::to_string(index) + ")";
}

}  // namespace ndflow
