// Re-executing one L2 block with Vigil's own EVM (verifier/evm/), trusting no L2 node for
// its result: the only trusted input is the parent's block hash.
//
// The block (header and transactions) and its witness come from a node. The witness's
// parent header must hash to the trusted parent hash, which makes its state root trusted;
// every trie node and code is then used only where a trusted hash names it
// (evm::WitnessState). The block is executed, its changes applied, and from what Vigil
// computed (state root, receipts root, logs bloom, gas used) and the node's other header
// fields (which execution does not produce: parent hash, timestamp, coinbase, …) the
// block hash is rebuilt. With the L2ToL1MessagePasser's storage root that gives the OP
// Stack output root of the block, independent of the roots any node claims. Chaining:
// the computed block hash of block N is the trusted parent of block N + 1.
//
// What it cannot know is said, never guessed: a witness that lacks or alters a node, a
// rule set Vigil lacks (OP Jovian, Ethereum Prague's requests, the KZG and BLS precompiles), a
// block the node's own data shows to be inconsistent, all give kUnverifiable with the reason; a
// block not there yet gives kNotYet. A block whose transactions cannot be included (kBlockInvalid)
// has no post-state either: it is reported as such, and a verdict built on it is unverifiable too.
//
// What is still trusted: the transactions and the header's non-execution fields come from
// the L2 node, not from deriving the L2 chain from L1 batches. A node lying about those
// changes the block hash, so its blocks stop chaining to a proposal's honest output root;
// Vigil then disagrees with the proposal and says why (the inputs are printed and logged).
//
// Thread-safety: as the RpcClient passed in (one owner thread).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "chains/eth/bytes.h"
#include "chains/eth/header.h"
#include "chains/rpc/block_json.h"
#include "chains/rpc/http_client.h"
#include "verifier/evm/block.h"
#include "verifier/evm/witness.h"
#include "verifier/output_root.h"

namespace vigil::verifier {

// Error::code of a block the node serves that cannot be included on its parent state (a
// transaction invalid at its position, the gas limit exceeded). Besides kNotYet and
// kUnverifiable (output_root.h).
inline constexpr int kBlockInvalid = 4003;

// Where the witness comes from.
enum class WitnessMethod {
    automatic,          // debug_executionWitness, else the prestate path
    execution_witness,  // debug_executionWitness only (op-reth, op-geth, reth, geth)
    prestate,           // prestateTracer + eth_getProof (any node with the debug API)
};
Result<WitnessMethod> parse_witness_method(std::string_view text);
const char* witness_method_name(WitnessMethod method);

struct ReexecuteOptions {
    evm::ChainRules rules;
    WitnessMethod witness = WitnessMethod::automatic;
    size_t proofs_per_batch = 32;
};

// What re-executing one block gave.
struct BlockCheck {
    uint64_t number = 0;
    eth::BlockHeader node_header;   // as the node serves it (hash-checked against itself)
    eth::BlockHeader header;        // the same with Vigil's computed execution fields
    eth::Hash32 block_hash;         // header.hash(): the trusted parent of the next block
    eth::Hash32 parent_state_root;  // from the trusted parent header
    // The L2ToL1MessagePasser's storage root after the block (the empty trie's when it has
    // no account) and output_root_v0 of the computed values; under any rules, since a
    // chain under Ethereum rules may carry the OP Stack bridge (the devnet does).
    eth::Hash32 message_passer_storage_root;
    eth::Hash32 output_root;
    size_t transactions = 0;
    size_t witness_nodes = 0;
    size_t witness_codes = 0;
    size_t witness_bytes = 0;
    std::string witness_method;  // "execution_witness" or "prestate"
    double fetch_ms = 0;         // block and witness over RPC
    double execute_ms = 0;       // execution and roots

    // The header fields where the node's header differs from Vigil's ("stateRoot",
    // "receiptsRoot", "logsBloom", "gasUsed", "blobGasUsed"); empty when all match.
    std::vector<std::string> mismatches;
    bool matches() const { return mismatches.empty(); }
};

// Re-executes `block` (served by a node, transactions included and checked against its
// transactionsRoot) on the state whose block hash is `trusted_parent`, from `witness`.
// No RPC: tests hand it altered witnesses.
// `parent_header`, when the caller has it (it computed it: BlockCheck::header), must hash
// to `trusted_parent` and is used instead of the witness's copy.
Result<BlockCheck> check_block(const rpc::RpcBlock& block, const evm::Witness& witness,
                               const eth::Hash32& trusted_parent, const evm::ChainRules& rules,
                               const eth::BlockHeader* parent_header = nullptr);

// Fetches block `number` with its transactions and its witness from `node`, then
// check_block. The node's block must have `trusted_parent` as its parent (else
// kUnverifiable: the node follows another chain, or reorganised). A node's
// debug_executionWitness is completed with the message passer's account proof at the
// parent (eth_getProof), which the output root needs even when the block does not touch it.
// When execution reads BLOCKHASH of an ancestor the witness does not prove (the prestate
// path holds the parent's header only), the headers down to it are fetched, each checked
// by the parent-hash chain from `trusted_parent`, and the block is executed again.
// With `parent_header` (hashing to `trusted_parent`) the node is not asked for it: a node
// that lies about the parent's header cannot stop the chain of re-execution there.
Result<BlockCheck> reexecute_block(rpc::RpcClient& node, uint64_t number,
                                   const eth::Hash32& trusted_parent,
                                   const ReexecuteOptions& options,
                                   const eth::BlockHeader* parent_header = nullptr);

// reexecute_block in two halves, so that blocks can be fetched ahead (and in parallel)
// while the chain of trust is checked in order.
struct FetchedBlock {
    rpc::RpcBlock block;  // checked against its own hash and transactionsRoot
    evm::Witness witness;
    std::string method;  // "execution_witness" or "prestate"
    double fetch_ms = 0;
};
// The block and its witness; nothing about trust yet (kNotYet, kUnverifiable for answers
// that fail their own checks, transport codes).
Result<FetchedBlock> fetch_block(rpc::RpcClient& node, uint64_t number,
                                 const ReexecuteOptions& options, bool parent_header_known);
// check_block on a fetched block, fetching from `node` what execution shows missing
// (older ancestor headers, deletion siblings).
Result<BlockCheck> check_fetched(rpc::RpcClient& node, FetchedBlock fetched,
                                 const eth::Hash32& trusted_parent, const ReexecuteOptions& options,
                                 const eth::BlockHeader* parent_header = nullptr);

// The accounts and slots a block reads or writes outside what a prestate tracer lists
// (PrestateWitnessOptions::extra): the coinbase, the L2ToL1MessagePasser (its storage
// root is part of the output root), the precompiles, the EIP-4788 contract
// and its two ring-buffer slots of this timestamp, the EIP-2935 history contract and its
// slot for the parent; on OP Stack the L1Block fee slots (Isthmus's operator fee too) and
// the fee vaults.
std::map<eth::Address, std::set<eth::Hash32>> untraced_accounts(const eth::BlockHeader& header,
                                                                const evm::ChainRules& rules);

}  // namespace vigil::verifier
