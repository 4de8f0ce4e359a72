// The random array program shared by the engine-mode and GPU differential tests.
#include "array/random_program.h"

#include <random>

#include "array/harness.h"
#include "ndflow/array.h"

namespace ndflow_test {
namespace {

constexpr int kOpsPerProgram = 400;

// Deterministic starting values, so every engine and device sees the same inputs.
Array start_array(std::mt19937_64& rng, const Shape& shape, DType dtype, ndflow::Device device) {
  const Array a = random_array(rng, shape, dtype);
  return device.is_cpu() ? a : a.copy_to(device);
}

// Another device to visit and come back from: the next GPU (or the host) from a GPU.
ndflow::Device elsewhere(ndflow::Device device, bool host) {
  if (host || ndflow::num_gpus() < 2) return ndflow::Device::cpu();
  return ndflow::Device::gpu((device.index + 1) % ndflow::num_gpus());
}

}  // namespace

std::vector<std::vector<double>> run_program(std::uint64_t seed, ndflow::Device device) {
  std::mt19937_64 rng(seed);
  std::vector<Array> pool;
  // Same-shaped float arrays combine freely; a few other shapes exercise broadcasting.
  for (int i = 0; i < 4; ++i) pool.push_back(start_array(rng, {4, 6}, ndflow::kFloat32, device));
  pool.push_back(start_array(rng, {6}, ndflow::kFloat32, device));
  pool.push_back(start_array(rng, {4, 1}, ndflow::kFloat64, device));
  pool.push_back(start_array(rng, {4, 6}, ndflow::kInt32, device));

  auto pick = [&](auto&& accept) -> Array {
    for (int tries = 0; tries < 64; ++tries) {
      const Array& a = pool[rng() % pool.size()];
      if (accept(a)) return a;
    }
    return pool[0];
  };
  // Operands that broadcast with (4,6) to (4,6).
  auto fits_4x6 = [](const Array& a) {
    Shape out;
    return broadcast_shapes(Shape({4, 6}), a.shape(), &out) && out == Shape({4, 6});
  };
  auto is_4x6 = [](const Array& a) { return a.shape() == Shape({4, 6}); };
  auto is_float_4x6 = [](const Array& a) {
    return a.shape() == Shape({4, 6}) && ndflow::is_floating(a.dtype());
  };

  for (int step = 0; step < kOpsPerProgram; ++step) {
    Array out;
    switch (rng() % 14) {
      case 0:
        out = pick(is_4x6) + pick(fits_4x6);
        break;  // also (4,6) with (6,), (4,1)
      case 1:
        out = pick(is_4x6) * pick(is_4x6) - 0.5;
        break;
      case 2:
        out = ndflow::maximum(pick(is_4x6), pick(fits_4x6));
        break;
      case 3:
        out = ndflow::tanh(pick(is_float_4x6));
        break;
      case 4: {  // in place, on the array itself or through a view of it
        Array target = pick(is_float_4x6);
        if (rng() % 2) {
          Array row = target[static_cast<std::int64_t>(rng() % 4)];
          row += 1.25;
        } else {
          target *= pick(is_4x6).astype(target.dtype());
        }
        out = target;
        break;
      }
      case 5:
        out = pick(is_4x6).slice(1, 1, 5, 2);
        break;  // a strided view (4,2)
      case 6:
        out = pick(is_4x6).T().copy();
        break;
      case 7:
        out = ndflow::sum(pick(is_4x6), {static_cast<int>(rng() % 2)}, true);
        break;
      case 8:
        out = ndflow::matmul(pick(is_float_4x6), pick(is_float_4x6).T());
        break;
      case 9:
        out = ndflow::where(pick(is_4x6) > 0, pick(is_4x6), pick(fits_4x6));
        break;
      case 10:
        out = ndflow::concatenate({pick(is_4x6), pick(is_4x6)}, 0).reshape({4, 12}).slice(1, 0, 6);
        break;
      case 11:
        out = ndflow::mean(pick(is_4x6), {1}).reshape({4, 1});
        break;
      case 12:    // there and back: another GPU, or the host
      case 13: {  // (a view goes, so the copy starts from its own strides)
        const Array a = rng() % 2 ? pick(is_4x6) : pick(is_4x6).slice(1, 1, 5, 2);
        if (device.is_cpu())
          out = a.copy();
        else
          out = a.copy_to(elsewhere(device, step % 2 == 0)).copy_to(device);
        break;
      }
    }
    pool.push_back(out);
    if (pool.size() > 24) pool.erase(pool.begin() + 7);  // keep the start arrays, drop old results
  }
  std::vector<std::vector<double>> values;
  for (const Array& a : pool) values.push_back(a.to_vector<double>());
  return values;
}

}  // namespace ndflow_test
