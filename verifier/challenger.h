// Challenger: attacks the root claim of invalid dispute games on L1 and follows the games
// it tracks to resolution and to the payout of the bonds owed to its signer.
//
// What it acts on, and how (the honest-challenger rules of op-stack.md 1.5, root level):
//  - challenge(): an attack on claim 0 with the correct output root and exactly the bond
//    getRequiredBond(attack position) asks at send time, through the Sender under the
//    idempotency id "challenge/<rollup>/<game>": never sent twice, also across restarts
//    (the Sender persists the signed transaction before it broadcasts). Right before
//    attacking, the game is re-read at "latest": a game already resolved, a root whose
//    clock ran out, or the very same claim already made by someone (the move would revert
//    with ClaimAlreadyExists) is not attacked: the answer is an Error with a final code
//    (kAlreadyChallenged, kGameOver, kTooLate), logged once, remembered, never retried.
//  - poll(): one round of background work at one L1 head (all reads pinned to it):
//      * sender.poll() first (it is idempotent, and the Challenger reads its own
//        transactions back by id with Sender::find, so an owner that also polls a shared
//        Sender loses nothing);
//      * an attack that reverted on inclusion is an alarm (error log, counted), not
//        retried: its bond came back, and only an operator can tell why it failed;
//      * a game in progress is resolved only once every claim's chess clock has run out
//        at the head's timestamp (the contract's getChallengerDuration rule, computed from
//        claimData and maxClockDuration): resolveClaim for each unresolved claim, children
//        before parents (descending index), then resolve(). A game whose clocks run costs
//        no transaction, and after one look costs no read either until the earliest time
//        it could resolve ("not before", persisted). Each step is one Sender request with a
//        deterministic id; a step the node says would revert (typically: the previous step
//        is not mined yet) waits for the next round;
//      * a finished game that owes the signer credit gets claimCredit(signer) (ids
//        "credit/<rollup>/<game>/<n>", at most kMaxCreditClaims, since newer games pay in
//        two steps); a claim the node refuses (DelayedWETH delay) waits;
//      * a finished game with no credit for us and nothing of ours in flight is forgotten.
//    Outcomes that contradict our verdict (an invalid root resolved DEFENDER_WINS, a valid
//    one CHALLENGER_WINS) are logged as errors and counted.
//
// Persistence: namespace "challenger", keys "<rollup>/game/<game address>" (JSON: the
// proposal, the max clock, the not-before time, a skip reason and alarm flags). The
// truth about our own transactions is the Sender's records, so a lost or stale game entry
// costs at most a few extra reads, never a second transaction.
//
// Thread-safety: none; one owner thread (as the Sender and RpcClient it uses).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "chains/eth/address.h"
#include "chains/rpc/http_client.h"
#include "chains/sender.h"
#include "core/config.h"
#include "core/log.h"
#include "core/store.h"
#include "verifier/game.h"
#include "verifier/verdicts.h"

namespace vigil::verifier {

// Error::code values of the Challenger. The first four are final answers about a game:
// retrying cannot change them.
enum ChallengerError : int {
    kNotInvalid = 5101,         // the verdict is not `invalid` (or has no computed root)
    kAlreadyChallenged = 5102,  // the same claim against the root is already on chain
    kGameOver = 5103,           // the game is already resolved
    kTooLate = 5104,            // the root claim's clock has run out
    kChallengeDisabled = 5105,  // the rollup's config says challenge: false
    kWrongGame = 5106,          // the game on chain is not the proposal judged
};

// At most this many claimCredit transactions per game (upstream's DelayedWETH games since
// 1.4 pay in two steps: unlock, then withdraw after the delay).
inline constexpr uint32_t kMaxCreditClaims = 3;

// What one poll() did, for metrics and logs.
struct ChallengerRound {
    uint64_t l1_block = 0;
    uint64_t l1_timestamp = 0;
    size_t tracked = 0;              // games followed at the start of the round
    size_t waiting = 0;              // in progress with clocks still running
    size_t attacks_confirmed = 0;    // attacks that became final and succeeded
    size_t attacks_reverted = 0;     // attacks that reverted on inclusion (alarm)
    size_t resolve_txs = 0;          // resolveClaim / resolve transactions sent
    size_t games_finished = 0;       // games seen resolved for the first time
    size_t unexpected_outcomes = 0;  // a resolution that contradicts our verdict (alarm)
    size_t credit_claims = 0;        // claimCredit transactions sent
    size_t forgotten = 0;            // finished and settled games dropped from tracking
    size_t errors = 0;               // games whose round failed (logged; retried next round)
};

class Challenger {
  public:
    // `rollup` is copied; `l1`, `sender` (the signer on the rollup's L1) and `store` must
    // outlive the Challenger.
    Challenger(const core::RollupConfig& rollup, rpc::RpcClient& l1, chains::Sender& sender,
               core::Store& store, core::Logger log);

    // Checks the persisted state (a corrupt entry is an error naming it) and logs what is
    // tracked. Call after sender.start().
    Status start();

    // Remembers a proposal to follow to resolution; staged in the caller's batch (the
    // watcher commits it with its cursor, so exactly once). A game already tracked keeps
    // its state; an L2OutputOracle proposal (no game) is ignored.
    void track(const Proposal& p, core::WriteBatch& batch) const;

    // Attacks the root claim of the invalid game `record` (see the header comment).
    // Returns the Sender's record of the attack (the first one's on every later call),
    // or an Error: kNotInvalid, kChallengeDisabled, kWrongGame, the final kAlreadyChallenged
    // / kGameOver / kTooLate, chains::kWouldRevert (the node refused the attack: not sent,
    // may be retried), or an RPC/read error (retry later).
    Result<chains::TxRecord> challenge(const VerdictRecord& record);

    // One round of background work (see the header comment). Fails only when the round
    // as a whole cannot run (the L1 head or the store); a game's failure is logged and
    // counted in `errors`.
    Result<ChallengerRound> poll();

    // Idempotency ids of this challenger's transactions, for operators and tests.
    std::string attack_id(const eth::Address& game) const;
    std::string resolve_claim_id(const eth::Address& game, uint64_t claim_index) const;
    std::string resolve_id(const eth::Address& game) const;
    std::string credit_id(const eth::Address& game, uint32_t n) const;

    // Whether `game` is tracked (persisted).
    Result<bool> tracking(const eth::Address& game) const;

  private:
    struct Tracked;
    struct Head {
        uint64_t number = 0;
        uint64_t timestamp = 0;
        std::string tag;  // the block number as a 0x quantity
    };
    Result<std::optional<Tracked>> load(const eth::Address& game) const;
    Status save(const Tracked& t);
    Result<Head> head();
    // One game's round; returns whether the game is to be forgotten.
    Result<bool> poll_game(Tracked& t, const Head& head, ChallengerRound& round);
    Status follow_attack(Tracked& t, ChallengerRound& round);
    Status resolve_game(Tracked& t, const Head& head, ChallengerRound& round);
    Result<bool> settle_game(Tracked& t, uint8_t status, const Head& head, ChallengerRound& round);
    std::string key(const eth::Address& game) const;

    core::RollupConfig rollup_;
    rpc::RpcClient& l1_;
    chains::Sender& sender_;
    core::Store& store_;
    core::Logger log_;
};

}  // namespace vigil::verifier
