#include "engine/var_state.h"

namespace ndflow::detail {
namespace {

bool can_start(const VarState* v, std::uint8_t mode) noexcept {
  if (v->writer_running) return false;
  return (mode & kWrite) ? v->readers_running == 0 : true;
}

void start(VarState* v, std::uint8_t mode) noexcept {
  if (mode & kWrite)
    v->writer_running = true;
  else
    ++v->readers_running;
}

}  // namespace

bool append_access(VarState* v, Access* a) noexcept {
  if (a->mode() & kWrite) v->writes_pushed.fetch_add(1, std::memory_order_relaxed);
  // Only an empty queue may be overtaken: anything waiting was pushed earlier.
  if (v->head == nullptr && can_start(v, a->mode())) {
    start(v, a->mode());
    return true;
  }
  a->next = nullptr;
  if (v->tail)
    v->tail->next = a;
  else
    v->head = a;
  v->tail = a;
  return false;
}

Access* release_access(VarState* v, Access* a) noexcept {
  if (a->mode() & kWrite)
    v->writer_running = false;
  else
    --v->readers_running;

  Access* granted = nullptr;
  Access** granted_tail = &granted;
  while (v->head && can_start(v, v->head->mode())) {
    Access* next = v->head;
    v->head = next->next;
    start(v, next->mode());
    next->next = nullptr;
    *granted_tail = next;
    granted_tail = &next->next;
    if (next->mode() & kWrite) break;  // a write runs alone
  }
  if (v->head == nullptr) v->tail = nullptr;
  return granted;
}

}  // namespace ndflow::detail
