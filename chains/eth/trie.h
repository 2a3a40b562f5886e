// Merkle-Patricia trie (yellow paper, appendix D): an in-memory trie with the root hash
// Ethereum commits to (state, storage, transactions, receipts, withdrawals).
//
// Nodes whose RLP is shorter than 32 bytes are embedded in their parent, longer ones are
// referenced by keccak256; the root is always hashed. Each node caches its reference and
// only the nodes on a modified path are re-encoded, so root_hash() after a few changes to
// a large trie costs a few hashes, not a full rebuild.
//
// Thread-safety: none; a Trie is a value owned by one thread (root_hash() updates caches).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "chains/eth/bytes.h"
#include "chains/eth/result.h"

namespace vigil::eth {

// keccak256(rlp("")) = keccak256(0x80): the root of the empty trie (yellow paper, appendix
// D; 0x56e81f17…b421).
inline constexpr Hash32 kEmptyTrieRoot{{0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6,
                                        0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
                                        0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0,
                                        0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21}};

class Trie {
  public:
    // Keys longer than this are refused: they bound the trie's depth (two nibbles per
    // byte), and with it the recursion of every operation. Ethereum's keys are 32 bytes
    // (secure tries) or rlp(index) (at most 9 bytes).
    static constexpr size_t kMaxKeySize = 1024;

    // A secure trie stores each value under keccak256(key), as the state and storage
    // tries do; the caller passes the unhashed key to put/get/erase.
    explicit Trie(bool secure = false);
    ~Trie();
    Trie(Trie&&) noexcept;
    Trie& operator=(Trie&&) noexcept;
    Trie(const Trie&) = delete;
    Trie& operator=(const Trie&) = delete;

    // Sets key -> value. An empty value deletes the key (a trie never stores empty
    // values). An error only when the key exceeds kMaxKeySize.
    Status put(BytesView key, BytesView value);
    // Removes key; false when it was absent. Keys over kMaxKeySize are never present.
    bool erase(BytesView key);
    // The value under key, or nullopt.
    std::optional<Bytes> get(BytesView key) const;

    bool empty() const { return root_ == nullptr; }
    size_t size() const { return size_; }
    bool secure() const { return secure_; }

    // keccak256 of the root node's RLP; kEmptyTrieRoot for an empty trie.
    Hash32 root_hash();

    // The RLP of the nodes on key's path from the root, as eth_getProof lists them
    // (embedded nodes are inside their parent and not listed). For an absent key the
    // path ends where the key diverges: a proof of absence.
    std::vector<Bytes> prove(BytesView key);

    // Visits every (path key, value) in ascending byte order of the path key (for a
    // secure trie the path key is keccak256 of the original key).
    void for_each(const std::function<void(BytesView key, BytesView value)>& visit) const;

    struct Node;  // defined in trie.cpp

  private:
    Bytes path_key(BytesView key) const;

    std::unique_ptr<Node> root_;
    size_t size_ = 0;
    bool secure_ = false;
};

// The root of a trie holding items[i] under rlp(i): transactionsRoot, receiptsRoot,
// withdrawalsRoot. Items are the already-encoded values (never empty).
Hash32 ordered_trie_root(std::span<const Bytes> items);

}  // namespace vigil::eth
