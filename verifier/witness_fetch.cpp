#include "verifier/witness_fetch.h"

#include <map>
#include <set>
#include <string_view>
#include <unordered_set>

#include "chains/eth/header.h"
#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie_path.h"
#include "chains/rpc/header_json.h"
#include "chains/rpc/proof_json.h"

namespace vigil::verifier {

namespace {

using rpc::Json;

Result<eth::Bytes> hex_item(const Json& item, const std::string& where) {
    if (!item.is_string()) return fail(where + ": expected a hex string");
    auto bytes = eth::from_hex(item.get<std::string>());
    if (!bytes) return fail(where + ": " + bytes.error().message, bytes.error().code);
    return bytes;
}

// A list of hex strings, or a map whose values are (hash -> preimage).
Result<std::vector<eth::Bytes>> hex_list(const Json& result, const char* key) {
    auto it = result.find(key);
    if (it == result.end()) return fail(std::string("field '") + key + "' missing");
    std::vector<eth::Bytes> out;
    if (!it->is_array() && !it->is_object())
        return fail(std::string("field '") + key + "': expected an array or an object");
    size_t i = 0;
    for (const Json& item : *it) {
        VIGIL_TRY(eth::Bytes bytes,
                  hex_item(item, std::string(key) + "[" + std::to_string(i++) + "]"));
        out.push_back(std::move(bytes));
    }
    return out;
}

// The header of the block whose hash is `hash`, checked against that hash.
Result<eth::BlockHeader> fetch_header(rpc::RpcClient& node, const eth::Hash32& hash) {
    VIGIL_TRY(Json block, node.call("eth_getBlockByHash", Json::array({hash.to_hex(), false})));
    if (block.is_null()) return fail("block " + hash.to_hex() + " not found");
    auto header = rpc::parse_verified_header(block);
    if (!header)
        return fail("header of block " + hash.to_hex() + ": " + header.error().message,
                    header.error().code);
    if (header->hash() != hash)
        return fail("asked for block " + hash.to_hex() + ", got " + header->hash().to_hex());
    return header;
}

Result<eth::Address> parse_address_key(const std::string& key) {
    auto raw = eth::from_hex(key);
    if (!raw) return fail("account key '" + key + "': " + raw.error().message, raw.error().code);
    auto address = eth::Address::from_view(*raw);
    if (!address)
        return fail("account key '" + key + "': " + address.error().message, address.error().code);
    return address;
}

// What the prestate traces say the block touches.
struct Touched {
    std::map<eth::Address, std::set<eth::Hash32>> slots;  // every touched account
    std::map<eth::Hash32, eth::Bytes> codes;              // by keccak256: each code once
};

Status collect_prestate(const Json& state, Touched& touched, const std::string& where) {
    if (!state.is_object()) return fail(where + ": expected an object of accounts");
    for (const auto& [key, entry] : state.items()) {
        VIGIL_TRY(eth::Address address, parse_address_key(key));
        auto& slots = touched.slots[address];
        if (!entry.is_object()) return fail(where + " " + key + ": expected an object");
        if (auto code = entry.find("code"); code != entry.end()) {
            VIGIL_TRY(eth::Bytes bytes, hex_item(*code, where + " " + key + " code"));
            if (!bytes.empty()) touched.codes.emplace(eth::keccak256(bytes), std::move(bytes));
        }
        if (auto storage = entry.find("storage"); storage != entry.end()) {
            if (!storage->is_object()) return fail(where + " " + key + " storage: not an object");
            for (const auto& [slot_text, value] : storage->items()) {
                VIGIL_TRY(eth::Hash32 slot, rpc::parse_storage_key(slot_text));
                slots.insert(slot);
            }
        }
    }
    return {};
}

// Accounts the block deletes and slots it clears, from diffMode traces: in `pre` and not
// in `post` (geth's and revm-inspectors' rule: post lists only what changed and is not
// empty).
Status collect_deletions(const Json& diff, std::map<eth::Address, std::set<eth::Hash32>>& out,
                         const std::string& where) {
    if (!diff.is_object() || !diff.contains("pre") || !diff.contains("post"))
        return fail(where + ": expected {pre, post}");
    const Json& pre = diff["pre"];
    const Json& post = diff["post"];
    if (!pre.is_object() || !post.is_object()) return fail(where + ": pre/post not objects");
    for (const auto& [key, entry] : pre.items()) {
        VIGIL_TRY(eth::Address address, parse_address_key(key));
        auto after = post.find(key);
        if (after == post.end()) {
            out[address];  // the account is deleted: its own key is erased
            continue;
        }
        if (!entry.is_object() || !entry.contains("storage")) continue;
        const Json& before_slots = entry["storage"];
        const Json* after_slots =
            after->is_object() && after->contains("storage") ? &(*after)["storage"] : nullptr;
        if (!before_slots.is_object()) return fail(where + " " + key + " storage: not an object");
        for (const auto& [slot_text, value] : before_slots.items()) {
            if (after_slots && after_slots->is_object() && after_slots->contains(slot_text))
                continue;
            VIGIL_TRY(eth::Hash32 slot, rpc::parse_storage_key(slot_text));
            out[address].insert(slot);
        }
    }
    return {};
}

// Hex-prefix + RLP of a leaf or extension (yellow paper, appendices C and D).
eth::Bytes encode_short_node(const std::vector<uint8_t>& path, bool leaf, eth::BytesView tail) {
    eth::Bytes payload;
    eth::append_hex_prefix(payload, path, leaf);
    payload.insert(payload.end(), tail.begin(), tail.end());
    return eth::rlp::wrap_list(payload);
}

// eth_getProof at a block named by hash (EIP-1898), so every proof is of the same block
// even if the chain reorganises meanwhile.
Json proof_call_params(const eth::Address& address, const std::set<eth::Hash32>& slots,
                       const eth::Hash32& at) {
    Json keys = Json::array();
    for (const eth::Hash32& slot : slots) keys.push_back(slot.to_hex());
    return Json::array({address.to_hex(), keys, Json{{"blockHash", at.to_hex()}}});
}

// eth_getProof of each (account, slots) at block `at`, in batches; every node of every
// proof is appended to `nodes`, and collapse candidates when `candidates` is set.
Status fetch_proofs(rpc::RpcClient& node,
                    const std::map<eth::Address, std::set<eth::Hash32>>& wanted,
                    const eth::Hash32& at, size_t per_batch, bool candidates,
                    std::vector<eth::Bytes>& nodes) {
    std::vector<rpc::RpcCall> calls;
    std::vector<eth::Address> order;
    auto flush = [&]() -> Status {
        if (calls.empty()) return {};
        VIGIL_TRY(auto answers, node.batch(calls));
        if (answers.size() != calls.size())
            return fail("eth_getProof batch: " + std::to_string(answers.size()) + " answers to " +
                        std::to_string(calls.size()) + " calls");
        for (size_t i = 0; i < answers.size(); ++i) {
            const std::string where =
                "eth_getProof of " + order[i].to_hex() + " at block " + at.to_hex();
            if (!answers[i]) return fail(where + ": " + answers[i].error().message);
            auto proof = rpc::parse_account_proof(*answers[i]);
            if (!proof) return fail(where + ": " + proof.error().message, proof.error().code);
            std::vector<const eth::Bytes*> all;
            for (const eth::Bytes& n : proof->account_proof) all.push_back(&n);
            for (const auto& slot : proof->storage)
                for (const eth::Bytes& n : slot.proof) all.push_back(&n);
            for (const eth::Bytes* n : all) {
                nodes.push_back(*n);
                if (!candidates) continue;
                for (eth::Bytes& c : collapse_candidates(*n)) nodes.push_back(std::move(c));
            }
        }
        calls.clear();
        order.clear();
        return {};
    };
    for (const auto& [address, slots] : wanted) {
        calls.push_back(rpc::RpcCall{"eth_getProof", proof_call_params(address, slots, at)});
        order.push_back(address);
        if (calls.size() >= std::max<size_t>(per_batch, 1)) VIGIL_CHECK(flush());
    }
    return flush();
}

// eth_getCode of each account at block `at`, in one batch; non-empty codes join `codes`.
Status fetch_codes(rpc::RpcClient& node, const std::vector<eth::Address>& accounts,
                   const eth::Hash32& at, std::map<eth::Hash32, eth::Bytes>& codes) {
    if (accounts.empty()) return {};
    std::vector<rpc::RpcCall> calls;
    for (const eth::Address& a : accounts)
        calls.push_back(rpc::RpcCall{"eth_getCode",
                                     Json::array({a.to_hex(), Json{{"blockHash", at.to_hex()}}})});
    VIGIL_TRY(auto answers, node.batch(calls));
    if (answers.size() != calls.size())
        return fail("eth_getCode batch: " + std::to_string(answers.size()) + " answers to " +
                    std::to_string(calls.size()) + " calls");
    for (size_t i = 0; i < answers.size(); ++i) {
        const std::string where = "eth_getCode of " + accounts[i].to_hex();
        if (!answers[i]) return fail(where + ": " + answers[i].error().message);
        VIGIL_TRY(eth::Bytes code, hex_item(*answers[i], where));
        if (!code.empty()) codes.emplace(eth::keccak256(code), std::move(code));
    }
    return {};
}

}  // namespace

std::vector<eth::Bytes> collapse_candidates(eth::BytesView node) {
    std::vector<eth::Bytes> out;
    auto item = eth::rlp::decode_exact(node);
    if (!item || !item->is_list) return out;
    eth::rlp::ListReader reader(*item);
    auto count = reader.count();
    if (!count || *count != 2) return out;
    auto encoded_path = reader.next_bytes();
    auto tail = reader.next();
    if (!encoded_path || !tail || encoded_path->empty()) return out;
    const uint8_t flag = (*encoded_path)[0] >> 4;
    if (flag > 3) return out;
    const bool leaf = flag >= 2;
    std::vector<uint8_t> path;
    if (flag % 2 == 1) path.push_back((*encoded_path)[0] & 0x0f);
    for (size_t i = 1; i < encoded_path->size(); ++i) {
        path.push_back((*encoded_path)[i] >> 4);
        path.push_back((*encoded_path)[i] & 0x0f);
    }
    const size_t header = tail->encoded_size - tail->payload.size();
    const eth::BytesView tail_rlp(tail->payload.data() - header, tail->encoded_size);
    if (path.empty()) return out;
    // An extension keeps at least one nibble; a leaf may end up with none.
    const size_t max_strip = leaf ? path.size() : path.size() - 1;
    for (size_t k = 1; k <= max_strip; ++k) {
        std::vector<uint8_t> shorter(path.begin() + static_cast<std::ptrdiff_t>(k), path.end());
        eth::Bytes candidate = encode_short_node(shorter, leaf, tail_rlp);
        if (candidate.size() >= 32) out.push_back(std::move(candidate));  // else embedded
    }
    return out;
}

Result<evm::Witness> parse_execution_witness(const Json& result) {
    if (!result.is_object()) return fail("debug_executionWitness: expected an object");
    evm::Witness w;
    VIGIL_TRY(w.state_nodes, hex_list(result, "state"));
    VIGIL_TRY(w.codes, hex_list(result, "codes"));
    auto headers = result.find("headers");
    if (headers == result.end()) return w;  // some nodes leave it out when empty
    if (!headers->is_array()) return fail("field 'headers': expected an array");
    for (size_t i = 0; i < headers->size(); ++i) {
        const Json& h = (*headers)[i];
        const std::string where = "headers[" + std::to_string(i) + "]";
        if (h.is_string()) {
            VIGIL_TRY(eth::Bytes rlp, hex_item(h, where));
            w.headers.push_back(std::move(rlp));
            continue;
        }
        auto header = rpc::parse_header(h);  // geth: header objects
        if (!header) return fail(where + ": " + header.error().message, header.error().code);
        w.headers.push_back(header->encode());
    }
    return w;
}

Result<evm::Witness> fetch_execution_witness(rpc::RpcClient& node, uint64_t block) {
    VIGIL_TRY(Json result,
              node.call("debug_executionWitness", Json::array({eth::to_quantity(block)})));
    auto w = parse_execution_witness(result);
    if (!w)
        return fail(
            "debug_executionWitness of block " + std::to_string(block) + ": " + w.error().message,
            w.error().code);
    return w;
}

Result<std::vector<Json>> trace_prestate(rpc::RpcClient& node, const eth::Hash32& block,
                                         bool diff_mode) {
    const Json config = {{"tracer", "prestateTracer"}, {"tracerConfig", {{"diffMode", diff_mode}}}};
    const std::string where = "prestate trace of block " + block.to_hex();
    std::vector<Json> out;
    auto traces = node.call("debug_traceBlockByHash", Json::array({block.to_hex(), config}));
    if (traces) {
        if (!traces->is_array()) return fail(where + ": expected an array");
        for (size_t i = 0; i < traces->size(); ++i) {
            const Json& entry = (*traces)[i];
            if (!entry.is_object() || !entry.contains("result"))
                return fail(where + ", transaction " + std::to_string(i) + ": " +
                            (entry.is_object() && entry.contains("error")
                                 ? entry["error"].dump()
                                 : std::string("no result")));
            out.push_back(entry["result"]);
        }
        return out;
    }
    // Only a refusal of the method falls back; a transport failure is returned.
    if (traces.error().code != rpc::kRpcError)
        return fail(where + ": " + traces.error().message, traces.error().code);
    VIGIL_TRY(Json b, node.call("eth_getBlockByHash", Json::array({block.to_hex(), false})));
    if (!b.is_object() || !b.contains("transactions") || !b["transactions"].is_array())
        return fail(where + ": no transaction list");
    for (const Json& tx : b["transactions"]) {
        if (!tx.is_string()) return fail(where + ": a transaction hash is not a string");
        auto trace = node.call("debug_traceTransaction", Json::array({tx, config}));
        if (!trace)
            return fail(where + ": debug_traceBlockByHash refused (" + traces.error().message +
                            "), debug_traceTransaction " + tx.get<std::string>() + ": " +
                            trace.error().message,
                        trace.error().code);
        out.push_back(std::move(trace).value());
    }
    return out;
}

Result<std::vector<eth::Bytes>> fetch_deletion_candidates(
    rpc::RpcClient& node, const eth::Hash32& block,
    const std::map<eth::Address, std::set<eth::Hash32>>& deleted, size_t proofs_per_batch) {
    std::vector<eth::Bytes> nodes;
    if (Status s = fetch_proofs(node, deleted, block, proofs_per_batch, true, nodes); !s)
        return fail("deletion candidates of block " + block.to_hex() + ": " + s.error().message,
                    s.error().code);
    return nodes;
}

Result<evm::Witness> fetch_prestate_witness(rpc::RpcClient& node, const eth::Hash32& block,
                                            const PrestateWitnessOptions& options) {
    const std::string where = "witness of block " + block.to_hex() + ": ";
    auto header = fetch_header(node, block);
    if (!header) return fail(where + header.error().message, header.error().code);
    if (header->number == 0) return fail(where + "the genesis block has no parent to execute on");
    const eth::Hash32 parent = header->parent_hash;

    Touched touched;
    auto prestate = trace_prestate(node, block, false);
    if (!prestate) return fail(where + prestate.error().message, prestate.error().code);
    for (size_t i = 0; i < prestate->size(); ++i)
        if (Status s = collect_prestate((*prestate)[i], touched,
                                        "transaction " + std::to_string(i) + " prestate");
            !s)
            return fail(where + s.error().message, s.error().code);

    std::map<eth::Address, std::set<eth::Hash32>> deleted;
    if (options.deletions) {
        auto diffs = trace_prestate(node, block, true);
        if (!diffs) return fail(where + diffs.error().message, diffs.error().code);
        for (size_t i = 0; i < diffs->size(); ++i)
            if (Status s = collect_deletions((*diffs)[i], deleted,
                                             "transaction " + std::to_string(i) + " diff");
                !s)
                return fail(where + s.error().message, s.error().code);
    }

    // Extra accounts the tracer did not list need their code too (it is not in a proof).
    std::vector<eth::Address> untraced;
    for (const auto& [address, slots] : options.extra) {
        auto [it, fresh] = touched.slots.try_emplace(address);
        if (fresh) untraced.push_back(address);
        it->second.insert(slots.begin(), slots.end());
    }
    if (Status s = fetch_codes(node, untraced, parent, touched.codes); !s)
        return fail(where + s.error().message, s.error().code);

    evm::Witness w;
    if (Status s = fetch_proofs(node, touched.slots, parent, options.proofs_per_batch, false,
                                w.state_nodes);
        !s)
        return fail(where + s.error().message, s.error().code);
    if (Status s =
            fetch_proofs(node, deleted, block, options.proofs_per_batch, true, w.state_nodes);
        !s)
        return fail(where + s.error().message, s.error().code);
    for (auto& [hash, code] : touched.codes) w.codes.push_back(std::move(code));
    // Proofs of neighbouring keys repeat the upper levels of the trie (about half the
    // nodes): keep each once, so that the state does not hash them again.
    {
        std::unordered_set<std::string_view> seen;
        std::vector<eth::Bytes> unique;
        unique.reserve(w.state_nodes.size());
        for (eth::Bytes& n : w.state_nodes)
            if (seen.insert(std::string_view(reinterpret_cast<const char*>(n.data()), n.size()))
                    .second)
                unique.push_back(std::move(n));
        w.state_nodes = std::move(unique);
    }

    // The parent, then its ancestors by parentHash: each is the block its child names.
    if (!options.parent_header_known || options.ancestors > 0) {
        auto headers = fetch_header_chain(node, parent, options.ancestors + 1);
        if (!headers) return fail(where + headers.error().message, headers.error().code);
        w.headers = std::move(headers).value();
    }
    return w;
}

Result<std::vector<eth::Bytes>> fetch_header_chain(rpc::RpcClient& node, const eth::Hash32& hash,
                                                   uint64_t count) {
    std::vector<eth::Bytes> out;
    eth::Hash32 next = hash;
    for (uint64_t i = 0; i < count; ++i) {
        VIGIL_TRY(eth::BlockHeader header, fetch_header(node, next));
        out.push_back(header.encode());
        if (header.number == 0) break;
        next = header.parent_hash;
    }
    return out;
}

}  // namespace vigil::verifier
