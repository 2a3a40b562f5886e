// PartialTrie: a Merkle-Patricia trie of which only some nodes are known (a witness, a
// set of eth_getProof proofs), rooted at a trusted hash; reads and updates on it.
//
// Stateless execution reads the accounts and slots a block touches and writes back its
// changes without the whole state: the nodes on the touched paths are enough, every other
// subtree stays a hash reference. Node rules are those of chains/eth/trie.h (yellow
// paper, appendix D): nodes whose RLP is shorter than 32 bytes are embedded in their
// parent, longer ones referenced by keccak256, the root always hashed.
//
// Trust: the only trusted input is the root hash. Nodes come from a TrieNodeSet keyed by
// their own keccak256, so a node is used only where its parent references its hash; a
// reference whose node is absent, or a node that is not a canonical trie node, is an
// Error naming the hash and the nibble path where it was needed. An Error never becomes a
// value: a read that cannot be proven fails, it does not answer "absent".
//
// Thread-safety: none. A PartialTrie reads its TrieNodeSet, which must outlive it and not
// change while it is used (adding nodes between calls is allowed).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/trie.h"

namespace vigil::eth {

// Trie nodes by keccak256 of their RLP (the preimages a witness or a proof provides).
// State and storage trie nodes may share one set: a node is only ever found through a
// hash that commits to it.
class TrieNodeSet {
  public:
    // Adds a node under keccak256(rlp); the hash is computed here, never taken on trust.
    void add(BytesView rlp);
    // The node whose keccak256 is `hash`, or nullptr. The pointer stays valid until the
    // set is destroyed (nodes are never removed or replaced).
    const Bytes* find(const Hash32& hash) const;
    size_t size() const { return nodes_.size(); }

  private:
    std::unordered_map<Hash32, Bytes> nodes_;
};

class PartialTrie {
  public:
    // Keys longer than this are refused (as in Trie): they bound depth and recursion.
    static constexpr size_t kMaxKeySize = Trie::kMaxKeySize;

    // A trie whose root node has hash `root` (kEmptyTrieRoot: the empty trie), nodes
    // resolved from `nodes` on demand. `secure`: keys are hashed (state, storage tries).
    // `nodes` is not owned and must outlive the trie.
    PartialTrie(const TrieNodeSet& nodes, const Hash32& root, bool secure = true);
    ~PartialTrie();
    PartialTrie(PartialTrie&&) noexcept;
    PartialTrie& operator=(PartialTrie&&) noexcept;
    PartialTrie(const PartialTrie&) = delete;
    PartialTrie& operator=(const PartialTrie&) = delete;

    // The value under `key`, nullopt when the known nodes prove it absent, or an Error
    // when a node on its path is missing or malformed.
    Result<std::optional<Bytes>> get(BytesView key);

    // Sets key -> value; an empty value erases. Every node on the key's path must be
    // known (including the sibling a deletion merges into its parent). After an Error the
    // trie is poisoned: every later call fails with that error, since a half-applied
    // update has no meaningful root or contents.
    Status put(BytesView key, BytesView value);
    Status erase(BytesView key);

    // keccak256 of the root node. Re-encodes only what changed; untouched subtrees keep
    // their references. An Error once an update failed.
    Result<Hash32> root_hash();

    struct Node;  // defined in partial_trie.cpp

  private:
    Bytes path_key(BytesView key) const;
    Status update(BytesView key, BytesView value);

    const TrieNodeSet* nodes_;
    std::unique_ptr<Node> root_;
    bool secure_ = true;
    std::optional<Error> poisoned_;
};

}  // namespace vigil::eth
