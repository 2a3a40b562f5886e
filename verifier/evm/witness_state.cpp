#include "verifier/evm/witness_state.h"

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"

namespace vigil::evm {

namespace {

std::string slot_name(const eth::U256& slot) {
    const auto word = slot.to_be_word();
    return eth::to_hex(eth::BytesView(word.data(), word.size()));
}

}  // namespace

WitnessState::WitnessState(const Witness& witness, const eth::Hash32& state_root)
    : nodes_(std::make_unique<eth::TrieNodeSet>()), accounts_(*nodes_, state_root) {
    for (const eth::Bytes& node : witness.state_nodes) nodes_->add(node);
    for (const eth::Bytes& code : witness.codes) codes_.emplace(eth::keccak256(code), code);
}

WitnessState::~WitnessState() = default;
WitnessState::WitnessState(WitnessState&&) noexcept = default;
WitnessState& WitnessState::operator=(WitnessState&&) noexcept = default;

Status WitnessState::check_usable() const {
    if (failed_) return fail("witness state unusable after a failed apply: " + failed_->message);
    return {};
}

Result<std::optional<eth::Account>> WitnessState::account(const eth::Address& address) {
    VIGIL_CHECK(check_usable());
    auto encoded = accounts_.get(address.view());
    if (!encoded)
        return fail("witness: account " + address.to_hex() + ": " + encoded.error().message);
    if (!encoded->has_value()) return std::optional<eth::Account>();
    auto decoded = eth::Account::decode(**encoded);
    if (!decoded)
        return fail("witness: account " + address.to_hex() +
                    " does not decode: " + decoded.error().message);
    return std::optional<eth::Account>(*decoded);
}

Result<eth::PartialTrie*> WitnessState::open_storage(const eth::Address& address) {
    if (auto it = storage_.find(address); it != storage_.end()) return &it->second;
    VIGIL_TRY(std::optional<eth::Account> acct, account(address));
    const eth::Hash32 root = acct ? acct->storage_root : eth::kEmptyTrieRoot;
    auto [it, inserted] = storage_.try_emplace(address, *nodes_, root);
    return &it->second;
}

Result<eth::U256> WitnessState::storage(const eth::Address& address, const eth::U256& slot) {
    VIGIL_CHECK(check_usable());
    VIGIL_TRY(eth::PartialTrie * trie, open_storage(address));
    const auto word = slot.to_be_word();
    auto encoded = trie->get(eth::BytesView(word.data(), word.size()));
    if (!encoded)
        return fail("witness: storage of " + address.to_hex() + " slot " + slot_name(slot) + ": " +
                    encoded.error().message);
    if (!encoded->has_value()) return eth::U256();
    auto value = [&]() -> Result<eth::U256> {
        VIGIL_TRY(auto item, eth::rlp::decode_exact(**encoded));
        return eth::rlp::to_u256(item);
    }();
    if (!value)
        return fail("witness: storage of " + address.to_hex() + " slot " + slot_name(slot) +
                    " does not decode: " + value.error().message);
    return value;
}

Result<eth::Bytes> WitnessState::code(const eth::Hash32& code_hash) {
    if (code_hash == eth::kEmptyCodeHash) return eth::Bytes();
    auto it = codes_.find(code_hash);
    if (it == codes_.end()) return fail("witness: code " + code_hash.to_hex() + " is not in it");
    return it->second;
}

Status WitnessState::apply_account(const AccountUpdate& update) {
    const std::string who = "witness: applying " + update.address.to_hex() + ": ";
    if (update.deleted) {
        storage_.erase(update.address);
        Status erased = accounts_.erase(update.address.view());
        if (!erased) return fail(who + erased.error().message);
        return {};
    }
    if (update.code) {
        if (eth::keccak256(*update.code) != update.code_hash)
            return fail(who + "code does not hash to its code hash " + update.code_hash.to_hex());
        codes_.emplace(update.code_hash, *update.code);
    }
    if (update.storage_cleared) {
        storage_.erase(update.address);
        storage_.try_emplace(update.address, *nodes_, eth::kEmptyTrieRoot);
    }
    auto trie = open_storage(update.address);
    if (!trie) return fail(who + trie.error().message);
    for (const auto& [slot, value] : update.storage) {
        const auto word = slot.to_be_word();
        const eth::BytesView key(word.data(), word.size());
        // Storage holds rlp(value); a zero value is no entry (yellow paper, section 4.1).
        Status s = value.is_zero() ? (*trie)->erase(key)
                                   : (*trie)->put(key, eth::rlp::encoded_uint(value));
        if (!s) return fail(who + "slot " + slot_name(slot) + ": " + s.error().message);
    }
    auto storage_root = (*trie)->root_hash();
    if (!storage_root) return fail(who + storage_root.error().message);
    const eth::Account acct{update.nonce, update.balance, *storage_root, update.code_hash};
    Status s = accounts_.put(update.address.view(), acct.encode());
    if (!s) return fail(who + s.error().message);
    return {};
}

Result<eth::Hash32> WitnessState::apply(const StateDiff& diff) {
    VIGIL_CHECK(check_usable());
    for (const AccountUpdate& update : diff.accounts) {
        Status s = apply_account(update);
        if (!s) {
            failed_ = s.error();
            return s.error();
        }
    }
    auto root = accounts_.root_hash();
    if (!root) failed_ = root.error();
    return root;
}

Result<eth::Hash32> WitnessState::storage_root(const eth::Address& address) {
    VIGIL_CHECK(check_usable());
    VIGIL_TRY(std::optional<eth::Account> acct, account(address));
    return acct ? acct->storage_root : eth::kEmptyTrieRoot;
}

}  // namespace vigil::evm
