#include "gpu/gpu_device.h"

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "backends/sim/sim_device.h"
#include "ndflow/build_info.h"
#include "ndflow/error.h"

#if NDFLOW_HAS_CUDA
#include "backends/cuda/cuda_stream_device.h"
#endif

namespace ndflow::detail {
namespace {

constexpr std::size_t kDefaultSimulatedBytes = std::size_t{2} << 30;

// A non-negative count from the environment: `fallback` when unset or empty, nullopt (with
// *bad set) when malformed.
int env_count(const char* name, int fallback, std::string* bad) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  int value = -1;
  const std::string_view s(text);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 0) {
    *bad = std::string(name) + "='" + text + "' is not a count";
    return 0;
  }
  return value;
}

struct Registry {
  std::vector<std::unique_ptr<GpuDevice>> gpus;
  bool simulated = false;
  std::string absence_reason;
};

void add_gpu(Registry& r, std::unique_ptr<StreamDevice> device, std::string label) {
  auto g = std::make_unique<GpuDevice>();
  g->index = static_cast<int>(r.gpus.size());
  g->name = std::move(label);
  g->label = Device::gpu(g->index).to_string() + ": " + g->name;
  CachingAllocatorOptions options;
  options.device_name = Device::gpu(g->index).to_string();
  options.memory_limit = memory_limit_from_env();
  g->allocator = std::make_unique<CachingAllocator>(device->memory(), options);
  for (Stream& s : g->streams) s = device->create_stream();
  g->device = std::move(device);
  r.gpus.push_back(std::move(g));
}

Registry* make_registry() {
  auto* r = new Registry;  // lives until the process ends: lane workers may outlive statics
  std::string bad;
  const int simulated = env_count("NDFLOW_SIMULATED_GPUS", 0, &bad);
  if (!bad.empty()) {
    r->absence_reason = bad;
    return r;
  }
  if (simulated > 0) {
    r->simulated = true;
    std::size_t bytes = kDefaultSimulatedBytes;
    if (const char* m = std::getenv("NDFLOW_SIMULATED_GPU_MEMORY"); m && *m)
      bytes = parse_byte_size(m);
    for (int i = 0; i < simulated; ++i)
      add_gpu(*r, std::make_unique<SimDevice>(i, bytes), "simulated");
    return r;
  }
  const int logical = env_count("NDFLOW_LOGICAL_GPUS", 1, &bad);
  if (!bad.empty() || logical < 1) {
    r->absence_reason = bad.empty() ? "NDFLOW_LOGICAL_GPUS must be at least 1" : bad;
    return r;
  }
#if NDFLOW_HAS_CUDA
  auto devices = cuda::make_cuda_devices(logical);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    std::string label = devices[i]->name();
    if (logical > 1)
      label +=
          " (logical " + std::to_string(i % logical + 1) + " of " + std::to_string(logical) + ")";
    add_gpu(*r, std::move(devices[i]), std::move(label));
  }
  if (r->gpus.empty()) r->absence_reason = ndflow::gpu_absence_reason();
#else
  r->absence_reason = "this build has no CUDA support (nvcc not found, or NDFLOW_CUDA=OFF)";
#endif
  return r;
}

std::atomic<Registry*> g_registry{nullptr};

Registry& registry() {
  static Registry* r = [] {
    Registry* made;
    try {
      made = make_registry();
    } catch (const std::exception& e) {  // a malformed variable, a device that failed to start
      made = new Registry;
      made->absence_reason = e.what();
    }
    g_registry.store(made, std::memory_order_release);
    return made;
  }();
  return *r;
}

thread_local GpuWorker t_gpu_worker;

// Completes deferred ops when their fence has run: one thread for every GPU, parked when
// nothing waits. Polling every ~20 us costs little next to the copies it waits for.
class Poller {
 public:
  void add(Fence fence, AsyncCompletion done) {
    {
      std::lock_guard lock(mu_);
      pending_.emplace_back(std::move(fence), std::move(done));
      if (!started_) {
        started_ = true;
        std::thread([this] { run(); }).detach();  // lives as long as the process
      }
    }
    cv_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return !pending_.empty(); });
      std::deque<std::pair<Fence, AsyncCompletion>> batch = std::move(pending_);
      pending_.clear();
      lock.unlock();
      std::deque<std::pair<Fence, AsyncCompletion>> left;
      for (auto& [fence, done] : batch) {
        try {
          if (fence->device->query_event(fence->event)) {
            done.complete();
            continue;
          }
        } catch (...) {
          done.fail(std::current_exception());
          continue;
        }
        left.emplace_back(std::move(fence), std::move(done));
      }
      if (!left.empty()) std::this_thread::sleep_for(std::chrono::microseconds(20));
      lock.lock();
      for (auto& item : left) pending_.push_back(std::move(item));
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<Fence, AsyncCompletion>> pending_;
  bool started_ = false;
};

Poller& poller() {
  static Poller* p = new Poller;  // never destroyed: its thread runs until exit
  return *p;
}

}  // namespace

int gpu_count() { return static_cast<int>(registry().gpus.size()); }
bool gpus_simulated() { return registry().simulated; }
std::string gpu_absence_reason() { return registry().absence_reason; }

GpuDevice& gpu_device(Device device) {
  Registry& r = registry();
  if (device.is_cpu() || device.index < 0 || device.index >= static_cast<int>(r.gpus.size())) {
    const int n = static_cast<int>(r.gpus.size());
    std::string msg = "ndflow: " + device.to_string() + " is not available: ";
    if (n == 0)
      msg += "no GPU can be used (" + r.absence_reason +
             "); set NDFLOW_SIMULATED_GPUS=N to run GPU code paths on simulated GPUs";
    else
      msg += "this process has " + std::to_string(n) + " GPU" + (n == 1 ? "" : "s") +
             " (gpu(0) to gpu(" + std::to_string(n - 1) + "))";
    throw DeviceError(msg);
  }
  return *r.gpus[static_cast<std::size_t>(device.index)];
}

Lane gpu_lane(Engine& engine, Device device, LaneKind kind) {
  if (std::optional<Lane> lane = engine.try_find_lane(device, kind)) return *lane;
  GpuDevice& g = gpu_device(device);
  static std::mutex mu;  // two threads must not both register one engine's lanes
  std::lock_guard lock(mu);
  if (std::optional<Lane> lane = engine.try_find_lane(device, kind)) return *lane;
  for (int k = 0; k < kGpuLaneKinds; ++k) {
    LaneSpec spec;
    spec.device = device;
    spec.kind = static_cast<LaneKind>(k);
    spec.workers = 1;
    spec.helpable = false;  // only the lane's own worker may feed its stream
    spec.on_worker_start = [gpu = &g, stream = g.streams[static_cast<std::size_t>(k)]](int) {
      gpu->device->bind_thread();
      t_gpu_worker = GpuWorker{gpu, stream};
    };
    engine.add_lane(std::move(spec));
  }
  return engine.find_lane(device, kind);
}

const GpuWorker& current_gpu_worker() noexcept { return t_gpu_worker; }

void complete_when_done(Fence fence, AsyncCompletion done) {
  poller().add(std::move(fence), std::move(done));
}

bool synchronize_all_gpus() {
  // Before anything asked for a GPU there is nothing to wait for, and no reason to start a
  // GPU runtime (CUDA's first call takes a while).
  Registry* r = g_registry.load(std::memory_order_acquire);
  if (!r) return false;
  for (const auto& g : r->gpus) {
    for (Stream s : g->streams) synchronize_stream(*g->device, s);
  }
  return !r->gpus.empty();
}

}  // namespace ndflow::detail

namespace ndflow {
int num_gpus() { return detail::gpu_count(); }
std::string gpu_name(int i) { return detail::gpu_device(Device::gpu(i)).name; }
bool gpus_simulated() { return detail::gpus_simulated(); }
}  // namespace ndflow
