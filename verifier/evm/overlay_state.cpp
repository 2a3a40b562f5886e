#include "verifier/evm/overlay_state.h"

#include <algorithm>

#include "chains/eth/trie.h"

namespace vigil::evm {

const eth::Hash32 OverlayState::kUnknownStorageRoot = [] {
    eth::Hash32 h;
    h.bytes.fill(0xff);
    return h;
}();

void OverlayState::apply(const StateDiff& diff) {
    for (const AccountUpdate& u : diff.accounts) {
        Entry& e = entries_[u.address];
        if (u.deleted) {
            e = Entry{};
            e.deleted = true;
            e.storage_cleared = true;
            e.code_changed = true;
            continue;
        }
        if (u.storage_cleared || e.deleted) {
            e.storage.clear();
            e.storage_cleared = true;
        }
        e.deleted = false;
        e.nonce = u.nonce;
        e.balance = u.balance;
        if (u.code) {
            e.code_changed = true;
            if (!u.code->empty()) codes_[u.code_hash] = *u.code;
        }
        e.code_hash = u.code_hash;
        for (const auto& [slot, value] : u.storage) e.storage[slot] = value;
    }
}

StateDiff OverlayState::merged() const {
    StateDiff out;
    out.accounts.reserve(entries_.size());
    for (const auto& [address, e] : entries_) {
        AccountUpdate u;
        u.address = address;
        u.deleted = e.deleted;
        if (!e.deleted) {
            u.storage_cleared = e.storage_cleared;
            u.nonce = e.nonce;
            u.balance = e.balance;
            u.code_hash = e.code_hash;
            if (e.code_changed) {
                auto it = codes_.find(e.code_hash);
                u.code = it == codes_.end() ? eth::Bytes() : it->second;
            }
            u.storage.assign(e.storage.begin(), e.storage.end());
        }
        out.accounts.push_back(std::move(u));
    }
    return out;
}

Result<std::optional<eth::Account>> OverlayState::account(const eth::Address& address) {
    auto it = entries_.find(address);
    if (it == entries_.end()) return base_.account(address);
    const Entry& e = it->second;
    if (e.deleted) return std::optional<eth::Account>();
    const bool any_written_nonzero = std::any_of(e.storage.begin(), e.storage.end(),
                                                 [](const auto& s) { return !s.second.is_zero(); });
    eth::Hash32 root = eth::kEmptyTrieRoot;
    if (!e.storage_cleared) {
        VIGIL_TRY(const std::optional<eth::Account> base, base_.account(address));
        if (base) root = base->storage_root;
        if (root != eth::kEmptyTrieRoot && !e.storage.empty()) root = kUnknownStorageRoot;
    }
    if (any_written_nonzero) root = kUnknownStorageRoot;
    return std::optional<eth::Account>(eth::Account{e.nonce, e.balance, root, e.code_hash});
}

Result<eth::U256> OverlayState::storage(const eth::Address& address, const eth::U256& slot) {
    auto it = entries_.find(address);
    if (it == entries_.end()) return base_.storage(address, slot);
    const Entry& e = it->second;
    auto jt = e.storage.find(slot);
    if (jt != e.storage.end()) return jt->second;
    if (e.storage_cleared) return eth::U256();
    return base_.storage(address, slot);
}

Result<eth::Bytes> OverlayState::code(const eth::Hash32& code_hash) {
    if (code_hash == eth::kEmptyCodeHash) return eth::Bytes();
    auto it = codes_.find(code_hash);
    if (it != codes_.end()) return it->second;
    return base_.code(code_hash);
}

}  // namespace vigil::evm
