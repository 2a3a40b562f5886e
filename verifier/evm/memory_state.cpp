#include "verifier/evm/memory_state.h"

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"

namespace vigil::evm {

void MemoryState::set_account(const eth::Address& address, MemoryAccount account) {
    for (auto it = account.storage.begin(); it != account.storage.end();)
        it = it->second.is_zero() ? account.storage.erase(it) : std::next(it);
    Entry e;
    e.code_hash = account.code.empty() ? eth::kEmptyCodeHash : eth::keccak256(account.code);
    if (!account.code.empty()) codes_[e.code_hash] = account.code;
    e.account = std::move(account);
    accounts_[address] = std::move(e);
}

const MemoryAccount* MemoryState::find(const eth::Address& address) const {
    auto it = accounts_.find(address);
    return it == accounts_.end() ? nullptr : &it->second.account;
}

void MemoryState::apply(const StateDiff& diff) {
    for (const AccountUpdate& u : diff.accounts) {
        if (u.deleted) {
            accounts_.erase(u.address);
            continue;
        }
        Entry& e = accounts_[u.address];
        if (u.storage_cleared) e.account.storage.clear();
        e.account.nonce = u.nonce;
        e.account.balance = u.balance;
        if (u.code) {
            e.account.code = *u.code;
            codes_[u.code_hash] = *u.code;
        }
        e.code_hash = u.code_hash;
        for (const auto& [slot, value] : u.storage) {
            if (value.is_zero())
                e.account.storage.erase(slot);
            else
                e.account.storage[slot] = value;
        }
        if (!u.storage.empty() || u.storage_cleared) e.storage_root.reset();
    }
}

eth::Hash32 MemoryState::storage_root(Entry& e) {
    if (e.storage_root) return *e.storage_root;
    eth::Trie trie(/*secure=*/true);
    for (const auto& [slot, value] : e.account.storage) {
        const auto key = slot.to_be_word();
        // Keys are 32 bytes and values non-empty: put cannot fail.
        (void)trie.put(eth::BytesView(key.data(), key.size()), eth::rlp::encoded_uint(value));
    }
    e.storage_root = trie.root_hash();
    return *e.storage_root;
}

eth::Hash32 MemoryState::state_root() {
    eth::Trie trie(/*secure=*/true);
    for (auto& [address, e] : accounts_) {
        eth::Account a{e.account.nonce, e.account.balance, storage_root(e), e.code_hash};
        (void)trie.put(address.view(), a.encode());
    }
    return trie.root_hash();
}

Result<std::optional<eth::Account>> MemoryState::account(const eth::Address& address) {
    auto it = accounts_.find(address);
    if (it == accounts_.end()) return std::optional<eth::Account>();
    Entry& e = it->second;
    return std::optional<eth::Account>(
        eth::Account{e.account.nonce, e.account.balance, storage_root(e), e.code_hash});
}

Result<eth::U256> MemoryState::storage(const eth::Address& address, const eth::U256& slot) {
    auto it = accounts_.find(address);
    if (it == accounts_.end()) return eth::U256();
    auto jt = it->second.account.storage.find(slot);
    return jt == it->second.account.storage.end() ? eth::U256() : jt->second;
}

Result<eth::Bytes> MemoryState::code(const eth::Hash32& code_hash) {
    if (code_hash == eth::kEmptyCodeHash) return eth::Bytes();
    auto it = codes_.find(code_hash);
    if (it == codes_.end()) return fail("memory state: no code with hash " + code_hash.to_hex());
    return it->second;
}

}  // namespace vigil::evm
