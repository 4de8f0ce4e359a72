// The array benchmark's workloads. Each function runs on whatever engine the array layer
// uses at the call (main.cc sets a fresh one per workload): it builds its inputs and waits
// for them, runs the workload once to warm up, then `reps` timed times, checks one result
// against the host, and returns the timed figures. A timed run includes pushing every op
// and waiting for its result, as a user of the array API would.
#pragma once

#include <cstdint>
#include <vector>

namespace ndflow::bench {

// matmul of two n x n float32 arrays (uniform in [-1, 1)), then wait_to_read: ms per run.
std::vector<double> MatmulMs(std::int64_t n, int reps);

// add of two float32 arrays of n elements, then wait_to_read: ms per run.
std::vector<double> AddMs(std::int64_t n, int reps);

// sum over `axis` (0: the columns, 1: the rows) of an n x n float32 array, then
// wait_to_read: ms per run.
std::vector<double> SumMs(std::int64_t n, int axis, int reps);

// max of an n x n float32 array, over every element (axis -1) or over axis 1 (the rows),
// then wait_to_read: ms per run.
std::vector<double> MaxMs(std::int64_t n, int axis, int reps);

// `ops` times y = x + 1 on a (1,2) float32 array: with `sync` false every op is pushed and
// then ndflow::wait_all() is called once; with `sync` true y.wait_to_read() follows each.
// ns per op.
std::vector<double> DispatchNs(std::int64_t ops, bool sync, int reps);

// `count` independent matmuls of one n x n float32 array with itself (the ops only read
// it, so none waits for another), all pushed, then wait_all: ms per run.
std::vector<double> SmallMatmulMs(std::int64_t count, std::int64_t n, int reps);

}  // namespace ndflow::bench
