#include "chains/rpc/proof_json.h"

#include <string>

namespace vigil::rpc {
namespace {

Result<std::vector<eth::Bytes>> parse_node_list(const Json& obj, std::string_view key) {
    if (!has_field(obj, key)) return fail("missing field '" + std::string(key) + "'");
    const Json& list = obj.find(key).value();
    if (!list.is_array()) return fail("field '" + std::string(key) + "': expected an array");
    std::vector<eth::Bytes> nodes;
    nodes.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string where = std::string(key) + "[" + std::to_string(i) + "]";
        if (!list[i].is_string()) return fail(where + ": expected a hex string");
        auto node = eth::from_hex(list[i].get<std::string>());
        if (!node) return fail(where + ": " + node.error().message);
        nodes.push_back(std::move(*node));
    }
    return nodes;
}

}  // namespace

Result<eth::Hash32> parse_storage_key(std::string_view text) {
    if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
        return fail("storage key '" + std::string(text) + "' is not 0x-prefixed hex");
    auto value = eth::U256::from_string(text);  // 1..64 hex digits
    if (!value) return fail("storage key: " + value.error().message);
    eth::Hash32 slot;
    slot.bytes = value->to_be_word();
    return slot;
}

Result<eth::AccountProof> parse_account_proof(const Json& result) {
    if (!result.is_object()) return fail("eth_getProof result: expected a JSON object");
    eth::AccountProof proof;
    VIGIL_TRY(proof.address, field_address(result, "address"));
    VIGIL_TRY(proof.claimed.nonce, field_uint64(result, "nonce"));
    VIGIL_TRY(proof.claimed.balance, field_u256(result, "balance"));
    VIGIL_TRY(proof.claimed.storage_root, field_hash(result, "storageHash"));
    VIGIL_TRY(proof.claimed.code_hash, field_hash(result, "codeHash"));
    VIGIL_TRY(proof.account_proof, parse_node_list(result, "accountProof"));
    // No storageProof: no slots were asked for (op-node's own fixtures leave it out).
    if (!has_field(result, "storageProof")) return proof;
    const Json& entries = result.find("storageProof").value();
    if (!entries.is_array()) return fail("field 'storageProof': expected an array");
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string where = "storageProof[" + std::to_string(i) + "]: ";
        const Json& entry = entries[i];
        eth::StorageProof sp;
        auto key = field_string(entry, "key");
        if (!key) return fail(where + key.error().message);
        auto slot = parse_storage_key(*key);
        if (!slot) return fail(where + slot.error().message);
        sp.slot = *slot;
        auto value = field_u256(entry, "value");
        if (!value) return fail(where + value.error().message);
        sp.value = *value;
        auto nodes = parse_node_list(entry, "proof");
        if (!nodes) return fail(where + nodes.error().message);
        sp.proof = std::move(*nodes);
        proof.storage.push_back(std::move(sp));
    }
    return proof;
}

}  // namespace vigil::rpc
