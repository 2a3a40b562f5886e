// The world state the EVM reads before a transaction and the changes it leaves after.
//
// The interpreter never owns the pre-state: it asks a StateSource for the accounts,
// slots and codes it touches, and hands back a StateDiff. Two sources exist: a full
// in-memory state (the state tests; verifier/evm/ MemoryState) and a witness checked
// against a trusted state root (stateless re-execution; verifier/evm/ WitnessState). The
// same diff then gives the post-state root either way.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/proof.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"

namespace vigil::evm {

// Pre-state reads. An Error means the state cannot be known (a witness lacks a node, or
// holds one that does not hash to its reference): the block is unverifiable, never
// invalid, so callers pass such errors up unchanged.
// Thread-safety: none; one source serves one execution at a time.
class StateSource {
  public:
    virtual ~StateSource() = default;
    // The account at `address`, or nullopt when the state has none.
    virtual Result<std::optional<eth::Account>> account(const eth::Address& address) = 0;
    // The value of `slot` in the storage of `address` (zero when absent or no account).
    virtual Result<eth::U256> storage(const eth::Address& address, const eth::U256& slot) = 0;
    // The code whose keccak256 is `code_hash`; empty for eth::kEmptyCodeHash.
    virtual Result<eth::Bytes> code(const eth::Hash32& code_hash) = 0;
};

// The post-state of one account that a transaction or block changed.
struct AccountUpdate {
    eth::Address address;
    // The account no longer exists (self-destructed in the transaction that created it,
    // or touched while empty, EIP-161). The other fields are then unused.
    bool deleted = false;
    // Drop every slot the pre-state held before applying `storage` (the address was
    // (re)created: a contract created where an account with storage existed).
    bool storage_cleared = false;
    uint64_t nonce = 0;
    eth::U256 balance;
    eth::Hash32 code_hash = eth::kEmptyCodeHash;
    // Set when the code changed (a contract was created); its keccak256 is code_hash.
    std::optional<eth::Bytes> code;
    // Slots whose value changed: (slot, new value); a zero value removes the slot.
    std::vector<std::pair<eth::U256, eth::U256>> storage;
};

// Every changed account, in ascending address order, each address at most once.
struct StateDiff {
    std::vector<AccountUpdate> accounts;
};

// EIP-161: an account is empty when it has no code, a zero nonce and a zero balance.
bool is_empty(const eth::Account& account);

}  // namespace vigil::evm
