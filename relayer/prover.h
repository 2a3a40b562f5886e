// Prover: moves one route's withdrawals from `observed` to `finalized` on L1, only ever
// proving against a game the verifier judged valid.
//
// poll() (the prove half), each round:
//  - proving withdrawals are followed to their receipt first (also after a restart):
//    success -> proven; a revert -> failed with the reason (resending the same proof
//    cannot fix it); persisted as proving but never handed to the sender -> provable;
//  - the game to prove against is the valid game (VerdictStore, highest L2 block first)
//    that the portal would accept: not lost (CHALLENGER_WINS), not blacklisted, of the
//    respected game type and created after the respected type was last set, and whose
//    creation second is past (checkWithdrawal needs proof time > createdAt);
//  - each pending withdrawal (oldest L2 block first, a bounded number per round) passes
//    the route's policy (allow/deny lists of senders and targets, gas cap) or is failed
//    with the reason; is covered once the game's L2 block reaches its block; is found
//    already proven on L1 (provenWithdrawals by our signer), or its storage proof of
//    sentMessages[hash] is fetched from the L2 at the game's L2 block hash, checked
//    locally against the verified output-root inputs, and proveWithdrawalTransaction is
//    sent with the id "prove/<route>/<hash>/<game>" (never twice for one game, also
//    across restarts). A send the node says would revert is retried up to
//    `max_attempts` rounds, then failed.
// finalize() (the second half): proven withdrawals whose proof matured (a local filter:
// the proof's L1 time plus the portal's proofMaturityDelaySeconds, against the L1 head) and whose
// game resolved DEFENDER_WINS are checked with the portal's own checkWithdrawal view and, unless
// already finalized on L1, sent finalizeWithdrawalTransaction with the id
// "finalize/<route>/<hash>"; a game lost or blacklisted meanwhile sends them back to provable
// (re-proved against a newer valid game, under a new id).
//
// Every state change is one synced batch (record + index + counts) under the route's
// ledger lock, after re-reading the record: a record moved or erased meanwhile (an L2
// reorg) is skipped, never written back. Paused (set_paused), the prover follows what is
// in flight and sends nothing.
//
// Thread-safety: one owner thread (as the Sender and the RPC clients it uses), except
// set_paused/paused/counts/requeue, which are thread-safe.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "chains/eth/abi.h"
#include "chains/eth/address.h"
#include "chains/rpc/http_client.h"
#include "chains/sender.h"
#include "core/config.h"
#include "core/log.h"
#include "core/store.h"
#include "relayer/withdrawals.h"
#include "verifier/verdicts.h"

namespace vigil::relayer {

struct RouteSpec {
    std::string name;    // the route, e.g. "op-a"
    std::string rollup;  // the verifier rollup whose verdicts gate the proofs
    eth::Address portal;
    core::RoutePolicy policy;
    uint32_t max_attempts = 3;  // sends refused as reverting before a withdrawal fails
};

// Why the route's policy refuses a withdrawal, or nullopt when it may be relayed.
std::optional<std::string> policy_refusal(const core::RoutePolicy& policy,
                                          const eth::opstack::WithdrawalTransaction& tx);

struct ProveRound {
    size_t provable = 0;  // withdrawals covered by a valid game this round
    size_t sent = 0;      // prove transactions handed to the sender
    size_t proven = 0;    // became proven (receipt, or found done on L1)
    size_t failed = 0;
    size_t waiting = 0;  // not covered by a usable valid game yet
};

struct FinalizeRound {
    size_t ready = 0;      // proven withdrawals the portal would finalize now
    size_t sent = 0;       // finalize transactions handed to the sender
    size_t finalized = 0;  // became finalized (receipt, or found done on L1)
    size_t reproving = 0;  // their game was lost or blacklisted: back to provable
    size_t failed = 0;
    size_t waiting = 0;  // proof not matured or game not resolved yet
};

class Prover {
  public:
    using Clock = std::function<int64_t()>;  // milliseconds since the epoch

    struct Hooks {
        // A state change was committed; `seconds` spent in `from`.
        std::function<void(WithdrawalState from, WithdrawalState to, double seconds)> moved;
        // One of our transactions became final ("prove" or "finalize"): its fee is
        // gas_used x effective_gas_price.
        std::function<void(const char* kind, const chains::TxRecord& tx)> tx_final;
    };

    // `ledger` is shared with the route's observer (none: a private one).
    Prover(RouteSpec route, rpc::RpcClient& l1, rpc::RpcClient& l2, core::Store& store,
           chains::Sender& sender, core::Logger log, Clock clock = {},
           std::shared_ptr<RouteLedger> ledger = nullptr, Hooks hooks = {});

    // Loads the route's counts and reads the portal's proof maturity delay (an error here
    // usually means optimism_portal is not a portal).
    Status start();
    Result<ProveRound> poll(size_t max_per_round = 64);
    Result<FinalizeRound> finalize(size_t max_per_round = 64);

    // A failed withdrawal back to observed, attempts reset (an operator's retry).
    // kWithdrawalChanged if it is not failed. Thread-safe.
    Status requeue(const eth::Hash32& hash);

    RouteCounts counts() const;
    void set_paused(bool paused) { paused_ = paused; }
    // While `*stop` is true, rounds end after the withdrawal at hand (a graceful stop
    // must not wait for a whole round of sends). The flag must outlive the prover.
    void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }
    bool paused() const { return paused_; }
    const RouteSpec& route() const { return route_; }
    const eth::Address& signer() const { return sender_.address(); }

  private:
    // A usable game for this round, with what the portal said about it.
    struct GameChoice {
        verifier::VerdictRecord verdict;
        uint64_t created_at = 0;
    };
    Result<std::optional<GameChoice>> choose_game();
    // The first of `candidates` (newest first) the portal accepts at L1 time `now`.
    Result<std::optional<GameChoice>> pick_game(std::vector<verifier::VerdictRecord>& candidates,
                                                uint64_t now);
    // Why the portal would refuse proofs against `game` now (lost, blacklisted, retired
    // game type), or nullopt.
    Result<std::optional<std::string>> game_unusable(const eth::Address& game, uint32_t game_type,
                                                     uint8_t status, uint64_t created_at);
    // One state change. move_all applies many in one commit, under the ledger lock, each
    // after re-reading its record: one moved or erased meanwhile (an L2 reorg) is skipped,
    // never written back, and reported false. move() is one of them, kWithdrawalChanged
    // when skipped.
    struct Move {
        WithdrawalRecord* record;
        WithdrawalState to;
        std::string reason;
    };
    Result<std::vector<bool>> move_all(const std::vector<Move>& moves);
    Status move(WithdrawalRecord& r, WithdrawalState to, const std::string& reason = {});
    Status not_sent(WithdrawalRecord& r, const Error& why, const char* call, WithdrawalState back,
                    size_t& failed);
    Status follow(WithdrawalState state, const char* kind, size_t max, size_t& done,
                  size_t& failed);
    // provenWithdrawals(hash, our signer): the game and L1 time of our proof (time 0: none).
    struct OnL1Proof {
        eth::Address game;
        uint64_t timestamp = 0;
    };
    Result<OnL1Proof> proof_on_l1(const eth::Hash32& hash);
    // proof_on_l1 for many, in one batch of calls.
    Result<std::vector<OnL1Proof>> proofs_on_l1(const std::vector<eth::Hash32>& hashes);
    Result<bool> finalized_on_l1(const eth::Hash32& hash);
    // eth_call of the portal's checkWithdrawal(hash, our signer): ok, or why not.
    Result<std::optional<std::string>> finalize_blocker(const eth::Hash32& hash);
    Result<rpc::Json> portal_call(const std::string& signature, std::vector<eth::abi::Value> args);
    Result<eth::U256> portal_uint(const std::string& signature, std::vector<eth::abi::Value> args);
    // The proveWithdrawalTransaction calldata of each record, from one eth_getProof of all
    // their sentMessages slots at the game's L2 block, checked against the game's output
    // root. The outer error when the node's proof does not check out at all; an inner one
    // for a withdrawal the proof shows absent.
    Result<std::vector<Result<eth::Bytes>>> prove_calldata(
        const std::vector<WithdrawalRecord*>& records, const verifier::VerdictRecord& game);
    std::string prove_id(const WithdrawalRecord& r, const eth::Address& game) const;
    std::string finalize_id(const WithdrawalRecord& r) const;

    RouteSpec route_;
    rpc::RpcClient& l1_;
    rpc::RpcClient& l2_;
    core::Store& store_;
    WithdrawalStore withdrawals_;
    verifier::VerdictStore verdicts_;
    chains::Sender& sender_;
    core::Logger log_;
    Clock clock_;
    std::shared_ptr<RouteLedger> ledger_;
    Hooks hooks_;
    std::atomic<bool> paused_{false};
    const std::atomic<bool>* stop_ = nullptr;
    bool stopping() const { return stop_ && stop_->load(); }
    uint64_t proof_maturity_secs_ = 0;
    // L1 time before which no proven withdrawal can be ready (0: scan them next round):
    // saves reading every proven record each round while proofs mature (7 days on
    // mainnet).
    std::atomic<uint64_t> next_scan_at_{0};
    // choose_game()'s answer for one (L1 head, newest valid game): rounds within a block
    // reuse it instead of reading the game and the portal again.
    std::optional<std::pair<uint64_t, eth::Address>> choice_key_;
    std::optional<GameChoice> choice_;
};

}  // namespace vigil::relayer
