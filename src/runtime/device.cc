#include "ndflow/device.h"

namespace ndflow {

std::string Device::to_string() const {
  return (type == DeviceType::kCPU ? "cpu(" : "gpu(") + std::to_string(index) + ")";
}

int num_gpus() { return 0; }  // no GPU backend in this build yet

}  // namespace ndflow
