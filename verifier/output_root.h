// OutputRootSource: recomputes an OP Stack output root for an L2 block from what an L2
// node serves, proving every input instead of trusting it.
//
// The header must hash to the block hash it came with; the message passer's storage
// root comes from eth_getProof, whose account proof must verify against the header's
// state root. Then outputRoot = keccak256(0 ‖ stateRoot ‖ storageRoot ‖ blockHash).
//
// What it cannot know is said as such, never guessed: a block the node has not reached
// (or not at the configured safety level) is kNotYet — wait; an answer that fails its
// proof is kUnverifiable — an alarm about the endpoint, never a verdict about a
// proposal. Transport errors keep the RPC client's codes.
//
// Thread-safety: as the RpcClient it uses (one owner thread).
#pragma once

#include <cstdint>

#include "chains/eth/bytes.h"
#include "chains/rpc/http_client.h"
#include "core/config.h"

namespace vigil::verifier {

// Error::code values.
enum OutputRootError : int {
    kNotYet = 4001,        // the L2 node does not have the block (at the safety level) yet
    kUnverifiable = 4002,  // the L2 node's answer failed a hash or proof check
};

struct OutputRootInputs {
    uint64_t l2_block = 0;
    eth::Hash32 state_root;
    eth::Hash32 message_passer_storage_root;
    eth::Hash32 block_hash;
    eth::Hash32 output_root;
};

// Where a watcher gets the output root of an L2 block from: recomputed from an L2 node's
// proved data (OutputRootSource), or re-executed by Vigil (ChainReexecutor).
class RootSource {
  public:
    virtual ~RootSource() = default;
    // The highest L2 block this source can judge now; blocks above it wait.
    virtual Result<uint64_t> settled_height() = 0;
    // The output root of `l2_block` (<= settled). kNotYet: wait; kUnverifiable: the inputs
    // failed their checks (an alarm, never a verdict); other codes: transport, retry.
    virtual Result<OutputRootInputs> compute(uint64_t l2_block, uint64_t settled) = 0;
};

class OutputRootSource final : public RootSource {
  public:
    // `safety` decides which L2 blocks count as settled enough to judge (latest minus
    // confirmations, or the safe / finalized tag).
    OutputRootSource(rpc::RpcClient& l2, core::Finality safety);

    Result<OutputRootInputs> compute(uint64_t l2_block);
    // The same with the settled height already known (one head query for many blocks).
    Result<OutputRootInputs> compute(uint64_t l2_block, uint64_t settled) override;

    // The highest L2 block the node has at the safety level.
    Result<uint64_t> settled_height() override;

  private:
    rpc::RpcClient& l2_;
    core::Finality safety_;
};

}  // namespace vigil::verifier
