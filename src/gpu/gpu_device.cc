#include "gpu/gpu_device.h"

#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "backends/cuda/nvtx.h"
#include "backends/sim/sim_device.h"
#include "engine/default_engine.h"
#include "engine/fork_handlers.h"
#include "ndflow/build_info.h"
#include "ndflow/error.h"
#include "runtime/gpu_exit_handler.h"

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
  bool cpu_kernels = false;  // the GPUs' ops run the CPU's kernels (simulated GPUs, by default)
  std::string absence_reason;
  std::uint64_t fork_generation = 0;  // the process that made the list (fork_generation())
};

// Whether this is a child forked from the process that started the GPUs.
bool forked_away(const Registry& r) noexcept {
  return !r.gpus.empty() && fork_generation() != r.fork_generation;
}

// Which kernels simulated GPUs run, from NDFLOW_SIMULATED_GPU_KERNELS: "cpu" (the default)
// or "cuda", the CUDA kernels' code on the host (cuda::host_stream()), in a build with CUDA.
// Sets *bad, saying why, for anything else.
bool simulated_gpus_run_cpu_kernels(std::string* bad) {
  const char* text = std::getenv("NDFLOW_SIMULATED_GPU_KERNELS");
  const std::string_view kernels = text ? text : "";
  if (kernels.empty() || kernels == "cpu") return true;
  if (kernels != "cuda")
    *bad = "NDFLOW_SIMULATED_GPU_KERNELS='" + std::string(kernels) + "' is not 'cpu' or 'cuda'";
  else if (!NDFLOW_HAS_CUDA)
    *bad = "NDFLOW_SIMULATED_GPU_KERNELS=cuda needs a build with CUDA, and this one has none";
  return false;
}

void add_gpu(Registry& r, std::unique_ptr<StreamDevice> device, std::string label, int memory_group,
             bool shares_memory) {
  auto g = std::make_unique<GpuDevice>();
  g->index = static_cast<int>(r.gpus.size());
  g->memory_group = memory_group;
  g->name = std::move(label);
  g->label = Device::gpu(g->index).to_string() + ": " + g->name;
  CachingAllocatorOptions options;
  options.device_name = Device::gpu(g->index).to_string();
  options.memory_limit = memory_limit_from_env();
  if (shares_memory)
    options.reclaim_shared_memory = [gpu = g.get()] { release_cached_memory(*gpu); };
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
    r->cpu_kernels = simulated_gpus_run_cpu_kernels(&bad);
    if (!bad.empty()) {
      r->absence_reason = bad;
      return r;
    }
    const std::size_t bytes =
        byte_size_from_env("NDFLOW_SIMULATED_GPU_MEMORY").value_or(kDefaultSimulatedBytes);
    const char* label =
        r->cpu_kernels ? "simulated" : "simulated, running CUDA kernels on the host";
    for (int i = 0; i < simulated; ++i)
      add_gpu(*r, std::make_unique<SimDevice>(i, bytes), label, i, false);
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
    add_gpu(*r, std::move(devices[i]), std::move(label), static_cast<int>(i) / logical,
            logical > 1);
  }
  if (r->gpus.empty()) r->absence_reason = ndflow::gpu_absence_reason();
#else
  r->absence_reason = "this build has no CUDA support (nvcc not found, or NDFLOW_CUDA=OFF)";
#endif
  return r;
}

std::atomic<Registry*> g_registry{nullptr};

// At exit, before the GPU runtime unloads: run every op pushed on the default engine and
// every GPU stream to the end. CUDA tears itself down in an exit handler registered when
// it starts, and exit handlers run last-registered first; the default engine's own handler
// (which finishes its ops) runs after CUDA's if the engine was made before the GPUs, as in
// a program that computes on the CPU first, so its pending GPU ops would call into an
// unloaded runtime. Registered once the GPUs have started, this runs before CUDA's; and
// again after cuBLAS's and cuRAND's first calls (runtime/gpu_exit_handler.h), which may
// start runtimes of their own.
// Failures nobody waited for are dropped here, as the engine's shutdown drops them.
void finish_gpu_work_at_exit() noexcept {
  Engine* engine = default_engine_if_created();
  const auto wait_for_engine = [engine] {
    try {
      if (engine) engine->wait_all();
    } catch (...) {
    }
  };
  wait_for_engine();
  try {
    synchronize_all_gpus();
  } catch (...) {
  }
  // Copies to the host complete through the event poller once their stream has run.
  wait_for_engine();
}

Registry& registry() {
  static Registry* r = [] {
    Registry* made;
    try {
      made = make_registry();
    } catch (const std::exception& e) {  // a malformed variable, a device that failed to start
      made = new Registry;
      made->absence_reason = e.what();
    }
    try {
      install_fork_handlers();  // so that a child knows it is one (gpus_forked_away)
    } catch (const std::system_error&) {
    }
    made->fork_generation = fork_generation();
    g_registry.store(made, std::memory_order_release);
    if (!made->gpus.empty()) register_gpu_exit_handler(finish_gpu_work_at_exit);
    return made;
  }();
  return *r;
}

thread_local GpuWorker t_gpu_worker;

// Lets this thread's short sleeps end on time. Linux adds a thread's timer slack, 50 us by
// default, to every sleep, so the poller's 20 us would be about 70 us: that much longer
// before a host read of a GPU result (asnumpy, print) sees its copy done.
void sleep_on_time() noexcept {
#if defined(__linux__)
  (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
#endif
}

// Completes deferred ops when their fence has run: one thread for every GPU, parked when
// nothing waits, taking a pass over the pending ops every ~20 us otherwise (little next to
// the copies it waits for). A thread spinning in a wait takes passes too (LaneSpec::
// poll_completions), so a host read (asnumpy, print) ends when its copy does, not up to a
// poller's sleep later.
class Poller {
 public:
  void add(Fence fence, AsyncCompletion done) {
    std::unique_lock lock(mu_);
    if (!started_) {
      // Started on first use. If the system cannot start a thread, the calling worker waits
      // for the fence itself (slower, never stuck) and the next op tries again.
      try {
        std::thread([this] { run(); }).detach();  // lives as long as the process
      } catch (const std::system_error&) {
        lock.unlock();  // completing the op may run its dependents, which may come back here
        complete_after_waiting(fence, done);
        return;
      }
      started_ = true;
    }
    pending_.emplace_back(std::move(fence), std::move(done));
    has_pending_.store(true, std::memory_order_relaxed);
    lock.unlock();
    cv_.notify_one();
  }

  // A pass, for a waiting thread: one load when nothing is pending.
  void poll_if_pending() noexcept {
    if (has_pending_.load(std::memory_order_relaxed)) poll();
  }

 private:
  using Item = std::pair<Fence, AsyncCompletion>;

  static void complete_after_waiting(const Fence& fence, AsyncCompletion& done) {
    try {
      fence->device->synchronize_event(fence->event);
    } catch (...) {
      done.fail(std::current_exception());
      return;
    }
    done.complete();
  }

  // One pass: completes the pending ops whose fence has run (failing those whose device
  // failed) and puts the rest back. Passes on several threads at once split the ops between
  // them. Returns whether this pass left any pending.
  bool poll() noexcept {
    std::deque<Item> batch;
    {
      std::lock_guard lock(mu_);
      batch.swap(pending_);
      has_pending_.store(false, std::memory_order_relaxed);
    }
    std::deque<Item> left;
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
    if (left.empty()) return false;
    {
      std::lock_guard lock(mu_);
      for (auto& item : left) pending_.push_back(std::move(item));
      has_pending_.store(true, std::memory_order_relaxed);
    }
    // The poller thread may have parked while a waiter's pass held these.
    cv_.notify_one();
    return true;
  }

  void run() {
    sleep_on_time();
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !pending_.empty(); });
      }
      if (poll()) std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> pending_;
  std::atomic<bool> has_pending_{false};  // pending_ is not empty (a hint for waiters)
  bool started_ = false;
};

Poller& poller() {
  static Poller* p = new Poller;  // never destroyed: its thread runs until exit
  return *p;
}

}  // namespace

int gpu_count() { return static_cast<int>(registry().gpus.size()); }
bool gpus_simulated() { return registry().simulated; }
bool gpus_run_cpu_kernels() { return registry().cpu_kernels; }
std::string gpu_absence_reason() { return registry().absence_reason; }

bool gpus_forked_away() noexcept {
  const Registry* r = g_registry.load(std::memory_order_acquire);
  return r && forked_away(*r);
}

void throw_if_gpus_forked_away(Device device) {
  if (!gpus_forked_away()) return;
  throw DeviceError(
      "ndflow: " + (device.is_cpu() ? std::string("a GPU") : device.to_string()) +
      " cannot be used in this process: it was forked from the process that started the "
      "GPUs, and neither a GPU runtime nor its streams survive fork(). Use GPUs in processes "
      "started with 'spawn' or 'forkserver' (multiprocessing.set_start_method), or only "
      "after the fork; the CPU works as before");
}

GpuDevice& gpu_device(Device device) {
  Registry& r = registry();
  throw_if_gpus_forked_away(device);
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
  initialize_nvtx();  // before the workers that push ranges start
  for (int k = 0; k < kGpuLaneKinds; ++k) {
    LaneSpec spec;
    spec.device = device;
    spec.kind = static_cast<LaneKind>(k);
    spec.workers = 1;
    spec.helpable = false;  // only the lane's own worker may feed its stream
    // Copies to and from the host complete through the poller; a waiter may poll too.
    if (spec.kind == LaneKind::kCopyIn || spec.kind == LaneKind::kCopyOut)
      spec.poll_completions = [] { poller().poll_if_pending(); };
    spec.on_worker_start = [gpu = &g, stream = g.streams[static_cast<std::size_t>(k)]](int) {
      // Started again in a forked child (engine/fork_handlers.h): its ops fail, saying why.
      throw_if_gpus_forked_away(Device::gpu(gpu->index));
      gpu->device->bind_thread();
      t_gpu_worker = GpuWorker{gpu, stream};
    };
    engine.add_lane(std::move(spec));
  }
  return engine.find_lane(device, kind);
}

const GpuWorker& current_gpu_worker() noexcept { return t_gpu_worker; }

void release_cached_memory(const GpuDevice& gpu) {
  for (const auto& g : registry().gpus)
    if (g->memory_group == gpu.memory_group) g->allocator->empty_cache();
}

void complete_when_done(Fence fence, AsyncCompletion done) {
  poller().add(std::move(fence), std::move(done));
}

bool synchronize_all_gpus(WaitInterruption* interruption) {
  // Before anything asked for a GPU there is nothing to wait for, and no reason to start a
  // GPU runtime (CUDA's first call takes a while).
  // In a forked child nothing of this process's can be on them (their use throws).
  Registry* r = g_registry.load(std::memory_order_acquire);
  if (!r || forked_away(*r)) return false;
  for (const auto& g : r->gpus) {
    for (Stream s : g->streams) synchronize_stream(*g->device, s, interruption);
  }
  return !r->gpus.empty();
}

}  // namespace ndflow::detail

namespace ndflow {
int num_gpus() { return detail::gpu_count(); }
std::string gpu_name(int i) { return detail::gpu_device(Device::gpu(i)).name; }
int gpu_cuda_ordinal(int i) { return detail::gpu_device(Device::gpu(i)).device->ordinal(); }
bool gpus_simulated() { return detail::gpus_simulated(); }
bool gpus_run_cpu_kernels() { return detail::gpus_run_cpu_kernels(); }
}  // namespace ndflow
