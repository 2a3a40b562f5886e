// The witness of one block: the trie nodes, contract codes and ancestor headers its
// execution touches, as a node serves them (debug_executionWitness, or eth_getProof
// proofs gathered by verifier/witness_fetch.h). Nothing in it is trusted: nodes and codes
// are found by their hash from a trusted root (verifier/evm/witness_state.h), headers by
// the parent-hash chain from a trusted block hash (block_hashes below).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "chains/eth/bytes.h"
#include "chains/eth/result.h"

namespace vigil::evm {

struct Witness {
    // RLP trie nodes, state and storage tries mixed (debug_executionWitness "state").
    std::vector<eth::Bytes> state_nodes;
    // Contract codes (created or read).
    std::vector<eth::Bytes> codes;
    // RLP block headers, the parent and the ancestors BLOCKHASH reads, in any order.
    std::vector<eth::Bytes> headers;
};

// The hashes of the ancestors the witness proves, by block number: starting from the
// header whose keccak256 is `parent_hash` (trusted: the parent of the block being
// executed), each next one is the header its parentHash names. Headers off that chain
// are ignored; one that does not decode is an error only if it would be on it (it cannot
// be: its hash would have to match). An error when the parent's header is absent.
Result<std::map<uint64_t, eth::Hash32>> block_hashes(const Witness& witness,
                                                     const eth::Hash32& parent_hash);

}  // namespace vigil::evm
