// Executes a whole block on a pre-state: the EIP-4788 beacon-root system call, the
// EIP-2935 parent-hash system call (Prague), every transaction in order (each seeing the
// ones before it), the block gas limit, the EIP-4895 withdrawals, and what the header
// commits to: gas used, blob gas used, receipts root, logs bloom, and the block's state
// diff (to turn into the post-state root).
//
// Rules: Ethereum Cancun, or an OP Stack chain from Ecotone through Isthmus (the Cancun
// EVM plus deposits, the L1 data fee and the fee vaults; P256VERIFY from Fjord; from
// Isthmus the Prague EVM — EIP-7702, EIP-7623, EIP-2935, the EIP-2537 addresses, whose
// precompiles are unsupported — and the operator fee). Jovian's execution rules (the
// operator fee's new formula, the DA footprint as blobGasUsed and its limit, the smaller
// bn256 pairing input limit) are implemented but refused until cross-checked against a
// second implementation. Forks whose rules Vigil does not run (Ethereum Prague, for its
// execution-layer requests; OP Jovian and later; OP
// blocks before Ecotone; the Canyon activation block, which installs the Create2Deployer
// outside any transaction) are refused with kErrorUnsupportedBlock: never a verdict Vigil
// cannot back.
//
// What the caller still checks against the header (not produced here): an Isthmus
// block's withdrawalsRoot is the L2ToL1MessagePasser's storage root after the block, and
// its requestsHash is sha256("") (OP Stack ignores execution-layer requests).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/header.h"
#include "chains/eth/receipt.h"
#include "chains/eth/result.h"
#include "chains/eth/transaction.h"
#include "chains/eth/u256.h"
#include "verifier/evm/state.h"
#include "verifier/evm/transaction.h"

namespace vigil::evm {

// Error::code of a block that cannot be included (the gas limit exceeded, a transaction
// that is invalid on its pre-state): a verdict on the block. Every other error means the
// block cannot be judged.
inline constexpr int kErrorInvalidBlock = 0x4556'0005;
// A block under rules Vigil does not implement: it cannot be judged.
inline constexpr int kErrorUnsupportedBlock = 0x4556'0006;

// EIP-4788: the beacon roots contract and the system address that calls it.
inline const eth::Address kBeaconRootsAddress{
    {{0x00, 0x0F, 0x3d, 0xf6, 0xD7, 0x32, 0x80, 0x7E, 0xf1, 0x31,
      0x9f, 0xB7, 0xB8, 0xbB, 0x85, 0x22, 0xd0, 0xBe, 0xac, 0x02}}};
inline const eth::Address kSystemAddress{
    {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}}};
inline constexpr uint64_t kSystemCallGas = 30'000'000;
// EIP-2935: the history storage contract (the same address on OP Stack, isthmus/derivation.md).
inline const eth::Address kHistoryStorageAddress{
    {{0x00, 0x00, 0xF9, 0x08, 0x27, 0xF1, 0xC5, 0x3a, 0x10, 0xcb,
      0x7A, 0x02, 0x33, 0x5B, 0x17, 0x53, 0x20, 0x00, 0x29, 0x35}}};
// EIP-2935: the contract keeps the last HISTORY_SERVE_WINDOW hashes, block n's at slot
// n % window.
inline constexpr uint64_t kHistoryServeWindow = 8191;

// OP Stack activation times (unix seconds; unset = not scheduled). Genesis-active forks
// have time 0.
struct OpStackForks {
    std::optional<uint64_t> regolith, canyon, delta, ecotone, fjord, granite, holocene, isthmus,
        jovian, interop;
};

struct ChainRules {
    uint64_t chain_id = 1;
    // Unset: Ethereum (Cancun). Set: an OP Stack chain with these forks.
    std::optional<OpStackForks> op_stack;
    // Ethereum: when Prague starts (blocks from then on are unsupported: requests).
    std::optional<uint64_t> prague_time;
};

// Reads an OP Stack rollup config (op-node's rollup.json / kona's RollupConfig JSON: the
// `l2_chain_id` and `*_time` fields) into ChainRules. Errors name the field.
Result<ChainRules> chain_rules_from_rollup_config(std::string_view json_text);

// The header fields execution needs, and the transactions.
struct BlockInput {
    uint64_t number = 0;
    uint64_t timestamp = 0;
    // OP Stack: the parent's timestamp tells fork activation blocks (Canyon's irregular
    // state change) apart.
    uint64_t parent_timestamp = 0;
    eth::Address coinbase;
    uint64_t gas_limit = 0;
    eth::U256 base_fee;
    eth::Hash32 prev_randao;  // the header's mixHash
    std::optional<eth::Hash32> parent_beacon_block_root;
    // EIP-2935 (Prague): the parent's hash. Unset: block_hash(number - 1); unknown either
    // way makes a block whose history contract has code unverifiable.
    std::optional<eth::Hash32> parent_hash;
    uint64_t excess_blob_gas = 0;
    // BLOCKHASH of one of the 256 blocks before `number`; nullopt (or no function) makes
    // a block that asks for it unverifiable.
    std::function<std::optional<eth::Hash32>(uint64_t)> block_hash;
    // Decoded transactions in block order; senders are recovered here (deposits carry
    // theirs in `from`).
    std::vector<eth::Transaction> transactions;
    // EIP-4895 withdrawals, credited after the transactions (Ethereum). An OP Stack block
    // must have none (Canyon: the list exists and is empty).
    std::vector<eth::Withdrawal> withdrawals;
};

struct BlockOutcome {
    uint64_t gas_used = 0;
    // EIP-4844 blob gas; under OP Stack Jovian the block's DA footprint (what the header's
    // blobGasUsed holds).
    uint64_t blob_gas_used = 0;
    std::vector<eth::Receipt> receipts;
    eth::Hash32 receipts_root;
    eth::Bloom logs_bloom;
    // What the block changed relative to the parent state (ascending addresses).
    StateDiff diff;
    // Per transaction, in order: its outcome (diff moved into `diff`, left empty here).
    std::vector<TxOutcome> transactions;
};

// Executes `block` on `parent_state` (only read) under `rules`. Errors:
// - kErrorInvalidBlock: the block breaks a rule (a transaction invalid at its position,
//   the gas limit exceeded, under Jovian the DA footprint above the gas limit, a signature
//   that recovers no sender);
// - kErrorUnsupportedBlock: rules Vigil lacks;
// - anything else (a failed state read, an unsupported precompile): unverifiable.
Result<BlockOutcome> execute_block(StateSource& parent_state, const BlockInput& block,
                                   const ChainRules& rules);

}  // namespace vigil::evm
