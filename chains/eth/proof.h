// Merkle-Patricia proof verification: EIP-1186 (eth_getProof) account and storage proofs.
//
// A proof is the list of RLP trie nodes on a key's path, root first. Verification walks
// the path from a trusted root: every listed node must hash to the reference its parent
// holds (the root node to the root itself), nodes shorter than 32 bytes are read from
// inside their parent, and every node must be well-formed RLP of a leaf, extension or
// branch. The walk ends at the value, or at a proof of absence (an empty branch slot, a
// leaf or extension that diverges from the key). Any other outcome, including nodes left
// over after the walk, is an Error naming the node index and the reason: never a
// default value. What the node claimed beside the proof (balance, nonce, value …) must
// equal what the proof proves.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"

namespace vigil::eth {

// keccak256 of empty code: the codeHash of every account without code.
inline constexpr Hash32 kEmptyCodeHash{{0xc5, 0xd2, 0x46, 0x01, 0x86, 0xf7, 0x23, 0x3c,
                                        0x92, 0x7e, 0x7d, 0xb2, 0xdc, 0xc7, 0x03, 0xc0,
                                        0xe5, 0x00, 0xb6, 0x53, 0xca, 0x82, 0x27, 0x3b,
                                        0x7b, 0xfa, 0xd8, 0x04, 0x5d, 0x85, 0xa4, 0x70}};

// The state trie's value for an account: rlp([nonce, balance, storageRoot, codeHash])
// (yellow paper, section 4.1).
struct Account {
    uint64_t nonce = 0;
    U256 balance;
    Hash32 storage_root;
    Hash32 code_hash;

    Bytes encode() const;
    // Strict: a list of exactly these four canonical items.
    static Result<Account> decode(BytesView rlp);
    friend bool operator==(const Account&, const Account&) = default;
};

// Walks `proof` from `root` along `path` (the trie key: already keccak'd for secure
// tries). Returns the value stored under `path`, or nullopt when the proof shows it is
// absent. An empty proof proves absence only when root is the empty trie's root.
Result<std::optional<Bytes>> verify_trie_proof(const Hash32& root, BytesView path,
                                               std::span<const Bytes> proof);

// The account `address` holds in the state trie with root `state_root`, or nullopt
// when the proof shows the account does not exist.
Result<std::optional<Account>> verify_account(const Hash32& state_root, const Address& address,
                                              std::span<const Bytes> proof);

// The value of storage `slot` (a 32-byte word) in the storage trie with root
// `storage_root`; zero when the proof shows the slot is absent (storage never holds 0).
Result<U256> verify_storage(const Hash32& storage_root, const Hash32& slot,
                            std::span<const Bytes> proof);

// One entry of eth_getProof's storageProof: the slot, the value the node claims, and
// the proof.
struct StorageProof {
    Hash32 slot;  // the key, left-padded to 32 bytes
    U256 value;   // claimed
    std::vector<Bytes> proof;
};

// An eth_getProof result: the account fields the node claims, and the proofs.
struct AccountProof {
    Address address;
    Account claimed;
    std::vector<Bytes> account_proof;
    std::vector<StorageProof> storage;
};

struct VerifiedSlot {
    Hash32 slot;
    U256 value;
};

// What a verified eth_getProof result establishes.
struct VerifiedAccount {
    Address address;
    bool exists = false;  // false: a proof of absence (account is then all zero/empty)
    Account account;      // proven (for an absent account: nonce 0, balance 0, empty
                          // storage root, empty code hash)
    std::vector<VerifiedSlot> storage;
};

// Verifies the account proof against `state_root` and each storage proof against the
// proven storage root, and checks every claimed field against the proven one. For an
// absent account nodes differ in what they claim for storageHash/codeHash: zero or the
// empty root / empty code hash are both accepted; nonce and balance must be zero.
Result<VerifiedAccount> verify_account_proof(const Hash32& state_root, const AccountProof& proof);

}  // namespace vigil::eth
