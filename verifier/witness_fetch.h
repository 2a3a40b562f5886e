// Fetching the witness of an L2 block from a node, for stateless re-execution
// (verifier/evm/witness_state.h). Nothing fetched is trusted: WitnessState checks every
// node and code by hash against the parent's state root, so a node that serves a wrong
// or incomplete witness makes the block unverifiable, never judged.
//
// Two sources:
//  - debug_executionWitness (op-reth, op-geth, reth, geth): the node's own witness, made
//    while it executed the block, complete by construction.
//  - the prestate path, for any node with the debug API (Anvil): the prestateTracer of
//    debug_traceBlockByHash (or debug_traceTransaction per transaction when the node
//    lacks the block variant) names the touched accounts, slots and codes; eth_getProof
//    at the parent block proves each account with its slots (an account the block creates
//    is absent there: its proof of absence is what the update walks). A deletion that
//    collapses a branch needs the sibling it merges, which no proof of a touched key
//    lists: for every account and slot the block deletes (from the tracer's diffMode) the
//    proof at the block itself is fetched too, and from each leaf or extension in it the
//    pre-state sibling it may have been merged from is derived. Those extra nodes are only
//    candidates: one is used only where a pre-state hash names it. A sibling that was a
//    branch, or that the block also changed, stays missing: the block is then
//    unverifiable through this path (debug_executionWitness has it). Anvil (1.7) never
//    collapses: it keeps a cleared slot as a leaf holding rlp(0), so its post-state
//    proofs give no sibling, and its state roots after a clear are not Ethereum's.
//
// Headers: the parent's header always (fetched as JSON and checked against its hash);
// the prestate tracer does not say which ancestors BLOCKHASH reads, so further ancestors
// are fetched only when asked (PrestateWitnessOptions::ancestors; reexecute_block asks
// fetch_header_chain for them when execution reads one).
//
// Thread-safety: as the RpcClient passed in (one owner thread).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "chains/rpc/http_client.h"
#include "verifier/evm/witness.h"

namespace vigil::verifier {

// The witness a node made for `block` (debug_executionWitness). Accepts both answer
// shapes in use: lists of hex ({"state": [...], "codes": [...], "keys": [...],
// "headers": [...]}, reth/op-reth) and hash -> preimage maps for state and codes (older
// op-geth/reth); headers as RLP hex or as header objects (geth). "keys" is not needed.
Result<evm::Witness> fetch_execution_witness(rpc::RpcClient& node, uint64_t block);

// The parsing part of fetch_execution_witness, on the call's result.
Result<evm::Witness> parse_execution_witness(const rpc::Json& result);

struct PrestateWitnessOptions {
    // Ancestor headers fetched besides the parent (BLOCKHASH reaches at most 256 back).
    uint64_t ancestors = 0;
    // The caller has the parent's header already (it computed it): fetch no headers at all
    // unless `ancestors` asks for more.
    bool parent_header_known = false;
    // eth_getProof calls per JSON-RPC batch.
    size_t proofs_per_batch = 32;
    // Accounts (with slots, raw keys) proved besides what the tracer lists: the tracer
    // sees transactions only, not what the block does around them (the EIP-4788 beacon
    // root write, the fee vault credits) nor the accounts an EVM merely loads (the
    // coinbase, the precompiles). Their codes are fetched (eth_getCode at the parent) when
    // the tracer did not list them.
    std::map<eth::Address, std::set<eth::Hash32>> extra;
    // Find the keys the block deletes with a second (diffMode) trace and fetch their
    // collapse candidates now. A caller that executes the block knows those keys itself
    // and can ask for the candidates only when a deletion needs them
    // (fetch_deletion_candidates): one trace per block instead of two.
    bool deletions = true;
};

// The witness of the block whose hash is `block` (not the genesis), built from the
// prestate tracer and eth_getProof. Every call names blocks by hash (EIP-1898 for
// eth_getProof), so a reorganisation meanwhile cannot mix two blocks' data; headers are
// checked against their hashes. witness.headers[0] is the parent's, then its ancestors.
Result<evm::Witness> fetch_prestate_witness(rpc::RpcClient& node, const eth::Hash32& block,
                                            const PrestateWitnessOptions& options = {});

// The RLP headers of the block whose hash is `hash` and of its ancestors, `count` in all
// (fewer when the genesis is reached), walking back by parentHash; each is checked against
// the hash that names it. For BLOCKHASH reads a witness lacks (they reach 256 back).
Result<std::vector<eth::Bytes>> fetch_header_chain(rpc::RpcClient& node, const eth::Hash32& hash,
                                                   uint64_t count);

// The collapse candidates (see collapse_candidates) of the accounts and slots (raw keys)
// that the block whose hash is `block` deletes: eth_getProof at the block itself, each
// leaf or extension of those proofs turned into the pre-state siblings it may have been.
Result<std::vector<eth::Bytes>> fetch_deletion_candidates(
    rpc::RpcClient& node, const eth::Hash32& block,
    const std::map<eth::Address, std::set<eth::Hash32>>& deleted, size_t proofs_per_batch = 32);

// The prestateTracer results of every transaction of the block whose hash is `block`, in
// order (`diff_mode`: {pre, post} per transaction). Uses debug_traceBlockByHash, falling
// back to debug_traceTransaction per transaction when the node refuses the block variant.
Result<std::vector<rpc::Json>> trace_prestate(rpc::RpcClient& node, const eth::Hash32& block,
                                              bool diff_mode);

// The nodes a leaf or extension of a post-state proof may have been before a deletion
// merged it into its parent: the same node without its first k nibbles (the branch index,
// and an extension's path merged with it), for every k, when 32 bytes or longer (shorter
// ones were embedded in the parent, which the pre-state proof holds). Candidates only:
// each is used only where a pre-state node references its hash. Anything that is not a
// leaf or extension gives none.
std::vector<eth::Bytes> collapse_candidates(eth::BytesView post_node);

}  // namespace vigil::verifier
