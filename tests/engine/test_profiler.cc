// Profiler: records of the ops that start between profiler_start and profiler_stop, and
// their Chrome Trace Event JSON (one process per lane, one track per worker).
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine_test_util.h"

namespace ndflow_test {
namespace {

using ndflow::Engine;
using ndflow::Lane;
using ndflow::ProfileRecord;
using ndflow::Var;
using nlohmann::json;

class ProfilerTest : public EngineKindTest {};
NDFLOW_INSTANTIATE_FOR_ENGINE_KINDS(ProfilerTest);

// The complete ("ph":"X") events named `name`.
std::vector<json> CompleteEvents(const json& trace, const std::string& name) {
  std::vector<json> out;
  for (const json& ev : trace.at("traceEvents")) {
    if (ev.value("ph", "") == "X" && ev.value("name", "") == name) out.push_back(ev);
  }
  return out;
}

// The pid of the process whose process_name metadata mentions `lane_name`; -1 if none.
long long PidOfLane(const json& trace, const std::string& lane_name) {
  for (const json& ev : trace.at("traceEvents")) {
    if (ev.value("ph", "") != "M" || ev.value("name", "") != "process_name") continue;
    const json& args = ev.value("args", json::object());
    if (args.contains("name") && args["name"].is_string() &&
        args["name"].get<std::string>().find(lane_name) != std::string::npos) {
      return ev.at("pid").get<long long>();
    }
  }
  return -1;
}

std::vector<ProfileRecord> RecordsNamed(const Engine& e, const std::string& name) {
  std::vector<ProfileRecord> out;
  for (const ProfileRecord& r : e.profiler_records()) {
    if (r.name == name) out.push_back(r);
  }
  return out;
}

// A path under the temp directory unique to this process and test.
std::filesystem::path TempPath(const std::string& stem) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "_" + info->name();
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  return std::filesystem::temp_directory_path() /
         ("ndflow_" + stem + "_" + std::to_string(::getpid()) + "_" + name);
}

// Runs kPerLane named ops on the compute and on the copy lane, profiled.
constexpr int kPerLane = 5;
void RunProfiledOps(TestEngine& e) {
  Var a = e.new_var();
  Var b = e.new_var();
  e.profiler_start();
  for (int i = 0; i < kPerLane; ++i) {
    e.push([] {}, {}, {a}, Lane::cpu_compute(), 0, "prof_compute");
    e.push([] {}, {a}, {b}, Lane::cpu_copy(), 0, "prof_copy");
  }
  e.wait_all();
  e.profiler_stop();
}

TEST_P(ProfilerTest, JsonHasACompleteEventPerOp) {
  TestEngine e(Options());
  RunProfiledOps(e);
  const json trace = json::parse(e.profiler_json());
  ASSERT_TRUE(trace.contains("traceEvents"));
  ASSERT_TRUE(trace["traceEvents"].is_array());
  for (const char* name : {"prof_compute", "prof_copy"}) {
    SCOPED_TRACE(name);
    const std::vector<json> events = CompleteEvents(trace, name);
    EXPECT_EQ(events.size(), static_cast<std::size_t>(kPerLane));
    for (const json& ev : events) {
      ASSERT_TRUE(ev.contains("ts") && ev["ts"].is_number()) << ev.dump();
      ASSERT_TRUE(ev.contains("dur") && ev["dur"].is_number()) << ev.dump();
      EXPECT_GE(ev["dur"].get<double>(), 0.0) << ev.dump();
      EXPECT_TRUE(ev.contains("pid")) << ev.dump();
      EXPECT_TRUE(ev.contains("tid")) << ev.dump();
      // The push time travels in args (the key's exact spelling is the engine's choice).
      ASSERT_TRUE(ev.contains("args") && ev["args"].is_object()) << ev.dump();
      bool has_push_time = false;
      for (const auto& [key, value] : ev["args"].items()) {
        if (key.find("push") != std::string::npos && value.is_number()) has_push_time = true;
      }
      EXPECT_TRUE(has_push_time) << "no numeric push time in args: " << ev.dump();
    }
  }
}

TEST_P(ProfilerTest, JsonNamesOneProcessPerLane) {
  TestEngine e(Options());
  RunProfiledOps(e);
  const json trace = json::parse(e.profiler_json());
  const long long compute_pid = PidOfLane(trace, e.lane_name(Lane::cpu_compute()));
  const long long copy_pid = PidOfLane(trace, e.lane_name(Lane::cpu_copy()));
  ASSERT_NE(compute_pid, -1) << "no process_name metadata for the compute lane";
  ASSERT_NE(copy_pid, -1) << "no process_name metadata for the copy lane";
  EXPECT_NE(compute_pid, copy_pid);
  for (const json& ev : CompleteEvents(trace, "prof_compute")) {
    EXPECT_EQ(ev.at("pid").get<long long>(), compute_pid);
  }
  for (const json& ev : CompleteEvents(trace, "prof_copy")) {
    EXPECT_EQ(ev.at("pid").get<long long>(), copy_pid);
  }
  bool has_thread_name = false;
  for (const json& ev : trace["traceEvents"]) {
    if (ev.value("ph", "") == "M" && ev.value("name", "") == "thread_name") {
      has_thread_name = true;
    }
  }
  EXPECT_TRUE(has_thread_name) << "no thread_name metadata for the worker tracks";
}

TEST_P(ProfilerTest, RecordsHaveOrderedStampsAndTheirLane) {
  TestEngine e(Options());
  RunProfiledOps(e);
  const std::vector<ProfileRecord> compute = RecordsNamed(e, "prof_compute");
  const std::vector<ProfileRecord> copy = RecordsNamed(e, "prof_copy");
  EXPECT_EQ(compute.size(), static_cast<std::size_t>(kPerLane));
  EXPECT_EQ(copy.size(), static_cast<std::size_t>(kPerLane));
  for (const ProfileRecord& r : e.profiler_records()) {
    SCOPED_TRACE(r.name);
    EXPECT_LE(r.push_ns, r.start_ns);
    EXPECT_LE(r.start_ns, r.end_ns);
    EXPECT_GE(r.worker, -1);
  }
  for (const ProfileRecord& r : compute) EXPECT_EQ(r.lane, Lane::cpu_compute());
  for (const ProfileRecord& r : copy) EXPECT_EQ(r.lane, Lane::cpu_copy());
}

class ThreadedProfilerTest : public EngineTest {};

TEST_F(ThreadedProfilerTest, RecordsWorkerIndicesOfOpsRunByWorkers) {
  constexpr int kOps = 10;
  std::atomic<int> finished{0};
  TestEngine e(ThreadedOptions(2));
  e.profiler_start();
  for (int i = 0; i < kOps; ++i) {
    Var v = e.new_var();
    e.push([&] { finished.fetch_add(1); }, {}, {v}, Lane::cpu_compute(), 0, "by_worker");
  }
  // Poll rather than wait, so that no op runs inline on this thread.
  ASSERT_TRUE(SpinUntil([&] { return finished.load() == kOps; }));
  e.wait_all();
  e.profiler_stop();
  const std::vector<ProfileRecord> records = RecordsNamed(e, "by_worker");
  EXPECT_EQ(records.size(), static_cast<std::size_t>(kOps));
  for (const ProfileRecord& r : records) {
    EXPECT_GE(r.worker, 0);
    EXPECT_LT(r.worker, 2);
  }
}

TEST_P(ProfilerTest, OnlyOpsStartedWhileProfilingAreRecorded) {
  TestEngine e(Options());
  Var v = e.new_var();
  e.push([] {}, {}, {v}, Lane::cpu_compute(), 0, "before_start");
  e.wait_all();
  e.profiler_start();
  e.push([] {}, {}, {v}, Lane::cpu_compute(), 0, "while_profiling");
  e.wait_all();
  e.profiler_stop();
  e.push([] {}, {}, {v}, Lane::cpu_compute(), 0, "after_stop");
  e.wait_all();
  std::multiset<std::string> names;
  for (const ProfileRecord& r : e.profiler_records()) names.insert(r.name);
  EXPECT_EQ(names, std::multiset<std::string>{"while_profiling"});
  const json trace = json::parse(e.profiler_json());
  EXPECT_EQ(CompleteEvents(trace, "while_profiling").size(), 1u);
  EXPECT_TRUE(CompleteEvents(trace, "before_start").empty());
  EXPECT_TRUE(CompleteEvents(trace, "after_stop").empty());
}

TEST_P(ProfilerTest, EmptyProfileIsValidJson) {
  TestEngine e(Options());
  e.profiler_start();
  e.profiler_stop();
  EXPECT_TRUE(e.profiler_records().empty());
  const json trace = json::parse(e.profiler_json());
  ASSERT_TRUE(trace.contains("traceEvents"));
  ASSERT_TRUE(trace["traceEvents"].is_array());
  for (const json& ev : trace["traceEvents"]) EXPECT_NE(ev.value("ph", ""), "X") << ev.dump();
}

TEST_P(ProfilerTest, OpNamesAreEscapedInJson) {
  static constexpr const char* kName = "quote\" backslash\\ tab\t newline\n end";
  TestEngine e(Options());
  Var v = e.new_var();
  e.profiler_start();
  e.push([] {}, {}, {v}, Lane::cpu_compute(), 0, kName);
  e.wait_all();
  e.profiler_stop();
  json trace;
  ASSERT_NO_THROW(trace = json::parse(e.profiler_json()));
  EXPECT_EQ(CompleteEvents(trace, kName).size(), 1u);
}

TEST_P(ProfilerTest, DumpWritesTheSameJson) {
  TestEngine e(Options());
  RunProfiledOps(e);
  const std::filesystem::path path = TempPath("trace.json");
  e.profiler_dump(path.string());
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "profiler_dump wrote no file at " << path;
  std::stringstream contents;
  contents << in.rdbuf();
  in.close();
  std::filesystem::remove(path);
  EXPECT_EQ(json::parse(contents.str()), json::parse(e.profiler_json()));
}

TEST_P(ProfilerTest, DumpToAnImpossiblePathThrows) {
  TestEngine e(Options());
  RunProfiledOps(e);
  // A path below a regular file cannot be created, not even by root.
  const std::filesystem::path file = TempPath("not_a_dir");
  { std::ofstream(file) << "x"; }
  EXPECT_THROW(e.profiler_dump((file / "trace.json").string()), std::runtime_error);
  std::filesystem::remove(file);
  EXPECT_THROW(e.profiler_dump("/nonexistent_ndflow_dir/sub/trace.json"), std::runtime_error);
}

// Stream spans (what GPU ops report of their streams): added by ops while profiling,
// resolved only when the records are read, dropped when their work never ran.
TEST_P(ProfilerTest, StreamSpansAreResolvedWhenTheRecordsAreRead) {
  TestEngine e(Options());
  Var a = e.new_var();
  std::atomic<int> resolved{0};
  bool profiling_before_start = true;
  e.push([&](ndflow::OpContext& ctx) { profiling_before_start = ctx.profiling(); }, {}, {a});
  e.wait_all();
  EXPECT_FALSE(profiling_before_start);
  e.profiler_start();
  e.push(
      [&](ndflow::OpContext& ctx) {
        ASSERT_TRUE(ctx.profiling());
        ctx.add_stream_span([&]() -> std::optional<std::pair<std::int64_t, std::int64_t>> {
          ++resolved;
          return std::pair<std::int64_t, std::int64_t>{1'000, 2'000};
        });
        ctx.add_stream_span([]() -> std::optional<std::pair<std::int64_t, std::int64_t>> {
          return std::nullopt;  // never ran
        });
        ctx.add_stream_span([]() -> std::optional<std::pair<std::int64_t, std::int64_t>> {
          throw std::runtime_error("device failed");
        });
      },
      {}, {a}, Lane::cpu_compute(), 0, "with_spans");
  e.wait_all();
  e.profiler_stop();
  EXPECT_EQ(resolved.load(), 0) << "resolved before anyone read the records";
  const std::vector<ProfileRecord> records = RecordsNamed(e, "with_spans");
  EXPECT_EQ(resolved.load(), 1);
  ASSERT_EQ(records.size(), 2u);  // the op's own record and one span
  const ProfileRecord& span = records[0].on_stream ? records[0] : records[1];
  const ProfileRecord& op = records[0].on_stream ? records[1] : records[0];
  EXPECT_TRUE(span.on_stream);
  EXPECT_FALSE(op.on_stream);
  EXPECT_EQ(span.start_ns, 1'000);
  EXPECT_EQ(span.end_ns, 2'000);
  EXPECT_EQ(span.lane, Lane::cpu_compute());
  (void)RecordsNamed(e, "with_spans");
  EXPECT_EQ(resolved.load(), 1) << "a span is resolved once";
  const json trace = json::parse(e.profiler_json());
  const std::vector<json> events = CompleteEvents(trace, "with_spans");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].at("tid"), events[1].at("tid")) << "the span needs a track of its own";
  e.delete_var(a);
}

TEST_P(ProfilerTest, RestartingDropsUnresolvedStreamSpans) {
  TestEngine e(Options());
  Var a = e.new_var();
  auto calls = std::make_shared<std::atomic<int>>(0);
  e.profiler_start();
  e.push(
      [calls](ndflow::OpContext& ctx) {
        ctx.add_stream_span([calls]() -> std::optional<std::pair<std::int64_t, std::int64_t>> {
          ++*calls;
          return std::pair<std::int64_t, std::int64_t>{0, 1};
        });
      },
      {}, {a});
  e.wait_all();
  e.profiler_start();
  EXPECT_TRUE(e.profiler_records().empty());
  EXPECT_EQ(calls->load(), 0);
  e.profiler_stop();
  e.delete_var(a);
}

}  // namespace
}  // namespace ndflow_test
