// ChildProcess: runs a program (e.g. build/vigil) for an integration test, with extra
// environment variables and its stdout+stderr in a file, and stops it the way an
// operator or a crash would (SIGTERM, SIGKILL).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chains/eth/result.h"

namespace vigil::testing {

class ChildProcess {
  public:
    static Result<ChildProcess> spawn(const std::vector<std::string>& argv,
                                      const std::map<std::string, std::string>& env,
                                      const std::filesystem::path& output);
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ~ChildProcess();  // SIGKILLs a child still running

    bool running();
    void signal(int sig);
    // The exit status (WEXITSTATUS, or 128 + signal) once it ended within `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    pid_t pid() const { return pid_; }

  private:
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// A TCP port that was free a moment ago on 127.0.0.1.
uint16_t free_tcp_port();

}  // namespace vigil::testing
