// Prover: moves a route's withdrawals from `observed` to `proven` on L1, only ever
// against a game the verifier judged valid.
//
// Each round:
//  - the covering game is the valid game (VerdictStore) with the highest L2 block; a
//    withdrawal is provable once that L2 block is at or above the withdrawal's block;
//  - for each provable withdrawal (oldest first, a bounded number per round): if the
//    portal already records a proof by our signer, it is proven; else the storage proof
//    of sentMessages[hash] is fetched from the L2 at the game's L2 block hash, checked
//    locally against the verified output-root inputs (account proof against the state
//    root, giving exactly the storage root the verdict recomputed; slot value 1), and
//    proveWithdrawalTransaction is sent through the Sender with the id
//    "prove/<route>/<hash>/<game>" (never twice for one game, also across restarts);
//  - proving withdrawals are followed to their receipt: success -> proven; a revert ->
//    failed with the reason (a revert cannot be fixed by resending the same proof).
// Every state change is one synced batch (record + index + counts).
//
// Thread-safety: one owner thread (as the Sender and the RPC clients it uses).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "chains/eth/abi.h"
#include "chains/eth/address.h"
#include "chains/rpc/http_client.h"
#include "chains/sender.h"
#include "core/log.h"
#include "core/store.h"
#include "relayer/withdrawals.h"
#include "verifier/verdicts.h"

namespace vigil::relayer {

struct RouteSpec {
    std::string name;    // the route, e.g. "op-a"
    std::string rollup;  // the verifier rollup whose verdicts gate the proofs
    eth::Address portal;
};

struct ProveRound {
    size_t provable = 0;  // withdrawals covered by a valid game this round
    size_t sent = 0;      // prove transactions handed to the sender
    size_t proven = 0;    // became proven (receipt, or found done on L1)
    size_t failed = 0;
    size_t waiting = 0;  // not covered by a valid game yet
};

struct FinalizeRound {
    size_t ready = 0;      // proven withdrawals the portal would finalize now
    size_t sent = 0;       // finalize transactions handed to the sender
    size_t finalized = 0;  // became finalized (receipt, or found done on L1)
    size_t reproving = 0;  // their game was lost: back to provable
    size_t failed = 0;
    size_t waiting = 0;  // proof not matured or game not resolved yet
};

class Prover {
  public:
    using Clock = std::function<int64_t()>;

    Prover(RouteSpec route, rpc::RpcClient& l1, rpc::RpcClient& l2, core::Store& store,
           chains::Sender& sender, core::Logger log, Clock clock = {});

    Status start();
    Result<ProveRound> poll(size_t max_per_round = 64);
    // The second half: proven withdrawals whose proof matured and whose game resolved
    // DEFENDER_WINS (as the portal's own checkWithdrawal view says) are finalized with
    // id "finalize/<route>/<hash>"; a game lost meanwhile sends them back to provable.
    Result<FinalizeRound> finalize(size_t max_per_round = 64);
    RouteCounts counts() const { return counts_; }

  private:
    Status move(WithdrawalRecord& r, WithdrawalState to, const std::string& reason = {});
    Result<bool> proven_on_l1(const eth::Hash32& hash);
    Result<bool> finalized_on_l1(const eth::Hash32& hash);
    // eth_call of the portal's checkWithdrawal(hash, our signer): ok, or why not.
    Result<std::optional<std::string>> finalize_blocker(const eth::Hash32& hash);
    Result<rpc::Json> portal_call(const std::string& signature, std::vector<eth::abi::Value> args);
    Result<eth::Bytes> prove_calldata(const WithdrawalRecord& r,
                                      const verifier::VerdictRecord& game);
    std::string tx_id(const WithdrawalRecord& r, const eth::Address& game) const;

    RouteSpec route_;
    rpc::RpcClient& l1_;
    rpc::RpcClient& l2_;
    core::Store& store_;
    WithdrawalStore withdrawals_;
    verifier::VerdictStore verdicts_;
    chains::Sender& sender_;
    core::Logger log_;
    Clock clock_;
    RouteCounts counts_;
};

}  // namespace vigil::relayer
