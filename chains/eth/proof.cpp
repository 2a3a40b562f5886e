#include "chains/eth/proof.h"

#include <algorithm>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"

namespace vigil::eth {
namespace {

constexpr size_t kEmbedLimit = 32;  // nodes with RLP shorter than this are embedded
constexpr size_t kBranchItems = 17;
constexpr size_t kShortNodeItems = 2;

std::string node_name(size_t index) { return "node " + std::to_string(index) + ": "; }

// Where the walk goes next, read from a parent's child slot.
struct ChildRef {
    enum class Kind { kAbsent, kHash, kEmbedded } kind;
    Hash32 hash;
    BytesView embedded;  // the child's whole RLP, inside the parent
};

// Encoded bytes of an item decoded from a buffer (header and payload).
BytesView whole_item(const rlp::Item& item) {
    const size_t header = item.encoded_size - item.payload.size();
    return BytesView(item.payload.data() - header, item.encoded_size);
}

Result<ChildRef> read_child_ref(const rlp::Item& item, size_t node_index) {
    if (item.is_list) {
        if (item.encoded_size >= kEmbedLimit)
            return fail(node_name(node_index) + "embedded child of " +
                        std::to_string(item.encoded_size) +
                        " bytes (only nodes under 32 bytes are embedded)");
        return ChildRef{ChildRef::Kind::kEmbedded, {}, whole_item(item)};
    }
    if (item.payload.empty()) return ChildRef{ChildRef::Kind::kAbsent, {}, {}};
    if (item.payload.size() != 32)
        return fail(node_name(node_index) + "child reference of " +
                    std::to_string(item.payload.size()) +
                    " bytes (must be a 32-byte hash or an embedded node)");
    return ChildRef{ChildRef::Kind::kHash, *Hash32::from_view(item.payload), {}};
}

// Decodes a hex-prefix path (yellow paper, appendix C) into nibbles; sets `leaf`.
Result<std::vector<uint8_t>> decode_hex_prefix(BytesView encoded, bool& leaf, size_t node_index) {
    if (encoded.empty()) return fail(node_name(node_index) + "empty hex-prefix path");
    const uint8_t flag = encoded[0] >> 4;
    if (flag > 3)
        return fail(node_name(node_index) + "hex-prefix flag " + std::to_string(flag) +
                    " (must be 0..3)");
    leaf = (flag & 2) != 0;
    const bool odd = (flag & 1) != 0;
    if (!odd && (encoded[0] & 0x0f) != 0)
        return fail(node_name(node_index) + "even hex-prefix path with a non-zero pad nibble");
    std::vector<uint8_t> nibbles;
    nibbles.reserve(encoded.size() * 2);
    if (odd) nibbles.push_back(encoded[0] & 0x0f);
    for (size_t i = 1; i < encoded.size(); ++i) {
        nibbles.push_back(encoded[i] >> 4);
        nibbles.push_back(encoded[i] & 0x0f);
    }
    return nibbles;
}

bool starts_with(std::span<const uint8_t> whole, const std::vector<uint8_t>& prefix) {
    return whole.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), whole.begin());
}

}  // namespace

Result<std::optional<Bytes>> verify_trie_proof(const Hash32& root, BytesView path,
                                               std::span<const Bytes> proof) {
    using Found = std::optional<Bytes>;
    std::vector<uint8_t> key(path.size() * 2);
    for (size_t i = 0; i < path.size(); ++i) {
        key[2 * i] = path[i] >> 4;
        key[2 * i + 1] = path[i] & 0x0f;
    }
    const std::span<const uint8_t> nibbles(key);

    size_t next = 0;     // index of the next proof node to consume
    size_t node_at = 0;  // proof node holding the current node (embedded nodes: the parent)
    size_t pos = 0;      // nibbles of the key consumed so far
    ChildRef ref{ChildRef::Kind::kHash, root, {}};
    Found result;

    // Every node visited is a proof node, a child embedded in one, or the end of the path.
    for (;;) {
        BytesView node;
        if (ref.kind == ChildRef::Kind::kHash) {
            if (next >= proof.size()) {
                if (next == 0 && root == kEmptyTrieRoot) break;  // empty trie: absent
                return fail(node_name(next) + "missing: the path continues to " +
                            ref.hash.to_hex() + " but the proof has only " +
                            std::to_string(proof.size()) + " nodes");
            }
            const Bytes& candidate = proof[next];
            const Hash32 actual = keccak256(candidate);
            if (actual != ref.hash)
                return fail(node_name(next) + "hash mismatch: expected " + ref.hash.to_hex() +
                            ", node hashes to " + actual.to_hex());
            if (next > 0 && candidate.size() < kEmbedLimit)
                return fail(node_name(next) + "node of " + std::to_string(candidate.size()) +
                            " bytes referenced by hash (must be embedded in its parent)");
            node = candidate;
            node_at = next++;
        } else {
            node = ref.embedded;
        }

        auto decoded = rlp::decode_exact(node);
        if (!decoded) return fail(node_name(node_at) + decoded.error().message);
        const rlp::Item& item = *decoded;
        if (!item.is_list) {
            // The empty trie's root node is rlp(""): only valid as the root itself.
            if (item.payload.empty() && node_at == 0 && next == 1) break;
            return fail(node_name(node_at) + "not a trie node (an RLP string, not a list)");
        }
        rlp::ListReader reader(item);
        auto count = reader.count();
        if (!count) return fail(node_name(node_at) + count.error().message);

        if (*count == kBranchItems) {
            std::array<rlp::Item, kBranchItems> slots;
            for (auto& slot : slots) slot = *reader.next();  // count() validated every item
            if (slots[16].is_list)
                return fail(node_name(node_at) + "branch value is a list, not a string");
            if (pos == nibbles.size()) {
                if (!slots[16].payload.empty())
                    result = Bytes(slots[16].payload.begin(), slots[16].payload.end());
                break;
            }
            VIGIL_TRY(ref, read_child_ref(slots[nibbles[pos]], node_at));
            ++pos;
            if (ref.kind == ChildRef::Kind::kAbsent) break;
            continue;
        }
        if (*count != kShortNodeItems)
            return fail(node_name(node_at) + "list of " + std::to_string(*count) +
                        " items (a trie node has 2 or 17)");

        const rlp::Item encoded_path = *reader.next();
        const rlp::Item second = *reader.next();
        if (encoded_path.is_list)
            return fail(node_name(node_at) + "node path is a list, not a string");
        bool leaf = false;
        VIGIL_TRY(const std::vector<uint8_t> node_path,
                  decode_hex_prefix(encoded_path.payload, leaf, node_at));
        const auto rest = nibbles.subspan(pos);
        if (leaf) {
            if (second.is_list || second.payload.empty())
                return fail(node_name(node_at) + "leaf value is empty or a list");
            if (rest.size() == node_path.size() && starts_with(rest, node_path))
                result = Bytes(second.payload.begin(), second.payload.end());
            break;  // a leaf for another key proves this one absent
        }
        if (node_path.empty()) return fail(node_name(node_at) + "extension with an empty path");
        if (!starts_with(rest, node_path)) break;  // diverges: absent
        pos += node_path.size();
        VIGIL_TRY(ref, read_child_ref(second, node_at));
        if (ref.kind == ChildRef::Kind::kAbsent)
            return fail(node_name(node_at) + "extension without a child");
    }
    if (next != proof.size())
        return fail(node_name(next) + "not on the key's path (the walk ended at node " +
                    std::to_string(next == 0 ? 0 : next - 1) + ")");
    return result;
}

Bytes Account::encode() const {
    Bytes payload;
    rlp::encode_uint(payload, nonce);
    rlp::encode_uint(payload, balance);
    rlp::encode_bytes(payload, storage_root.view());
    rlp::encode_bytes(payload, code_hash.view());
    return rlp::wrap_list(payload);
}

Result<Account> Account::decode(BytesView encoded) {
    VIGIL_TRY(const rlp::Item item, rlp::decode_exact(encoded));
    if (!item.is_list) return fail("account: expected a list, found a string");
    rlp::ListReader reader(item);
    Account account;
    VIGIL_TRY(account.nonce, reader.next_uint64());
    VIGIL_TRY(account.balance, reader.next_u256());
    VIGIL_TRY(account.storage_root, reader.next_fixed<32>());
    VIGIL_TRY(account.code_hash, reader.next_fixed<32>());
    if (!reader.done()) return fail("account: more than 4 items");
    return account;
}

Result<std::optional<Account>> verify_account(const Hash32& state_root, const Address& address,
                                              std::span<const Bytes> proof) {
    const Hash32 path = keccak256(address.view());
    auto found = verify_trie_proof(state_root, path.view(), proof);
    if (!found) return fail("account proof: " + found.error().message);
    if (!*found) return std::optional<Account>{};
    auto account = Account::decode(**found);
    if (!account)
        return fail("account proof: leaf node " + std::to_string(proof.size() - 1) + ": " +
                    account.error().message);
    return std::optional<Account>{*account};
}

Result<U256> verify_storage(const Hash32& storage_root, const Hash32& slot,
                            std::span<const Bytes> proof) {
    const Hash32 path = keccak256(slot.view());
    VIGIL_TRY(const std::optional<Bytes> found,
              verify_trie_proof(storage_root, path.view(), proof));
    if (!found) return U256{};
    auto item = rlp::decode_exact(*found);
    if (!item) return fail("leaf value: " + item.error().message);
    auto value = rlp::to_u256(*item);
    if (!value) return fail("leaf value: " + value.error().message);
    if (value->is_zero()) return fail("leaf value is zero (storage tries never hold zero)");
    return value;
}

namespace {

Status check_claim(const char* field, const std::string& claimed, const std::string& proven) {
    if (claimed == proven) return {};
    return fail(std::string("claimed ") + field + " " + claimed + " differs from the proven " +
                proven);
}

}  // namespace

Result<VerifiedAccount> verify_account_proof(const Hash32& state_root, const AccountProof& proof) {
    VIGIL_TRY(const std::optional<Account> found,
              verify_account(state_root, proof.address, proof.account_proof));
    VerifiedAccount out;
    out.address = proof.address;
    out.exists = found.has_value();
    const Account& claimed = proof.claimed;
    if (found) {
        out.account = *found;
        VIGIL_CHECK(
            check_claim("nonce", std::to_string(claimed.nonce), std::to_string(found->nonce)));
        VIGIL_CHECK(check_claim("balance", claimed.balance.to_hex(), found->balance.to_hex()));
        VIGIL_CHECK(check_claim("storageHash", claimed.storage_root.to_hex(),
                                found->storage_root.to_hex()));
        VIGIL_CHECK(check_claim("codeHash", claimed.code_hash.to_hex(), found->code_hash.to_hex()));
    } else {
        out.account = Account{0, U256{}, kEmptyTrieRoot, kEmptyCodeHash};
        const std::string absent = " (the proof shows the account does not exist)";
        if (claimed.nonce != 0 || !claimed.balance.is_zero())
            return fail("claimed nonce/balance are not zero" + absent);
        if (!claimed.storage_root.is_zero() && claimed.storage_root != kEmptyTrieRoot)
            return fail("claimed storageHash " + claimed.storage_root.to_hex() + " is not empty" +
                        absent);
        if (!claimed.code_hash.is_zero() && claimed.code_hash != kEmptyCodeHash)
            return fail("claimed codeHash " + claimed.code_hash.to_hex() + " is not empty" +
                        absent);
    }
    for (size_t i = 0; i < proof.storage.size(); ++i) {
        const StorageProof& sp = proof.storage[i];
        const std::string where =
            "storage proof " + std::to_string(i) + " (slot " + sp.slot.to_hex() + "): ";
        auto value = verify_storage(out.account.storage_root, sp.slot, sp.proof);
        if (!value) return fail(where + value.error().message);
        if (*value != sp.value)
            return fail(where + "claimed value " + sp.value.to_hex() + " differs from the proven " +
                        value->to_hex());
        out.storage.push_back({sp.slot, *value});
    }
    return out;
}

}  // namespace vigil::eth
