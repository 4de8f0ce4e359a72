// ndflow::Engine and its small companions: thin forwarding to detail::EngineCore, plus
// environment parsing and the process-wide default engine.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "common/byte_size.h"
#include "engine/default_engine.h"
#include "engine/engine_core.h"
#include "ndflow/engine.h"

namespace ndflow {
namespace {

std::int64_t env_int(const char* var, std::int64_t fallback, std::int64_t min) {
  const char* text = std::getenv(var);
  if (!text || !*text) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno || *end != '\0' || v < min)
    throw std::invalid_argument(std::string("ndflow: ") + var + "='" + text +
                                "' is not valid: expected an integer >= " + std::to_string(min));
  return v;
}

}  // namespace

EngineOptions EngineOptions::from_env() {
  EngineOptions o;
  if (const char* kind = std::getenv("NDFLOW_ENGINE"); kind && *kind) {
    const std::string k = kind;
    if (k == "threaded")
      o.kind = EngineKind::kThreaded;
    else if (k == "naive")
      o.kind = EngineKind::kNaive;
    else
      throw std::invalid_argument("ndflow: NDFLOW_ENGINE='" + k +
                                  "' is not valid: expected 'threaded' or 'naive'");
  }
  o.cpu_workers = static_cast<int>(env_int("NDFLOW_CPU_WORKERS", o.cpu_workers, 1));
  o.max_inflight = env_int("NDFLOW_MAX_INFLIGHT", o.max_inflight, 1);
  if (const auto bytes = detail::byte_size_from_env("NDFLOW_MAX_INFLIGHT_BYTES"))
    o.max_inflight_bytes = static_cast<std::int64_t>(std::min<std::size_t>(*bytes, INT64_MAX));
  return o;
}

// --- AsyncCompletion / OpContext -----------------------------------------------------------

AsyncCompletion& AsyncCompletion::operator=(AsyncCompletion&& o) noexcept {
  if (this != &o) {
    drop();
    op_ = std::exchange(o.op_, nullptr);
  }
  return *this;
}

AsyncCompletion::~AsyncCompletion() { drop(); }

void AsyncCompletion::drop() noexcept {
  if (op_)
    fail(std::make_exception_ptr(std::runtime_error(
        std::string("ndflow: op '") + op_->name +
        "' deferred its completion and the AsyncCompletion was destroyed without "
        "complete() or fail()")));
}

void AsyncCompletion::complete() noexcept {
  if (detail::Op* op = std::exchange(op_, nullptr)) op->engine->complete_deferred(op, nullptr);
}

void AsyncCompletion::fail(std::exception_ptr e) noexcept {
  if (!e) e = std::make_exception_ptr(std::runtime_error("ndflow: AsyncCompletion::fail(nullptr)"));
  if (detail::Op* op = std::exchange(op_, nullptr)) op->engine->complete_deferred(op, std::move(e));
}

Lane OpContext::lane() const noexcept { return Lane{op_->lane}; }
const char* OpContext::name() const noexcept { return op_->name; }
// Only ops that started while the profiler recorded (as for their own records): their start
// stamp is when the work was issued, before any of it could run.
bool OpContext::profiling() const noexcept {
  return core_ && (op_->flags & detail::kProfiled) && core_->profiler().enabled();
}

void OpContext::add_stream_span(StreamTimes times) {
  if (!profiling()) return;
  core_->profiler().add_stream_span(op_->name, Lane{op_->lane}, worker_, op_->start_ns,
                                    std::move(times));
}

AsyncCompletion OpContext::defer() {
  if (deferred_)
    throw std::logic_error(std::string("ndflow: op '") + op_->name +
                           "' called OpContext::defer() twice");
  deferred_ = true;
  new (&op_->fn_error) std::exception_ptr();
  new (&op_->async_error) std::exception_ptr();
  op_->flags |= detail::kDeferredOp;
  op_->engine = core_;
  return AsyncCompletion(op_);
}

// --- Engine --------------------------------------------------------------------------------

Engine::Engine(EngineOptions options) : core_(std::make_unique<detail::EngineCore>(options)) {}
Engine::~Engine() = default;

Var Engine::new_var() { return core_->new_var(); }
void Engine::delete_var(Var v) { core_->delete_var(v); }

Engine::Slot Engine::begin_push() {
  detail::Op* op = core_->begin_push();
  return Slot{op, op->storage()};
}
void Engine::commit_push(Slot s, const detail::FnVTable* vt, VarList reads, VarList writes,
                         Lane lane, int priority, const char* name, OpHints hints) {
  core_->commit_push(s.op, vt, reads, writes, lane, priority, name, hints);
}
void Engine::abort_push(Slot s) noexcept { core_->abort_push(s.op); }
void Engine::commit_delete_var(Slot s, const detail::FnVTable* vt, Var v,
                               std::int64_t frees_bytes) {
  core_->commit_delete_var(s.op, vt, v, frees_bytes);
}

void Engine::wait_to_read(Var v) { core_->wait_to_read(v); }
void Engine::wait_to_write(Var v) { core_->wait_to_write(v); }
void Engine::wait_all() { core_->wait_all(); }

Lane Engine::add_lane(LaneSpec spec) { return core_->add_lane(std::move(spec)); }
Lane Engine::find_lane(Device device, LaneKind kind, int index) const {
  return core_->find_lane(device, kind, index);
}
std::optional<Lane> Engine::try_find_lane(Device device, LaneKind kind, int index) const noexcept {
  return core_->try_find_lane(device, kind, index);
}
std::string Engine::lane_name(Lane lane) const { return core_->lane(lane).name(); }
int Engine::lane_workers(Lane lane) const { return core_->lane(lane).spec().workers; }

EngineKind Engine::kind() const noexcept { return core_->kind(); }
EngineStats Engine::stats() const { return core_->stats(); }

void Engine::profiler_start() { core_->profiler().start(); }
void Engine::profiler_stop() { core_->profiler().stop(); }
std::vector<ProfileRecord> Engine::profiler_records() const { return core_->profiler().records(); }
std::string Engine::profiler_json() const {
  return core_->profiler().to_json([this](Lane l) { return lane_name(l); },
                                   [this](Lane l) { return lane_workers(l); }, core_->num_lanes());
}
void Engine::profiler_dump(const std::string& path) const {
  std::ofstream out(path);
  if (!out)
    throw std::runtime_error("ndflow: profiler_dump: cannot open '" + path + "' for writing");
  out << profiler_json();
  if (!out.flush())
    throw std::runtime_error("ndflow: profiler_dump: write to '" + path + "' failed");
}

void Engine::shutdown() { core_->shutdown(); }

namespace {
std::atomic<Engine*> g_default_engine{nullptr};
}  // namespace

Engine& default_engine() {
  // Leaked on purpose (see the header); the atexit handler finishes its ops.
  static Engine* engine = [] {
    auto* made = new Engine(EngineOptions::from_env());
    g_default_engine.store(made, std::memory_order_release);
    std::atexit([] { g_default_engine.load(std::memory_order_acquire)->shutdown(); });
    return made;
  }();
  return *engine;
}

namespace detail {
Engine* default_engine_if_created() noexcept {
  return g_default_engine.load(std::memory_order_acquire);
}
}  // namespace detail

}  // namespace ndflow
