// Executes one transaction under a block environment (Cancun rules): validation against
// the pre-state, gas purchase, the call or creation, refunds, the coinbase's priority fee,
// and the resulting state diff.
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

// EIP-4844 (Cancun) blob parameters.
inline constexpr uint64_t kGasPerBlob = 1 << 17;
inline constexpr uint64_t kMaxBlobsPerBlock = 6;
inline constexpr uint64_t kBlobBaseFeeUpdateFraction = 3338477;
inline constexpr uint8_t kBlobHashVersionKzg = 0x01;

// The blob base fee for a block's excess blob gas: fake_exponential(1, excess, fraction).
eth::U256 blob_base_fee(uint64_t excess_blob_gas);

struct ExecutionConfig {
    Revision revision = Revision::kCancun;
    PrecompileSet precompiles;
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
};

// Deposits (0x7e) are OP Stack's and not executed here: their error has this code.
inline constexpr int kErrorUnsupportedTransaction = 0x4556'0004;

// Runs `tx`, sent by `sender` (already recovered by the caller), on top of `state`, and
// returns what it did; `state` itself is only read. Errors:
// - code kErrorInvalidTransaction: the transaction cannot be included (nonce, balance,
//   fee caps, gas limits, a sender with code, blob rules, intrinsic checks);
// - anything else means the outcome cannot be known, never a verdict: a failed state read
//   (the source's error code, or kErrorStateUnavailable if it had none), a precompile
//   Vigil lacks (kErrorUnsupportedPrecompile), a deposit (kErrorUnsupportedTransaction).
Result<TxOutcome> execute_transaction(StateSource& state, const BlockEnv& block,
                                      const eth::Transaction& tx, const eth::Address& sender,
                                      const ExecutionConfig& config = {});

}  // namespace vigil::evm
