#include "verifier/evm/block.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "verifier/evm/op_fees.h"
#include "verifier/evm/overlay_state.h"

namespace vigil::evm {

using eth::Address;
using eth::U256;

namespace {

constexpr uint64_t kWeiPerGwei = 1'000'000'000;

Error invalid_block(const std::string& what) {
    return fail("invalid block: " + what, kErrorInvalidBlock);
}
Error unsupported(const std::string& what) {
    return fail("unsupported block: " + what, kErrorUnsupportedBlock);
}

bool active(const std::optional<uint64_t>& fork_time, uint64_t timestamp) {
    return fork_time && timestamp >= *fork_time;
}

std::vector<eth::Log> to_eth_logs(const std::vector<Log>& logs) {
    std::vector<eth::Log> out;
    out.reserve(logs.size());
    for (const Log& l : logs) out.push_back(eth::Log{l.address, l.topics, l.data});
    return out;
}

// The rules of `block` under `rules`, or why Vigil cannot run it.
Result<ExecutionConfig> execution_config(const ChainRules& rules, const BlockInput& block) {
    ExecutionConfig config;
    config.revision = Revision::kCancun;
    const uint64_t t = block.timestamp;
    if (!rules.op_stack) {
        // Prague's EVM is implemented; its block-level requests (EIP-7685: the deposit
        // contract's logs, the EIP-7002 and EIP-7251 system calls) are not.
        if (active(rules.prague_time, t))
            return unsupported("Ethereum Prague (execution-layer requests are not implemented)");
        return config;
    }
    const OpStackForks& f = *rules.op_stack;
    if (!active(f.ecotone, t)) return unsupported("OP Stack block before Ecotone");
    // Jovian's rules are implemented below but not yet cross-checked against a second
    // implementation (Anvil 1.7.1, the pinned node, runs its `jovian` hardfork with
    // Isthmus's rules): refused until they are. Lifting this also needs the rollup config
    // to refuse forks Vigil does not know of (they come after Jovian).
    if (active(f.jovian, t) || active(f.interop, t))
        return unsupported("OP Stack Jovian and later (not cross-checked)");
    if (active(f.canyon, t) && *f.canyon > 0 && block.parent_timestamp < *f.canyon)
        return unsupported("the Canyon activation block (Create2Deployer installed)");
    const bool fjord = active(f.fjord, t);
    // Isthmus (isthmus/exec-engine.md): the Prague EVM, and the operator fee. Its
    // activation block's upgrades are deposits; EIP-2935's contract arrives in one, so the
    // history call is skipped until it has code.
    const bool isthmus = active(f.isthmus, t);
    // Jovian (jovian/exec-engine.md): the operator fee formula, the DA footprint in
    // blobGasUsed (execute_block) and tighter precompile input limits. Its minimum base
    // fee is a header rule: the base fee is an input here.
    const bool jovian = active(f.jovian, t);
    if (jovian && (!isthmus || !fjord || !active(f.granite, t)))
        return unsupported("OP Stack Jovian without Fjord, Granite and Isthmus (fork order)");
    if (isthmus) config.revision = Revision::kPrague;
    config.precompiles.p256verify = fjord;
    // Granite (OP specs granite/exec-engine.md): ecPairing input capped.
    config.precompiles.granite_pairing_limit = active(f.granite, t);
    config.precompiles.jovian_input_limits = jovian;
    config.precompiles.bls12_381 = isthmus;
    config.op_stack =
        OpStackTxRules{.ecotone = true, .fjord = fjord, .isthmus = isthmus, .jovian = jovian};
    return config;
}

// An empty account touched outside a transaction (the system caller, a zero withdrawal)
// comes out of JournaledState::finish as deleted; when the state never had it, that is no
// change at all and must not reach the block's diff.
Result<StateDiff> without_phantom_deletions(StateSource& state, StateDiff diff) {
    std::vector<AccountUpdate> kept;
    kept.reserve(diff.accounts.size());
    for (AccountUpdate& u : diff.accounts) {
        if (u.deleted) {
            VIGIL_TRY(const std::optional<eth::Account> before, state.account(u.address));
            if (!before) continue;
        }
        kept.push_back(std::move(u));
    }
    diff.accounts = std::move(kept);
    return diff;
}

// A system call (EIP-4788 beacon root, EIP-2935 parent hash): `contract` called with
// `input` from the system address, outside any transaction (no gas counted, no nonce, no
// fee).
Result<StateDiff> system_call(StateSource& state, const BlockEnv& env, const eth::Address& contract,
                              eth::BytesView input, const ExecutionConfig& config) {
    JournaledState st(state);
    const eth::Hash32 code_hash = st.code_hash(contract);
    if (st.failed()) return st.error();
    // Before the contract is deployed (an OP chain's Ecotone or Isthmus activation block
    // deploys it in a deposit) the call does nothing.
    if (code_hash == eth::kEmptyCodeHash) return StateDiff{};
    TxContext txc;
    txc.origin = kSystemAddress;
    txc.blob_base_fee = blob_base_fee(env.excess_blob_gas, config.revision);
    st.access_account(contract);
    Evm evm(st, env, txc, config.revision, config.precompiles);
    Message msg;
    msg.kind = CallKind::kCall;
    msg.gas = static_cast<int64_t>(kSystemCallGas);
    msg.sender = kSystemAddress;
    msg.recipient = contract;
    msg.code_address = contract;
    msg.input = input;
    (void)evm.call(msg);
    if (st.failed()) return st.error();
    // The system address is only a caller: it is not created.
    return without_phantom_deletions(state, st.finish());
}

// EIP-4895: each withdrawal credits amount * 1 gwei to its address, outside the EVM (no
// gas, no code run).
Result<StateDiff> credit_withdrawals(StateSource& state, std::span<const eth::Withdrawal> ws) {
    JournaledState st(state);
    for (const eth::Withdrawal& w : ws)
        st.add_balance(w.address, U256(w.amount_gwei) * U256(kWeiPerGwei));
    if (st.failed()) return st.error();
    return without_phantom_deletions(state, st.finish());
}

}  // namespace

Result<ChainRules> chain_rules_from_rollup_config(std::string_view json_text) {
    const auto doc = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) return fail("rollup config: not a JSON object");
    auto u64 = [&](const char* key) -> Result<std::optional<uint64_t>> {
        auto it = doc.find(key);
        if (it == doc.end() || it->is_null()) return std::optional<uint64_t>();
        if (!it->is_number_unsigned())
            return fail(std::string("rollup config: ") + key + " is not an unsigned integer");
        return std::optional<uint64_t>(it->get<uint64_t>());
    };
    ChainRules rules;
    VIGIL_TRY(const std::optional<uint64_t> chain_id, u64("l2_chain_id"));
    if (!chain_id) return fail("rollup config: l2_chain_id missing");
    rules.chain_id = *chain_id;
    OpStackForks f;
    VIGIL_TRY(f.regolith, u64("regolith_time"));
    VIGIL_TRY(f.canyon, u64("canyon_time"));
    VIGIL_TRY(f.delta, u64("delta_time"));
    VIGIL_TRY(f.ecotone, u64("ecotone_time"));
    VIGIL_TRY(f.fjord, u64("fjord_time"));
    VIGIL_TRY(f.granite, u64("granite_time"));
    VIGIL_TRY(f.holocene, u64("holocene_time"));
    VIGIL_TRY(f.isthmus, u64("isthmus_time"));
    VIGIL_TRY(f.jovian, u64("jovian_time"));
    VIGIL_TRY(f.interop, u64("interop_time"));
    // Regolith is active from genesis on every chain that omits it (op-node: a nil time
    // with Canyon set is rejected; the public chains all list it or start there).
    if (!f.regolith) f.regolith = 0;
    rules.op_stack = f;
    return rules;
}

Result<BlockOutcome> execute_block(StateSource& parent_state, const BlockInput& block,
                                   const ChainRules& rules) {
    VIGIL_TRY(const ExecutionConfig config, execution_config(rules, block));
    // Header rule (geth MaxGasLimit): keeps every gas quantity below it within int64.
    if (block.gas_limit > static_cast<uint64_t>(INT64_MAX))
        return invalid_block("gas limit above 2^63 - 1");
    const bool op_stack = rules.op_stack.has_value();
    const bool jovian = config.op_stack && config.op_stack->jovian;

    BlockEnv env;
    env.coinbase = block.coinbase;
    env.number = block.number;
    env.timestamp = block.timestamp;
    env.gas_limit = block.gas_limit;
    env.base_fee = block.base_fee;
    env.prev_randao = block.prev_randao;
    env.chain_id = rules.chain_id;
    env.excess_blob_gas = block.excess_blob_gas;
    env.block_hash = block.block_hash;

    OverlayState state(parent_state);
    if (!block.parent_beacon_block_root)
        return invalid_block("no parent beacon block root (required since Cancun/Ecotone)");
    {
        VIGIL_TRY(const StateDiff diff,
                  system_call(state, env, kBeaconRootsAddress,
                              block.parent_beacon_block_root->view(), config));
        state.apply(diff);
    }
    if (at_least(config.revision, Revision::kPrague) && block.number > 0) {
        // EIP-2935: the parent's hash into the history contract, after the beacon root
        // (geth ProcessParentBlockHash; op-geth and op-revm alike).
        std::optional<eth::Hash32> parent = block.parent_hash;
        if (!parent && block.block_hash) parent = block.block_hash(block.number - 1);
        if (!parent) {
            JournaledState probe(state);
            const eth::Hash32 code_hash = probe.code_hash(kHistoryStorageAddress);
            if (probe.failed()) return probe.error();
            if (code_hash != eth::kEmptyCodeHash)
                return fail("evm block: the parent hash (EIP-2935) is not known");
        } else {
            VIGIL_TRY(const StateDiff diff,
                      system_call(state, env, kHistoryStorageAddress, parent->view(), config));
            state.apply(diff);
        }
    }

    BlockOutcome out;
    uint64_t gas_pool_used = 0;  // what the gas pool has given out (system deposits: none)
    const size_t n = block.transactions.size();
    out.receipts.reserve(n);
    out.transactions.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const eth::Transaction& tx = block.transactions[i];
        const std::string where = "transaction " + std::to_string(i);
        const bool deposit = tx.type == eth::TxType::kDeposit;
        if (deposit && !op_stack) return invalid_block(where + ": a deposit on Ethereum");
        if (tx.type == eth::TxType::kBlob && op_stack)
            return invalid_block(where + ": blob transactions are not allowed on OP Stack");
        Address sender;
        if (deposit) {
            sender = tx.from;
        } else {
            auto recovered = eth::recover_sender(tx);
            if (!recovered) return invalid_block(where + ": sender: " + recovered.error().message);
            sender = *recovered;
        }
        // The gas pool (op-geth: a system deposit does not draw from it; since Regolith it
        // fails anyway).
        if (!(deposit && tx.is_system_tx)) {
            if (tx.gas_limit > block.gas_limit - gas_pool_used)
                return invalid_block(where + ": gas limit " + std::to_string(tx.gas_limit) +
                                     " exceeds the block's remaining " +
                                     std::to_string(block.gas_limit - gas_pool_used));
        }
        auto outcome = execute_transaction(state, env, tx, sender, config);
        if (!outcome) {
            if (outcome.error().code == kErrorInvalidTransaction)
                return invalid_block(where + ": " + outcome.error().message);
            return Error{where + ": " + outcome.error().message, outcome.error().code};
        }
        TxOutcome& o = *outcome;
        if (!(deposit && tx.is_system_tx)) gas_pool_used += o.gas_used;
        if (jovian) {
            // jovian/exec-engine.md "DA Footprint Block Limit": blobGasUsed is the sum of
            // the non-deposits' DA footprints and may not exceed the gas limit (OP Stack
            // has no blob transactions, so no EIP-4844 blob gas adds to it).
            out.blob_gas_used += o.da_footprint;  // each below 2^48: no overflow
            if (out.blob_gas_used > block.gas_limit)
                return invalid_block(where + ": DA footprint " + std::to_string(out.blob_gas_used) +
                                     " above the gas limit " + std::to_string(block.gas_limit));
        } else {
            out.blob_gas_used += o.blob_gas_used;
            if (out.blob_gas_used >
                blob_schedule(config.revision).max_blobs_per_block * kGasPerBlob)
                return invalid_block(where + ": blob gas above the block maximum");
        }
        out.gas_used += o.gas_used;
        state.apply(o.diff);
        o.diff = StateDiff{};

        eth::Receipt r;
        r.type = tx.type;
        r.status = o.status == ExitStatus::kSuccess;
        r.cumulative_gas_used = out.gas_used;
        r.logs = to_eth_logs(o.logs);
        r.logs_bloom = eth::logs_bloom(r.logs);
        if (deposit) {
            // Regolith: depositNonce; Canyon: depositReceiptVersion 1 (deposits.md
            // "Deposit Receipt"). Ecotone, the earliest rules Vigil runs, implies both.
            r.deposit_nonce = o.deposit_nonce;
            r.deposit_receipt_version = 1;
        }
        eth::bloom_merge(out.logs_bloom, r.logs_bloom);
        out.receipts.push_back(std::move(r));
        out.transactions.push_back(std::move(o));
    }
    if (!block.withdrawals.empty()) {
        if (op_stack) return invalid_block("an OP Stack block with withdrawals");
        VIGIL_TRY(const StateDiff credited, credit_withdrawals(state, block.withdrawals));
        state.apply(credited);
    }
    VIGIL_TRY(out.receipts_root, eth::receipts_root(out.receipts));
    // An empty account touched in a transaction (a zero-value call to nowhere) is deleted
    // by EIP-161; when the parent never had it, the block did not change it.
    VIGIL_TRY(out.diff, without_phantom_deletions(parent_state, state.merged()));
    return out;
}

}  // namespace vigil::evm
