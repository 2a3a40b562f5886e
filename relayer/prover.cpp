#include "relayer/prover.h"

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

Value hash_value(const eth::Hash32& h) {
    return Value::fixed_bytes(eth::Bytes(h.bytes.begin(), h.bytes.end()));
}

constexpr const char* kProveSignature =
    "proveWithdrawalTransaction((uint256,address,address,uint256,uint256,bytes),uint256,"
    "(bytes32,bytes32,bytes32,bytes32),bytes[])";

}  // namespace

Prover::Prover(RouteSpec route, rpc::RpcClient& l1, rpc::RpcClient& l2, core::Store& store,
               chains::Sender& sender, core::Logger log, Clock clock)
    : route_(std::move(route)),
      l1_(l1),
      l2_(l2),
      store_(store),
      withdrawals_(store),
      verdicts_(store),
      sender_(sender),
      log_(std::move(log)),
      clock_(clock ? std::move(clock) : Clock(system_ms)) {}

Status Prover::start() {
    VIGIL_TRY(counts_, withdrawals_.counts(route_.name));
    return Status{};
}

std::string Prover::tx_id(const WithdrawalRecord& r, const eth::Address& game) const {
    return "prove/" + route_.name + "/" + r.hash.to_hex() + "/" + game.to_hex();
}

Status Prover::move(WithdrawalRecord& r, WithdrawalState to, const std::string& reason) {
    const WithdrawalState before = r.state;
    r.state = to;
    r.reason = reason;
    r.updated_at_ms = clock_();
    RouteCounts counts = counts_;
    core::WriteBatch batch;
    withdrawals_.stage(r, before, counts, batch);
    VIGIL_CHECK(store_.commit(batch));
    counts_ = counts;
    log_.info("withdrawal", {{"route", route_.name},
                             {"withdrawal", r.hash.to_hex()},
                             {"from", state_name(before)},
                             {"to", state_name(to)},
                             {"reason", reason}});
    return Status{};
}

// provenWithdrawals(hash, our signer).timestamp != 0.
Result<bool> Prover::proven_on_l1(const eth::Hash32& hash) {
    static const auto sig = *eth::abi::parse_signature("provenWithdrawals(bytes32,address)");
    VIGIL_TRY(eth::Bytes data,
              eth::abi::encode_call(
                  sig, Value::tuple({hash_value(hash), Value::address(sender_.address())})));
    VIGIL_TRY(
        rpc::Json answer,
        l1_.call("eth_call",
                 rpc::Json::array(
                     {{{"to", route_.portal.to_hex()}, {"data", eth::to_hex(data)}}, "latest"})));
    if (!answer.is_string()) return fail("provenWithdrawals: answer is not a hex string");
    VIGIL_TRY(eth::Bytes out, eth::from_hex(answer.get<std::string>()));
    VIGIL_TRY(Value v, eth::abi::decode_params(*eth::abi::parse_type("(address,uint64)"), out));
    return v.as<eth::abi::TupleValue>().items.at(1).as<eth::abi::UintValue>().value.low64() != 0;
}

Result<rpc::Json> Prover::portal_call(const std::string& signature, std::vector<Value> args) {
    VIGIL_TRY(eth::abi::Signature sig, eth::abi::parse_signature(signature));
    VIGIL_TRY(eth::Bytes data, eth::abi::encode_call(sig, Value::tuple(std::move(args))));
    return l1_.call("eth_call", rpc::Json::array({{{"to", route_.portal.to_hex()},
                                                   {"data", eth::to_hex(data)},
                                                   {"from", sender_.address().to_hex()}},
                                                  "latest"}));
}

Result<bool> Prover::finalized_on_l1(const eth::Hash32& hash) {
    VIGIL_TRY(rpc::Json answer, portal_call("finalizedWithdrawals(bytes32)", {hash_value(hash)}));
    if (!answer.is_string()) return fail("finalizedWithdrawals: answer is not a hex string");
    VIGIL_TRY(eth::Bytes out, eth::from_hex(answer.get<std::string>()));
    VIGIL_TRY(Value v, eth::abi::decode_params(*eth::abi::parse_type("(bool)"), out));
    return v.as<eth::abi::TupleValue>().items.at(0).as<bool>();
}

Result<std::optional<std::string>> Prover::finalize_blocker(const eth::Hash32& hash) {
    auto answer = portal_call("checkWithdrawal(bytes32,address)",
                              {hash_value(hash), Value::address(sender_.address())});
    if (answer.ok()) return std::optional<std::string>();
    if (answer.error().code == rpc::kRpcError)
        return std::optional<std::string>(answer.error().message);  // the portal's reason
    return answer.error();
}

Result<eth::Bytes> Prover::prove_calldata(const WithdrawalRecord& r,
                                          const verifier::VerdictRecord& game) {
    const verifier::OutputRootInputs& in = *game.computed;
    const eth::Hash32 slot = eth::opstack::sent_messages_slot(r.hash);
    // Pinned to the game's L2 block by hash: the proof is of exactly the block whose
    // output root the verifier recomputed.
    VIGIL_TRY(
        rpc::Json proof_json,
        l2_.call("eth_getProof", rpc::Json::array({eth::opstack::message_passer_address().to_hex(),
                                                   rpc::Json::array({slot.to_hex()}),
                                                   {{"blockHash", in.block_hash.to_hex()}}})));
    VIGIL_TRY(eth::AccountProof proof, rpc::parse_account_proof(proof_json));
    auto verified = eth::verify_account_proof(in.state_root, proof);
    if (!verified)
        return fail("the L2 node's proof of " + r.hash.to_hex() +
                    " does not verify against the game's state root: " + verified.error().message);
    if (verified->account.storage_root != in.message_passer_storage_root)
        return fail("the L2 node proves another message passer storage root than the game's");
    if (verified->storage.size() != 1 || verified->storage[0].slot != slot ||
        verified->storage[0].value != eth::U256(1))
        return fail("withdrawal " + r.hash.to_hex() + " is not in sentMessages at L2 block " +
                    std::to_string(in.l2_block));
    std::vector<Value> nodes;
    for (const auto& n : proof.storage[0].proof) nodes.push_back(Value::bytes(n));
    const auto& tx = r.tx;
    return eth::abi::encode_call(
        *eth::abi::parse_signature(kProveSignature),
        Value::tuple(
            {Value::tuple({Value::uint(tx.nonce), Value::address(tx.sender),
                           Value::address(tx.target), Value::uint(tx.value),
                           Value::uint(tx.gas_limit), Value::bytes(tx.data)}),
             Value::uint(eth::U256(game.proposal.game_index)),
             Value::tuple({hash_value(eth::Hash32{}), hash_value(in.state_root),
                           hash_value(in.message_passer_storage_root), hash_value(in.block_hash)}),
             Value::array(std::move(nodes))}));
}

Result<ProveRound> Prover::poll(size_t max_per_round) {
    ProveRound round;
    // Follow what is in flight first (also after a restart).
    if (auto polled = sender_.poll(); !polled) return polled.error();
    VIGIL_TRY(auto proving,
              withdrawals_.in_state(route_.name, WithdrawalState::proving, max_per_round));
    for (WithdrawalRecord& r : proving) {
        VIGIL_TRY(auto tx, sender_.find(tx_id(r, *r.proof_game)));
        if (!tx) {
            // Persisted as proving but never handed to the sender (a crash in between):
            // back to provable, decided again below.
            VIGIL_CHECK(move(r, WithdrawalState::provable));
            continue;
        }
        if (tx->state == chains::TxRecord::State::succeeded) {
            VIGIL_CHECK(move(r, WithdrawalState::proven));
            ++round.proven;
        } else if (tx->state == chains::TxRecord::State::reverted) {
            VIGIL_CHECK(move(
                r, WithdrawalState::failed,
                "proveWithdrawalTransaction reverted in L1 block " + std::to_string(tx->block)));
            ++round.failed;
        }
    }

    VIGIL_TRY(auto game, verdicts_.latest_valid(route_.rollup));
    // The portal only finalizes a proof made strictly after the game's creation
    // (checkWithdrawal: proven.timestamp > createdAt); a proof in the game's own second
    // could never be finalized. So prove once the L1 head is past that second: the proving
    // block comes later still.
    bool too_early = false;
    if (game) {
        VIGIL_TRY(verifier::GameInfo info, verifier::read_game(l1_, game->proposal.game));
        VIGIL_TRY(rpc::Json head,
                  l1_.call("eth_getBlockByNumber", rpc::Json::array({"latest", false})));
        VIGIL_TRY(uint64_t now, rpc::field_uint64(head, "timestamp"));
        too_early = now <= info.created_at;
    }
    for (WithdrawalState s : {WithdrawalState::observed, WithdrawalState::provable}) {
        VIGIL_TRY(auto records, withdrawals_.in_state(route_.name, s, max_per_round));
        for (WithdrawalRecord& r : records) {
            if (!game || !game->computed || game->proposal.l2_block < r.l2_block || too_early) {
                ++round.waiting;
                continue;
            }
            ++round.provable;
            VIGIL_TRY(bool done, proven_on_l1(r.hash));
            if (done) {
                r.proof_game = game->proposal.game;
                r.proof_game_index = game->proposal.game_index;
                VIGIL_CHECK(move(r, WithdrawalState::proven, "already proven on L1"));
                ++round.proven;
                continue;
            }
            // The game must not have been lost meanwhile.
            VIGIL_TRY(uint8_t status, verifier::read_game_status(l1_, game->proposal.game));
            if (status == verifier::kGameChallengerWins) {
                log_.error("the latest valid game was lost on L1; not proving against it",
                           {{"route", route_.name}, {"game", game->proposal.game.to_hex()}});
                return round;
            }
            auto data = prove_calldata(r, *game);
            if (!data) {
                // The L2 node's answer did not check out: an endpoint problem, retried.
                log_.error("cannot build the withdrawal proof", {{"route", route_.name},
                                                                 {"withdrawal", r.hash.to_hex()},
                                                                 {"error", data.error().message}});
                continue;
            }
            r.proof_game = game->proposal.game;
            r.proof_game_index = game->proposal.game_index;
            VIGIL_CHECK(move(r, WithdrawalState::proving));
            chains::TxRequest req;
            req.id = tx_id(r, game->proposal.game);
            req.to = route_.portal;
            req.data = std::move(data).value();
            auto sent = sender_.submit(req);
            if (!sent) {
                log_.warn("prove not sent yet", {{"route", route_.name},
                                                 {"withdrawal", r.hash.to_hex()},
                                                 {"error", sent.error().message}});
                VIGIL_CHECK(move(r, WithdrawalState::provable, sent.error().message));
                continue;
            }
            ++round.sent;
        }
    }
    return round;
}

Result<FinalizeRound> Prover::finalize(size_t max_per_round) {
    FinalizeRound round;
    if (auto polled = sender_.poll(); !polled) return polled.error();
    VIGIL_TRY(auto finalizing,
              withdrawals_.in_state(route_.name, WithdrawalState::finalizing, max_per_round));
    for (WithdrawalRecord& r : finalizing) {
        VIGIL_TRY(auto tx, sender_.find("finalize/" + route_.name + "/" + r.hash.to_hex()));
        if (!tx) {
            VIGIL_CHECK(move(r, WithdrawalState::proven));
            continue;
        }
        if (tx->state == chains::TxRecord::State::succeeded) {
            VIGIL_CHECK(move(r, WithdrawalState::finalized));
            ++round.finalized;
        } else if (tx->state == chains::TxRecord::State::reverted) {
            VIGIL_CHECK(move(
                r, WithdrawalState::failed,
                "finalizeWithdrawalTransaction reverted in L1 block " + std::to_string(tx->block)));
            ++round.failed;
        }
    }
    VIGIL_TRY(auto proven,
              withdrawals_.in_state(route_.name, WithdrawalState::proven, max_per_round));
    for (WithdrawalRecord& r : proven) {
        VIGIL_TRY(bool done, finalized_on_l1(r.hash));
        if (done) {
            VIGIL_CHECK(move(r, WithdrawalState::finalized, "already finalized on L1"));
            ++round.finalized;
            continue;
        }
        if (r.proof_game) {
            VIGIL_TRY(uint8_t status, verifier::read_game_status(l1_, *r.proof_game));
            if (status == verifier::kGameChallengerWins) {
                const eth::Address lost = *r.proof_game;
                r.proof_game.reset();
                VIGIL_CHECK(move(r, WithdrawalState::provable,
                                 "game " + lost.to_hex() + " was lost: prove again"));
                ++round.reproving;
                continue;
            }
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
        VIGIL_CHECK(move(r, WithdrawalState::finalizing));
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
        req.id = "finalize/" + route_.name + "/" + r.hash.to_hex();
        req.to = route_.portal;
        req.data = std::move(data);
        auto sent = sender_.submit(req);
        if (!sent) {
            log_.warn("finalize not sent yet", {{"route", route_.name},
                                                {"withdrawal", r.hash.to_hex()},
                                                {"error", sent.error().message}});
            VIGIL_CHECK(move(r, WithdrawalState::proven, sent.error().message));
            continue;
        }
        ++round.sent;
    }
    return round;
}

}  // namespace vigil::relayer
