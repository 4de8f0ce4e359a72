// Runs a function in a forked child process and says how the child ended, for tests of what
// survives fork(). The child reports through its exit status only (no gtest assertion runs
// there) and leaves with _exit, skipping the parent's exit handlers; a child that runs past
// the deadline is killed, so a hang fails the test instead of stalling it.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <string>
#include <thread>

namespace ndflow_test {

// "exit N" (N is what child() returned; 100 if it threw), "signal N", "fork failed" or
// "hung: killed after the deadline".
template <class F>
std::string RunInForkedChild(F&& child, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  const pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    int code = 100;
    try {
      code = child();
    } catch (...) {
    }
    _exit(code);
  }
  int status = 0;
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > give_up) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return "hung: killed after the deadline";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace ndflow_test
