// The chapters' experiments (see experiments.h). Each experiment says what it times as a
// list of parts; the harness warms up, takes the median of each part over the runs, then
// repeats one run under the profiler for the trace and the timeline.
#include "tools/demo/experiments.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ndflow/array.h"
#include "ndflow/build_info.h"
#include "ndflow/device.h"

namespace ndflow::demo {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Times f() in seconds.
template <class F>
double timed(F&& f) {
  const Clock::time_point t0 = Clock::now();
  f();
  return seconds_since(t0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string fmt(const char* format, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, a, b, c, d);
  return buf;
}

std::string ms(double seconds) { return fmt("%.1f ms", seconds * 1e3); }

Engine& engine() { return default_engine(); }

std::string cpu_description() {
  return "cpu(0): " + std::to_string(engine().lane_workers(Lane::cpu_compute())) +
         " compute workers, " + std::to_string(engine().lane_workers(Lane::cpu_copy())) +
         " copy worker(s)";
}

// One experiment's run: each part's seconds, in the order of the experiment's labels.
using OneRun = std::function<std::vector<double>()>;

class Harness {
 public:
  Harness(const DemoOptions& options, const Progress& progress, int index, int count)
      : options_(options), progress_(progress), index_(index), count_(count) {}

  // Warm-up, options.runs timed runs (medians into result.parts), one profiled run.
  void measure(ExperimentResult& result, const std::vector<std::string>& labels,
               const OneRun& once) const {
    step(result, "warm-up");
    once();
    wait_all();
    std::vector<std::vector<double>> samples(labels.size());
    for (int r = 0; r < options_.runs; ++r) {
      step(result, "run " + std::to_string(r + 1) + "/" + std::to_string(options_.runs));
      const std::vector<double> parts = once();
      for (std::size_t i = 0; i < labels.size(); ++i) samples[i].push_back(parts[i]);
    }
    for (std::size_t i = 0; i < labels.size(); ++i)
      result.parts.push_back({labels[i], median(samples[i])});

    step(result, "profiled run");
    wait_all();
    engine().profiler_start();
    once();
    wait_all();
    engine().profiler_stop();
    result.profile = engine().profiler_records();
    result.trace_json = engine().profiler_json();
    // Rows in lane order, each lane's stream (when a GPU ran the work) under its workers.
    std::set<std::pair<std::uint16_t, bool>> rows;
    for (const ProfileRecord& r : result.profile) rows.insert({r.lane.id, r.on_stream});
    for (const auto& [id, on_stream] : rows) {
      ProfileRecord row;
      row.lane = Lane{id};
      row.on_stream = on_stream;
      result.lanes.push_back(timeline_row(row));
    }
  }

  void step(const ExperimentResult& result, const std::string& what) const {
    if (progress_) progress_(index_, count_, result.title, what);
  }

 private:
  const DemoOptions& options_;
  const Progress& progress_;
  int index_, count_;
};

double part(const ExperimentResult& r, std::size_t i) { return r.parts.at(i).seconds; }

// The chapters' workloads: `count` products of x with itself, and copies of arrays to the CPU.
std::vector<Array> products_of(const Array& x, int count) {
  std::vector<Array> ys;
  for (int i = 0; i < count; ++i) ys.push_back(dot(x, x));
  return ys;
}

std::vector<Array> copies_to_cpu(const std::vector<Array>& ys) {
  std::vector<Array> out;
  // Pinned, as the chapter's non_blocking=True: the copy engine writes the results directly.
  for (const Array& y : ys) out.push_back(y.copy_to(Device::cpu(), HostMemory::kPinned));
  return out;
}

// The chapter's overlap listing: `products` products of x ("run"), their copies to the CPU
// ("copy"), then each copy pushed right after its product ("run and copy").
void measure_run_and_copy(const Harness& h, ExperimentResult& r,
                          const std::vector<std::string>& labels, const Array& x, int products) {
  h.measure(r, labels, [&] {
    std::vector<Array> ys;
    const double compute = timed([&] {
      ys = products_of(x, products);
      wait_all();
    });
    const double copy = timed([&] {
      copies_to_cpu(ys);
      wait_all();
    });
    const double both = timed([&] {
      copies_to_cpu(products_of(x, products));
      wait_all();
    });
    return std::vector<double>{compute, copy, both};
  });
}

// The chapters' parallelism pattern: a() alone, b() alone, then both pushed with no wait
// between them (each part ends with wait_all), as three parts.
void measure_alone_and_together(const Harness& h, ExperimentResult& r,
                                const std::vector<std::string>& labels,
                                const std::function<void()>& a, const std::function<void()>& b) {
  h.measure(r, labels, [&] {
    const double one = timed([&] {
      a();
      wait_all();
    });
    const double two = timed([&] {
      b();
      wait_all();
    });
    const double both = timed([&] {
      a();
      b();
      wait_all();
    });
    return std::vector<double>{one, two, both};
  });
}

ExperimentResult on_cpu(const char* id, const char* title, const char* chapter) {
  ExperimentResult r;
  r.id = id;
  r.title = title;
  r.chapter = chapter;
  r.device = cpu_description();
  return r;
}

// --- async-computation: the front end returns at once -----------------------------------

ExperimentResult async_frontend(const DemoOptions& o, const Harness& h) {
  ExperimentResult r =
      on_cpu("async_frontend", "Asynchronous vs synchronous front end", "async-computation");
  const std::int64_t n = o.quick ? 200 : 1000;  // the chapter: 10 x normal(1000x1000) + dot
  h.measure(r,
            {"synchronous (wait after each op)", "asynchronous: front end returns",
             "asynchronous: with wait_all"},
            [n] {
              const double sync = timed([n] {
                for (int i = 0; i < 10; ++i) {
                  Array a = random::normal(0, 1, {n, n});
                  dot(a, a).wait_to_read();
                }
              });
              const Clock::time_point t0 = Clock::now();
              for (int i = 0; i < 10; ++i) {
                Array a = random::normal(0, 1, {n, n});
                Array b = dot(a, a);
              }
              const double front = seconds_since(t0);
              wait_all();
              return std::vector<double>{sync, front, seconds_since(t0)};
            });
  r.ratio_name = "work finished / front end returned";
  r.ratio = part(r, 2) / part(r, 1);
  r.reading = "the front end got control back after " + ms(part(r, 1)) + ", " +
              fmt("%.0fx", r.ratio) + " sooner than the work took (" + ms(part(r, 2)) +
              "); the same work waited op by op took " + ms(part(r, 0));
  return r;
}

ExperimentResult waitall_vs_wait_to_read(const DemoOptions& o, const Harness& h) {
  ExperimentResult r =
      on_cpu("waitall_vs_wait_to_read", "Barriers: waitall vs wait_to_read", "async-computation");
  const std::int64_t n = o.quick ? 200 : 1000;
  const Array a = random::normal(0, 1, {n, n});
  h.measure(r, {"waitall", "wait_to_read"}, [a] {
    const double all = timed([&a] {
      Array b = dot(a, a);
      wait_all();
    });
    const double one = timed([&a] { dot(a, a).wait_to_read(); });
    return std::vector<double>{all, one};
  });
  r.ratio_name = "waitall / wait_to_read";
  r.ratio = part(r, 0) / part(r, 1);
  r.ideal = 1;
  r.reading = "both wait for the same product, so they take about the same time (" +
              fmt("%.2f", r.ratio) + "); wait_to_read would let unrelated work go on";
  return r;
}

ExperimentResult implicit_blockers(const DemoOptions& o, const Harness& h) {
  ExperimentResult r =
      on_cpu("implicit_blockers", "Implicit blockers: asnumpy, item, print", "async-computation");
  const std::int64_t n = o.quick ? 200 : 1000;
  const Array a = random::normal(0, 1, {n, n});
  h.measure(r, {"wait_to_read", "asnumpy (to_vector)", "item (sum().item())", "print"}, [a] {
    return std::vector<double>{
        timed([&a] { dot(a, a).wait_to_read(); }),
        timed([&a] { (void)dot(a, a).to_vector<float>(); }),
        timed([&a] { (void)sum(dot(a, a)).item<float>(); }),
        timed([&a] { (void)dot(a, a).to_string(); }),
    };
  });
  const double slowest = std::max({part(r, 1), part(r, 2), part(r, 3)});
  r.ratio_name = "slowest blocker / wait_to_read";
  r.ratio = slowest / part(r, 0);
  r.ideal = 1;
  r.reading = "each blocker waits for the product like wait_to_read (" + ms(part(r, 0)) +
              "), then copies or formats: the slowest took " + fmt("%.2fx", r.ratio);
  return r;
}

ExperimentResult dispatch_model(const DemoOptions& o, const Harness& h) {
  ExperimentResult r =
      on_cpu("dispatch_model", "10,000 x + 1: synchronous vs asynchronous", "async-computation");
  const int ops = o.quick ? 2000 : 10000;
  const Array x = ones({1, 2});
  h.measure(r,
            {"synchronous (wait_to_read each)", "asynchronous (one wait_all)",
             "asynchronous: front end only"},
            [x, ops] {
              const double sync = timed([&] {
                for (int i = 0; i < ops; ++i) (x + 1).wait_to_read();
              });
              const Clock::time_point t0 = Clock::now();
              for (int i = 0; i < ops; ++i) Array y = x + 1;
              const double front = seconds_since(t0);
              wait_all();
              return std::vector<double>{sync, seconds_since(t0), front};
            });
  // The chapter's model: synchronous costs N (t1 + t2 + t3), asynchronous t1 + N t2 + t3
  // when the backend is the bottleneck (N t1 + t2 + t3 when the front end is). t1 is the
  // front end's time per op and t2 the backend's (from the profiled run); t3, handing a
  // result back to a waiting front end, is what the synchronous run pays on top.
  const double n = ops;
  const double t1 = part(r, 2) / n;
  double busy = 0;
  int adds = 0;
  for (const ProfileRecord& rec : r.profile)
    if (rec.name == "add") {
      busy += static_cast<double>(rec.end_ns - rec.start_ns) * 1e-9;
      ++adds;
    }
  const double t2 = adds > 0 ? busy / adds : 0;
  const double t3 = std::max(0.0, part(r, 0) / n - t1 - t2);
  const double predicted = n * t2 > (n - 1) * t1 ? t1 + n * t2 + t3 : n * t1 + t2 + t3;
  r.model = {{"t1_us", t1 * 1e6},
             {"t2_us", t2 * 1e6},
             {"t3_us", t3 * 1e6},
             {"predicted_async_ms", predicted * 1e3}};
  r.ratio_name = "synchronous / asynchronous";
  r.ratio = part(r, 0) / part(r, 1);
  const std::string fitted =
      fmt("fitted t1 = %.2f us, t2 = %.2f us, t3 = %.2f us", t1 * 1e6, t2 * 1e6, t3 * 1e6);
  if (r.ratio >= 1)
    r.reading = fmt("asynchronous is %.1fx faster; ", r.ratio) + fitted +
                ", so the model predicts " + ms(predicted) + " for the asynchronous run (" +
                ms(part(r, 1)) + " measured)";
  else
    r.reading = fmt("synchronous is %.1fx faster here: a waiting thread runs the ready op "
                    "itself (t3 ~ 0), while asynchronously each op crosses to a worker; ",
                    1 / r.ratio) +
                fitted + "; the model predicts " + ms(predicted) + " (" + ms(part(r, 1)) +
                " measured)";
  return r;
}

// --- auto-parallelism: independent work runs in parallel -----------------------------------

ExperimentResult cpu_workers_parallel(const DemoOptions& o, const Harness& h) {
  ExperimentResult r =
      on_cpu("cpu_workers_parallel", "Independent work on the CPU workers", "auto-parallelism");
  // Two chains of dependent products: each chain keeps one worker busy at a time, so two
  // chains can use two workers. 96^3 stays below the size at which one product is split.
  const std::int64_t n = 96;
  const int steps = o.quick ? 100 : 400;
  const Array w = random::uniform(0, 2.0 / n, {n, n});
  const Array x1 = random::uniform(0, 1, {n, n}), x2 = random::uniform(0, 1, {n, n});
  const auto chain = [w, steps](Array y) {
    for (int i = 0; i < steps; ++i) y = dot(y, w);
    return y;
  };
  measure_alone_and_together(
      h, r, {"chain 1 alone", "chain 2 alone", "both chains together"}, [&] { chain(x1); },
      [&] { chain(x2); });
  const int workers = engine().lane_workers(Lane::cpu_compute());
  r.ratio_name = "sum of parts / together";
  r.ratio = (part(r, 0) + part(r, 1)) / part(r, 2);
  r.ideal = std::min(2, std::max(1, workers));
  r.reading = "pushed with no wait between them, the two chains ran " + fmt("%.2fx", r.ratio) +
              " faster than one after the other (ideal " + fmt("%.0fx", r.ideal) + " on " +
              std::to_string(workers) + " workers)";
  return r;
}

ExperimentResult skipped(std::string id, std::string title, std::string chapter,
                         std::string reason) {
  ExperimentResult r;
  r.id = std::move(id);
  r.title = std::move(title);
  r.chapter = std::move(chapter);
  r.skipped = true;
  r.skip_reason = std::move(reason);
  return r;
}

// Why a GPU experiment cannot run here: no GPU at all, too few, or GPUs the array layer
// cannot use yet.
std::string gpu_absence(int needed) {
  if (num_gpus() == 0)
    return gpu_absence_reason() + "; NDFLOW_SIMULATED_GPUS=" + std::to_string(needed) +
           " runs it on simulated GPUs";
  return "needs " + std::to_string(needed) + " GPUs, " + std::to_string(num_gpus()) +
         " usable; NDFLOW_LOGICAL_GPUS=" + std::to_string(needed) + " splits one";
}

ExperimentResult compute_copy_overlap(const DemoOptions& o, const Harness& h) {
  ExperimentResult r =
      on_cpu("compute_copy_overlap", "Computation overlapped with copies", "auto-parallelism");
  // The chapter computes on a GPU and copies to the CPU. Without a GPU the products run on
  // the CPU compute lane and copy_to runs on the CPU copy lane: the same structure.
  const std::int64_t n = o.quick ? 192 : 512;
  const int products = o.quick ? 10 : 50;  // the chapter: 50
  const Array x = random::uniform(0, 1, {n, n});
  measure_run_and_copy(h, r, {"Run", "Copy", "Run and copy"}, x, products);
  r.ratio_name = "sum of parts / together";
  r.ratio = (part(r, 0) + part(r, 1)) / part(r, 2);
  r.ideal = (part(r, 0) + part(r, 1)) / std::max(part(r, 0), part(r, 1));
  r.reading =
      "copies ran on the copy lane while later products computed: " + fmt("%.2fx", r.ratio) +
      " against an ideal of " + fmt("%.2fx", r.ideal) + " (copying is " +
      fmt("%.0f%%", 100 * part(r, 1) / part(r, 0)) +
      " of computing here; on a GPU it is the PCIe bus)";
  return r;
}

// --- auto-parallelism on GPUs ------------------------------------------------------------

// "gpu(0): NVIDIA H100 ...", and whether the GPUs are simulated (their timings then say how
// the lanes overlap host threads, not how a GPU performs).
std::string gpu_description(int count) {
  std::string d;
  for (int i = 0; i < count; ++i)
    d += (i ? "; " : "") + Device::gpu(i).to_string() + ": " + gpu_name(i);
  return d;
}

// The chapter's sizes on a real GPU; small ones on simulated GPUs (host kernels).
std::int64_t gpu_matrix_size(const DemoOptions& o) {
  if (gpus_simulated()) return o.quick ? 64 : 192;
  return o.quick ? 1000 : 4000;  // the chapter: 4000 x 4000
}

// Said after a GPU experiment's reading when the GPUs are simulated.
std::string simulated_note() {
  return gpus_simulated() ? " [simulated GPUs: host threads, so this shows the lanes' overlap, "
                            "not a GPU's speed]"
                          : "";
}

// Said after the two-GPU reading when gpu(0) and gpu(1) are logical GPUs of one CUDA GPU.
std::string logical_note() {
  if (gpus_simulated() || gpu_cuda_ordinal(0) != gpu_cuda_ordinal(1)) return "";
  return " [logical GPUs of one GPU (NDFLOW_LOGICAL_GPUS): their streams run side by side "
         "(see the timeline), but they share its multiprocessors, which one large product "
         "already fills, so the 2x needs two GPUs]";
}

ExperimentResult gpu_parallel(const DemoOptions& o, const Harness& h) {
  ExperimentResult r;
  r.id = "gpu_parallel";
  r.title = "Independent work on GPU1 and GPU2";
  r.chapter = "auto-parallelism";
  r.device = gpu_description(2);
  const std::int64_t n = gpu_matrix_size(o);
  const int products = o.quick ? 10 : 50;  // the chapter: 50
  const Array x1 = random::uniform(0, 1, {n, n}, kFloat32, Device::gpu(0));
  const Array x2 = random::uniform(0, 1, {n, n}, kFloat32, Device::gpu(1));
  measure_alone_and_together(
      h, r, {"Run on GPU1", "Run on GPU2", "Run on both"}, [&] { products_of(x1, products); },
      [&] { products_of(x2, products); });
  r.ratio_name = "sum of parts / together";
  r.ratio = (part(r, 0) + part(r, 1)) / part(r, 2);
  r.ideal = 2;
  r.reading = "pushed with no wait between them, the two GPUs' products ran " +
              fmt("%.2fx", r.ratio) + " faster than one GPU after the other (ideal 2x)" +
              logical_note() + simulated_note();
  return r;
}

ExperimentResult gpu_compute_copy_overlap(const DemoOptions& o, const Harness& h) {
  ExperimentResult r;
  r.id = "gpu_compute_copy_overlap";
  r.title = "GPU computation overlapped with copies to the CPU";
  r.chapter = "auto-parallelism";
  r.device = gpu_description(1);
  const std::int64_t n = gpu_matrix_size(o);
  const int products = o.quick ? 10 : 50;
  const Array x = random::uniform(0, 1, {n, n}, kFloat32, Device::gpu(0));
  measure_run_and_copy(h, r, {"Run on GPU1", "Copy to CPU", "Run on GPU1 and copy to CPU"}, x,
                       products);
  r.ratio_name = "sum of parts / together";
  r.ratio = (part(r, 0) + part(r, 1)) / part(r, 2);
  r.ideal = (part(r, 0) + part(r, 1)) / std::max(part(r, 0), part(r, 1));
  r.reading =
      "each product's copy to the CPU ran on the copy-out stream while later products "
      "computed: " +
      fmt("%.2fx", r.ratio) + " against an ideal of " + fmt("%.2fx", r.ideal) + simulated_note();
  return r;
}

ExperimentResult cpu_and_gpu(const DemoOptions& o, const Harness& h) {
  ExperimentResult r;
  r.id = "cpu_and_gpu";
  r.title = "CPU and GPU in parallel";
  r.chapter = "auto-parallelism (zh)";
  r.device = cpu_description() + "; " + gpu_description(1);
  const std::int64_t n_gpu = gpu_matrix_size(o);
  const std::int64_t n_cpu = o.quick ? 96 : 256;
  const int products = o.quick ? 10 : 50;
  const Array xg = random::uniform(0, 1, {n_gpu, n_gpu}, kFloat32, Device::gpu(0));
  const Array xc = random::uniform(0, 1, {n_cpu, n_cpu});
  measure_alone_and_together(
      h, r, {"Run on the CPU", "Run on the GPU", "Run on both"}, [&] { products_of(xc, products); },
      [&] { products_of(xg, products); });
  r.ratio_name = "together / sum of parts";
  r.ratio = part(r, 2) / (part(r, 0) + part(r, 1));
  r.ideal = std::max(part(r, 0), part(r, 1)) / (part(r, 0) + part(r, 1));
  r.reading = "CPU and GPU work pushed together took " + fmt("%.0f%%", 100 * r.ratio) +
              " of the time one after the other (ideal " + fmt("%.0f%%", 100 * r.ideal) + ")" +
              simulated_note();
  return r;
}

}  // namespace

std::vector<ExperimentResult> run_experiments(const DemoOptions& options,
                                              const Progress& progress) {
  using Experiment = ExperimentResult (*)(const DemoOptions&, const Harness&);
  struct Entry {
    Experiment run;
    const char* id;
    const char* title;
    const char* chapter;
    int min_gpus;
  };
  const std::vector<Entry> entries = {
      {&async_frontend, "async_frontend", "", "", 0},
      {&waitall_vs_wait_to_read, "waitall_vs_wait_to_read", "", "", 0},
      {&implicit_blockers, "implicit_blockers", "", "", 0},
      {&dispatch_model, "dispatch_model", "", "", 0},
      {&cpu_workers_parallel, "cpu_workers_parallel", "", "", 0},
      {&gpu_parallel, "gpu_parallel", "Independent work on GPU1 and GPU2", "auto-parallelism", 2},
      {&cpu_and_gpu, "cpu_and_gpu", "CPU and GPU in parallel", "auto-parallelism (zh)", 1},
      {&compute_copy_overlap, "compute_copy_overlap", "", "", 0},
      {&gpu_compute_copy_overlap, "gpu_compute_copy_overlap",
       "GPU computation overlapped with copies to the CPU", "auto-parallelism", 1},
  };
  std::vector<ExperimentResult> results;
  const int count = static_cast<int>(entries.size());
  for (int i = 0; i < count; ++i) {
    const Entry& e = entries[static_cast<std::size_t>(i)];
    if (!e.run || num_gpus() < e.min_gpus) {
      results.push_back(skipped(e.id, e.title, e.chapter, gpu_absence(e.min_gpus)));
      if (progress) progress(i + 1, count, e.title, "skipped");
      continue;
    }
    const Harness harness(options, progress, i + 1, count);
    results.push_back(e.run(options, harness));
  }
  return results;
}

std::string timeline_row(const ProfileRecord& r) {
  const std::string lane = default_engine().lane_name(r.lane);
  return r.on_stream ? lane + " stream" : lane;
}

}  // namespace ndflow::demo
