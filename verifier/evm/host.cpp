#include "verifier/evm/host.h"

#include <algorithm>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"

namespace vigil::evm {

struct JournaledState::AccountEntry {
    std::optional<eth::Account> pre;  // as the source has it
    uint64_t nonce = 0;
    eth::U256 balance;
    eth::Hash32 code_hash = eth::kEmptyCodeHash;
    std::shared_ptr<const CodeAnalysis> code;  // loaded on first use
    bool code_changed = false;
    bool warm = false;
    bool touched = false;
    bool created = false;
    bool destroyed = false;
    std::unordered_map<eth::U256, Slot, U256Hash> storage;
};

eth::Hash32 logs_hash(const std::vector<Log>& logs) {
    eth::Bytes payload;
    for (const Log& log : logs) {
        eth::Bytes item;
        eth::rlp::encode_bytes(item, log.address.view());
        eth::Bytes topics;
        for (const eth::Hash32& t : log.topics) eth::rlp::encode_bytes(topics, t.view());
        eth::append(item, eth::rlp::wrap_list(topics));
        eth::rlp::encode_bytes(item, log.data);
        eth::append(payload, eth::rlp::wrap_list(item));
    }
    return eth::keccak256(eth::rlp::wrap_list(payload));
}

JournaledState::JournalEntry& JournaledState::record(int kind, AccountEntry* account) {
    JournalEntry& j = journal_.emplace_back();
    j.kind = static_cast<JournalEntry::Kind>(kind);
    j.account = account;
    return j;
}

namespace {
// The source's own error code when it has one (callers act on it), else ours.
int source_code(const Error& e) { return e.code != 0 ? e.code : kErrorStateUnavailable; }
}  // namespace

JournaledState::JournaledState(StateSource& source) : source_(source) {}
JournaledState::~JournaledState() = default;

void JournaledState::set_error(Error error) {
    if (failed_) return;
    failed_ = true;
    error_ = std::move(error);
}

JournaledState::AccountEntry& JournaledState::entry(const eth::Address& a) {
    auto it = accounts_.find(a);
    if (it != accounts_.end()) return *it->second;
    auto e = std::make_unique<AccountEntry>();
    auto account = source_.account(a);
    if (!account) {
        set_error(fail("evm state: account " + a.to_hex() + ": " + account.error().message,
                       source_code(account.error())));
    } else if (*account) {
        e->pre = **account;
        e->nonce = e->pre->nonce;
        e->balance = e->pre->balance;
        e->code_hash = e->pre->code_hash;
    }
    AccountEntry& ref = *e;
    accounts_.emplace(a, std::move(e));
    return ref;
}

bool JournaledState::empty_entry(const AccountEntry& e) {
    return e.nonce == 0 && e.balance.is_zero() && e.code_hash == eth::kEmptyCodeHash;
}

bool JournaledState::exists(const eth::Address& a) {
    const AccountEntry& e = entry(a);
    return e.pre.has_value() || e.created || !empty_entry(e);
}
bool JournaledState::is_empty(const eth::Address& a) { return empty_entry(entry(a)); }
eth::U256 JournaledState::balance(const eth::Address& a) { return entry(a).balance; }
uint64_t JournaledState::nonce(const eth::Address& a) { return entry(a).nonce; }
eth::Hash32 JournaledState::code_hash(const eth::Address& a) { return entry(a).code_hash; }

const CodeAnalysis& JournaledState::code(const eth::Address& a) {
    AccountEntry& e = entry(a);
    if (e.code) return *e.code;
    auto it = codes_.find(e.code_hash);
    if (it != codes_.end()) {
        e.code = it->second;
        return *e.code;
    }
    std::shared_ptr<const CodeAnalysis> analysis;
    if (e.code_hash == eth::kEmptyCodeHash) {
        analysis = std::make_shared<const CodeAnalysis>(analyze({}));
    } else {
        auto bytes = source_.code(e.code_hash);
        if (!bytes) {
            set_error(fail("evm state: code " + e.code_hash.to_hex() + " of " + a.to_hex() + ": " +
                               bytes.error().message,
                           source_code(bytes.error())));
            static const CodeAnalysis kNone = analyze({});
            return kNone;
        }
        analysis = std::make_shared<const CodeAnalysis>(analyze(*bytes));
    }
    codes_.emplace(e.code_hash, analysis);
    e.code = std::move(analysis);
    return *e.code;
}

void JournaledState::touch(const eth::Address& a) {
    AccountEntry& e = entry(a);
    if (e.touched) return;
    {
        JournalEntry& j = record(JournalEntry::kTouch, &e);
        j.old_flag = false;
    }
    e.touched = true;
}

void JournaledState::add_balance(const eth::Address& a, const eth::U256& amount) {
    AccountEntry& e = entry(a);
    touch(a);
    {
        JournalEntry& j = record(JournalEntry::kBalance, &e);
        j.old_value = e.balance;
    }
    e.balance = e.balance + amount;
}

void JournaledState::sub_balance(const eth::Address& a, const eth::U256& amount) {
    AccountEntry& e = entry(a);
    touch(a);
    {
        JournalEntry& j = record(JournalEntry::kBalance, &e);
        j.old_value = e.balance;
    }
    e.balance = e.balance - amount;
}

void JournaledState::set_nonce(const eth::Address& a, uint64_t nonce) {
    AccountEntry& e = entry(a);
    touch(a);
    {
        JournalEntry& j = record(JournalEntry::kNonce, &e);
        j.old_nonce = e.nonce;
    }
    e.nonce = nonce;
}

void JournaledState::set_code(const eth::Address& a, eth::Bytes code) {
    AccountEntry& e = entry(a);
    JournalEntry& j = record(JournalEntry::kCode, &e);
    j.old_flag = e.code_changed;
    j.old_code_hash = e.code_hash;
    j.old_code = e.code;
    e.code_hash = eth::keccak256(code);
    auto it = codes_.find(e.code_hash);
    if (it != codes_.end()) {
        e.code = it->second;
    } else {
        e.code = std::make_shared<const CodeAnalysis>(analyze(code));
        codes_.emplace(e.code_hash, e.code);
    }
    e.code_changed = true;
}

bool JournaledState::has_collision(const eth::Address& a) {
    const AccountEntry& e = entry(a);
    if (e.nonce != 0 || e.code_hash != eth::kEmptyCodeHash) return true;
    if (e.created) return false;
    return e.pre && e.pre->storage_root != eth::kEmptyTrieRoot;
}

void JournaledState::create_account(const eth::Address& a) {
    AccountEntry& e = entry(a);
    {
        JournalEntry& j = record(JournalEntry::kCreate, &e);
        j.old_flag = e.created;
    }
    e.created = true;
    set_nonce(a, 1);
}

bool JournaledState::created_in_transaction(const eth::Address& a) { return entry(a).created; }

void JournaledState::destroy(const eth::Address& a) {
    AccountEntry& e = entry(a);
    {
        JournalEntry& j = record(JournalEntry::kDestroy, &e);
        j.old_value = e.balance;
        j.old_flag = e.destroyed;
    }
    e.destroyed = true;
    e.balance = 0;
}

JournaledState::Slot& JournaledState::slot(AccountEntry& e, const eth::Address& a,
                                           const eth::U256& key, bool load) {
    auto it = e.storage.find(key);
    if (it == e.storage.end()) it = e.storage.emplace(key, Slot{}).first;
    Slot& s = it->second;
    if (s.loaded || !load) return s;
    s.loaded = true;
    // Storage of an account created in this transaction starts empty (no collision means
    // the pre-state had none), so the source is not asked.
    if (e.pre && !e.created && e.pre->storage_root != eth::kEmptyTrieRoot) {
        auto read = source_.storage(a, key);
        if (!read)
            set_error(fail("evm state: storage " + key.to_hex() + " of " + a.to_hex() + ": " +
                               read.error().message,
                           source_code(read.error())));
        else
            s.original = s.current = *read;
    }
    return s;
}

eth::U256 JournaledState::storage(const eth::Address& a, const eth::U256& key) {
    return slot(entry(a), a, key).current;
}

JournaledState::SlotWrite JournaledState::set_storage(const eth::Address& a, const eth::U256& key,
                                                      const eth::U256& value) {
    AccountEntry& e = entry(a);
    Slot& s = slot(e, a, key);
    SlotWrite before{s.original, s.current};
    if (s.current != value) {
        {
            JournalEntry& j = record(JournalEntry::kStorage, &e);
            j.key = key;
            j.old_value = s.current;
        }
        s.current = value;
    }
    return before;
}

eth::U256 JournaledState::transient(const eth::Address& a, const eth::U256& key) {
    auto it = transient_.find(a);
    if (it == transient_.end()) return {};
    auto jt = it->second.find(key);
    return jt == it->second.end() ? eth::U256{} : jt->second;
}

void JournaledState::set_transient(const eth::Address& a, const eth::U256& key,
                                   const eth::U256& value) {
    eth::U256& cell = transient_[a][key];
    {
        JournalEntry& j = record(JournalEntry::kTransient, nullptr);
        j.address = a;
        j.key = key;
        j.old_value = cell;
    }
    cell = value;
}

Access JournaledState::access_account(const eth::Address& a) {
    AccountEntry& e = entry(a);
    if (e.warm) return Access::kWarm;
    record(JournalEntry::kWarmAccount, &e);
    e.warm = true;
    return Access::kCold;
}

Access JournaledState::access_slot(const eth::Address& a, const eth::U256& key) {
    AccountEntry& e = entry(a);
    Slot& s = slot(e, a, key, /*load=*/false);
    if (s.warm) return Access::kWarm;
    {
        JournalEntry& j = record(JournalEntry::kWarmSlot, &e);
        j.key = key;
    }
    s.warm = true;
    return Access::kCold;
}

void JournaledState::revert(const Snapshot& snap) {
    while (journal_.size() > snap.journal_size) {
        JournalEntry& j = journal_.back();
        AccountEntry* e = j.account;
        switch (j.kind) {
            case JournalEntry::kBalance:
                e->balance = j.old_value;
                break;
            case JournalEntry::kNonce:
                e->nonce = j.old_nonce;
                break;
            case JournalEntry::kCode:
                e->code_hash = j.old_code_hash;
                e->code = std::move(j.old_code);
                e->code_changed = j.old_flag;
                break;
            case JournalEntry::kTouch:
                e->touched = j.old_flag;
                break;
            case JournalEntry::kCreate:
                e->created = j.old_flag;
                break;
            case JournalEntry::kDestroy:
                e->destroyed = j.old_flag;
                e->balance = j.old_value;
                break;
            case JournalEntry::kStorage:
                e->storage.find(j.key)->second.current = j.old_value;
                break;
            case JournalEntry::kTransient:
                transient_[j.address][j.key] = j.old_value;
                break;
            case JournalEntry::kWarmAccount:
                e->warm = false;
                break;
            case JournalEntry::kWarmSlot:
                e->storage.find(j.key)->second.warm = false;
                break;
        }
        journal_.pop_back();
    }
    logs_.resize(snap.logs_size);
    refund_ = snap.refund;
}

StateDiff JournaledState::finish() {
    StateDiff diff;
    for (auto& [address, ep] : accounts_) {
        const AccountEntry& e = *ep;
        const bool remove = e.destroyed || (e.touched && empty_entry(e));
        if (remove) {
            if (e.pre) {
                AccountUpdate& gone = diff.accounts.emplace_back();
                gone.address = address;
                gone.deleted = true;
            }
            continue;
        }
        std::vector<std::pair<eth::U256, eth::U256>> slots;
        for (const auto& [key, s] : e.storage)
            if (s.loaded && s.current != s.original) slots.emplace_back(key, s.current);
        bool changed = !slots.empty() || e.code_changed;
        if (!e.pre) {
            if (empty_entry(e) && !e.created && slots.empty()) continue;
            changed = true;
        } else if (e.pre->nonce != e.nonce || e.pre->balance != e.balance ||
                   e.pre->code_hash != e.code_hash) {
            changed = true;
        }
        if (!changed) continue;
        std::sort(slots.begin(), slots.end(),
                  [](const auto& x, const auto& y) { return x.first < y.first; });
        AccountUpdate& u = diff.accounts.emplace_back();
        u.address = address;
        u.nonce = e.nonce;
        u.balance = e.balance;
        u.code_hash = e.code_hash;
        u.storage = std::move(slots);
        if (e.code_changed && e.code)
            u.code.emplace(e.code->padded.begin(), e.code->padded.begin() + e.code->size);
    }
    std::sort(diff.accounts.begin(), diff.accounts.end(),
              [](const AccountUpdate& x, const AccountUpdate& y) { return x.address < y.address; });
    return diff;
}

}  // namespace vigil::evm
