// AnvilProcess: a real local Ethereum node (Anvil, from tests/devnet's pinned npm
// package) on a free port, for integration tests and the devnet.
//
// Each instance has its own temp directory (state cache, log), so tests can run in
// parallel and leave nothing behind; the process is stopped (and the directory removed)
// on destruction, and is killed by the kernel if the owning process dies.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chains/eth/result.h"

namespace vigil::testing {

struct AnvilOptions {
    uint64_t chain_id = 31337;
    std::string hardfork = "cancun";          // pinned rules (Anvil's default moves)
    std::optional<uint64_t> block_time_secs;  // interval mining; none = mine per tx
    uint64_t slots_in_an_epoch = 1;           // safe = head-1, finalized = head-2
    std::vector<std::string> extra_args;
};

// Path of the anvil binary: $VIGIL_ANVIL, else tests/devnet/node_modules/.bin/anvil.
std::filesystem::path anvil_binary();

class AnvilProcess {
  public:
    static Result<std::unique_ptr<AnvilProcess>> start(const AnvilOptions& options);
    ~AnvilProcess();
    AnvilProcess(const AnvilProcess&) = delete;
    AnvilProcess& operator=(const AnvilProcess&) = delete;

    uint16_t port() const { return port_; }
    std::string rpc_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string ws_url() const { return "ws://127.0.0.1:" + std::to_string(port_); }
    pid_t pid() const { return pid_; }
    // Stops the node (SIGTERM, then SIGKILL after 3 s). Idempotent.
    void stop();

  private:
    AnvilProcess() = default;
    pid_t pid_ = -1;
    uint16_t port_ = 0;
    std::filesystem::path dir_;
};

// The well-known Anvil dev accounts (mnemonic "test test ... junk"); public test keys.
inline constexpr const char* kAnvilKey0 =
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
inline constexpr const char* kAnvilAddress0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

}  // namespace vigil::testing
