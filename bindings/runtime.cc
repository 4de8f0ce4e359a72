// Devices, barriers, the profiler, engine facts and the demo.
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdio>

#include "convert.h"
#include "gil.h"
#include "module.h"
#include "ndflow/array.h"
#include "ndflow/build_info.h"
#include "ndflow/engine.h"
#include "tools/demo/cli.h"
#include "tools/info/info.h"

namespace ndflow::python {

void bind_runtime(nb::module_& m) {
  nb::class_<Device>(m, "Device", "Where an array lives: cpu(i) or gpu(i).")
      .def_prop_ro("device_type", [](const Device& d) { return d.is_cpu() ? "cpu" : "gpu"; })
      .def_prop_ro("device_id", [](const Device& d) { return static_cast<int>(d.index); })
      .def("__repr__", &Device::to_string)
      .def("__eq__", [](const Device& a, const Device& b) { return a == b; })
      .def("__eq__", [](const Device&, nb::handle) { return false; })
      .def("__hash__", [](const Device& d) { return std::hash<Device>()(d); })
      // `with npx.gpu(0):` makes it the device of new arrays that name none, as in MXNet.
      .def("__enter__",
           [](const Device& d) {
             enter_device_scope(d);
             return d;
           })
      .def("__exit__", [](const Device&, nb::args) { exit_device_scope(); });
  m.def("current_device", &current_device);
  m.def(
      "cpu", [](int i) { return Device::cpu(i); }, nb::arg("device_id") = 0);
  m.def(
      "gpu", [](int i) { return Device::gpu(i); }, nb::arg("device_id") = 0);
  m.def("device", [](nb::handle obj) { return to_device(obj); });
  m.def("num_gpus", &num_gpus);
  m.def("cuda_compiled", &cuda_compiled,
        "True when ndflow was built with CUDA, GPU or not (torch.backends.cuda.is_built()).");
  m.def(
      "cuda_version",
      []() -> nb::object {
        const std::string version = cuda_runtime_version();
        if (version.empty()) return nb::none();
        return nb::str(version.c_str());
      },
      "The CUDA runtime ndflow was built with, such as '13.0'; None without CUDA "
      "(torch.version.cuda).");
  m.def("set_float32_matmul_precision", &set_float32_matmul_precision, nb::arg("precision"),
        "'highest' (default): float32 products in full float32 on GPUs; 'high': TF32 allowed.");
  m.def("get_float32_matmul_precision", &get_float32_matmul_precision);

  m.def(
      "waitall", [] { wait_without_gil([] { wait_all(); }); },
      "Waits until every operation pushed so far is done; raises the first failure.");

  m.def(
      "demo_main",
      [](const std::vector<std::string>& args) {
        std::fflush(stdout);  // Python's and C++'s output share the terminal
        return without_gil([&args] { return demo::demo_main(args); });
      },
      nb::arg("args"), "Runs ndflow-demo with command-line arguments; returns its exit status.");

  m.def(
      "info_main",
      [](const std::vector<std::string>& args) {
        std::fflush(stdout);
        return without_gil([&args] { return info::info_main(args); });
      },
      nb::arg("args"), "Runs ndflow-info with command-line arguments; returns its exit status.");

  m.def("profiler_start", [] { default_engine().profiler_start(); });
  m.def("profiler_stop", [] { default_engine().profiler_stop(); });
  m.def("profiler_json", [] { return default_engine().profiler_json(); });
  m.def("profiler_dump", [](const std::string& path) { default_engine().profiler_dump(path); });

  m.def("engine_stats", [] {
    const EngineStats s = default_engine().stats();
    nb::dict d;
    d["ops_pushed"] = s.ops_pushed;
    d["ops_done"] = s.ops_done;
    d["ops_inflight"] = s.ops_inflight;
    d["ops_inflight_peak"] = s.ops_inflight_peak;
    d["ops_run_inline"] = s.ops_run_inline;
    d["vars_live"] = s.vars_live;
    d["inflight_bytes"] = s.inflight_bytes;
    d["inflight_bytes_peak"] = s.inflight_bytes_peak;
    return d;
  });
  m.def("cpu_workers", [] { return default_engine().lane_workers(Lane::cpu_compute()); });
  m.def("engine_kind",
        [] { return default_engine().kind() == EngineKind::kNaive ? "naive" : "threaded"; });

  // nanobind reports, at exit, every ndarray still alive as a reference-counting bug in
  // these bindings. The package turns that off when daemon threads outlive the interpreter,
  // as CPython never frees what their frames hold.
  m.def(
      "_set_leak_warnings", [](bool on) { nb::set_leak_warnings(on); }, nb::arg("on"));
}

}  // namespace ndflow::python
