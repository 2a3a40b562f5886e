// ChainReexecutor: follows a rollup's L2 chain block after block, re-executing each one
// with Vigil's own EVM (verifier/reexecute.h), and serves the output roots it derived to
// the proposal watcher (mode: reexecute).
//
// Trust starts at a configured anchor (an L2 block hash) and moves only by re-execution:
// block N + 1 is run on the state whose hash Vigil computed for block N, so the output
// root of every block after the anchor is Vigil's, whatever any L2 node claims. Blocks
// are taken once the L2 node has them at the chain's safety level.
//
// What it cannot re-execute stops it there, said: a block whose witness fails its checks,
// under rules Vigil lacks, or whose node no longer follows Vigil's chain (its parent hash
// is not the hash Vigil computed: the node's execution differs from Vigil's, or it
// reorganised below the safety level). The block is "stuck": proposals at or after it
// are unverifiable with that reason, and the block is retried after a pause (a node may
// serve a complete witness later). A node whose header disagrees with Vigil's execution is
// logged as an error and counted; Vigil's own result stands.
//
// Persistence (store namespace "reexec", per rollup): the tip (last re-executed block and
// its computed hash) and, for each block, its state root, message passer storage root and
// block hash, kept for `retain_blocks` blocks so that late proposals can be judged. Tip
// and results are written in one batch, so a restart resumes exactly after the last
// durable block. A changed anchor restarts from the new anchor.
//
// Thread-safety: run()/step() on one thread (which owns the RpcClient); settled_height(),
// compute() and status() from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "chains/rpc/http_client.h"
#include "core/config.h"
#include "core/log.h"
#include "core/store.h"
#include "verifier/output_root.h"
#include "verifier/reexecute.h"

namespace vigil::verifier {

struct ReexecutorStatus {
    uint64_t anchor = 0;
    uint64_t tip = 0;  // the last block re-executed (or the anchor)
    eth::Hash32 tip_hash;
    std::optional<uint64_t> stuck_block;  // the block that cannot be re-executed now
    std::string stuck_reason;
    uint64_t blocks = 0;      // re-executed since start
    uint64_t gas = 0;         // their gas
    uint64_t mismatches = 0;  // blocks whose node header disagreed with Vigil's
};

class ChainReexecutor final : public RootSource {
  public:
    struct Options {
        evm::ChainRules rules;
        WitnessMethod witness = WitnessMethod::automatic;
        core::Finality safety;
        uint64_t anchor_block = 0;
        eth::Hash32 anchor_hash;
        uint64_t retain_blocks = 1'000'000;
        int64_t poll_ms = 1'000;    // between rounds when caught up
        int64_t retry_ms = 10'000;  // before retrying a stuck block
        uint64_t blocks_per_commit = 32;
        // Blocks fetched ahead in parallel, each by its own client from make_client (none:
        // one block at a time on the main client). Share the endpoint's rate limit
        // between them (options_for divides requests_per_second).
        size_t prefetch = 4;
        std::function<std::unique_ptr<rpc::RpcClient>()> make_client;
    };

    // The execution rules of `rollup`'s L2 chain: its reexecute section's (the rollup.json
    // is read for rules: op-stack), or Ethereum Cancun with the chain's id when it has none.
    static Result<evm::ChainRules> rules_for(const core::RollupConfig& rollup,
                                             const core::ChainConfig& l2);

    // Builds the options of `rollup` (its reexecute section; the rollup.json is read for
    // rules: op-stack), with the L2 chain's safety level.
    static Result<Options> options_for(const core::RollupConfig& rollup,
                                       const core::ChainConfig& l2);

    // `l2` is used on the run() thread only; `registry` may be null.
    ChainReexecutor(std::string rollup, rpc::RpcClient& l2, core::Store& store, Options options,
                    core::Logger log, prometheus::Registry* registry);

    // Loads the tip from the store (or starts at the anchor).
    Status start();

    // One round: re-executes every settled block after the tip (committing every
    // blocks_per_commit). Returns the number re-executed; a stuck block ends the round
    // without an error (see status()); transport errors are returned.
    Result<uint64_t> step();

    // Rounds until `stop` is set, pausing poll_ms when caught up, retry_ms when stuck.
    void run(const std::atomic<bool>& stop);

    // RootSource: the tip, or everything when stuck (so that proposals past it are told
    // why they cannot be judged).
    Result<uint64_t> settled_height() override;
    Result<OutputRootInputs> compute(uint64_t l2_block, uint64_t settled) override;

    ReexecutorStatus status() const;

    // The durable tip of `rollup` in `store` (for `vigil status` while no daemon runs):
    // the last re-executed L2 block and its computed hash; nullopt when none was stored.
    static Result<std::optional<std::pair<uint64_t, eth::Hash32>>> load_tip(
        const core::Store& store, std::string_view rollup);

  private:
    Status commit(core::WriteBatch& batch, uint64_t tip, const eth::Hash32& tip_hash);
    Result<uint64_t> node_settled();
    void set_stuck(uint64_t block, const std::string& reason);
    std::string block_key(uint64_t n) const;

    std::string rollup_;
    rpc::RpcClient& l2_;
    core::Store& store_;
    Options options_;
    core::Logger log_;

    mutable std::mutex mu_;
    ReexecutorStatus status_;
    int64_t last_transport_log_ms_ = 0;
    // The header Vigil computed for the tip (none for the anchor, or after a restart from a
    // tip stored without one): the next block's parent, so the node is not asked for it.
    // Run thread only.
    std::optional<eth::BlockHeader> tip_header_;
    // The prefetch workers' clients (run thread only; each used by one fetch at a time).
    std::vector<std::unique_ptr<rpc::RpcClient>> workers_;

    prometheus::Gauge* tip_gauge_ = nullptr;
    prometheus::Gauge* stuck_gauge_ = nullptr;
    prometheus::Counter* blocks_counter_ = nullptr;
    prometheus::Counter* gas_counter_ = nullptr;
    prometheus::Counter* mismatch_counter_ = nullptr;
};

}  // namespace vigil::verifier
