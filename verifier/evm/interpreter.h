// The EVM interpreter: runs one message (a call or a creation) and every message it
// sends, against a JournaledState, under one block and transaction environment.
//
// Code is analysed once per code hash (jump destinations, padding); dispatch is one
// switch over the opcode after a table check of base gas and stack bounds; the stack is
// a fixed array of U256 per call depth, reused across calls. Exceptional halts consume
// the frame's gas and revert its changes; REVERT returns the unused gas.
// A state read that fails, or a precompile Vigil lacks, stops the whole execution: the
// JournaledState is then failed() and carries the error.
// Nested calls recurse on the native stack: about 2.3 KB per call depth in a Release build,
// so the 1024-deep limit needs some 3 MB (the default 8 MB thread stack is enough; a
// sanitizer build needs more). Thread-safety: one Evm per thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/u256.h"
#include "verifier/evm/host.h"
#include "verifier/evm/precompiles.h"
#include "verifier/evm/revision.h"

namespace vigil::evm {

// The block a transaction executes in.
struct BlockEnv {
    eth::Address coinbase;
    uint64_t number = 0;
    uint64_t timestamp = 0;
    uint64_t gas_limit = 0;
    eth::U256 base_fee;
    eth::Hash32 prev_randao;  // PREVRANDAO (EIP-4399)
    uint64_t chain_id = 1;
    uint64_t excess_blob_gas = 0;  // EIP-4844; gives the blob base fee
    // BLOCKHASH for one of the 256 blocks before `number`; nullopt (or no function) when
    // the caller does not know it: the execution then fails as unverifiable, never
    // reading a zero hash that would make a wrong verdict.
    std::function<std::optional<eth::Hash32>(uint64_t)> block_hash;
};

// The transaction-wide part of the environment.
struct TxContext {
    eth::Address origin;
    eth::U256 gas_price;                   // the effective price per gas
    std::vector<eth::Hash32> blob_hashes;  // BLOBHASH (EIP-4844)
    eth::U256 blob_base_fee;               // BLOBBASEFEE (EIP-7516)
};

enum class CallKind : uint8_t { kCall, kCallCode, kDelegateCall, kStaticCall, kCreate, kCreate2 };

struct Message {
    CallKind kind = CallKind::kCall;
    int depth = 0;
    bool is_static = false;
    int64_t gas = 0;
    eth::Address recipient;     // whose storage and balance the code acts on
    eth::Address sender;        // CALLER
    eth::Address code_address;  // whose code runs (calls only)
    eth::U256 value;            // CALLVALUE (and the amount moved, except DELEGATECALL)
    eth::BytesView input;       // calldata, or the initcode of a creation
    eth::U256 salt;             // CREATE2
};

enum class ExitStatus : uint8_t {
    kSuccess,
    kRevert,   // REVERT: changes undone, unused gas returned
    kFailure,  // exceptional halt: changes undone, all gas consumed
};

struct CallResult {
    ExitStatus status = ExitStatus::kFailure;
    int64_t gas_left = 0;
    eth::Bytes output;
    eth::Address created;  // creations that succeeded
};

// CREATE: keccak256(rlp([sender, nonce]))[12:].
eth::Address create_address(const eth::Address& sender, uint64_t nonce);
// CREATE2 (EIP-1014): keccak256(0xff ‖ sender ‖ salt ‖ keccak256(initcode))[12:].
eth::Address create2_address(const eth::Address& sender, const eth::U256& salt,
                             eth::BytesView initcode);

class Evm {
  public:
    // Every reference must outlive the Evm.
    Evm(JournaledState& state, const BlockEnv& block, const TxContext& tx, Revision revision,
        PrecompileSet precompiles);
    ~Evm();

    // Runs `msg` (a creation when its kind is kCreate or kCreate2; the creator's nonce is
    // then the caller's to have incremented for the top-level creation only, see
    // create_top_level). The result's changes stay in the state unless it failed.
    CallResult call(const Message& msg);
    // A creation whose address is given (the transaction's own: the sender's nonce was
    // already used up by the transaction).
    CallResult create_at(const Message& msg, const eth::Address& address);

    JournaledState& state() { return state_; }
    const PrecompileSet& precompiles() const { return precompiles_; }
    Revision revision() const { return revision_; }

  private:
    friend struct Interpreter;
    CallResult execute_call(const Message& msg);
    // Out of line: its result's strings stay off the call recursion's frames.
    [[gnu::noinline]] CallResult call_precompile(const Message& msg, const Snapshot& snap);
    CallResult execute_create(const Message& msg);
    CallResult run_code(const Message& msg, const CodeAnalysis& code);

    JournaledState& state_;
    const BlockEnv& block_;
    const TxContext& tx_;
    const OpcodeTable& opcodes_;
    Revision revision_;
    PrecompileSet precompiles_;
    // One stack per depth, allocated on first use and reused.
    std::vector<std::unique_ptr<eth::U256[]>> stacks_;
};

}  // namespace vigil::evm
