// Ordering one piece of GPU memory across streams, without host waits (docs/architecture.md,
// "GPU lanes and fences"). The engine orders ops on a Var; on a GPU an op is done for the
// engine once its work is *enqueued* on its lane's stream. What the engine cannot see is the
// order between streams: a read on the copy-out stream of what the compute stream wrote must
// not start before that write ran. So each GPU storage keeps the events of its last write and
// of the reads since, and an op about to use it makes its stream wait for the ones it must:
// a read waits for the last write; a write waits for the last write and every read since.
// Waits on the op's own stream are skipped: a stream runs its work in order.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "ndflow/wait_interruption.h"
#include "runtime/stream_device.h"

namespace ndflow::detail {

// An event recorded on `stream` of `device`, shared by every storage one op touched;
// released back to the device when the last holder lets go.
struct FenceEvent {
  StreamDevice* device;
  Stream stream;
  Event event;
  FenceEvent(StreamDevice* d, Stream s, Event e) : device(d), stream(s), event(e) {}
  ~FenceEvent() { device->release_event(event); }
  FenceEvent(const FenceEvent&) = delete;
  FenceEvent& operator=(const FenceEvent&) = delete;
};
using Fence = std::shared_ptr<FenceEvent>;

// Waits on the host until `e` completed; throws DeviceError when its work failed. With an
// `interruption` (a user's wait: include/ndflow/wait_interruption.h) it polls the event,
// calling the scope's check when due; otherwise it blocks in the device's own wait.
void wait_for_event(StreamDevice& device, Event e, WaitInterruption* interruption = nullptr);
// The same for everything enqueued on `stream` so far.
void synchronize_stream(StreamDevice& device, Stream stream,
                        WaitInterruption* interruption = nullptr);

class GpuSync {
 public:
  // Memory handed out for `alloc_stream` of `device`: until its first access, work on other
  // streams must wait for what alloc_stream had enqueued (the block's previous users).
  GpuSync(StreamDevice& device, Stream alloc_stream)
      : device_(device), alloc_stream_(alloc_stream) {}

  // Before an access on `stream` of `stream_device`: enqueue the waits it needs.
  void before(StreamDevice& stream_device, Stream stream, bool write);
  // After the access's work was enqueued: `fence` marks its end.
  void after(const Fence& fence, bool write);
  // Blocks the calling thread until the last write's work has run (see wait_for_event).
  // Throws DeviceError when the device failed.
  void wait_for_last_write(WaitInterruption* interruption = nullptr);
  // The same for the last write and every read since.
  void wait_for_every_access(WaitInterruption* interruption = nullptr);
  // Fences whose work may still use the memory: the last write and the reads since.
  std::vector<Fence> pending_fences() const;

 private:
  StreamDevice& device_;
  const Stream alloc_stream_;
  mutable std::mutex mu_;  // readers on several streams may record at once
  bool accessed_ = false;
  Fence last_write_;
  std::vector<Fence> reads_;  // since the last write, at most one per stream
};

}  // namespace ndflow::detail
