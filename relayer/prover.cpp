#include "relayer/prover.h"

#include <algorithm>
#include <chrono>

#include "chains/eth/abi.h"
#include "chains/eth/opstack.h"
#include "chains/eth/proof.h"
#include "chains/rpc/json_fields.h"
#include "chains/rpc/proof_json.h"
#include "verifier/game.h"

namespace vigil::relayer {
namespace {

using eth::abi::Value;

int64_t system_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// How many pending (observed or provable) withdrawals a round looks at, from the index
// alone; those a game covers are then read, up to the round's size.
constexpr size_t kPendingScan = 4096;

Value hash_value(const eth::Hash32& h) {
    return Value::fixed_bytes(eth::Bytes(h.bytes.begin(), h.bytes.end()));
}

constexpr const char* kProveSignature =
    "proveWithdrawalTransaction((uint256,address,address,uint256,uint256,bytes),uint256,"
    "(bytes32,bytes32,bytes32,bytes32),bytes[])";

}  // namespace

std::optional<std::string> policy_refusal(const core::RoutePolicy& policy,
                                          const eth::opstack::WithdrawalTransaction& tx) {
    auto listed = [](const std::vector<eth::Address>& list, const eth::Address& a) {
        return std::find(list.begin(), list.end(), a) != list.end();
    };
    if (listed(policy.deny_senders, tx.sender))
        return "policy: sender " + tx.sender.to_checksum_hex() + " is denied";
    if (!policy.allow_senders.empty() && !listed(policy.allow_senders, tx.sender))
        return "policy: sender " + tx.sender.to_checksum_hex() + " is not in allow_senders";
    if (listed(policy.deny_targets, tx.target))
        return "policy: target " + tx.target.to_checksum_hex() + " is denied";
    if (!policy.allow_targets.empty() && !listed(policy.allow_targets, tx.target))
        return "policy: target " + tx.target.to_checksum_hex() + " is not in allow_targets";
    if (policy.max_gas_limit &&
        (!tx.gas_limit.fits_u64() || tx.gas_limit.low64() > *policy.max_gas_limit))
        return "policy: gas limit " + tx.gas_limit.to_dec() + " exceeds max_gas_limit " +
               std::to_string(*policy.max_gas_limit);
    return std::nullopt;
}

Prover::Prover(RouteSpec route, rpc::RpcClient& l1, rpc::RpcClient& l2, core::Store& store,
               chains::Sender& sender, core::Logger log, Clock clock,
               std::shared_ptr<RouteLedger> ledger, Hooks hooks)
    : route_(std::move(route)),
      l1_(l1),
      l2_(l2),
      store_(store),
      withdrawals_(store),
      verdicts_(store),
      sender_(sender),
      log_(std::move(log)),
      clock_(clock ? std::move(clock) : Clock(system_ms)),
      ledger_(ledger ? std::move(ledger) : std::make_shared<RouteLedger>()),
      hooks_(std::move(hooks)) {
    paused_ = route_.policy.paused;
}

Status Prover::start() {
    {
        std::lock_guard<std::mutex> lock(ledger_->mu);
        if (!ledger_->loaded) {
            VIGIL_TRY(ledger_->counts, withdrawals_.counts(route_.name));
            ledger_->loaded = true;
        }
    }
    VIGIL_CHECK(verdicts_.ensure_valid_index(route_.rollup));
    auto delay = portal_uint("proofMaturityDelaySeconds()", {});
    if (!delay)
        return fail("route " + route_.name + ": the portal " + route_.portal.to_hex() +
                        " does not answer proofMaturityDelaySeconds() (is optimism_portal "
                        "right?): " +
                        delay.error().message,
                    delay.error().code);
    proof_maturity_secs_ = delay->fits_u64() ? delay->low64() : UINT64_MAX / 2;
    return Status{};
}

RouteCounts Prover::counts() const {
    std::lock_guard<std::mutex> lock(ledger_->mu);
    return ledger_->counts;
}

Status Prover::requeue(const eth::Hash32& hash) {
    VIGIL_TRY(auto r, withdrawals_.get(route_.name, hash));
    if (!r) return fail("no withdrawal " + hash.to_hex() + " on route " + route_.name);
    if (r->state != WithdrawalState::failed)
        return fail("withdrawal " + hash.to_hex() + " is " + state_name(r->state) +
                        ", not failed: nothing to retry",
                    kWithdrawalChanged);
    r->attempts = 0;
    r->proof_game.reset();
    return move(*r, WithdrawalState::observed, "re-queued by an operator");
}

std::string Prover::prove_id(const WithdrawalRecord& r, const eth::Address& game) const {
    return "prove/" + route_.name + "/" + r.hash.to_hex() + "/" + game.to_hex();
}

std::string Prover::finalize_id(const WithdrawalRecord& r) const {
    return "finalize/" + route_.name + "/" + r.hash.to_hex();
}

Status Prover::move(WithdrawalRecord& r, WithdrawalState to, const std::string& reason) {
    const WithdrawalState before = r.state;
    VIGIL_TRY(auto applied, move_all({Move{&r, to, reason}}));
    if (!applied[0])
        return fail("withdrawal " + r.hash.to_hex() + " changed underneath (was " +
                        state_name(before) + ")",
                    kWithdrawalChanged);
    return Status{};
}

Result<std::vector<bool>> Prover::move_all(const std::vector<Move>& moves) {
    std::vector<bool> applied(moves.size(), false);
    if (moves.empty()) return applied;
    struct Undo {
        WithdrawalState state;
        std::string reason;
        int64_t updated_at_ms;
    };
    std::vector<Undo> undo;
    undo.reserve(moves.size());
    std::vector<double> seconds(moves.size(), 0);
    const int64_t now = clock_();
    {
        std::lock_guard<std::mutex> lock(ledger_->mu);
        RouteCounts counts = ledger_->counts;
        core::WriteBatch batch;
        for (size_t i = 0; i < moves.size(); ++i) {
            WithdrawalRecord& r = *moves[i].record;
            undo.push_back({r.state, r.reason, r.updated_at_ms});
            // The state index is written with the record: one key lookup tells whether the
            // record is still as read.
            VIGIL_TRY(bool same,
                      withdrawals_.is_in_state(route_.name, r.state, r.l2_block, r.hash));
            if (!same) {
                log_.debug("withdrawal changed underneath: left as it is",
                           {{"route", route_.name},
                            {"withdrawal", r.hash.to_hex()},
                            {"was", state_name(r.state)}});
                continue;
            }
            seconds[i] = static_cast<double>(std::max<int64_t>(0, now - r.updated_at_ms)) / 1000;
            const WithdrawalState before = r.state;
            r.state = moves[i].to;
            r.reason = moves[i].reason;
            r.updated_at_ms = now;
            withdrawals_.stage(r, before, counts, batch);
            applied[i] = true;
        }
        if (Status s = store_.commit(batch); !s.ok()) {
            for (size_t i = 0; i < moves.size(); ++i)
                if (applied[i]) {
                    moves[i].record->state = undo[i].state;
                    moves[i].record->reason = undo[i].reason;
                    moves[i].record->updated_at_ms = undo[i].updated_at_ms;
                }
            return s.error();
        }
        ledger_->counts = counts;
    }
    for (size_t i = 0; i < moves.size(); ++i) {
        if (!applied[i]) continue;
        const WithdrawalRecord& r = *moves[i].record;
        const WithdrawalState before = undo[i].state;
        const WithdrawalState to = moves[i].to;
        if (to == WithdrawalState::proven) {
            const uint64_t ready = r.proven_at == 0 ? 0 : r.proven_at + proof_maturity_secs_;
            uint64_t cur = next_scan_at_.load();
            while (ready < cur && !next_scan_at_.compare_exchange_weak(cur, ready)) {
            }
        }
        if (hooks_.moved) hooks_.moved(before, to, seconds[i]);
        if (to == WithdrawalState::failed)
            log_.error("withdrawal failed: an operator must look (vigil relay retry re-queues it)",
                       {{"route", route_.name},
                        {"withdrawal", r.hash.to_hex()},
                        {"from", state_name(before)},
                        {"reason", r.reason}});
        else
            log_.info("withdrawal", {{"route", route_.name},
                                     {"withdrawal", r.hash.to_hex()},
                                     {"from", state_name(before)},
                                     {"to", state_name(to)},
                                     {"reason", r.reason}});
    }
    return applied;
}

Result<Prover::OnL1Proof> Prover::proof_on_l1(const eth::Hash32& hash) {
    VIGIL_TRY(auto proofs, proofs_on_l1({hash}));
    return proofs.at(0);
}

Result<std::vector<Prover::OnL1Proof>> Prover::proofs_on_l1(
    const std::vector<eth::Hash32>& hashes) {
    static const auto sig = *eth::abi::parse_signature("provenWithdrawals(bytes32,address)");
    static const auto answer_type = *eth::abi::parse_type("(address,uint64)");
    std::vector<rpc::RpcCall> calls;
    calls.reserve(hashes.size());
    for (const eth::Hash32& hash : hashes) {
        VIGIL_TRY(eth::Bytes data,
                  eth::abi::encode_call(
                      sig, Value::tuple({hash_value(hash), Value::address(sender_.address())})));
        calls.push_back({"eth_call", rpc::Json::array({{{"to", route_.portal.to_hex()},
                                                        {"data", eth::to_hex(data)},
                                                        {"from", sender_.address().to_hex()}},
                                                       "latest"})});
    }
    VIGIL_TRY(auto answers, l1_.batch(calls));
    std::vector<OnL1Proof> out;
    out.reserve(answers.size());
    for (auto& answer : answers) {
        if (!answer.ok()) return std::move(answer).error();
        if (!answer->is_string()) return fail("provenWithdrawals: answer is not a hex string");
        VIGIL_TRY(eth::Bytes bytes, eth::from_hex(answer->get<std::string>()));
        VIGIL_TRY(Value v, eth::abi::decode_params(answer_type, bytes));
        const auto& items = v.as<eth::abi::TupleValue>().items;
        out.push_back(OnL1Proof{items.at(0).as<eth::Address>(),
                                items.at(1).as<eth::abi::UintValue>().value.low64()});
    }
    return out;
}

Result<rpc::Json> Prover::portal_call(const std::string& signature, std::vector<Value> args) {
    VIGIL_TRY(eth::abi::Signature sig, eth::abi::parse_signature(signature));
    VIGIL_TRY(eth::Bytes data, eth::abi::encode_call(sig, Value::tuple(std::move(args))));
    return l1_.call("eth_call", rpc::Json::array({{{"to", route_.portal.to_hex()},
                                                   {"data", eth::to_hex(data)},
                                                   {"from", sender_.address().to_hex()}},
                                                  "latest"}));
}

Result<eth::U256> Prover::portal_uint(const std::string& signature, std::vector<Value> args) {
    VIGIL_TRY(rpc::Json answer, portal_call(signature, std::move(args)));
    if (!answer.is_string()) return fail(signature + ": answer is not a hex string");
    VIGIL_TRY(eth::Bytes out, eth::from_hex(answer.get<std::string>()));
    if (out.size() != 32) return fail(signature + ": answer is not one 32-byte word");
    return eth::U256::from_be_word(out.data());
}

Result<bool> Prover::finalized_on_l1(const eth::Hash32& hash) {
    VIGIL_TRY(eth::U256 v, portal_uint("finalizedWithdrawals(bytes32)", {hash_value(hash)}));
    return !v.is_zero();
}

Result<std::optional<std::string>> Prover::finalize_blocker(const eth::Hash32& hash) {
    auto answer = portal_call("checkWithdrawal(bytes32,address)",
                              {hash_value(hash), Value::address(sender_.address())});
    if (answer.ok()) return std::optional<std::string>();
    if (answer.error().code == rpc::kRpcError)
        return std::optional<std::string>(answer.error().message);  // the portal's reason
    return answer.error();
}

Result<std::optional<std::string>> Prover::game_unusable(const eth::Address& game,
                                                         uint32_t game_type, uint8_t status,
                                                         uint64_t created_at) {
    if (status == verifier::kGameChallengerWins)
        return std::optional<std::string>("game " + game.to_hex() + " was lost (CHALLENGER_WINS)");
    VIGIL_TRY(eth::U256 blacklisted,
              portal_uint("disputeGameBlacklist(address)", {Value::address(game)}));
    if (!blacklisted.is_zero())
        return std::optional<std::string>("game " + game.to_hex() +
                                          " is blacklisted by the portal");
    VIGIL_TRY(eth::U256 respected, portal_uint("respectedGameType()", {}));
    if (respected != eth::U256(game_type))
        return std::optional<std::string>("game " + game.to_hex() + " is of type " +
                                          std::to_string(game_type) +
                                          ", the portal respects type " + respected.to_dec());
    VIGIL_TRY(eth::U256 updated_at, portal_uint("respectedGameTypeUpdatedAt()", {}));
    if (!(eth::U256(created_at) > updated_at))
        return std::optional<std::string>("game " + game.to_hex() +
                                          " was created before the portal's respected game type "
                                          "was last set");
    return std::optional<std::string>();
}

Result<std::optional<Prover::GameChoice>> Prover::choose_game() {
    VIGIL_TRY(auto candidates, verdicts_.valid_games(route_.rollup, 8));
    if (candidates.empty()) return std::optional<GameChoice>();
    VIGIL_TRY(rpc::Json head,
              l1_.call("eth_getBlockByNumber", rpc::Json::array({"latest", false})));
    VIGIL_TRY(uint64_t now, rpc::field_uint64(head, "timestamp"));
    VIGIL_TRY(uint64_t number, rpc::field_uint64(head, "number"));
    const auto key = std::make_pair(number, candidates.front().proposal.game);
    if (choice_key_ == key) return choice_;
    VIGIL_TRY(auto choice, pick_game(candidates, now));
    choice_key_ = key;
    choice_ = choice;
    return choice;
}

Result<std::optional<Prover::GameChoice>> Prover::pick_game(
    std::vector<verifier::VerdictRecord>& candidates, uint64_t now) {
    for (auto& v : candidates) {
        if (!v.computed) continue;
        VIGIL_TRY(verifier::GameInfo info, verifier::read_game(l1_, v.proposal.game));
        VIGIL_TRY(auto why,
                  game_unusable(v.proposal.game, info.game_type, info.status, info.created_at));
        if (why) {
            log_.debug("valid game not usable for proofs", {{"route", route_.name}, {"why", *why}});
            continue;
        }
        // The portal only finalizes a proof made strictly after the game's creation second.
        // A transaction sent now lands in a block after the head, whose timestamp is
        // strictly greater than the head's, so only a head older than the game (a lagging
        // node) makes us wait.
        if (now < info.created_at) return std::optional<GameChoice>();
        return std::optional<GameChoice>(GameChoice{std::move(v), info.created_at});
    }
    return std::optional<GameChoice>();
}

Result<std::vector<Result<eth::Bytes>>> Prover::prove_calldata(
    const std::vector<WithdrawalRecord*>& records, const verifier::VerdictRecord& game) {
    const verifier::OutputRootInputs& in = *game.computed;
    std::vector<eth::Hash32> slots;
    rpc::Json slot_list = rpc::Json::array();
    for (const WithdrawalRecord* r : records) {
        slots.push_back(eth::opstack::sent_messages_slot(r->hash));
        slot_list.push_back(slots.back().to_hex());
    }
    // Pinned to the game's L2 block by hash: the proof is of exactly the block whose
    // output root the verifier recomputed.
    VIGIL_TRY(
        rpc::Json proof_json,
        l2_.call("eth_getProof", rpc::Json::array({eth::opstack::message_passer_address().to_hex(),
                                                   std::move(slot_list),
                                                   {{"blockHash", in.block_hash.to_hex()}}})));
    VIGIL_TRY(eth::AccountProof proof, rpc::parse_account_proof(proof_json));
    auto verified = eth::verify_account_proof(in.state_root, proof);
    if (!verified)
        return fail("the L2 node's proof of the message passer does not verify against game " +
                    game.proposal.game.to_hex() + "'s state root: " + verified.error().message);
    if (verified->account.storage_root != in.message_passer_storage_root)
        return fail("the L2 node proves another message passer storage root than game " +
                    game.proposal.game.to_hex() + "'s");
    if (verified->storage.size() != slots.size() || proof.storage.size() != slots.size())
        return fail("the L2 node proved " + std::to_string(verified->storage.size()) +
                    " sentMessages slots, " + std::to_string(slots.size()) + " were asked");
    static const auto sig = *eth::abi::parse_signature(kProveSignature);
    std::vector<Result<eth::Bytes>> out;
    out.reserve(records.size());
    for (size_t k = 0; k < records.size(); ++k) {
        const WithdrawalRecord& r = *records[k];
        // The answer lists the slots in the order asked; checked, not assumed.
        if (verified->storage[k].slot != slots[k] || proof.storage[k].slot != slots[k])
            return fail("the L2 node's storage proofs are not in the order asked");
        if (verified->storage[k].value != eth::U256(1)) {
            out.push_back(fail("withdrawal " + r.hash.to_hex() +
                               " is not in sentMessages at L2 block " +
                               std::to_string(in.l2_block)));
            continue;
        }
        std::vector<Value> nodes;
        for (const auto& n : proof.storage[k].proof) nodes.push_back(Value::bytes(n));
        const auto& tx = r.tx;
        out.push_back(eth::abi::encode_call(
            sig, Value::tuple({Value::tuple({Value::uint(tx.nonce), Value::address(tx.sender),
                                             Value::address(tx.target), Value::uint(tx.value),
                                             Value::uint(tx.gas_limit), Value::bytes(tx.data)}),
                               Value::uint(eth::U256(game.proposal.game_index)),
                               Value::tuple({hash_value(eth::Hash32{}), hash_value(in.state_root),
                                             hash_value(in.message_passer_storage_root),
                                             hash_value(in.block_hash)}),
                               Value::array(std::move(nodes))})));
    }
    return out;
}

// A send the sender refused: back to `back` to be tried again next round, or failed once
// the node said "would revert" max_attempts times (retrying the same call cannot help).
Status Prover::not_sent(WithdrawalRecord& r, const Error& why, const char* call,
                        WithdrawalState back, size_t& failed) {
    const bool reverts = why.code == chains::kWouldRevert;
    if (reverts) ++r.attempts;
    Status s;
    if (reverts && r.attempts >= route_.max_attempts) {
        s = move(r, WithdrawalState::failed,
                 std::string(call) + " would revert (" + std::to_string(r.attempts) +
                     " attempts): " + why.message);
        if (s.ok()) ++failed;
    } else {
        log_.warn("not sent yet", {{"route", route_.name},
                                   {"withdrawal", r.hash.to_hex()},
                                   {"call", call},
                                   {"error", why.message}});
        s = move(r, back, why.message);
    }
    if (!s.ok() && s.error().code != kWithdrawalChanged) return s;
    return Status{};
}

// Follows the withdrawals in `state` (proving or finalizing) to their transaction's end,
// all their moves in one commit.
Status Prover::follow(WithdrawalState state, const char* kind, size_t max, size_t& done,
                      size_t& failed) {
    const bool proving = state == WithdrawalState::proving;
    VIGIL_TRY(auto records, withdrawals_.in_state(route_.name, state, max));
    const WithdrawalState back = proving ? WithdrawalState::provable : WithdrawalState::proven;
    std::vector<Move> moves;
    std::vector<WithdrawalRecord*> proved;  // succeeded proofs: the portal is asked for their time
    std::vector<uint64_t> proved_block;
    for (WithdrawalRecord& r : records) {
        if (stopping()) break;
        const std::string id = proving ? prove_id(r, *r.proof_game) : finalize_id(r);
        VIGIL_TRY(auto tx, sender_.find(id));
        if (!tx) {
            // Persisted as in flight but never handed to the sender (a crash in between):
            // back one step, decided again (the portal is asked first).
            moves.push_back({&r, back, ""});
        } else if (tx->state == chains::TxRecord::State::succeeded) {
            if (hooks_.tx_final) hooks_.tx_final(kind, *tx);
            if (proving) {
                proved.push_back(&r);
                proved_block.push_back(tx->block);
            } else {
                moves.push_back({&r, WithdrawalState::finalized, ""});
            }
        } else if (tx->state == chains::TxRecord::State::reverted) {
            if (hooks_.tx_final) hooks_.tx_final(kind, *tx);
            moves.push_back(
                {&r, WithdrawalState::failed,
                 std::string(proving ? "proveWithdrawalTransaction"
                                     : "finalizeWithdrawalTransaction") +
                     " reverted in L1 block " + std::to_string(tx->block) + " (tx " +
                     (tx->included_hash ? tx->included_hash->to_hex() : std::string("?")) + ")"});
        }
    }
    if (!proved.empty()) {
        std::vector<eth::Hash32> hashes;
        for (const WithdrawalRecord* r : proved) hashes.push_back(r->hash);
        VIGIL_TRY(auto on_l1, proofs_on_l1(hashes));
        for (size_t k = 0; k < proved.size(); ++k) {
            if (on_l1[k].timestamp == 0)
                return fail("route " + route_.name + ": the proof of " + proved[k]->hash.to_hex() +
                            " succeeded in L1 block " + std::to_string(proved_block[k]) +
                            " but the portal holds no proof by our signer");
            proved[k]->proven_at = on_l1[k].timestamp;
            moves.push_back({proved[k], WithdrawalState::proven, ""});
        }
    }
    VIGIL_TRY(auto applied, move_all(moves));
    for (size_t i = 0; i < moves.size(); ++i) {
        if (!applied[i]) continue;
        if (moves[i].to == WithdrawalState::failed) ++failed;
        if (moves[i].to == WithdrawalState::proven || moves[i].to == WithdrawalState::finalized)
            ++done;
    }
    return Status{};
}

Result<ProveRound> Prover::poll(size_t max_per_round) {
    ProveRound round;
    // Follow what is in flight first (also after a restart, and while paused).
    if (auto polled = sender_.poll(); !polled) return polled.error();
    VIGIL_CHECK(
        follow(WithdrawalState::proving, "prove", max_per_round, round.proven, round.failed));
    if (paused_) return round;

    // Pending work from the state index (no record decoded yet): observed, then provable,
    // each oldest L2 block first.
    std::vector<WithdrawalStore::Indexed> pending;
    for (WithdrawalState s : {WithdrawalState::observed, WithdrawalState::provable}) {
        VIGIL_TRY(auto entries, withdrawals_.index(route_.name, s, kPendingScan));
        pending.insert(pending.end(), entries.begin(), entries.end());
    }
    if (pending.empty()) return round;
    // Nothing pending is covered by any valid game yet (the usual state between
    // proposals): decided from the store alone, no chain reads.
    {
        VIGIL_TRY(auto top, verdicts_.latest_valid(route_.rollup));
        uint64_t lowest = UINT64_MAX;
        for (const auto& e : pending) lowest = std::min(lowest, e.l2_block);
        if (!top || top->proposal.l2_block < lowest) {
            round.waiting = pending.size();
            return round;
        }
    }
    VIGIL_TRY(auto game, choose_game());
    // Records are read only for the withdrawals the game covers, up to the round's size.
    std::vector<WithdrawalRecord> covered;
    covered.reserve(max_per_round);
    for (const auto& e : pending) {
        if (!game || game->verdict.proposal.l2_block < e.l2_block) {
            ++round.waiting;
            continue;
        }
        if (covered.size() >= max_per_round) continue;
        VIGIL_TRY(auto r, withdrawals_.get(route_.name, e.hash));
        if (r) covered.push_back(std::move(*r));  // absent: erased by an L2 reorg meanwhile
    }
    std::vector<Move> refused;
    std::vector<WithdrawalRecord*> batch;
    for (WithdrawalRecord& r : covered) {
        if (stopping()) break;
        // A policy refusal is final: the operator re-queues with `vigil relay retry` once
        // the policy allows it.
        if (auto refusal = policy_refusal(route_.policy, r.tx)) {
            refused.push_back({&r, WithdrawalState::failed, *refusal});
            continue;
        }
        batch.push_back(&r);
    }
    VIGIL_TRY(auto refused_applied, move_all(refused));
    round.failed += std::count(refused_applied.begin(), refused_applied.end(), true);
    if (batch.empty()) return round;
    round.provable += batch.size();
    const verifier::VerdictRecord& g = game->verdict;

    // Proved by us earlier (a crash lost the record's update)? Then adopt the portal's
    // record of it, game included; finalize() checks that game.
    std::vector<eth::Hash32> hashes;
    for (const WithdrawalRecord* r : batch) hashes.push_back(r->hash);
    VIGIL_TRY(auto on_l1, proofs_on_l1(hashes));
    std::vector<Move> adopted;
    std::vector<WithdrawalRecord*> to_prove;
    for (size_t k = 0; k < batch.size(); ++k) {
        WithdrawalRecord& r = *batch[k];
        if (on_l1[k].timestamp == 0) {
            to_prove.push_back(&r);
            continue;
        }
        r.proven_at = on_l1[k].timestamp;
        if (r.proof_game != on_l1[k].game) r.proof_game_index = 0;
        r.proof_game = on_l1[k].game;
        adopted.push_back({&r, WithdrawalState::proven, "already proven on L1"});
    }
    VIGIL_TRY(auto adopted_applied, move_all(adopted));
    round.proven += std::count(adopted_applied.begin(), adopted_applied.end(), true);
    if (to_prove.empty()) return round;

    auto data = prove_calldata(to_prove, g);
    if (!data) {
        // The L2 node's answer did not check out: an endpoint problem, retried next round.
        log_.error("cannot build withdrawal proofs", {{"route", route_.name},
                                                      {"withdrawals", to_prove.size()},
                                                      {"error", data.error().message}});
        return round;
    }
    std::vector<Move> proving;
    std::vector<std::optional<eth::Address>> old_game;
    for (size_t k = 0; k < to_prove.size(); ++k) {
        WithdrawalRecord& r = *to_prove[k];
        if (!(*data)[k]) {
            log_.error("cannot build the withdrawal proof",
                       {{"route", route_.name},
                        {"withdrawal", r.hash.to_hex()},
                        {"error", (*data)[k].error().message}});
            continue;
        }
        old_game.push_back(r.proof_game);
        r.proof_game = g.proposal.game;
        r.proof_game_index = g.proposal.game_index;
        proving.push_back({&r, WithdrawalState::proving, ""});
    }
    // In flight from here on: follow() finds each by its request id after a crash.
    VIGIL_TRY(auto proving_applied, move_all(proving));
    std::vector<chains::TxRequest> requests;
    std::vector<size_t> requested;
    for (size_t i = 0; i < proving.size(); ++i) {
        WithdrawalRecord& r = *proving[i].record;
        if (!proving_applied[i]) {
            r.proof_game = old_game[i];
            continue;
        }
        chains::TxRequest req;
        req.id = prove_id(r, g.proposal.game);
        req.to = route_.portal;
        // The index into to_prove is the index into data.
        const size_t k =
            static_cast<size_t>(std::find(to_prove.begin(), to_prove.end(), &r) - to_prove.begin());
        req.data = std::move((*data)[k]).value();
        requests.push_back(std::move(req));
        requested.push_back(i);
    }
    auto sent = sender_.submit_all(requests);
    for (size_t j = 0; j < requested.size(); ++j) {
        const size_t i = requested[j];
        const Error* why =
            !sent.ok() ? &sent.error() : (!(*sent)[j].ok() ? &(*sent)[j].error() : nullptr);
        if (!why) {
            ++round.sent;
            continue;
        }
        // Not sent: back to provable (the proving record names a game whose id the sender
        // never saw, which follow() would also undo after a crash).
        WithdrawalRecord& r = *proving[i].record;
        r.proof_game = old_game[i];
        VIGIL_CHECK(not_sent(r, *why, "proveWithdrawalTransaction", WithdrawalState::provable,
                             round.failed));
    }
    return round;
}

Result<FinalizeRound> Prover::finalize(size_t max_per_round) {
    FinalizeRound round;
    if (auto polled = sender_.poll(); !polled) return polled.error();
    VIGIL_CHECK(follow(WithdrawalState::finalizing, "finalize", max_per_round, round.finalized,
                       round.failed));
    if (paused_) return round;

    // Matured proofs only (a local filter; checkWithdrawal below is the real gate). The
    // window is wide so that a few withdrawals waiting on a slow game do not hold up the
    // rest; the reads it costs are local.
    VIGIL_TRY(rpc::Json head,
              l1_.call("eth_getBlockByNumber", rpc::Json::array({"latest", false})));
    VIGIL_TRY(uint64_t now, rpc::field_uint64(head, "timestamp"));
    if (now <= next_scan_at_.load()) return round;  // nothing can be ready yet
    constexpr size_t kScan = 4096;
    VIGIL_TRY(auto proven, withdrawals_.in_state(route_.name, WithdrawalState::proven, kScan));
    // Until proven: when to look again (the earliest maturity among those left waiting on
    // it; now when one is mature but waits on its game or the portal).
    uint64_t next = proven.size() >= kScan ? 0 : UINT64_MAX;
    next_scan_at_ = 0;  // a round that ends early scans again next time
    std::map<eth::Address, std::optional<std::string>> game_gone;  // per round: lost/blacklisted
    std::map<eth::Address, uint8_t> game_status;
    size_t handled = 0;
    for (WithdrawalRecord& r : proven) {
        if (handled >= max_per_round || stopping()) {
            next = 0;
            break;
        }
        if (r.proven_at != 0 && now <= r.proven_at + proof_maturity_secs_) {
            next = std::min(next, r.proven_at + proof_maturity_secs_);
            ++round.waiting;
            continue;
        }
        next = 0;  // mature: whatever happens below, look again next round
        // Lost or blacklisted meanwhile: proved again (unless already finalized on L1).
        std::optional<std::string> gone;
        if (r.proof_game) {
            const eth::Address game = *r.proof_game;
            if (!game_status.count(game)) {
                VIGIL_TRY(verifier::GameInfo info, verifier::read_game(l1_, game));
                game_status[game] = info.status;
                VIGIL_TRY(game_gone[game],
                          game_unusable(game, info.game_type, info.status, info.created_at));
            }
            gone = game_gone[game];
            if (!gone && game_status[game] != verifier::kGameDefenderWins) {
                ++round.waiting;  // not resolved yet
                continue;
            }
        }
        ++handled;
        VIGIL_TRY(bool done, finalized_on_l1(r.hash));
        if (done) {
            Status s = move(r, WithdrawalState::finalized, "already finalized on L1");
            if (!s.ok() && s.error().code != kWithdrawalChanged) return s.error();
            ++round.finalized;
            continue;
        }
        if (gone) {
            r.proof_game.reset();
            Status s = move(r, WithdrawalState::provable, *gone + ": prove again");
            if (!s.ok() && s.error().code != kWithdrawalChanged) return s.error();
            ++round.reproving;
            continue;
        }
        VIGIL_TRY(auto blocker, finalize_blocker(r.hash));
        if (blocker) {
            log_.debug(
                "not finalizable yet",
                {{"route", route_.name}, {"withdrawal", r.hash.to_hex()}, {"why", *blocker}});
            ++round.waiting;
            continue;
        }
        ++round.ready;
        if (Status s = move(r, WithdrawalState::finalizing); !s.ok()) {
            if (s.error().code == kWithdrawalChanged) continue;
            return s.error();
        }
        static const auto sig = *eth::abi::parse_signature(
            "finalizeWithdrawalTransaction((uint256,address,address,uint256,uint256,bytes))");
        const auto& w = r.tx;
        VIGIL_TRY(eth::Bytes data,
                  eth::abi::encode_call(
                      sig, Value::tuple(
                               {Value::tuple({Value::uint(w.nonce), Value::address(w.sender),
                                              Value::address(w.target), Value::uint(w.value),
                                              Value::uint(w.gas_limit), Value::bytes(w.data)})})));
        chains::TxRequest req;
        req.id = finalize_id(r);
        req.to = route_.portal;
        req.data = std::move(data);
        auto sent = sender_.submit(req);
        if (sent) {
            ++round.sent;
            continue;
        }
        VIGIL_CHECK(not_sent(r, sent.error(), "finalizeWithdrawalTransaction",
                             WithdrawalState::proven, round.failed));
    }
    // Only this thread moves records to proven, and every one moved in this round was in
    // the scan (next = 0 then), so `next` is complete.
    next_scan_at_ = next;
    return round;
}

}  // namespace vigil::relayer
