// MemoryState: a complete world state held in memory (the state tests, the fuzzer, the
// benchmarks). A StateSource that never fails, that applies StateDiffs and computes its
// state root with eth::Trie.
#pragma once

#include <map>
#include <optional>
#include <unordered_map>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/u256.h"
#include "verifier/evm/state.h"

namespace vigil::evm {

struct MemoryAccount {
    uint64_t nonce = 0;
    eth::U256 balance;
    eth::Bytes code;
    std::map<eth::U256, eth::U256> storage;  // zero values are never stored
};

class MemoryState final : public StateSource {
  public:
    // Adds or replaces an account (zero-valued slots are dropped).
    void set_account(const eth::Address& address, MemoryAccount account);
    const MemoryAccount* find(const eth::Address& address) const;
    size_t size() const { return accounts_.size(); }

    // Applies what a transaction changed.
    void apply(const StateDiff& diff);
    // The root of the state trie (secure; each account's storage root computed from its
    // slots).
    eth::Hash32 state_root();

    Result<std::optional<eth::Account>> account(const eth::Address& address) override;
    Result<eth::U256> storage(const eth::Address& address, const eth::U256& slot) override;
    Result<eth::Bytes> code(const eth::Hash32& code_hash) override;

  private:
    struct Entry {
        MemoryAccount account;
        eth::Hash32 code_hash = eth::kEmptyCodeHash;
        std::optional<eth::Hash32> storage_root;  // cached until the storage changes
    };
    eth::Hash32 storage_root(Entry& e);

    std::map<eth::Address, Entry> accounts_;
    std::unordered_map<eth::Hash32, eth::Bytes> codes_;
};

}  // namespace vigil::evm
