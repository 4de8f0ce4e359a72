// ndflow-info (see info.h).
#include "tools/info/info.h"

#include <cstdio>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ndflow/build_info.h"
#include "ndflow/device.h"
#include "ndflow/engine.h"

namespace ndflow::info {
namespace {

constexpr const char* kHelp = R"(usage: ndflow-info [--json] [--check] [--help]

Prints what this build of ndflow has and what it sees: its version, whether CUDA is
compiled in (and which), the BLAS library, the engine's CPU workers, and every visible GPU
with its name and memory.

  --json    print the same as one JSON object (keys include cuda_compiled and gpus)
  --check   also run a small kernel on each visible GPU and check its result
  --help    this text
)";

std::string gib(std::size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  return buf;
}

}  // namespace

int info_main(const std::vector<std::string>& args) {
  bool json = false, check = false;
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::cout << kHelp;
      return 0;
    } else if (a == "--json") {
      json = true;
    } else if (a == "--check") {
      check = true;
    } else {
      std::cerr << "ndflow-info: unknown option '" << a << "' (see --help)\n";
      return 2;
    }
  }
  const std::vector<GpuInfo> gpus = visible_gpus();
  nlohmann::ordered_json doc;
  doc["version"] = version();
  doc["cuda_compiled"] = cuda_compiled();
  doc["cuda_runtime_version"] = cuda_runtime_version();
  doc["cuda_driver_version"] = cuda_driver_version();
  doc["blas"] = blas_description();
  doc["engine"] = default_engine().kind() == EngineKind::kNaive ? "naive" : "threaded";
  doc["cpu_workers"] = default_engine().lane_workers(Lane::cpu_compute());
  doc["gpus_usable_by_arrays"] = num_gpus();
  doc["gpus_simulated"] = gpus_simulated();
  doc["gpus"] = nlohmann::ordered_json::array();
  bool all_passed = true;
  for (const GpuInfo& g : gpus) {
    nlohmann::ordered_json e = {{"index", g.index},
                                {"name", g.name},
                                {"total_bytes", g.total_bytes},
                                {"free_bytes", g.free_bytes},
                                {"compute_capability", std::to_string(g.compute_major) + "." +
                                                           std::to_string(g.compute_minor)}};
    if (check) {
      std::string problem;
      try {
        problem = gpu_smoke_test(g.index);
      } catch (const std::exception& ex) {
        problem = ex.what();
      }
      e["check"] = problem.empty() ? "passed" : problem;
      all_passed = all_passed && problem.empty();
    }
    doc["gpus"].push_back(e);
  }
  if (gpus.empty()) doc["gpu_absence_reason"] = gpu_absence_reason();

  if (json) {
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << "ndflow " << version() << "\n"
              << "  CUDA compiled in: "
              << (cuda_compiled() ? "yes (runtime " + cuda_runtime_version() + ", driver " +
                                        (cuda_driver_version().empty() ? std::string("none")
                                                                       : cuda_driver_version()) +
                                        ")"
                                  : std::string("no"))
              << "\n"
              << "  BLAS: " << blas_description() << "\n"
              << "  engine: " << doc["engine"].get<std::string>() << ", "
              << doc["cpu_workers"].get<int>() << " CPU compute workers\n"
              << "  GPUs visible: " << gpus.size() << "; usable by arrays: " << num_gpus()
              << (gpus_simulated() ? " (simulated: NDFLOW_SIMULATED_GPUS)" : "") << "\n";
    for (const auto& e : doc["gpus"])
      std::cout << "    gpu(" << e["index"].get<int>() << "): " << e["name"].get<std::string>()
                << ", " << gib(e["total_bytes"].get<std::size_t>()) << " ("
                << gib(e["free_bytes"].get<std::size_t>()) << " free), compute capability "
                << e["compute_capability"].get<std::string>()
                << (e.contains("check") ? ", check: " + e["check"].get<std::string>() : "") << "\n";
    if (gpus.empty()) std::cout << "    " << gpu_absence_reason() << "\n";
  }
  return all_passed ? 0 : 1;
}

}  // namespace ndflow::info
