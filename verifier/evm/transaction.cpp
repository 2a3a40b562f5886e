#include "verifier/evm/transaction.h"

#include <algorithm>

#include "verifier/evm/delegation.h"
#include "verifier/evm/op_fees.h"

namespace vigil::evm {

using eth::Address;
using eth::U256;

namespace {

// EIP-7623: TX_BASE_COST, TOTAL_COST_FLOOR_PER_TOKEN, and the tokens of a non-zero byte.
constexpr uint64_t kTxBaseCost = 21000;
constexpr uint64_t kFloorCostPerToken = 10;
constexpr uint64_t kTokensPerNonZeroByte = 4;

bool prague(const ExecutionConfig& config) { return at_least(config.revision, Revision::kPrague); }

Error invalid(const std::string& what) {
    return fail("invalid transaction: " + what, kErrorInvalidTransaction);
}

// a * b, or nullopt when it exceeds 256 bits.
std::optional<U256> checked_mul(const U256& a, const U256& b) {
    const auto w = eth::mul_wide(a, b);
    if (w[4] | w[5] | w[6] | w[7]) return std::nullopt;
    return U256(w[0], w[1], w[2], w[3]);
}

std::optional<U256> checked_add(const U256& a, const U256& b) {
    const U256 s = a + b;
    if (s < a) return std::nullopt;
    return s;
}

void warm_up(JournaledState& st, const BlockEnv& block, const eth::Transaction& tx,
             const Address& sender, const ExecutionConfig& config) {
    // EIP-2929/2930 warm set; EIP-3651 warm coinbase.
    st.access_account(sender);
    if (tx.to) st.access_account(*tx.to);
    st.access_account(block.coinbase);
    for (const Address& p : precompile_addresses(config.precompiles)) st.access_account(p);
    for (const eth::AccessListEntry& e : tx.access_list) {
        st.access_account(e.address);
        for (const eth::Hash32& k : e.storage_keys)
            st.access_slot(e.address, U256::from_be_word(k.data()));
    }
}

// EIP-7702: applies each authorization of `tx` in order (after the sender's nonce bump,
// before the call). An authorization that fails a check is skipped, never an error: wrong
// chain, nonce at 2^64 - 1, a signature that recovers no authority, an authority with
// code other than a designator, or a nonce mismatch. The authority is warm even when
// skipped after recovery. A valid one refunds the new-account part of its intrinsic cost
// when the authority exists, bumps its nonce and sets its code to the designator (the zero
// address clears it).
void apply_authorizations(JournaledState& st, const eth::Transaction& tx, uint64_t chain_id) {
    for (const eth::Authorization& auth : tx.authorization_list) {
        if (!auth.chain_id.is_zero() && auth.chain_id != U256(chain_id)) continue;
        if (auth.nonce == UINT64_MAX) continue;
        const auto authority = eth::recover_authority(auth);
        if (!authority) continue;
        st.access_account(*authority);
        if (st.code_hash(*authority) != eth::kEmptyCodeHash) {
            const CodeAnalysis& code = st.code(*authority);
            if (!delegation_target(eth::BytesView(code.padded.data(), code.size))) continue;
        }
        if (st.nonce(*authority) != auth.nonce) continue;
        if (st.exists(*authority)) st.add_refund(kAuthExistingAccountRefund);
        st.set_nonce(*authority, auth.nonce + 1);
        st.set_code(*authority,
                    auth.address == Address{} ? eth::Bytes{} : delegation_designator(auth.address));
    }
}

// The top-level call or creation of `tx` with `gas`; the sender's nonce (`nonce` before
// the transaction) is bumped here, then (Prague) the authorizations applied and the
// delegate of a delegated recipient warmed (geth and revm do so: its code is loaded).
CallResult run_message(Evm& evm, JournaledState& st, const eth::Transaction& tx,
                       const Address& sender, uint64_t nonce, uint64_t gas, uint64_t chain_id) {
    Message msg;
    msg.depth = 0;
    msg.gas = static_cast<int64_t>(gas);
    msg.sender = sender;
    msg.value = tx.value;
    msg.input = tx.data;
    st.set_nonce(sender, nonce + 1);
    if (tx.to && at_least(evm.revision(), Revision::kPrague)) {
        apply_authorizations(st, tx, chain_id);
        const CodeAnalysis& code = st.code(*tx.to);
        if (const auto delegate = delegation_target(eth::BytesView(code.padded.data(), code.size)))
            st.access_account(*delegate);
    }
    if (tx.to) {
        msg.kind = CallKind::kCall;
        msg.recipient = *tx.to;
        msg.code_address = *tx.to;
        return evm.call(msg);
    }
    msg.kind = CallKind::kCreate;
    return evm.create_at(msg, create_address(sender, nonce));
}

// EIP-3529: the refund is capped at a fifth of the gas used; returns the gas used after it,
// raised to `floor` (EIP-7623; 0 before Prague).
uint64_t gas_after_refund(const JournaledState& st, uint64_t gas_limit, int64_t gas_left,
                          uint64_t floor) {
    const uint64_t used = gas_limit - static_cast<uint64_t>(gas_left);
    const uint64_t refund = std::min<uint64_t>(
        static_cast<uint64_t>(std::max<int64_t>(st.refund(), 0)), used / kMaxRefundQuotient);
    return std::max(used - refund, floor);
}

// An OP Stack deposit (deposits.md "Execution"; op-geth state_transition.go; op-revm
// handler.rs for the failure path).
Result<TxOutcome> execute_deposit(StateSource& source, const BlockEnv& block,
                                  const eth::Transaction& tx, const ExecutionConfig& config) {
    const Address& from = tx.from;
    JournaledState st(source);
    if (!tx.mint.is_zero()) st.add_balance(from, tx.mint);
    const uint64_t nonce = st.nonce(from);
    const U256 balance = st.balance(from);
    if (st.failed()) return st.error();
    const Snapshot after_mint = st.snapshot();

    TxOutcome out;
    out.deposit_nonce = nonce;
    auto failed_deposit = [&]() -> Result<TxOutcome> {
        st.revert(after_mint);
        st.set_nonce(from, nonce + 1);
        if (st.failed()) return st.error();
        out.status = ExitStatus::kFailure;
        out.gas_used = tx.gas_limit;
        out.diff = st.finish();
        return std::move(out);
    };

    const eth::TxRules rules{.chain_id = block.chain_id, .eip3860 = true};
    // Prague's floor binds deposits too (op-revm validates every transaction's initial gas
    // against it and raises every gas used to it).
    const uint64_t floor = prague(config) ? calldata_floor_gas(tx.data) : 0;
    // Regolith: isSystemTx is no longer supported; such a deposit fails.
    if (tx.is_system_tx) return failed_deposit();
    if (tx.gas_limit < eth::intrinsic_gas(tx, rules)) return failed_deposit();
    if (tx.gas_limit < floor) return failed_deposit();
    if (!tx.to && tx.data.size() > kMaxInitcodeSize) return failed_deposit();
    if (balance < tx.value) return failed_deposit();

    warm_up(st, block, tx, from, config);
    TxContext txc;
    txc.origin = from;
    txc.gas_price = U256();  // deposits pay no gas price
    txc.blob_base_fee = blob_base_fee(block.excess_blob_gas, config.revision);
    Evm evm(st, block, txc, config.revision, config.precompiles);
    CallResult result = run_message(evm, st, tx, from, nonce,
                                    tx.gas_limit - eth::intrinsic_gas(tx, rules), block.chain_id);
    if (st.failed()) return st.error();

    out.status = result.status;
    out.gas_used = gas_after_refund(st, tx.gas_limit, result.gas_left, floor);
    out.logs = st.logs();
    out.output = std::move(result.output);
    if (result.status == ExitStatus::kSuccess && !tx.to) out.created = result.created;
    out.diff = st.finish();
    return out;
}

}  // namespace

uint64_t calldata_floor_gas(eth::BytesView data) {
    uint64_t tokens = 0;
    for (uint8_t b : data) tokens += b == 0 ? 1 : kTokensPerNonZeroByte;
    return kTxBaseCost + kFloorCostPerToken * tokens;
}

U256 blob_base_fee(uint64_t excess_blob_gas, Revision revision) {
    // EIP-4844 fake_exponential(MIN_BASE_FEE_PER_BLOB_GAS = 1, excess, fraction).
    const U256 denominator(blob_schedule(revision).base_fee_update_fraction);
    const U256 numerator(excess_blob_gas);
    U256 output;
    U256 accum = denominator;
    for (uint64_t i = 1; !accum.is_zero(); ++i) {
        output += accum;
        const auto product = checked_mul(accum, numerator);
        if (!product) return U256::max();  // far beyond any balance: no blob tx is valid
        accum = *product / (denominator * U256(i));
    }
    return output / denominator;
}

Result<TxOutcome> execute_transaction(StateSource& source, const BlockEnv& block,
                                      const eth::Transaction& tx, const Address& sender,
                                      const ExecutionConfig& config) {
    if (tx.type == eth::TxType::kDeposit) {
        if (!config.op_stack)
            return fail("evm: a deposit transaction outside an OP Stack chain",
                        kErrorUnsupportedTransaction);
        return execute_deposit(source, block, tx, config);
    }
    if (tx.type == eth::TxType::kSetCode) {
        if (!prague(config)) return invalid("type 4 (EIP-7702) is not in Cancun");
        if (!tx.to) return invalid("a set-code transaction cannot create a contract (EIP-7702)");
    }
    const eth::TxRules rules{.chain_id = block.chain_id, .eip3860 = true};
    if (Status s = eth::validate_intrinsic(tx, rules); !s) return invalid(s.error().message);
    const uint64_t floor = prague(config) ? calldata_floor_gas(tx.data) : 0;
    if (tx.gas_limit < floor)
        return invalid("gas limit " + std::to_string(tx.gas_limit) + " below the calldata floor " +
                       std::to_string(floor) + " (EIP-7623)");
    if (tx.gas_limit > block.gas_limit)
        return invalid("gas limit " + std::to_string(tx.gas_limit) + " above the block's " +
                       std::to_string(block.gas_limit));

    const bool dynamic = tx.type == eth::TxType::kDynamicFee || tx.type == eth::TxType::kBlob ||
                         tx.type == eth::TxType::kSetCode;
    const U256 fee_cap = dynamic ? tx.max_fee_per_gas : tx.gas_price;
    if (fee_cap < block.base_fee) return invalid("fee cap below the block's base fee");
    U256 effective_price = tx.gas_price;
    if (dynamic) {
        const U256 tip_cap = block.base_fee + tx.max_priority_fee_per_gas;
        effective_price =
            tip_cap < block.base_fee ? tx.max_fee_per_gas : std::min(tx.max_fee_per_gas, tip_cap);
    }

    uint64_t blob_gas = 0;
    U256 blob_fee;
    if (tx.type == eth::TxType::kBlob) {
        const uint64_t max_blobs = blob_schedule(config.revision).max_blobs_per_block;
        if (!tx.to) return invalid("a blob transaction cannot create a contract");
        if (tx.blob_versioned_hashes.size() > max_blobs)
            return invalid("more than " + std::to_string(max_blobs) + " blobs");
        for (const eth::Hash32& h : tx.blob_versioned_hashes)
            if (h[0] != kBlobHashVersionKzg) return invalid("blob hash with an unknown version");
        blob_fee = blob_base_fee(block.excess_blob_gas, config.revision);
        if (tx.max_fee_per_blob_gas < blob_fee)
            return invalid("max fee per blob gas below the blob base fee");
        blob_gas = kGasPerBlob * tx.blob_versioned_hashes.size();
    }

    // OP Stack: the L1 data fee, from the L1Block values the block's deposits set, and
    // (Isthmus) the operator fee, charged for the whole gas limit up front.
    U256 l1_fee;
    std::optional<op::OperatorFeeParams> operator_fee_params;
    U256 operator_fee_upfront;
    uint64_t da_footprint = 0;
    const bool jovian = config.op_stack && config.op_stack->jovian;
    if (config.op_stack) {
        VIGIL_TRY(const op::L1FeeParams params, op::read_l1_fee_params(source));
        VIGIL_TRY(const eth::Bytes raw, eth::encode_transaction(tx));
        l1_fee = op::l1_data_fee(params, raw, config.op_stack->ecotone, config.op_stack->fjord);
        if (config.op_stack->isthmus || jovian) {
            VIGIL_TRY(operator_fee_params, op::read_operator_fee_params(source));
            operator_fee_upfront = op::operator_fee(*operator_fee_params, tx.gas_limit, jovian);
        }
        if (jovian)
            da_footprint = op::da_footprint(raw, operator_fee_params->da_footprint_gas_scalar);
    }

    JournaledState st(source);
    const U256 balance = st.balance(sender);
    const uint64_t nonce = st.nonce(sender);
    const eth::Hash32 sender_code = st.code_hash(sender);
    if (st.failed()) return st.error();
    if (sender_code != eth::kEmptyCodeHash) {
        // EIP-3607; EIP-7702 lets a delegated EOA keep sending.
        bool delegated = false;
        if (prague(config)) {
            const CodeAnalysis& code = st.code(sender);
            if (st.failed()) return st.error();
            delegated =
                delegation_target(eth::BytesView(code.padded.data(), code.size)).has_value();
        }
        if (!delegated) return invalid("sender has code (EIP-3607)");
    }
    if (nonce != tx.nonce)
        return invalid("nonce " + std::to_string(tx.nonce) + ", account nonce " +
                       std::to_string(nonce));

    // Balance must cover the worst case: every gas unit at the fee cap, the value and the
    // blob gas at its cap.
    std::optional<U256> need = checked_mul(U256(tx.gas_limit), fee_cap);
    if (need) need = checked_add(*need, tx.value);
    if (need && blob_gas) {
        auto blob_cost = checked_mul(U256(blob_gas), tx.max_fee_per_blob_gas);
        need = blob_cost ? checked_add(*need, *blob_cost) : std::nullopt;
    }
    if (need) need = checked_add(*need, l1_fee);
    if (need) need = checked_add(*need, operator_fee_upfront);
    if (!need || balance < *need) return invalid("insufficient funds for gas * price + value");

    const U256 upfront = U256(tx.gas_limit) * effective_price + U256(blob_gas) * blob_fee + l1_fee +
                         operator_fee_upfront;
    st.sub_balance(sender, upfront);
    warm_up(st, block, tx, sender, config);

    const uint64_t intrinsic = eth::intrinsic_gas(tx, rules);
    TxContext txc;
    txc.origin = sender;
    txc.gas_price = effective_price;
    txc.blob_hashes = tx.blob_versioned_hashes;
    txc.blob_base_fee = blob_base_fee(block.excess_blob_gas, config.revision);

    Evm evm(st, block, txc, config.revision, config.precompiles);
    CallResult result =
        run_message(evm, st, tx, sender, nonce, tx.gas_limit - intrinsic, block.chain_id);
    if (st.failed()) return st.error();

    TxOutcome out;
    out.status = result.status;
    const uint64_t gas_used = gas_after_refund(st, tx.gas_limit, result.gas_left, floor);
    st.add_balance(sender, U256(tx.gas_limit - gas_used) * effective_price);
    st.add_balance(block.coinbase, U256(gas_used) * (effective_price - block.base_fee));
    if (config.op_stack) {
        // OP Stack: the base fee is not burnt but paid to the BaseFeeVault, and the L1 fee
        // to the L1FeeVault (exec-engine.md "Fee Vaults").
        st.add_balance(op::kBaseFeeVault, U256(gas_used) * block.base_fee);
        st.add_balance(op::kL1FeeVault, l1_fee);
        out.l1_fee = l1_fee;
        if (operator_fee_params) {
            // Isthmus: the sender ends up paying the fee of the gas used, which the
            // OperatorFeeVault receives (op-revm operator_fee_refund: the fee of the gas
            // limit minus the fee of the gas used, the constant cancelling out; under
            // Jovian's formula, which does not round, both readings agree).
            out.operator_fee = op::operator_fee(*operator_fee_params, gas_used, jovian);
            st.add_balance(sender, operator_fee_upfront - out.operator_fee);
            st.add_balance(op::kOperatorFeeVault, out.operator_fee);
        }
    }
    if (st.failed()) return st.error();

    out.gas_used = gas_used;
    out.blob_gas_used = blob_gas;
    out.da_footprint = da_footprint;
    out.logs = st.logs();
    out.output = std::move(result.output);
    if (result.status == ExitStatus::kSuccess && !tx.to) out.created = result.created;
    out.diff = st.finish();
    return out;
}

}  // namespace vigil::evm
