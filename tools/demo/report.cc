// ndflow-demo's outputs (see report.h).
#include "tools/demo/report.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "ndflow/build_info.h"
#include "ndflow/device.h"
#include "ndflow/engine.h"
#include "tools/demo/timeline_svg.h"

namespace ndflow::demo {
namespace {

std::string artifact(const DemoOptions& options, const ExperimentResult& r, const char* suffix) {
  return (std::filesystem::path(options.out_dir) / (r.id + suffix)).string();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("ndflow-demo: cannot write " + path);
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f sec", s);
  return buf;
}

}  // namespace

std::string format_report(const std::vector<ExperimentResult>& results,
                          const DemoOptions& options) {
  std::ostringstream os;
  os << "ndflow-demo: the experiments of 'Asynchronous Computation' and 'Automatic "
        "Parallelism'\n"
     << "mode: " << (options.quick ? "quick" : "full") << ", median of " << options.runs
     << " runs after a warm-up; " << default_engine().lane_workers(Lane::cpu_compute())
     << " CPU compute workers, " << num_gpus() << " GPUs\n";
  int index = 0;
  for (const ExperimentResult& r : results) {
    os << "\n[" << ++index << "] " << r.title << "  (" << r.chapter << ")\n";
    if (r.skipped) {
      os << "    skipped: " << r.skip_reason << "\n";
      continue;
    }
    os << "    on " << r.device << "\n";
    for (const Part& p : r.parts) {
      char line[160];
      std::snprintf(line, sizeof line, "    %-36s %s\n", (p.label + ":").c_str(),
                    seconds_text(p.seconds).c_str());
      os << line;
    }
    char ratio[200];
    if (r.ideal > 0)
      std::snprintf(ratio, sizeof ratio, "    %s = %.2f (ideal %.2f)\n", r.ratio_name.c_str(),
                    r.ratio, r.ideal);
    else
      std::snprintf(ratio, sizeof ratio, "    %s = %.2f\n", r.ratio_name.c_str(), r.ratio);
    os << ratio << "    => " << r.reading << "\n";
  }
  return os.str();
}

std::string format_json(const std::vector<ExperimentResult>& results, const DemoOptions& options) {
  nlohmann::ordered_json doc;
  doc["version"] = "0.1.0";
  doc["quick"] = options.quick;
  doc["runs"] = options.runs;
  doc["out_dir"] = options.out_dir;
  doc["cpu_workers"] = default_engine().lane_workers(Lane::cpu_compute());
  doc["gpus"] = num_gpus();  // usable by arrays
  doc["visible_gpus"] = visible_gpus().size();
  doc["experiments"] = nlohmann::ordered_json::array();
  for (const ExperimentResult& r : results) {
    nlohmann::ordered_json e;
    e["id"] = r.id;
    e["title"] = r.title;
    e["chapter"] = r.chapter;
    e["status"] = r.skipped ? "skipped" : "ran";
    if (r.skipped) {
      e["reason"] = r.skip_reason;
      doc["experiments"].push_back(e);
      continue;
    }
    e["device"] = r.device;
    e["times"] = nlohmann::ordered_json::object();
    for (const Part& p : r.parts) e["times"][p.label] = p.seconds;
    e["ratio"] = {{"name", r.ratio_name}, {"value", r.ratio}, {"ideal", r.ideal}};
    e["model"] = nlohmann::ordered_json::object();
    for (const auto& [name, value] : r.model) e["model"][name] = value;
    e["reading"] = r.reading;
    e["trace"] = artifact(options, r, ".trace.json");
    e["timeline"] = artifact(options, r, ".svg");
    e["lanes"] = r.lanes;
    doc["experiments"].push_back(e);
  }
  return doc.dump(2);
}

void write_artifacts(const std::vector<ExperimentResult>& results, const DemoOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec)
    throw std::runtime_error("ndflow-demo: cannot create " + options.out_dir + ": " + ec.message());
  for (const ExperimentResult& r : results) {
    if (r.skipped) continue;
    write_file(artifact(options, r, ".trace.json"), r.trace_json);
    std::vector<TimelineOp> ops;
    ops.reserve(r.profile.size());
    for (const ProfileRecord& rec : r.profile)
      ops.push_back({rec.name, timeline_row(rec), rec.worker, rec.start_ns, rec.end_ns});
    write_file(artifact(options, r, ".svg"),
               render_timeline_svg(r.title + " (" + r.device + ")", r.lanes, ops));
  }
}

}  // namespace ndflow::demo
