#include "gpu/gpu_sync.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "gpu/gpu_device.h"
#include "ndflow/wait_interruption.h"

namespace ndflow::detail {

namespace {
// How an interruptible host wait polls: yielding at first, as CUDA's default host sync
// spins, then in short sleeps, so that a long wait does not hold a core.
constexpr auto kPollSpin = std::chrono::milliseconds(1);
constexpr auto kPollSleep = std::chrono::microseconds(50);
}  // namespace

void wait_for_event(StreamDevice& device, Event e, WaitInterruption* interruption) {
  throw_if_gpus_forked_away(Device::cpu());  // the event belongs to the parent's runtime
  if (!interruption) return device.synchronize_event(e);
  const auto spin_until = std::chrono::steady_clock::now() + kPollSpin;
  while (!device.query_event(e)) {
    interruption->check_if_due();
    if (std::chrono::steady_clock::now() < spin_until)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(kPollSleep);
  }
}

void synchronize_stream(StreamDevice& device, Stream stream, WaitInterruption* interruption) {
  const FenceEvent done(&device, stream, device.record_event(stream));
  wait_for_event(device, done.event, interruption);
}

void GpuSync::before(StreamDevice& stream_device, Stream stream, bool write) {
  std::vector<Fence> waits;
  {
    std::lock_guard lock(mu_);
    if (!accessed_ && stream != alloc_stream_) {
      // The block's previous users ran on alloc_stream: order this stream after them.
      auto fresh = std::make_shared<FenceEvent>(&device_, alloc_stream_,
                                                device_.record_event(alloc_stream_));
      waits.push_back(std::move(fresh));
    }
    if (last_write_ && last_write_->stream != stream) waits.push_back(last_write_);
    if (write)
      for (const Fence& r : reads_)
        if (r->stream != stream) waits.push_back(r);
  }
  for (const Fence& f : waits) stream_device.stream_wait_event(stream, f->event);
}

void GpuSync::after(const Fence& fence, bool write) {
  std::lock_guard lock(mu_);
  accessed_ = true;
  if (write) {
    last_write_ = fence;
    reads_.clear();
    return;
  }
  auto same_stream = [&](const Fence& r) { return r->stream == fence->stream; };
  auto it = std::find_if(reads_.begin(), reads_.end(), same_stream);
  if (it != reads_.end())
    *it = fence;  // the later read on a stream covers the earlier one
  else
    reads_.push_back(fence);
}

void GpuSync::wait_for_last_write(WaitInterruption* interruption) {
  Fence f;
  {
    std::lock_guard lock(mu_);
    f = last_write_;
  }
  if (f) wait_for_event(*f->device, f->event, interruption);
}

void GpuSync::wait_for_every_access(WaitInterruption* interruption) {
  for (const Fence& f : pending_fences()) wait_for_event(*f->device, f->event, interruption);
}

std::vector<Fence> GpuSync::pending_fences() const {
  std::lock_guard lock(mu_);
  std::vector<Fence> out = reads_;
  if (last_write_) out.push_back(last_write_);
  return out;
}

}  // namespace ndflow::detail
