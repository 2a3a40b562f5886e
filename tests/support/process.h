// Running programs (e.g. build/vigil) from integration tests: ChildProcess for one that
// keeps running (a daemon, with extra environment variables and its stdout+stderr in a
// file, stopped the way an operator or a crash would: SIGTERM, SIGKILL), run_command for
// one that runs to its end (a CLI command, whose output the test reads).
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

// What a command printed and how it ended.
struct CommandOutput {
    int exit_code = -1;  // WEXITSTATUS, or 128 + the signal that ended it (as a shell says)
    std::string out;     // its stdout
    std::string err;     // its stderr

    // stdout then stderr (not interleaved): for a message that may be on either.
    std::string combined() const { return out + err; }
};

// Runs `argv` (argv[0] is the program's path; no shell, no PATH search) to its end, with
// stdin from /dev/null and this process's environment, capturing stdout and stderr.
// Fails when it cannot start, or when it has not ended within `timeout`: it is then
// SIGKILLed and the error holds what it printed so far. A program that cannot be executed
// ends with code 127.
Result<CommandOutput> run_command(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(120));

// A TCP port that was free a moment ago on 127.0.0.1.
uint16_t free_tcp_port();

}  // namespace vigil::testing
