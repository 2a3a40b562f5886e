// OverlayState: the state inside a block, between two transactions. A StateSource that
// reads through the diffs of the transactions already executed (the latest write wins)
// to the block's pre-state, and that merges those diffs into the block's one diff.
#pragma once

#include <map>
#include <optional>
#include <unordered_map>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/u256.h"
#include "verifier/evm/state.h"

namespace vigil::evm {

class OverlayState final : public StateSource {
  public:
    // `base` (the block's pre-state) must outlive this object; it is only read.
    explicit OverlayState(StateSource& base) : base_(base) {}

    // Layers a transaction's diff on top of the earlier ones.
    void apply(const StateDiff& diff);

    // The block's total change relative to the base: one update per changed address, in
    // ascending address order, ready for MemoryState::apply or WitnessState::apply. An
    // account deleted and recreated within the block comes out as one update with
    // storage_cleared (and its code set, possibly to empty).
    StateDiff merged() const;

    // Reads. An account the overlay changed reports its storage_root exactly only when its
    // storage is untouched by the overlay; otherwise the root is eth::kEmptyTrieRoot when
    // the overlay knows the storage is empty, and kUnknownStorageRoot when it is (or may
    // be) non-empty. The EVM only asks a root whether storage is empty (EIP-7610 collisions,
    // skipping reads): slots zeroed one by one in an account that had storage keep it
    // "non-empty", which only an account without code could turn wrong, and such an
    // account cannot write its own storage.
    Result<std::optional<eth::Account>> account(const eth::Address& address) override;
    Result<eth::U256> storage(const eth::Address& address, const eth::U256& slot) override;
    Result<eth::Bytes> code(const eth::Hash32& code_hash) override;

    // Not a trie root (no preimage is known): the marker of a storage that is not empty.
    static const eth::Hash32 kUnknownStorageRoot;

  private:
    struct Entry {
        bool deleted = false;
        bool storage_cleared = false;  // the base's slots are gone
        bool code_changed = false;
        uint64_t nonce = 0;
        eth::U256 balance;
        eth::Hash32 code_hash = eth::kEmptyCodeHash;
        std::map<eth::U256, eth::U256> storage;  // every slot written, zeros included
    };

    StateSource& base_;
    std::map<eth::Address, Entry> entries_;
    std::unordered_map<eth::Hash32, eth::Bytes> codes_;
};

}  // namespace vigil::evm
