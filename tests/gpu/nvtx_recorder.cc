// The test NVTX tool of nvtx_recorder.h: NVTX calls InitializeInjectionNvtx2 at its first
// use in the process, and we replace its RangePushA and RangePop with our recorders.
#include "gpu/nvtx_recorder.h"

#include <nvtx3/nvToolsExt.h>

#include <atomic>
#include <mutex>

namespace ndflow_test::nvtx_recorder {
namespace {

std::atomic<bool> g_injected{false};
std::atomic<bool> g_armed{false};
std::mutex g_mu;
std::vector<std::string> g_names;

int NVTX_API push_a(const char* message) {
  if (g_armed.load(std::memory_order_acquire)) {
    std::lock_guard lock(g_mu);
    g_names.emplace_back(message ? message : "");
  }
  return 0;
}

int NVTX_API pop() { return 0; }

}  // namespace

void arm() {
  std::lock_guard lock(g_mu);
  g_names.clear();
  g_armed.store(true, std::memory_order_release);
}

std::vector<std::string> disarm() {
  g_armed.store(false, std::memory_order_release);
  std::lock_guard lock(g_mu);
  return std::move(g_names);
}

bool injected() { return g_injected.load(std::memory_order_acquire); }

}  // namespace ndflow_test::nvtx_recorder

extern "C" __attribute__((visibility("default"))) int InitializeInjectionNvtx2(
    NvtxGetExportTableFunc_t get_export_table) {
  namespace r = ndflow_test::nvtx_recorder;
  const auto* callbacks =
      static_cast<const NvtxExportTableCallbacks*>(get_export_table(NVTX_ETID_CALLBACKS));
  NvtxFunctionTable table = nullptr;
  unsigned int last = 0;  // the table's last valid index
  if (!callbacks || !callbacks->GetModuleFunctionTable(NVTX_CB_MODULE_CORE, &table, &last) ||
      last < NVTX_CBID_CORE_RangePop)
    return 0;
  *table[NVTX_CBID_CORE_RangePushA] = reinterpret_cast<NvtxFunctionPointer>(&r::push_a);
  *table[NVTX_CBID_CORE_RangePop] = reinterpret_cast<NvtxFunctionPointer>(&r::pop);
  r::g_injected.store(true, std::memory_order_release);
  return 1;
}
