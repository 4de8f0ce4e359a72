// Returns from main with array ops still in flight and an array held by a static. The
// default engine's exit handler then finishes the ops on the main thread after that
// thread's thread_locals are gone, and the static's storage is released after the engine
// was shut down (a block-pool bug lived on this path: see block_pool.cc). Passing means
// exiting 0 with no sanitizer report.
#include "ndflow/array.h"

int main() {
  static ndflow::Array kept;  // destroyed after the engine's exit handler has run
  ndflow::Array x = ndflow::ones({64});
  for (int i = 0; i < 20000; ++i) x = x + 1;  // each op releases the previous x
  kept = x;
  return 0;  // no wait: the exit handler finishes the work
}
