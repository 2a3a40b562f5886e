// `vigil eth` commands of the rlp/trie group: rlp-encode, rlp-decode, trie-root,
// verify-proof.
#include <iostream>
#include <string>

#include "chains/eth/proof.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"
#include "chains/rpc/json_fields.h"
#include "chains/rpc/proof_json.h"
#include "cmd/vigil/eth_commands.h"

namespace vigil::cmd {
namespace {

using rpc::Json;

// Same bound as rlp::decode_tree: nesting is untrusted input.
constexpr size_t kMaxNesting = 1024;

// JSON of nested arrays whose leaves are hex strings -> RLP tree.
Result<eth::rlp::Node> node_from_json(const Json& j, size_t depth) {
    eth::rlp::Node node;
    if (j.is_string()) {
        auto bytes = eth::from_hex(j.get<std::string>());
        if (!bytes) return fail("string '" + j.get<std::string>() + "': " + bytes.error().message);
        node.bytes = std::move(*bytes);
        return node;
    }
    if (!j.is_array())
        return fail(std::string("expected a hex string or an array, got ") + j.type_name());
    if (depth >= kMaxNesting)
        return fail("nesting deeper than " + std::to_string(kMaxNesting) + " lists");
    node.is_list = true;
    for (const Json& item : j) {
        VIGIL_TRY(eth::rlp::Node child, node_from_json(item, depth + 1));
        node.items.push_back(std::move(child));
    }
    return node;
}

// Compact one-line JSON: byte strings as 0x-hex ("0x" when empty), lists as arrays.
void node_to_json(const eth::rlp::Node& node, std::string& out) {
    if (!node.is_list) {
        out += '"';
        out += eth::to_hex(node.bytes);
        out += '"';
        return;
    }
    out += '[';
    for (size_t i = 0; i < node.items.size(); ++i) {
        if (i) out += ',';
        node_to_json(node.items[i], out);
    }
    out += ']';
}

int cmd_rlp_encode(const Args& args) {
    const char* name = "rlp-encode";
    if (args.size() != 1)
        return eth_error(name, "expected one JSON argument, e.g. '[\"0x01\",[]]'");
    auto json = rpc::parse_json(args[0]);
    if (!json) return eth_error(name, json.error().message);
    auto node = node_from_json(*json, 0);
    if (!node) return eth_error(name, node.error().message);
    std::cout << eth::to_hex(eth::rlp::encode_tree(*node)) << "\n";
    return 0;
}

int cmd_rlp_decode(const Args& args) {
    const char* name = "rlp-decode";
    if (args.size() != 1) return eth_error(name, "expected one HEX argument");
    auto bytes = eth::from_hex(args[0]);
    if (!bytes) return eth_error(name, bytes.error().message);
    auto node = eth::rlp::decode_tree(*bytes, kMaxNesting);
    if (!node) return eth_error(name, node.error().message);
    std::string out;
    node_to_json(*node, out);
    std::cout << out << "\n";
    return 0;
}

Result<eth::Bytes> hex_element(const Json& j, const std::string& where) {
    if (!j.is_string()) return fail(where + ": expected a hex string");
    auto bytes = eth::from_hex(j.get<std::string>());
    if (!bytes) return fail(where + ": " + bytes.error().message);
    return bytes;
}

int cmd_trie_root(const Args& args) {
    const char* name = "trie-root";
    if (!(args.empty() || (args.size() == 1 && args[0] == "--secure")))
        return eth_error(name, "expected no argument or --secure (pairs are read from stdin)");
    auto json = rpc::parse_json(read_stdin());
    if (!json) return eth_error(name, "stdin: " + json.error().message);
    if (!json->is_array()) return eth_error(name, "stdin: expected a JSON array of [key, value]");
    eth::Trie trie(!args.empty());
    for (size_t i = 0; i < json->size(); ++i) {
        const Json& pair = (*json)[i];
        const std::string where = "pair " + std::to_string(i);
        if (!pair.is_array() || pair.size() != 2)
            return eth_error(name, where + ": expected [key, value]");
        auto key = hex_element(pair[0], where + " key");
        if (!key) return eth_error(name, key.error().message);
        if (pair[1].is_null()) {
            trie.erase(*key);
            continue;
        }
        auto value = hex_element(pair[1], where + " value");
        if (!value) return eth_error(name, value.error().message);
        if (auto st = trie.put(*key, *value); !st)
            return eth_error(name, where + ": " + st.error().message);
    }
    std::cout << trie.root_hash().to_hex() << "\n";
    return 0;
}

int cmd_verify_proof(const Args& args) {
    const char* name = "verify-proof";
    if (args.size() != 2 || args[0] != "--state-root")
        return eth_error(name, "expected --state-root HASH (the eth_getProof result on stdin)");
    auto root = eth::Hash32::from_hex(args[1]);
    if (!root) return eth_error(name, "--state-root: " + root.error().message);
    auto json = rpc::parse_json(read_stdin());
    if (!json) return eth_error(name, "stdin: " + json.error().message);
    // Accept the whole JSON-RPC response as well as its result.
    const Json& result = json->is_object() && json->contains("result") ? (*json)["result"] : *json;
    auto proof = rpc::parse_account_proof(result);
    if (!proof) return eth_error(name, proof.error().message);
    auto verified = eth::verify_account_proof(*root, *proof);
    if (!verified) return eth_error(name, verified.error().message);

    nlohmann::ordered_json out;
    out["address"] = eth::to_hex(verified->address.view());
    out["nonce"] = eth::to_quantity(verified->account.nonce);
    out["balance"] = verified->account.balance.to_hex();
    out["storageHash"] = verified->account.storage_root.to_hex();
    out["codeHash"] = verified->account.code_hash.to_hex();
    out["storage"] = nlohmann::ordered_json::array();
    for (const eth::VerifiedSlot& s : verified->storage)
        out["storage"].push_back({{"key", s.slot.to_hex()}, {"value", s.value.to_hex()}});
    std::cout << out.dump() << "\n";
    return 0;
}

constexpr EthCommand kCommands[] = {
    {"rlp-encode", "JSON",
     "RLP of a JSON value of nested arrays and hex strings, e.g. '[\"0x01\",[\"0xabcd\"]]'",
     cmd_rlp_encode},
    {"rlp-decode", "HEX", "strict RLP decoding into the same JSON form (byte strings as 0x-hex)",
     cmd_rlp_decode},
    {"trie-root", "[--secure] < PAIRS",
     "Merkle-Patricia root of a JSON array of [keyHex, valueHex|null] applied in order "
     "(null deletes; --secure hashes keys)",
     cmd_trie_root},
    {"verify-proof", "--state-root HASH < PROOF",
     "verifies an eth_getProof result (stdin) against a state root; prints the proven "
     "account and storage",
     cmd_verify_proof},
};

}  // namespace

std::span<const EthCommand> eth_rlp_trie_commands() { return kCommands; }

}  // namespace vigil::cmd
