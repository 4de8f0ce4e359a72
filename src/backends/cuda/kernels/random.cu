// uniform and normal (kernels.h) through cuRAND's host API with the Philox4_32_10 generator
// (a device generator on a GPU stream, a host generator for host_stream()).
// The generator is told the seed and offset before every call, so its numbers depend on
// (seed, offset, n) only: never on the stream, the timing, or what it generated before.
#include <curand.h>

#include <cmath>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

#include "backends/cuda/kernels.h"
#include "backends/cuda/kernels/common.cuh"
#include "ndflow/error.h"
#include "runtime/gpu_exit_handler.h"

namespace ndflow::cuda {
namespace impl {
namespace {

// cuRAND's host generator (host_stream()), one per thread, made on first use.
struct HostGenerator {
  curandGenerator_t g = nullptr;
  HostGenerator() = default;
  ~HostGenerator() {
    if (g) (void)curandDestroyGenerator(g);
  }
  HostGenerator(const HostGenerator&) = delete;
  HostGenerator& operator=(const HostGenerator&) = delete;
};

// The generator for `stream` (see PerStreamHandles), or the host generator for
// host_stream(), set to (seed, offset).
curandGenerator_t generator(void* stream, std::uint64_t seed, std::uint64_t offset) {
  curandGenerator_t g = nullptr;
  if (on_host(stream)) {
    thread_local HostGenerator host;
    if (!host.g)
      NDFLOW_CURAND_CHECK(curandCreateGeneratorHost(&host.g, CURAND_RNG_PSEUDO_PHILOX4_32_10));
    g = host.g;
  } else {
    thread_local PerStreamHandles<curandGenerator_t> generators(
        [](curandGenerator_t d) { (void)curandDestroyGenerator(d); });
    g = generators.get(as_stream(stream), [] {
      curandGenerator_t created = nullptr;
      NDFLOW_CURAND_CHECK(curandCreateGenerator(&created, CURAND_RNG_PSEUDO_PHILOX4_32_10));
      return created;
    });
    NDFLOW_CURAND_CHECK(curandSetStream(g, as_stream(stream)));
  }
  NDFLOW_CURAND_CHECK(curandSetPseudoRandomGeneratorSeed(g, seed));
  NDFLOW_CURAND_CHECK(curandSetGeneratorOffset(g, offset));
  return g;
}

// cuRAND's uniforms lie in (0, 1]; NumPy's interval is [low, high): use 1 - u, and keep
// values that rounding carries up to high below it, as the CPU does (ops/random.cc).
template <class T>
struct ScaleUniformElement {
  T* p;
  double low, width;
  T top;
  bool clamp;
  __host__ __device__ void operator()(std::int64_t i) const {
    T v = static_cast<T>(low + width * (1.0 - static_cast<double>(p[i])));
    if (clamp && v > top) v = top;
    p[i] = v;
  }
};

// Call after each generation: by the first, cuRAND has started any runtime of its own.
void keep_exit_handler_before_curand_teardown() noexcept {
  static std::once_flag curand_started;
  detail::keep_gpu_exit_handler_first(curand_started);
}

template <class T>
void generate_uniform(curandGenerator_t g, T* out, std::size_t n) {
  if constexpr (std::is_same_v<T, float>)
    NDFLOW_CURAND_CHECK(curandGenerateUniform(g, out, n));
  else
    NDFLOW_CURAND_CHECK(curandGenerateUniformDouble(g, out, n));
  keep_exit_handler_before_curand_teardown();
}

// n must be even (Box-Muller makes pairs).
template <class T>
void generate_normal(curandGenerator_t g, T* out, std::size_t n, double mean, double stddev) {
  if constexpr (std::is_same_v<T, float>)
    NDFLOW_CURAND_CHECK(
        curandGenerateNormal(g, out, n, static_cast<float>(mean), static_cast<float>(stddev)));
  else
    NDFLOW_CURAND_CHECK(curandGenerateNormalDouble(g, out, n, mean, stddev));
  keep_exit_handler_before_curand_teardown();
}

template <class T>
void uniform_of(void* stream, T* out, std::int64_t n, std::uint64_t seed, std::uint64_t offset,
                double low, double high) {
  generate_uniform(generator(stream, seed, offset), out, static_cast<std::size_t>(n));
  const bool clamp = low < high;
  const T top =
      clamp ? std::nextafter(static_cast<T>(high), static_cast<T>(low)) : static_cast<T>(high);
  for_each_element(stream, n, ScaleUniformElement<T>{out, low, high - low, top, clamp},
                   "launch of the uniform scaling kernel");
}

// The seed of an odd count's last value: another sequence, so that it overlaps none of the
// pairs before it whatever cuRAND's offsets count in.
constexpr std::uint64_t kTailSeedMix = 0x9E3779B97F4A7C15ull;

template <class T>
void normal_of(void* stream, T* out, std::int64_t n, std::uint64_t seed, std::uint64_t offset,
               double mean, double stddev, T* pair) {
  const std::int64_t even = n - n % 2;
  if (even > 0)
    generate_normal(generator(stream, seed, offset), out, static_cast<std::size_t>(even), mean,
                    stddev);
  if (even == n) return;
  // cuRAND makes normals in pairs: the last value of an odd count comes from a pair made in
  // the caller's scratch.
  if (pair == nullptr)
    throw std::invalid_argument("ndflow: cuda::normal: an odd count needs a tail pair");
  generate_normal(generator(stream, seed ^ kTailSeedMix, offset), pair, 2, mean, stddev);
  if (on_host(stream)) {
    out[even] = pair[0];
    return;
  }
  NDFLOW_CUDA_CHECK(
      cudaMemcpyAsync(out + even, pair, sizeof(T), cudaMemcpyDeviceToDevice, as_stream(stream)));
}

void check_floating(const char* op, DType t) {
  if (!is_floating(t))
    throw DTypeError(std::string("ndflow: cuda::") + op + ": dtype " + dtype_name(t) +
                     " is not supported; use float32 or float64");
}

}  // namespace
}  // namespace impl

void uniform(void* stream, void* out, DType t, std::int64_t n, std::uint64_t seed,
             std::uint64_t offset, double low, double high) {
  impl::check_floating("uniform", t);
  if (n <= 0) return;
  if (t == kFloat32)
    impl::uniform_of(stream, static_cast<float*>(out), n, seed, offset, low, high);
  else
    impl::uniform_of(stream, static_cast<double*>(out), n, seed, offset, low, high);
}

void normal(void* stream, void* out, DType t, std::int64_t n, std::uint64_t seed,
            std::uint64_t offset, double mean, double stddev, void* tail_pair) {
  impl::check_floating("normal", t);
  if (n <= 0) return;
  if (t == kFloat32)
    impl::normal_of(stream, static_cast<float*>(out), n, seed, offset, mean, stddev,
                    static_cast<float*>(tail_pair));
  else
    impl::normal_of(stream, static_cast<double*>(out), n, seed, offset, mean, stddev,
                    static_cast<double*>(tail_pair));
}

}  // namespace ndflow::cuda
