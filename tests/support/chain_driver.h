// ChainDriver: drives a local Anvil chain for tests (mine, reorg, set code, send
// transactions from the unlocked dev accounts) through the project's own RPC client.
#pragma once

#include <string>

#include "chains/eth/address.h"
#include "chains/rpc/http_client.h"

namespace vigil::testing {

// Runtime code of a contract that emits, on each call with calldata (count, base),
// `count` LOG1 events with topic kEmitterTopic and a 32-byte data word base + i.
//   PUSH1 0 CALLDATALOAD PUSH1 0            ; count, i
//   loop: JUMPDEST DUP2 DUP2 LT ISZERO PUSH1 end JUMPI
//         DUP1 PUSH1 32 CALLDATALOAD ADD PUSH1 0 MSTORE
//         PUSH32 topic PUSH1 32 PUSH1 0 LOG1
//         PUSH1 1 ADD PUSH1 loop JUMP
//   end:  JUMPDEST STOP
std::string emitter_runtime_hex();
// keccak256("Emitted(uint256)"), the emitter's topic.
eth::Hash32 emitter_topic();
// Calldata for one emitter call.
std::string emitter_calldata(uint64_t count, uint64_t base);

class ChainDriver {
  public:
    explicit ChainDriver(const std::string& url, uint64_t chain_id);

    Result<uint64_t> block_number();
    Status mine(uint64_t blocks);
    Status set_code(const eth::Address& at, const std::string& code_hex);
    // Sends a transaction from Anvil's first dev account; returns its hash.
    Result<std::string> send(const eth::Address& to, const std::string& data_hex,
                             uint64_t gas = 5'000'000);
    // Replaces the last `depth` blocks; the new blocks carry `txs` (to, data) at offset 0.
    Status reorg(uint64_t depth, const std::vector<std::pair<eth::Address, std::string>>& txs);
    rpc::RpcClient& rpc() { return rpc_; }

  private:
    rpc::RpcClient rpc_;
};

}  // namespace vigil::testing
