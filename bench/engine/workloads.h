// The engine benchmark's workloads. Each function does one timed run on the given engine:
// it creates its vars, then times pushing every op (all dependencies declared at push time)
// and waiting for them, then deletes the vars. It returns the wall time per op in ns.
#pragma once

#include <cstdint>

#include "ndflow/engine.h"

namespace ndflow::bench {

// W1: `ops` independent empty ops (no vars), then wait_all.
double RunIndependent(Engine& engine, std::int64_t ops);

// W2: `ops` empty ops that each write the same var (a serial chain), then wait_all.
double RunSerialChain(Engine& engine, std::int64_t ops);

// W3: `ops` empty ops, op i writing var i % `vars`, then wait_all.
double RunRoundRobin(Engine& engine, std::int64_t ops, int vars);

// W4: `ops` ops computing y = x + 1 on `len` floats (each reads x's var, writes y's var).
// With `sync` false it pushes them all then calls wait_all (W4_async); with `sync` true it
// calls wait_to_read(y) after each push (W4_sync). Throws std::runtime_error if y is wrong.
double RunAddOne(Engine& engine, std::int64_t ops, int len, bool sync);

// The W4 kernel alone: `calls` calls of y = x + 1 on `len` floats, ns per call.
double RunKernelOnly(std::int64_t calls, int len);

}  // namespace ndflow::bench
