// CudaStreamDevice: every CUDA call goes through NDFLOW_CUDA_CHECK, except the answers that
// are not failures (cudaEventQuery's "not ready", peer access already on, no device at all).
#include "backends/cuda/cuda_stream_device.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_memory.h"
#include "backends/cuda/current_device.h"
#include "ndflow/error.h"

namespace ndflow::cuda {
namespace {

detail::Event to_event(cudaEvent_t e) noexcept {
  return detail::Event{reinterpret_cast<std::uintptr_t>(e)};
}

// Peer access is a property of the process's contexts, not of one CudaStreamDevice, so the
// pairs already set up are process-wide. Called with `device` current. A pair whose GPUs
// cannot reach each other is remembered too: cudaMemcpyPeerAsync stages those copies itself.
void enable_peer_access_once(int device, int peer) {
  static std::mutex mu;
  static std::set<std::pair<int, int>> done;
  std::lock_guard lock(mu);
  if (done.count({device, peer}) != 0) return;
  int can_access = 0;
  NDFLOW_CUDA_CHECK(cudaDeviceCanAccessPeer(&can_access, device, peer));
  if (can_access != 0) {
    const cudaError_t status = cudaDeviceEnablePeerAccess(peer, 0);
    if (status == cudaErrorPeerAccessAlreadyEnabled)
      (void)cudaGetLastError();  // someone else (another library) enabled it: fine
    else
      NDFLOW_CUDA_CHECK(status);
  }
  done.insert({device, peer});
}

}  // namespace

CudaStreamDevice::CudaStreamDevice(int ordinal) : ordinal_(ordinal), memory_(ordinal) {
  cudaDeviceProp prop{};
  NDFLOW_CUDA_CHECK(cudaGetDeviceProperties(&prop, ordinal));
  name_ = prop.name;
  total_bytes_ = prop.totalGlobalMem;
}

CudaStreamDevice::~CudaStreamDevice() {
  for (cudaEvent_t e : spare_events_) {
    try {
      NDFLOW_CUDA_CHECK(cudaEventDestroy(e));
    } catch (const DeviceError&) {
      // At teardown the context may already be gone, and with it the events.
    }
  }
}

int CudaStreamDevice::bind_thread() {
  int previous = 0;
  NDFLOW_CUDA_CHECK(cudaGetDevice(&previous));
  NDFLOW_CUDA_CHECK(cudaSetDevice(ordinal_));
  return previous;
}

void CudaStreamDevice::restore_thread(int previous) noexcept {
  if (previous >= 0 && previous != ordinal_ && cudaSetDevice(previous) != cudaSuccess)
    (void)cudaGetLastError();
}

detail::Stream CudaStreamDevice::create_stream() {
  CurrentDeviceScope scope(ordinal_);  // a stream belongs to the device current at creation
  cudaStream_t s = nullptr;
  NDFLOW_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return to_stream(s);
}

void CudaStreamDevice::destroy_stream(detail::Stream s) {
  CurrentDeviceScope scope(ordinal_);
  NDFLOW_CUDA_CHECK(cudaStreamSynchronize(to_cuda_stream(s)));
  NDFLOW_CUDA_CHECK(cudaStreamDestroy(to_cuda_stream(s)));
}

// Timing is off: ndflow only asks "done yet?" and orders streams, and timing-free events are
// cheaper to record, query and wait on.
detail::Event CudaStreamDevice::record_event(detail::Stream s) {
  CurrentDeviceScope scope(ordinal_);  // the event must belong to the stream's device
  cudaEvent_t e = nullptr;
  {
    std::lock_guard lock(events_mu_);
    if (!spare_events_.empty()) {
      e = spare_events_.back();
      spare_events_.pop_back();
    }
  }
  if (e == nullptr) NDFLOW_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  const cudaError_t status = cudaEventRecord(e, to_cuda_stream(s));
  if (status != cudaSuccess) {
    release_event(to_event(e));
    NDFLOW_CUDA_CHECK(status);
  }
  return to_event(e);
}

bool CudaStreamDevice::query_event(detail::Event e) { return event_completed(to_cuda_event(e)); }

void CudaStreamDevice::synchronize_event(detail::Event e) {
  NDFLOW_CUDA_CHECK(cudaEventSynchronize(to_cuda_event(e)));
}

void CudaStreamDevice::release_event(detail::Event e) {
  {
    std::lock_guard lock(events_mu_);
    if (!timed_events_.empty() && timed_events_.erase(to_cuda_event(e)) != 0) {
      // A timed event: not pooled (see record_timed_event).
    } else if (spare_events_.size() < kMaxSpareEvents) {
      spare_events_.push_back(to_cuda_event(e));
      return;
    }
  }
  // Destroying an event whose work is still pending is allowed: CUDA frees it once done.
  destroy_event_quietly(to_cuda_event(e));
}

void CudaStreamDevice::stream_wait_event(detail::Stream s, detail::Event e) {
  CurrentDeviceScope scope(ordinal_);
  NDFLOW_CUDA_CHECK(cudaStreamWaitEvent(to_cuda_stream(s), to_cuda_event(e), 0));
}

namespace {
// Origins are renewed this often while the profiler records. Each renewal steers the map
// back to the host clock (runtime/stream_clock.h), and cudaEventElapsedTime's float
// milliseconds resolve about 0.1 us a second from an origin.
constexpr std::int64_t kTimingOriginRenewNs = 1'000'000'000;
// Calibrations per origin, of which the narrowest window is kept.
constexpr int kCalibrationTries = 3;

// What one calibration needs besides the origin's own event, freed however it ends.
struct CalibrationScratch {
  cudaStream_t idle = nullptr;
  cudaEvent_t trial = nullptr;
  ~CalibrationScratch() {
    if (trial) destroy_event_quietly(trial);
    if (idle && cudaStreamDestroy(idle) != cudaSuccess) (void)cudaGetLastError();
  }
};

// The GPU time from `from` to `to`, both completed, in ns.
std::int64_t elapsed_ns(cudaEvent_t from, cudaEvent_t to) {
  float ms = 0;
  NDFLOW_CUDA_CHECK(cudaEventElapsedTime(&ms, from, to));
  return std::llround(static_cast<double>(ms) * 1e6);
}
}  // namespace

struct CudaStreamDevice::TimingOrigin {
  cudaEvent_t event = nullptr;
  detail::ClockAnchor anchor;
  ~TimingOrigin() {
    // Quietly: at teardown the context may be gone, and a failure left as the thread's last
    // error would be blamed on the worker's next launch.
    if (event) destroy_event_quietly(event);
  }
};

// An event on an idle stream, which the GPU reaches at once: the host knows when within
// the window from before the record to after the wait. Of a few tries the narrowest window
// is kept. The new origin continues the previous one's map (stream_clock.h), so spans
// measured from either stay in order. Called with the device current.
std::shared_ptr<CudaStreamDevice::TimingOrigin> CudaStreamDevice::current_origin() {
  auto fresh = [this]() -> std::shared_ptr<TimingOrigin> {
    std::lock_guard lock(events_mu_);
    if (origin_ && detail::host_clock_ns() - origin_->anchor.measured_ns <= kTimingOriginRenewNs)
      return origin_;
    return nullptr;
  };
  if (auto origin = fresh()) return origin;
  // One calibration at a time: the lanes that find the origin stale together share the one.
  std::lock_guard calibrating(calibration_mu_);
  if (auto origin = fresh()) return origin;
  std::shared_ptr<TimingOrigin> previous;
  {
    std::lock_guard lock(events_mu_);
    previous = origin_;
  }
  auto origin = std::make_shared<TimingOrigin>();
  CalibrationScratch scratch;
  NDFLOW_CUDA_CHECK(cudaEventCreate(&origin->event));
  NDFLOW_CUDA_CHECK(cudaEventCreate(&scratch.trial));
  NDFLOW_CUDA_CHECK(cudaStreamCreateWithFlags(&scratch.idle, cudaStreamNonBlocking));
  detail::ClockSample best;
  for (int i = 0; i < kCalibrationTries; ++i) {
    detail::ClockSample sample;
    sample.before_ns = detail::host_clock_ns();
    NDFLOW_CUDA_CHECK(cudaEventRecord(scratch.trial, scratch.idle));
    NDFLOW_CUDA_CHECK(cudaEventSynchronize(scratch.trial));
    sample.after_ns = detail::host_clock_ns();
    if (i == 0 || sample.width_ns() < best.width_ns()) {
      best = sample;
      std::swap(origin->event, scratch.trial);  // the origin's event is the best try's
    }
  }
  origin->anchor = previous
                       ? detail::next_clock_anchor(previous->anchor,
                                                   elapsed_ns(previous->event, origin->event), best)
                       : detail::first_clock_anchor(best);
  std::lock_guard lock(events_mu_);
  origin_ = origin;
  return origin;
}

// Timed events are made fresh and destroyed at release_event: the spare ones have timing
// off, which keeps them cheap.
detail::Event CudaStreamDevice::record_timed_event(detail::Stream s) {
  CurrentDeviceScope scope(ordinal_);
  std::shared_ptr<TimingOrigin> origin = current_origin();
  cudaEvent_t e = nullptr;
  NDFLOW_CUDA_CHECK(cudaEventCreate(&e));
  const std::int64_t recorded_ns = detail::host_clock_ns();
  const cudaError_t status = cudaEventRecord(e, to_cuda_stream(s));
  if (status != cudaSuccess) {
    (void)cudaEventDestroy(e);
    NDFLOW_CUDA_CHECK(status);
  }
  std::lock_guard lock(events_mu_);
  timed_events_.emplace(e, TimedEvent{std::move(origin), recorded_ns});
  return to_event(e);
}

std::int64_t CudaStreamDevice::event_time_ns(detail::Event e) {
  TimedEvent timed;
  {
    std::lock_guard lock(events_mu_);
    const auto it = timed_events_.find(to_cuda_event(e));
    if (it == timed_events_.end())
      throw std::logic_error(
          "ndflow: CudaStreamDevice::event_time_ns: not an event of record_timed_event");
    timed = it->second;
  }
  NDFLOW_CUDA_CHECK(cudaEventSynchronize(to_cuda_event(e)));
  const std::int64_t mapped =
      timed.origin->anchor.host_time(elapsed_ns(timed.origin->event, to_cuda_event(e)));
  // The GPU cannot reach an event before the host recorded it. The map may say so by up to
  // its error (about a calibration window); a profile must not show an op run before it
  // was issued.
  return std::max(mapped, timed.recorded_ns);
}

void CudaStreamDevice::copy_async(void* dst, const void* src, std::size_t bytes, detail::Stream s) {
  if (bytes == 0) return;
  CurrentDeviceScope scope(ordinal_);
  // cudaMemcpyDefault: unified addressing tells host from device memory by the pointers.
  NDFLOW_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, to_cuda_stream(s)));
}

void CudaStreamDevice::copy_from_peer_async(void* dst, const void* src,
                                            detail::StreamDevice& src_device, std::size_t bytes,
                                            detail::Stream s) {
  if (src_device.simulated())
    throw std::logic_error("ndflow: CudaStreamDevice::copy_from_peer_async: the source device (" +
                           src_device.name() + ") is simulated; copy through the host");
  if (bytes == 0) return;
  CurrentDeviceScope scope(ordinal_);
  const int src_ordinal = src_device.ordinal();
  if (src_ordinal == ordinal_) {  // logical GPUs on one physical GPU: an ordinary copy
    NDFLOW_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, to_cuda_stream(s)));
    return;
  }
  enable_peer_access_once(ordinal_, src_ordinal);
  NDFLOW_CUDA_CHECK(cudaMemcpyPeerAsync(dst, ordinal_, src, src_ordinal, bytes, to_cuda_stream(s)));
}

void CudaStreamDevice::enqueue_host_work(detail::Stream, std::function<void()>) {
  throw std::logic_error(
      "ndflow: CudaStreamDevice::enqueue_host_work: a CUDA device runs kernels, not host "
      "functions (see backends/cuda/kernels.h)");
}

std::vector<std::unique_ptr<detail::StreamDevice>> make_cuda_devices(int logical_per_physical) {
  if (logical_per_physical < 1)
    throw std::invalid_argument(
        "ndflow: make_cuda_devices: logical_per_physical must be >= 1, got " +
        std::to_string(logical_per_physical));
  std::vector<std::unique_ptr<detail::StreamDevice>> devices;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    // No driver, a driver too old for this runtime, or no device: all mean "no GPUs".
    (void)cudaGetLastError();
    return devices;
  }
  for (int ordinal = 0; ordinal < count; ++ordinal)
    for (int i = 0; i < logical_per_physical; ++i)
      devices.push_back(std::make_unique<CudaStreamDevice>(ordinal));
  return devices;
}

}  // namespace ndflow::cuda
