// WitnessState: the pre-state of one block read from its witness, checked against a
// trusted parent state root, and the post-state root computed from the block's changes.
//
// The parent's state root is the only trusted input (re-executed, the anchor root of a
// resolved game, or configured). Accounts are read through the state trie from that root,
// slots through each account's storage trie from its proven storage root, codes by their
// keccak256: every node and code is used only where a hash already trusted names it. A
// witness that lacks a node or code the block touches gives an Error naming it, so the
// block is unverifiable; it never answers with a default value.
//
// Thread-safety: none; one WitnessState serves one execution.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "chains/eth/partial_trie.h"
#include "verifier/evm/state.h"
#include "verifier/evm/witness.h"

namespace vigil::evm {

class WitnessState final : public StateSource {
  public:
    // Copies the witness's nodes and codes; `state_root` is the parent block's state root.
    WitnessState(const Witness& witness, const eth::Hash32& state_root);
    ~WitnessState() override;
    WitnessState(WitnessState&&) noexcept;
    WitnessState& operator=(WitnessState&&) noexcept;

    // StateSource. Reads see the changes of earlier apply() calls.
    Result<std::optional<eth::Account>> account(const eth::Address& address) override;
    Result<eth::U256> storage(const eth::Address& address, const eth::U256& slot) override;
    Result<eth::Bytes> code(const eth::Hash32& code_hash) override;

    // Applies `diff` (storage tries first, then the accounts with their new storage roots;
    // storage_cleared restarts an account's storage from the empty trie) and returns the
    // new state root. May be called again with the next transaction's diff. A missing node
    // (a deletion needs the sibling it merges) or a code whose hash is not its code_hash is
    // an Error, after which this state is unusable: every later call fails.
    Result<eth::Hash32> apply(const StateDiff& diff);

    // The storage root of `address` in the current state (the empty trie's root for an
    // absent account): e.g. the L2ToL1MessagePasser's, part of the OP output root.
    Result<eth::Hash32> storage_root(const eth::Address& address);

  private:
    // The storage trie of `address` as the current state has it, opened on first use.
    Result<eth::PartialTrie*> open_storage(const eth::Address& address);
    Status apply_account(const AccountUpdate& update);
    Status check_usable() const;

    // Owned through a pointer: the tries hold its address, which must survive moves.
    std::unique_ptr<eth::TrieNodeSet> nodes_;
    eth::PartialTrie accounts_;
    std::map<eth::Address, eth::PartialTrie> storage_;
    std::unordered_map<eth::Hash32, eth::Bytes> codes_;
    std::optional<Error> failed_;
};

}  // namespace vigil::evm
