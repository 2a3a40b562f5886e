// Executes one transaction under a block environment (Cancun or Prague rules): validation
// against the pre-state, gas purchase, the EIP-7702 authorizations (Prague), the call or
// creation, refunds, the EIP-7623 calldata floor (Prague), the coinbase's priority fee, and
// the resulting state diff. On an OP Stack chain (Ecotone and later) also the L1 data fee,
// the operator fee (Isthmus) and the fee vaults of non-deposit transactions, and deposit
// transactions (0x7e).
#pragma once

#include <optional>
#include <vector>

#include "chains/eth/transaction.h"
#include "verifier/evm/host.h"
#include "verifier/evm/interpreter.h"
#include "verifier/evm/precompiles.h"
#include "verifier/evm/revision.h"
#include "verifier/evm/state.h"

namespace vigil::evm {

// EIP-4844 blob parameters.
inline constexpr uint64_t kGasPerBlob = 1 << 17;
inline constexpr uint8_t kBlobHashVersionKzg = 0x01;

// The blob schedule of a revision: EIP-4844 (Cancun: at most 6 blobs a block), EIP-7691
// (Prague: 9, and a slower base fee update).
struct BlobSchedule {
    uint64_t max_blobs_per_block = 0;
    uint64_t base_fee_update_fraction = 0;
};
inline constexpr BlobSchedule kCancunBlobs{6, 3338477};
inline constexpr BlobSchedule kPragueBlobs{9, 5007716};
constexpr BlobSchedule blob_schedule(Revision revision) {
    return at_least(revision, Revision::kPrague) ? kPragueBlobs : kCancunBlobs;
}

// The blob base fee for a block's excess blob gas: fake_exponential(1, excess, fraction).
eth::U256 blob_base_fee(uint64_t excess_blob_gas, Revision revision);

// EIP-7623 (Prague): the least gas a transaction with calldata `data` uses,
// TX_BASE_COST + TOTAL_COST_FLOOR_PER_TOKEN * (zero bytes + 4 * non-zero bytes). Its gas
// limit must reach it and its gas used is at least it.
uint64_t calldata_floor_gas(eth::BytesView data);

// EIP-7702: what an authorization of an account that already exists gives back (to the
// refund counter): PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST.
inline constexpr int64_t kAuthExistingAccountRefund = 25000 - 12500;

// The OP Stack rules a transaction runs under (OP specs: deposits.md "Execution",
// exec-engine.md "Fees"). Regolith and Canyon are implied: Vigil runs OP blocks from
// Ecotone on (the Cancun EVM).
struct OpStackTxRules {
    bool ecotone = true;  // the L1 fee from the Ecotone formula (Bedrock's on the activation block)
    bool fjord = false;   // the L1 fee from the FastLZ estimate
    bool isthmus = false;  // the operator fee
    // jovian/exec-engine.md: the operator fee's scalar * 100 (no longer / 1e6), and each
    // non-deposit's DA footprint (TxOutcome::da_footprint).
    bool jovian = false;
};

struct ExecutionConfig {
    Revision revision = Revision::kCancun;
    PrecompileSet precompiles;
    // Set on an OP Stack chain; unset = Ethereum (deposits are then unsupported).
    std::optional<OpStackTxRules> op_stack;
};

// What an included transaction did.
struct TxOutcome {
    ExitStatus status = ExitStatus::kSuccess;  // of the top-level call or creation
    uint64_t gas_used = 0;                     // after the refund
    uint64_t blob_gas_used = 0;
    std::vector<Log> logs;  // empty unless it succeeded
    eth::Bytes output;      // return or revert data
    std::optional<eth::Address> created;
    StateDiff diff;
    // OP Stack: the L1 data fee and the operator fee (Isthmus) charged (non-deposits) and,
    // for a deposit, the sender's nonce before it ran (the receipt's depositNonce).
    eth::U256 l1_fee;
    eth::U256 operator_fee;
    std::optional<uint64_t> deposit_nonce;
    // OP Stack Jovian: a non-deposit's DA footprint (op::da_footprint with L1Block's
    // daFootprintGasScalar), which the block sums into its header's blobGasUsed; zero
    // otherwise.
    uint64_t da_footprint = 0;
};

// A transaction Vigil does not execute (a deposit outside an OP Stack configuration).
inline constexpr int kErrorUnsupportedTransaction = 0x4556'0004;

// Runs `tx`, sent by `sender` (already recovered by the caller), on top of `state`, and
// returns what it did; `state` itself is only read. Errors:
// - code kErrorInvalidTransaction: the transaction cannot be included (nonce, balance,
//   fee caps, gas limits, a sender with code other than a delegation, blob rules,
//   intrinsic checks and, under Prague, the calldata floor; a set-code transaction before
//   Prague);
// - anything else means the outcome cannot be known, never a verdict: a failed state read
//   (the source's error code, or kErrorStateUnavailable if it had none), a precompile
//   Vigil lacks (kErrorUnsupportedPrecompile), a deposit without config.op_stack
//   (kErrorUnsupportedTransaction).
// OP Stack (config.op_stack set):
// - non-deposits pay the L1 data fee up front (it counts in the balance check), computed
//   from the L1Block predeploy's values read through `state`; after execution the base fee
//   share (gas used * base fee) goes to the BaseFeeVault and the L1 fee to the L1FeeVault;
// - Isthmus: non-deposits also pay the operator fee for their gas limit up front (in the
//   balance check too) and get back the part for the gas they did not use: the
//   OperatorFeeVault receives the fee of the gas used (op::operator_fee; Jovian's formula
//   under Jovian);
// - Jovian: a non-deposit's DA footprint is computed (TxOutcome::da_footprint), the
//   block checks it;
// - deposits (sender = tx.from) are never invalid: the mint is credited first and kept;
//   no nonce check, no gas purchase, no fee, no EIP-3607 check; the nonce is bumped. A
//   deposit that cannot run (isSystemTx since Regolith, gas below intrinsic or, under
//   Prague, below the calldata floor, initcode too large, value above the balance) is a
//   failed deposit: everything but the mint and the
//   nonce bump undone, status failure, gas used = gas limit. Otherwise gas used is the
//   execution's, refund included (Regolith). The block checks the gas pool.
Result<TxOutcome> execute_transaction(StateSource& state, const BlockEnv& block,
                                      const eth::Transaction& tx, const eth::Address& sender,
                                      const ExecutionConfig& config = {});

}  // namespace vigil::evm
