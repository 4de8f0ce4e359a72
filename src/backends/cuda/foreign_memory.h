// Memory of other CUDA libraries (DLPack imports), as the ops layer sees it: declared
// without CUDA's headers (a stream is a void*, i.e. a cudaStream_t), defined only when the
// build has CUDA (NDFLOW_HAS_CUDA).
#pragma once

namespace ndflow::cuda {

// The CUDA device whose memory `p` is (device or managed memory), or -1 when CUDA knows it
// as no device's (host memory, an address it never gave out).
int device_of_pointer(const void* p);

// Work enqueued on `stream` from now on runs after the work enqueued so far on CUDA's
// legacy default stream: there a DLPack producer asked for stream 1 has ordered its writes.
// The calling thread must have the stream's device current.
void wait_for_legacy_default_stream(void* stream);

}  // namespace ndflow::cuda
