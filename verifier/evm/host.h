// The world state one transaction executes against: a cache over a StateSource with a
// journal, so a reverted call frame undoes exactly what it did.
//
// It keeps what EVM gas and semantics need beyond the bare state: each slot's value at
// the start of the transaction (SSTORE metering, EIP-2200/3529), transient storage
// (EIP-1153), the warm sets (EIP-2929), the refund counter, the logs, the accounts created
// in this transaction (SELFDESTRUCT, EIP-6780) and the touched ones (EIP-161). finish()
// turns it into the StateDiff the transaction leaves.
//
// A StateSource error is sticky: the failing read returns a default value, failed()
// becomes true, and the interpreter stops at its next check; the execution then ends in
// that error, never in a verdict. Thread-safety: none.
#pragma once

#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/u256.h"
#include "verifier/evm/analysis.h"
#include "verifier/evm/state.h"

namespace vigil::evm {

// Slot keys are chosen by contract code, so every limb goes through a non-linear mix
// (splitmix64's finaliser): colliding keys cannot be made by simple limb arithmetic.
struct U256Hash {
    static constexpr uint64_t mix(uint64_t x) noexcept {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    }
    size_t operator()(const eth::U256& v) const noexcept {
        return mix(v.limbs[0] ^ mix(v.limbs[1] ^ mix(v.limbs[2] ^ mix(v.limbs[3]))));
    }
};

// One LOG record.
struct Log {
    eth::Address address;
    std::vector<eth::Hash32> topics;
    eth::Bytes data;
};

// keccak256(rlp([[address, [topics…], data], …])): the `logs` hash of the state tests.
eth::Hash32 logs_hash(const std::vector<Log>& logs);

enum class Access : uint8_t { kWarm, kCold };

// Error::code values of an execution that ends without a result. Every one of them means
// the transaction cannot be judged, except kErrorInvalidTransaction, which is a verdict
// on the transaction itself (it cannot be included in a block).
// A StateSource read failed and its error had no code of its own (one it has is kept).
inline constexpr int kErrorStateUnavailable = 0x4556'0001;
inline constexpr int kErrorUnsupportedPrecompile = 0x4556'0002;  // a precompile Vigil lacks
inline constexpr int kErrorInvalidTransaction = 0x4556'0003;     // nonce, fees, gas, …

// A position in the journal to revert to.
struct Snapshot {
    size_t journal_size = 0;
    size_t logs_size = 0;
    int64_t refund = 0;
};

class JournaledState {
  public:
    // `source` must outlive this object.
    explicit JournaledState(StateSource& source);
    ~JournaledState();
    JournaledState(const JournaledState&) = delete;
    JournaledState& operator=(const JournaledState&) = delete;

    [[nodiscard]] bool failed() const noexcept { return failed_; }
    const Error& error() const { return error_; }
    // Records the first error (later ones are dropped: the first names the cause).
    void set_error(Error error);

    // Account reads. An account the state lacks reads as empty.
    [[nodiscard]] bool exists(const eth::Address& a);
    [[nodiscard]] bool is_empty(const eth::Address& a);
    [[nodiscard]] eth::U256 balance(const eth::Address& a);
    [[nodiscard]] uint64_t nonce(const eth::Address& a);
    [[nodiscard]] eth::Hash32 code_hash(const eth::Address& a);
    // The analysed code of `a` (never null; empty code for an account without any).
    [[nodiscard]] const CodeAnalysis& code(const eth::Address& a);

    // Account writes (each journaled; balance and nonce writes touch the account).
    void add_balance(const eth::Address& a, const eth::U256& amount);
    // Requires balance(a) >= amount.
    void sub_balance(const eth::Address& a, const eth::U256& amount);
    void set_nonce(const eth::Address& a, uint64_t nonce);
    void set_code(const eth::Address& a, eth::Bytes code);
    void touch(const eth::Address& a);
    // EIP-7610 + EIP-684: a CREATE to `a` collides when it has a nonce, code or storage.
    [[nodiscard]] bool has_collision(const eth::Address& a);
    // Marks `a` as created in this transaction (EIP-6780) with nonce 1.
    void create_account(const eth::Address& a);
    [[nodiscard]] bool created_in_transaction(const eth::Address& a);
    // EIP-6780: removes `a` at the end of the transaction (requires created_in_transaction);
    // its balance is zeroed now.
    void destroy(const eth::Address& a);

    // Storage.
    [[nodiscard]] eth::U256 storage(const eth::Address& a, const eth::U256& slot);
    struct SlotWrite {
        eth::U256 original, current;
    };
    // Sets the slot; returns its transaction-start and current values before the write.
    SlotWrite set_storage(const eth::Address& a, const eth::U256& slot, const eth::U256& value);
    [[nodiscard]] eth::U256 transient(const eth::Address& a, const eth::U256& slot);
    void set_transient(const eth::Address& a, const eth::U256& slot, const eth::U256& value);

    // EIP-2929: marks warm and says whether it was cold.
    Access access_account(const eth::Address& a);
    Access access_slot(const eth::Address& a, const eth::U256& slot);

    void add_log(Log log) { logs_.push_back(std::move(log)); }
    const std::vector<Log>& logs() const { return logs_; }
    void add_refund(int64_t delta) { refund_ += delta; }
    [[nodiscard]] int64_t refund() const { return refund_; }

    Snapshot snapshot() const { return {journal_.size(), logs_.size(), refund_}; }
    void revert(const Snapshot& s);

    // The diff of the whole transaction: self-destructed accounts and empty touched ones
    // (EIP-161) deleted, every other changed account with its new fields and slots.
    StateDiff finish();

  private:
    struct Slot {
        eth::U256 original, current;
        bool warm = false;
        bool loaded = false;  // values read (a slot can be warm from an access list only)
    };
    struct AccountEntry;
    struct JournalEntry {
        enum Kind : uint8_t {
            kBalance,
            kNonce,
            kCode,
            kTouch,
            kCreate,
            kDestroy,
            kStorage,
            kTransient,
            kWarmAccount,
            kWarmSlot,
        } kind = kBalance;
        AccountEntry* account = nullptr;
        eth::Address address;
        eth::U256 key;
        eth::U256 old_value;
        uint64_t old_nonce = 0;
        bool old_flag = false;
        eth::Hash32 old_code_hash;
        std::shared_ptr<const CodeAnalysis> old_code;
    };

    AccountEntry& entry(const eth::Address& a);
    JournalEntry& record(int kind, AccountEntry* account);
    Slot& slot(AccountEntry& e, const eth::Address& a, const eth::U256& key, bool load = true);
    static bool empty_entry(const AccountEntry& e);

    StateSource& source_;
    bool failed_ = false;
    Error error_;
    std::unordered_map<eth::Address, std::unique_ptr<AccountEntry>> accounts_;
    std::unordered_map<eth::Hash32, std::shared_ptr<const CodeAnalysis>> codes_;
    std::unordered_map<eth::Address, std::unordered_map<eth::U256, eth::U256, U256Hash>> transient_;
    std::vector<JournalEntry> journal_;
    std::vector<Log> logs_;
    int64_t refund_ = 0;
};

}  // namespace vigil::evm
