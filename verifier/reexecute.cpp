#include "verifier/reexecute.h"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"
#include "chains/rpc/proof_json.h"
#include "verifier/evm/op_fees.h"
#include "verifier/evm/precompiles.h"
#include "verifier/evm/witness_state.h"
#include "verifier/witness_fetch.h"

namespace vigil::verifier {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// An RPC failure to retry later (the endpoint, not its data): its code is kept. Anything
// else the node answered wrongly makes the block unverifiable.
int classify(int code) {
    const bool transport =
        code >= rpc::kTransport && code <= rpc::kNoEndpoint && code != rpc::kRpcError;
    return transport ? code : kUnverifiable;
}

eth::Hash32 slot_key(uint64_t slot) { return eth::Hash32(eth::U256(slot).to_be_word()); }

// OP Stack Isthmus: withdrawalsRoot holds the message passer's storage root, and
// requestsHash is sha256 of no requests (OP specs isthmus/exec-engine.md).
bool active(const std::optional<uint64_t>& fork_time, uint64_t timestamp) {
    return fork_time && *fork_time <= timestamp;
}

bool isthmus_header(const evm::ChainRules& rules, uint64_t timestamp) {
    return rules.op_stack && rules.op_stack->isthmus && *rules.op_stack->isthmus <= timestamp;
}
const eth::Hash32 kEmptyRequestsHash =
    *eth::Hash32::from_hex("0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

// EIP-4788: the ring buffer's length (HISTORY_BUFFER_LENGTH).
constexpr uint64_t kBeaconRootsBufferLength = 8191;

// Appends the message passer's account proof at the parent block (named by hash) to
// `witness`. The output root needs the passer's storage root after every block, also
// after one that never touches it, and a node's execution witness covers only what the
// block touched. Like every witness node, it is used only where a trusted hash names it.
Status add_message_passer_proof(rpc::RpcClient& node, const eth::Hash32& parent,
                                evm::Witness& witness) {
    const eth::Address passer = eth::opstack::message_passer_address();
    const std::string where = "eth_getProof of the message passer at block " + parent.to_hex();
    VIGIL_TRY(
        rpc::Json json,
        node.call("eth_getProof", rpc::Json::array({passer.to_hex(), rpc::Json::array(),
                                                    rpc::Json{{"blockHash", parent.to_hex()}}})));
    auto proof = rpc::parse_account_proof(json);
    if (!proof) return fail(where + ": " + proof.error().message, proof.error().code);
    witness.state_nodes.insert(witness.state_nodes.end(), proof->account_proof.begin(),
                               proof->account_proof.end());
    return {};
}

}  // namespace

Result<WitnessMethod> parse_witness_method(std::string_view text) {
    if (text == "auto") return WitnessMethod::automatic;
    if (text == "execution_witness") return WitnessMethod::execution_witness;
    if (text == "prestate") return WitnessMethod::prestate;
    return fail("witness source '" + std::string(text) +
                "': expected auto, execution_witness or prestate");
}

const char* witness_method_name(WitnessMethod method) {
    switch (method) {
        case WitnessMethod::automatic:
            return "auto";
        case WitnessMethod::execution_witness:
            return "execution_witness";
        case WitnessMethod::prestate:
            return "prestate";
    }
    return "?";
}

std::map<eth::Address, std::set<eth::Hash32>> untraced_accounts(const eth::BlockHeader& header,
                                                                const evm::ChainRules& rules) {
    std::map<eth::Address, std::set<eth::Hash32>> out;
    out[header.beneficiary];
    // Every precompile Vigil knows, whether or not this block's rules enable it: an extra
    // proof of absence costs little, a missing one makes the block unverifiable.
    // Prague's additions only where Prague rules apply: a witness holds what the block
    // needs (an unneeded proof would only cost, but it also hides a missing one in tests).
    const bool prague = rules.op_stack ? active(rules.op_stack->isthmus, header.timestamp)
                                       : active(rules.prague_time, header.timestamp);
    evm::PrecompileSet all;
    all.p256verify = true;
    all.bls12_381 = prague;
    for (const eth::Address& a : evm::precompile_addresses(all)) out[a];
    // EIP-2935 (Prague, OP Isthmus): the system call stores the parent's hash in the
    // history contract's ring buffer.
    if (prague && header.number > 0)
        out[evm::kHistoryStorageAddress].insert(
            slot_key((header.number - 1) % evm::kHistoryServeWindow));
    if (header.parent_beacon_block_root) {
        const uint64_t index = header.timestamp % kBeaconRootsBufferLength;
        out[evm::kBeaconRootsAddress] = {slot_key(index),
                                         slot_key(index + kBeaconRootsBufferLength)};
    }
    if (rules.op_stack) {
        out[evm::op::kL1BlockAddress] = {
            slot_key(evm::op::kL1BaseFeeSlot), slot_key(evm::op::kL1FeeScalarsSlot),
            slot_key(evm::op::kL1OverheadSlot), slot_key(evm::op::kL1ScalarSlot),
            slot_key(evm::op::kL1BlobBaseFeeSlot)};
        if (prague) {  // Isthmus
            out[evm::op::kL1BlockAddress].insert(slot_key(evm::op::kOperatorFeeSlot));
            out[evm::op::kOperatorFeeVault];
        }
        out[evm::op::kBaseFeeVault];
        out[evm::op::kL1FeeVault];
    }
    // Not read by the block, but its storage root is part of the output root (also on a
    // chain under Ethereum rules that carries the OP Stack's bridge, like the devnet's).
    out[eth::opstack::message_passer_address()];
    return out;
}

namespace {

// check_block, also noting the oldest ancestor whose hash BLOCKHASH asked for and the
// witness does not prove.
Result<BlockCheck> check_block_noting_ancestors(
    const rpc::RpcBlock& block, const evm::Witness& witness, const eth::Hash32& trusted_parent,
    const evm::ChainRules& rules, const eth::BlockHeader* parent_header,
    std::optional<uint64_t>* missing_ancestor,
    std::map<eth::Address, std::set<eth::Hash32>>* deleted) {
    const auto start = Clock::now();
    const eth::BlockHeader& node_header = block.header;
    const std::string where = "L2 block " + std::to_string(node_header.number) + ": ";
    if (node_header.parent_hash != trusted_parent)
        return fail(where + "its parent is " + node_header.parent_hash.to_hex() +
                        ", not the trusted block " + trusted_parent.to_hex(),
                    kUnverifiable);
    if (!block.full_transactions)
        return fail(where + "the transactions are needed, not only their hashes", kUnverifiable);

    // The parent header: the caller's, or the witness's header that hashes to the trusted
    // parent hash.
    Result<eth::BlockHeader> parent = fail("no parent header");
    if (parent_header) {
        if (parent_header->hash() != trusted_parent)
            return fail(where + "the given parent header does not hash to the trusted parent " +
                            trusted_parent.to_hex(),
                        kUnverifiable);
        parent = *parent_header;
    } else {
        const eth::Bytes* parent_rlp = nullptr;
        for (const eth::Bytes& h : witness.headers)
            if (eth::keccak256(h) == trusted_parent) parent_rlp = &h;
        if (!parent_rlp)
            return fail(where + "the witness has no header hashing to the trusted parent " +
                            trusted_parent.to_hex(),
                        kUnverifiable);
        parent = eth::BlockHeader::decode(*parent_rlp);
        if (!parent)
            return fail(where + "the parent header does not decode: " + parent.error().message,
                        kUnverifiable);
    }
    if (parent->number + 1 != node_header.number)
        return fail(where + "the trusted parent is block " + std::to_string(parent->number),
                    kUnverifiable);
    // BLOCKHASH: the parent's hash, then the ancestors the witness chains from it (a block
    // that reads one it lacks is reported through missing_ancestor, never given a zero).
    std::map<uint64_t, eth::Hash32> hashes;
    if (parent->number > 0) {
        auto older = evm::block_hashes(witness, parent->parent_hash);
        if (older) hashes = std::move(older).value();
    }
    hashes[parent->number] = trusted_parent;

    BlockCheck check;
    check.number = node_header.number;
    check.node_header = node_header;
    check.parent_state_root = parent->state_root;
    check.transactions = block.transactions.size();
    check.witness_nodes = witness.state_nodes.size();
    check.witness_codes = witness.codes.size();
    for (const auto& n : witness.state_nodes) check.witness_bytes += n.size();
    for (const auto& c : witness.codes) check.witness_bytes += c.size();
    for (const auto& h : witness.headers) check.witness_bytes += h.size();

    evm::BlockInput in;
    in.number = node_header.number;
    in.timestamp = node_header.timestamp;
    in.parent_timestamp = parent->timestamp;
    in.coinbase = node_header.beneficiary;
    in.gas_limit = node_header.gas_limit;
    in.base_fee = node_header.base_fee_per_gas.value_or(eth::U256());
    in.prev_randao = node_header.mix_hash;
    in.parent_beacon_block_root = node_header.parent_beacon_block_root;
    in.parent_hash = trusted_parent;  // EIP-2935's system call stores it
    in.excess_blob_gas = node_header.excess_blob_gas.value_or(0);
    in.block_hash = [&hashes, missing_ancestor](uint64_t n) -> std::optional<eth::Hash32> {
        auto it = hashes.find(n);
        if (it != hashes.end()) return it->second;
        if (missing_ancestor && (!*missing_ancestor || n < **missing_ancestor))
            *missing_ancestor = n;
        return std::nullopt;
    };
    in.transactions.reserve(block.transactions.size());
    for (const rpc::RpcTransaction& t : block.transactions) in.transactions.push_back(t.tx);
    if (block.withdrawals) in.withdrawals = *block.withdrawals;

    evm::WitnessState state(witness, parent->state_root);
    auto outcome = evm::execute_block(state, in, rules);
    if (!outcome) {
        if (outcome.error().code == evm::kErrorInvalidBlock)
            return fail(where + "the block cannot be included on its parent state: " +
                            outcome.error().message,
                        kBlockInvalid);
        return fail(where + "cannot be re-executed: " + outcome.error().message, kUnverifiable);
    }
    if (deleted) {
        // What the block deletes: a deletion may merge a sibling the witness lacks.
        for (const evm::AccountUpdate& u : outcome->diff.accounts) {
            if (u.deleted) (*deleted)[u.address];
            for (const auto& [slot, value] : u.storage)
                if (value.is_zero()) (*deleted)[u.address].insert(eth::Hash32(slot.to_be_word()));
        }
    }
    auto state_root = state.apply(outcome->diff);
    if (!state_root) return fail(where + state_root.error().message, kUnverifiable);
    // The output root needs the message passer's storage root: every witness source
    // proves its account (untraced_accounts, add_message_passer_proof), so a witness that
    // lacks it failed its checks.
    auto passer_root = state.storage_root(eth::opstack::message_passer_address());
    if (!passer_root) return fail(where + passer_root.error().message, kUnverifiable);
    check.message_passer_storage_root = *passer_root;

    check.header = node_header;
    check.header.state_root = *state_root;
    check.header.receipts_root = outcome->receipts_root;
    check.header.logs_bloom = outcome->logs_bloom;
    check.header.gas_used = outcome->gas_used;
    if (check.header.blob_gas_used) {
        check.header.blob_gas_used = outcome->blob_gas_used;
    } else if (outcome->blob_gas_used != 0) {
        return fail(where + "blob gas used in a header without blob fields", kUnverifiable);
    }
    if (node_header.state_root != check.header.state_root) check.mismatches.push_back("stateRoot");
    if (node_header.receipts_root != check.header.receipts_root)
        check.mismatches.push_back("receiptsRoot");
    if (node_header.logs_bloom != check.header.logs_bloom) check.mismatches.push_back("logsBloom");
    if (node_header.gas_used != check.header.gas_used) check.mismatches.push_back("gasUsed");
    if (node_header.blob_gas_used != check.header.blob_gas_used)
        check.mismatches.push_back("blobGasUsed");
    if (isthmus_header(rules, node_header.timestamp)) {
        check.header.withdrawals_root = check.message_passer_storage_root;
        check.header.requests_hash = kEmptyRequestsHash;
        if (node_header.withdrawals_root != check.header.withdrawals_root)
            check.mismatches.push_back("withdrawalsRoot");
        if (node_header.requests_hash != check.header.requests_hash)
            check.mismatches.push_back("requestsHash");
    }
    check.block_hash = check.header.hash();
    check.output_root = eth::opstack::output_root_v0(
        check.header.state_root, check.message_passer_storage_root, check.block_hash);
    check.execute_ms = ms_since(start);
    return check;
}

}  // namespace

Result<BlockCheck> check_block(const rpc::RpcBlock& block, const evm::Witness& witness,
                               const eth::Hash32& trusted_parent, const evm::ChainRules& rules,
                               const eth::BlockHeader* parent_header) {
    return check_block_noting_ancestors(block, witness, trusted_parent, rules, parent_header,
                                        nullptr, nullptr);
}

Result<FetchedBlock> fetch_block(rpc::RpcClient& node, uint64_t number,
                                 const ReexecuteOptions& options, bool parent_header_known) {
    const auto start = Clock::now();
    const std::string where = "L2 block " + std::to_string(number) + ": ";
    VIGIL_TRY(rpc::Json json, node.call("eth_getBlockByNumber",
                                        rpc::Json::array({eth::to_quantity(number), true})));
    if (json.is_null()) return fail(where + "the L2 node does not have it", kNotYet);
    rpc::RpcTxOptions tx_options;
    tx_options.check_sender = false;  // execute_block recovers every sender itself
    auto block = rpc::parse_block(json, tx_options);
    if (block) {
        rpc::BlockCheckOptions checks;
        checks.withdrawals_root_is_message_passer =
            isthmus_header(options.rules, block->header.timestamp);
        if (Status s = rpc::verify_block(*block, checks); !s) block = s.error();
    }
    if (!block)
        return fail(where + "the L2 node's block fails its checks: " + block.error().message,
                    kUnverifiable);
    if (block->header.number != number)
        return fail(where + "the L2 node answered block " + std::to_string(block->header.number),
                    kUnverifiable);
    // The node's own parent, for the calls below; whether it is the trusted one is
    // check_fetched's question.
    const eth::Hash32 parent = block->header.parent_hash;

    evm::Witness witness;
    std::string method;
    bool fetched = false;
    if (options.witness != WitnessMethod::prestate) {
        auto w = fetch_execution_witness(node, number);
        if (w) {
            witness = std::move(w).value();
            method = "execution_witness";
            fetched = true;
            Status s = add_message_passer_proof(node, parent, witness);
            if (!s) return fail(where + s.error().message, classify(s.error().code));
        } else if (options.witness == WitnessMethod::execution_witness ||
                   w.error().code != rpc::kRpcError) {
            // Only a node that refuses the method falls back; a transport error is returned.
            return fail(where + "witness: " + w.error().message, classify(w.error().code));
        }
    }
    if (!fetched) {
        PrestateWitnessOptions po;
        po.proofs_per_batch = options.proofs_per_batch;
        po.extra = untraced_accounts(block->header, options.rules);
        po.parent_header_known = parent_header_known;
        po.deletions = false;  // asked for below, only if a deletion needs a sibling
        auto w = fetch_prestate_witness(node, block->header.hash(), po);
        if (!w) return fail(where + w.error().message, classify(w.error().code));
        witness = std::move(w).value();
        method = "prestate";
    }
    return FetchedBlock{std::move(block).value(), std::move(witness), std::move(method),
                        ms_since(start)};
}

Result<BlockCheck> check_fetched(rpc::RpcClient& node, FetchedBlock fetched,
                                 const eth::Hash32& trusted_parent, const ReexecuteOptions& options,
                                 const eth::BlockHeader* parent_header) {
    const uint64_t number = fetched.block.header.number;
    const std::string where = "L2 block " + std::to_string(number) + ": ";
    if (fetched.block.header.parent_hash != trusted_parent)
        return fail(where + "the L2 node's block has parent " +
                        fetched.block.header.parent_hash.to_hex() + ", not the trusted block " +
                        trusted_parent.to_hex() + " (another chain, or a reorganisation)",
                    kUnverifiable);
    const rpc::RpcBlock* block = &fetched.block;
    evm::Witness& witness = fetched.witness;
    const std::string& method = fetched.method;
    double fetch_ms = fetched.fetch_ms;
    // The prestate tracer does not say which ancestors BLOCKHASH reads (and a node's
    // witness might lack one): when execution asks for an ancestor the witness does not
    // prove, the headers down to it are fetched (checked by the parent-hash chain from the
    // trusted parent) and the block is executed again. Each round reaches deeper, and
    // BLOCKHASH no further than 256 blocks back.
    // Likewise a deletion that merges a sibling the prestate witness lacks: the keys the
    // block deleted (from Vigil's own execution) are proved at the block itself, their
    // collapse candidates added, and the block executed again. A node's own witness is
    // complete by construction and gets no such second chance.
    std::optional<uint64_t> fetched_down_to;
    bool deletions_fetched = method != "prestate";
    for (;;) {
        std::optional<uint64_t> missing;
        std::map<eth::Address, std::set<eth::Hash32>> deleted;
        auto check = check_block_noting_ancestors(*block, witness, trusted_parent, options.rules,
                                                  parent_header, &missing, &deleted);
        if (check) {
            check->witness_method = method;
            check->fetch_ms = fetch_ms;
            return check;
        }
        if (check.error().code == kUnverifiable && !deletions_fetched && !deleted.empty()) {
            deletions_fetched = true;
            const auto refetch = Clock::now();
            auto candidates = fetch_deletion_candidates(node, block->header.hash(), deleted,
                                                        options.proofs_per_batch);
            if (!candidates)
                return fail(where + candidates.error().message, classify(candidates.error().code));
            for (eth::Bytes& n : *candidates) witness.state_nodes.push_back(std::move(n));
            fetch_ms += ms_since(refetch);
            continue;
        }
        // Nothing new to fetch (no ancestor asked for, or none older than those fetched).
        if (!missing || (fetched_down_to && *missing >= *fetched_down_to)) return check.error();
        const auto refetch = Clock::now();
        auto headers = fetch_header_chain(node, trusted_parent, number - *missing);
        if (!headers)
            return fail(where + "ancestor headers for BLOCKHASH: " + headers.error().message,
                        classify(headers.error().code));
        witness.headers = std::move(headers).value();
        fetched_down_to = *missing;
        fetch_ms += ms_since(refetch);
    }
}

Result<BlockCheck> reexecute_block(rpc::RpcClient& node, uint64_t number,
                                   const eth::Hash32& trusted_parent,
                                   const ReexecuteOptions& options,
                                   const eth::BlockHeader* parent_header) {
    VIGIL_TRY(FetchedBlock fetched, fetch_block(node, number, options, parent_header != nullptr));
    return check_fetched(node, std::move(fetched), trusted_parent, options, parent_header);
}

}  // namespace vigil::verifier
