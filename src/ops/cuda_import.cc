// copy_from_cuda_memory (array.h): other CUDA libraries' memory copied onto an ndflow GPU,
// for DLPack imports. A copy, not a wrap: ndflow's fences and caching allocator order and
// reuse only its own blocks, and the copy is waited for, so the producer may release its
// memory as soon as this returns.
#include <string>

#include "array/array_impl.h"
#include "ndflow/array.h"
#include "ndflow/device.h"
#include "ndflow/error.h"
#include "ops/cuda_launch.h"
#include "ops/launch.h"

namespace ndflow {

Array copy_from_cuda_memory(const void* data, const Shape& shape, const Shape& strides, DType dtype,
                            Device device) {
  const std::string op = "ndflow: copy_from_cuda_memory: ";
  if (device.is_cpu())
    throw DeviceError(op + "copies onto a CUDA GPU, not onto " + device.to_string());
  const int ordinal = gpu_cuda_ordinal(device.index);  // throws for a GPU that does not exist
  if (ordinal < 0)
    throw DeviceError(op + device.to_string() +
                      " is a simulated GPU, which cannot read CUDA memory; copy to the host "
                      "first");
  if (strides.ndim() != shape.ndim())
    throw ShapeError(op + "strides " + strides.to_string() + " do not match shape " +
                     shape.to_string());
  Array out = detail::new_array(shape, dtype, device);
  if (shape.numel() == 0) return out;
  if (const int owner = detail::cuda_device_of_pointer(data); owner != ordinal)
    throw DeviceError(op + "the data is not memory of " + device.to_string() + "'s CUDA device " +
                      std::to_string(ordinal) +
                      (owner < 0 ? " (CUDA knows it as no device's memory)"
                                 : " but of CUDA device " + std::to_string(owner)));
  detail::launch(
      "copy_from_cuda_memory", detail::VarsOf{}, detail::VarsOf{&out}, device, [] {},
      detail::cuda_copy_from_foreign(*out.impl(), data, dtype, strides));
  out.wait_to_read();  // the producer's memory is read by then
  return out;
}

}  // namespace ndflow
