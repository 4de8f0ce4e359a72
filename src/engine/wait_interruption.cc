#include "ndflow/wait_interruption.h"

#include <stdexcept>
#include <utility>

namespace ndflow {

namespace {
thread_local WaitInterruption* t_innermost = nullptr;
}  // namespace

WaitInterruption::WaitInterruption(std::function<void()> check, Clock::duration period)
    : check_(std::move(check)), period_(period), outer_(t_innermost) {
  if (!check_) throw std::invalid_argument("ndflow: WaitInterruption needs a check to call");
  if (period <= Clock::duration::zero())
    throw std::invalid_argument("ndflow: WaitInterruption's period must be positive");
  due_ = Clock::now() + period_;
  t_innermost = this;
}

WaitInterruption::~WaitInterruption() { t_innermost = outer_; }

WaitInterruption* WaitInterruption::current() noexcept { return t_innermost; }

void WaitInterruption::check_if_due() {
  const Clock::time_point now = Clock::now();
  if (now < due_) return;
  // Set before the call: a check that throws leaves the scope ready for the next wait.
  due_ = now + period_;
  check_();
}

}  // namespace ndflow
