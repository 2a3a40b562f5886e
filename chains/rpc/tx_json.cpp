#include "chains/rpc/tx_json.h"

#include <set>
#include <string>

#include "chains/eth/keccak.h"

namespace vigil::rpc {
namespace {

using eth::TxType;

constexpr const char* kRequestKeys[] = {"type",
                                        "chainId",
                                        "nonce",
                                        "to",
                                        "value",
                                        "gas",
                                        "gasLimit",
                                        "input",
                                        "data",
                                        "maxFeePerGas",
                                        "maxPriorityFeePerGas",
                                        "gasPrice",
                                        "accessList"};

Result<TxType> request_type(const Json& request) {
    if (!has_field(request, "type")) {
        if (has_field(request, "maxFeePerGas") || has_field(request, "maxPriorityFeePerGas"))
            return TxType::kDynamicFee;
        if (has_field(request, "accessList")) return TxType::kAccessList;
        return TxType::kLegacy;
    }
    VIGIL_TRY(uint64_t type, field_uint64(request, "type"));
    switch (type) {
        case 0:
            return TxType::kLegacy;
        case 1:
            return TxType::kAccessList;
        case 2:
            return TxType::kDynamicFee;
        default:
            return fail("field 'type': " + eth::to_quantity(type) +
                        " cannot be signed here (supported: 0x0, 0x1, 0x2)");
    }
}

// One of two spellings of a field ("gas"/"gasLimit", "data"/"input"), not both.
Result<const char*> one_of(const Json& request, const char* a, const char* b) {
    const bool has_a = has_field(request, a), has_b = has_field(request, b);
    if (has_a && has_b)
        return fail(std::string("fields '") + a + "' and '" + b + "': give only one");
    if (has_b) return b;
    return a;
}

Result<eth::AccessList> parse_access_list(const Json& value) {
    if (!value.is_array()) return fail("field 'accessList': expected an array");
    eth::AccessList out;
    for (size_t i = 0; i < value.size(); ++i) {
        const Json& entry = value[i];
        const std::string where = "field 'accessList[" + std::to_string(i) + "]'";
        if (!entry.is_object()) return fail(where + ": expected an object");
        for (const auto& [key, _] : entry.items())
            if (key != "address" && key != "storageKeys")
                return fail(where + ": unknown key '" + key + "'");
        eth::AccessListEntry e;
        auto address = field_address(entry, "address");
        if (!address) return fail(where + ": " + address.error().message);
        e.address = *address;
        if (has_field(entry, "storageKeys")) {
            const Json& keys = entry["storageKeys"];
            if (!keys.is_array()) return fail(where + ": 'storageKeys' must be an array");
            for (size_t k = 0; k < keys.size(); ++k) {
                if (!keys[k].is_string())
                    return fail(where + ": storageKeys[" + std::to_string(k) +
                                "] must be a string");
                auto key = eth::Hash32::from_hex(keys[k].get<std::string>());
                if (!key)
                    return fail(where + ": storageKeys[" + std::to_string(k) +
                                "]: " + key.error().message);
                e.storage_keys.push_back(*key);
            }
        }
        out.push_back(std::move(e));
    }
    return out;
}

Json access_list_json(const eth::AccessList& list) {
    Json out = Json::array();
    for (const auto& e : list) {
        Json keys = Json::array();
        for (const auto& k : e.storage_keys) keys.push_back(k.to_hex());
        out.push_back({{"address", e.address.to_hex()}, {"storageKeys", keys}});
    }
    return out;
}

std::string type_quantity(TxType type) { return eth::to_quantity(static_cast<uint8_t>(type)); }

Json authorization_list_json(const std::vector<eth::Authorization>& list) {
    Json out = Json::array();
    for (const auto& a : list)
        out.push_back({{"chainId", a.chain_id.to_hex()},
                       {"address", a.address.to_hex()},
                       {"nonce", eth::to_quantity(a.nonce)},
                       {"yParity", eth::to_quantity(a.y_parity)},
                       {"r", a.r.to_hex()},
                       {"s", a.s.to_hex()}});
    return out;
}

// --- Node transaction objects -----------------------------------------------------------

Error malformed(const std::string& message) { return fail(message, kTxMalformed); }

// Adds kTxMalformed to a field reader's error.
template <class T>
Result<T> field(Result<T> r) {
    if (!r) return malformed(r.error().message);
    return r;
}

Result<TxType> object_type(const Json& o) {
    if (!has_field(o, "type")) return TxType::kLegacy;  // nodes before Berlin omit it
    VIGIL_TRY(uint64_t type, field(field_uint64(o, "type")));
    switch (type) {
        case 0x00:
            return TxType::kLegacy;
        case 0x01:
            return TxType::kAccessList;
        case 0x02:
            return TxType::kDynamicFee;
        case 0x03:
            return TxType::kBlob;
        case 0x04:
            return TxType::kSetCode;
        case 0x7e:
            return TxType::kDeposit;
        default:
            return malformed("field 'type': unsupported transaction type " +
                             eth::to_quantity(type));
    }
}

Result<std::optional<eth::Hash32>> optional_hash(const Json& o, std::string_view key) {
    if (!has_field(o, key)) return std::optional<eth::Hash32>();
    VIGIL_TRY(eth::Hash32 h, field(field_hash(o, key)));
    return std::optional<eth::Hash32>(h);
}

Result<std::optional<uint64_t>> optional_uint64(const Json& o, std::string_view key) {
    if (!has_field(o, key)) return std::optional<uint64_t>();
    VIGIL_TRY(uint64_t v, field(field_uint64(o, key)));
    return std::optional<uint64_t>(v);
}

// "to": null or absent is a creation.
Result<std::optional<eth::Address>> recipient(const Json& o) {
    if (!has_field(o, "to")) return std::optional<eth::Address>();
    VIGIL_TRY(eth::Address a, field(field_address(o, "to")));
    return std::optional<eth::Address>(a);
}

Result<std::vector<eth::Hash32>> hash_array(const Json& o, const char* key) {
    if (!has_field(o, key)) return malformed(std::string("missing field '") + key + "'");
    const Json& list = o.at(key);
    if (!list.is_array()) return malformed(std::string("field '") + key + "': expected an array");
    std::vector<eth::Hash32> out;
    out.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string name = std::string("field '") + key + "[" + std::to_string(i) + "]'";
        if (!list[i].is_string()) return malformed(name + ": expected a string");
        auto h = eth::Hash32::from_hex(list[i].get<std::string>());
        if (!h) return malformed(name + ": " + h.error().message);
        out.push_back(*h);
    }
    return out;
}

Result<std::vector<eth::Authorization>> authorization_list(const Json& o) {
    if (!has_field(o, "authorizationList")) return malformed("missing field 'authorizationList'");
    const Json& list = o.at("authorizationList");
    if (!list.is_array()) return malformed("field 'authorizationList': expected an array");
    std::vector<eth::Authorization> out;
    out.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string where = "field 'authorizationList[" + std::to_string(i) + "]': ";
        const Json& e = list[i];
        auto chain_id = field_u256(e, "chainId");
        auto address = field_address(e, "address");
        auto nonce = field_uint64(e, "nonce");
        auto y = field_uint64(e, "yParity");
        auto r = field_u256(e, "r");
        auto s = field_u256(e, "s");
        for (const Error* err :
             {chain_id ? nullptr : &chain_id.error(), address ? nullptr : &address.error(),
              nonce ? nullptr : &nonce.error(), y ? nullptr : &y.error(), r ? nullptr : &r.error(),
              s ? nullptr : &s.error()})
            if (err) return malformed(where + err->message);
        if (*y > 0xff) return malformed(where + "yParity does not fit in 8 bits");
        out.push_back({*chain_id, *address, *nonce, static_cast<uint8_t>(*y), *r, *s});
    }
    return out;
}

// v, r, s (and yParity) of a signed transaction; sets tx.chain_id for legacy ones.
Result<eth::Signature> signature(const Json& o, eth::Transaction& tx) {
    eth::Signature sig;
    VIGIL_TRY(sig.r, field(field_u256(o, "r")));
    VIGIL_TRY(sig.s, field(field_u256(o, "s")));
    std::optional<eth::U256> v;
    if (has_field(o, "v")) {
        VIGIL_TRY(v, field(field_u256(o, "v")));
    }
    if (tx.type == TxType::kLegacy) {
        if (!v) return malformed("missing field 'v'");
        // EIP-155: v = chainId * 2 + 35 + yParity; before it, v = 27 + yParity.
        if (*v == eth::U256(27) || *v == eth::U256(28)) {
            sig.y_parity = static_cast<uint8_t>(v->low64() - 27);
            tx.chain_id.reset();
        } else if (*v >= eth::U256(35)) {
            const eth::U256 k = *v - eth::U256(35);
            const eth::U256 chain = k >> 1;
            if (!chain.fits_u64()) return malformed("field 'v': the chain id exceeds 64 bits");
            tx.chain_id = chain.low64();
            sig.y_parity = static_cast<uint8_t>(k.low64() & 1);
        } else {
            return malformed("field 'v': must be 27, 28 or chainId*2+35+{0,1} (EIP-155), got " +
                             v->to_hex());
        }
        if (has_field(o, "chainId")) {
            VIGIL_TRY(uint64_t claimed, field(field_uint64(o, "chainId")));
            if (!tx.chain_id || *tx.chain_id != claimed)
                return malformed("field 'chainId': " + eth::to_quantity(claimed) +
                                 " disagrees with v " + v->to_hex());
        }
        return sig;
    }
    std::optional<uint64_t> y;
    if (has_field(o, "yParity")) {
        VIGIL_TRY(y, field(field_uint64(o, "yParity")));
    }
    if (!y && !v) return malformed("missing field 'yParity' (or 'v')");
    if (y && v && eth::U256(*y) != *v)
        return malformed("fields 'v' and 'yParity' disagree: " + v->to_hex() + " vs " +
                         eth::to_quantity(*y));
    const eth::U256 parity = y ? eth::U256(*y) : *v;
    if (parity > eth::U256(1)) return malformed("field 'yParity': must be 0 or 1");
    sig.y_parity = static_cast<uint8_t>(parity.low64());
    return sig;
}

// The fields of a deposit (type 0x7e): OP Stack "Deposited transaction" specification.
Status deposit_fields(const Json& o, eth::Transaction& tx) {
    VIGIL_TRY(tx.source_hash, field(field_hash(o, "sourceHash")));
    VIGIL_TRY(tx.from, field(field_address(o, "from")));
    if (has_field(o, "mint")) {
        VIGIL_TRY(tx.mint, field(field_u256(o, "mint")));
    }
    if (has_field(o, "isSystemTx")) {
        const Json& flag = o.at("isSystemTx");
        if (!flag.is_boolean()) return malformed("field 'isSystemTx': expected true or false");
        tx.is_system_tx = flag.get<bool>();
    }
    return {};
}

Result<eth::Transaction> transaction_fields(const Json& o, TxType type) {
    eth::Transaction tx;
    tx.type = type;
    VIGIL_TRY(tx.gas_limit, field(field_uint64(o, "gas")));
    VIGIL_TRY(tx.to, recipient(o));
    VIGIL_TRY(tx.value, field(field_u256(o, "value")));
    VIGIL_TRY(tx.data, field(field_bytes(o, "input")));
    if (type == TxType::kDeposit) {
        VIGIL_CHECK(deposit_fields(o, tx));
        return tx;
    }
    VIGIL_TRY(tx.nonce, field(field_uint64(o, "nonce")));
    if (type != TxType::kLegacy) {
        VIGIL_TRY(tx.chain_id, field(field_uint64(o, "chainId")));
        if (!has_field(o, "accessList")) return malformed("missing field 'accessList'");
        VIGIL_TRY(tx.access_list, field(parse_access_list(o.at("accessList"))));
    }
    if (type == TxType::kLegacy || type == TxType::kAccessList) {
        VIGIL_TRY(tx.gas_price, field(field_u256(o, "gasPrice")));
    } else {
        VIGIL_TRY(tx.max_fee_per_gas, field(field_u256(o, "maxFeePerGas")));
        VIGIL_TRY(tx.max_priority_fee_per_gas, field(field_u256(o, "maxPriorityFeePerGas")));
    }
    if (type == TxType::kBlob) {
        VIGIL_TRY(tx.max_fee_per_blob_gas, field(field_u256(o, "maxFeePerBlobGas")));
        VIGIL_TRY(tx.blob_versioned_hashes, hash_array(o, "blobVersionedHashes"));
    }
    if (type == TxType::kSetCode) {
        VIGIL_TRY(tx.authorization_list, authorization_list(o));
    }
    VIGIL_TRY(tx.signature, signature(o, tx));
    return tx;
}

Result<RpcTransaction> parse_checked(const Json& o, const RpcTxOptions& options) {
    RpcTransaction out;
    VIGIL_TRY(out.hash, field(field_hash(o, "hash")));
    VIGIL_TRY(out.from, field(field_address(o, "from")));
    VIGIL_TRY(out.block_hash, optional_hash(o, "blockHash"));
    VIGIL_TRY(out.block_number, optional_uint64(o, "blockNumber"));
    VIGIL_TRY(out.transaction_index, optional_uint64(o, "transactionIndex"));
    VIGIL_TRY(const TxType type, object_type(o));
    VIGIL_TRY(out.tx, transaction_fields(o, type));

    auto raw = eth::encode_transaction(out.tx);
    if (!raw) return malformed(raw.error().message);
    // Decoding the encoding applies every consensus rule of the raw decoder (r and s in
    // range, low s, the EIP-155 v) and proves the encoding is canonical.
    auto again = eth::decode_transaction(*raw, eth::DecodeOptions{options.allow_high_s});
    if (!again) return malformed(again.error().message);
    if (!(*again == out.tx)) return malformed("fields do not survive re-encoding");
    const eth::Hash32 computed = eth::keccak256(*raw);
    if (computed != out.hash)
        return fail("fields encode to a transaction with hash " + computed.to_hex() +
                        ", not the claimed " + out.hash.to_hex(),
                    kTxHashMismatch);
    out.raw = std::move(*raw);
    if (options.check_sender) {
        auto sender = eth::recover_sender(
            out.tx, options.allow_high_s ? eth::SRule::kAnyS : eth::SRule::kLowS);
        if (!sender) return malformed(sender.error().message);
        if (*sender != out.from)
            return fail(
                "signed by " + sender->to_hex() + ", not by the claimed from " + out.from.to_hex(),
                kTxSenderMismatch);
    }
    return out;
}

}  // namespace

Result<eth::Transaction> parse_tx_request(const Json& request) {
    if (!request.is_object()) return fail("transaction request: expected a JSON object");
    const std::set<std::string_view> known(std::begin(kRequestKeys), std::end(kRequestKeys));
    for (const auto& [key, _] : request.items())
        if (!known.count(key)) return fail("unknown field '" + key + "'");

    eth::Transaction tx;
    VIGIL_TRY(tx.type, request_type(request));
    const bool fee_market = tx.type == TxType::kDynamicFee;
    const std::string type_name = type_quantity(tx.type);
    for (const char* key : {"maxFeePerGas", "maxPriorityFeePerGas"})
        if (!fee_market && has_field(request, key))
            return fail(std::string("field '") + key + "': does not apply to type " + type_name);
    if (fee_market && has_field(request, "gasPrice"))
        return fail("field 'gasPrice': does not apply to type " + type_name);
    if (tx.type == TxType::kLegacy && has_field(request, "accessList"))
        return fail("field 'accessList': does not apply to type " + type_name);

    if (!has_field(request, "chainId"))
        return fail(
            "missing field 'chainId' (required: unprotected transactions replay on "
            "every chain)");
    VIGIL_TRY(tx.chain_id, field_uint64(request, "chainId"));
    VIGIL_TRY(tx.nonce, field_uint64(request, "nonce"));
    VIGIL_TRY(const char* gas_key, one_of(request, "gas", "gasLimit"));
    VIGIL_TRY(tx.gas_limit, field_uint64(request, gas_key));
    if (fee_market) {
        VIGIL_TRY(tx.max_fee_per_gas, field_u256(request, "maxFeePerGas"));
        VIGIL_TRY(tx.max_priority_fee_per_gas, field_u256(request, "maxPriorityFeePerGas"));
    } else {
        VIGIL_TRY(tx.gas_price, field_u256(request, "gasPrice"));
    }
    if (has_field(request, "to")) {
        VIGIL_TRY(tx.to, field_address(request, "to"));
    }
    if (has_field(request, "value")) {
        VIGIL_TRY(tx.value, field_u256(request, "value"));
    }
    VIGIL_TRY(const char* data_key, one_of(request, "data", "input"));
    if (has_field(request, data_key)) {
        VIGIL_TRY(tx.data, field_bytes(request, data_key));
    }
    if (has_field(request, "accessList")) {
        VIGIL_TRY(tx.access_list, parse_access_list(request["accessList"]));
    }
    return tx;
}

Result<eth::Transaction> parse_tx_request(std::string_view text) {
    VIGIL_TRY(Json request, parse_json(text));
    return parse_tx_request(request);
}

Result<RpcTransaction> parse_rpc_transaction(const Json& object, const RpcTxOptions& options) {
    if (!object.is_object()) return malformed("transaction: expected a JSON object");
    auto parsed = parse_checked(object, options);
    if (parsed) return parsed;
    // Name the transaction by the hash it claims, when it has a readable one.
    std::string name = "transaction";
    if (auto h = field_hash(object, "hash")) name += " " + h->to_hex();
    return fail(name + ": " + parsed.error().message, parsed.error().code);
}

Json tx_to_json(const eth::Transaction& tx) {
    Json out = Json::object();
    out["type"] = type_quantity(tx.type);
    const auto hash = eth::transaction_hash(tx);
    const auto sender = eth::recover_sender(tx);
    if (tx.type == TxType::kDeposit) {
        out["sourceHash"] = tx.source_hash.to_hex();
        out["from"] = tx.from.to_hex();
        out["to"] = tx.to ? Json(tx.to->to_hex()) : Json(nullptr);
        out["mint"] = tx.mint.to_hex();
        out["value"] = tx.value.to_hex();
        out["gas"] = eth::to_quantity(tx.gas_limit);
        out["isSystemTx"] = tx.is_system_tx;
        out["input"] = eth::to_hex(tx.data);
        out["hash"] = hash ? Json(hash->to_hex()) : Json(nullptr);
        return out;
    }
    out["chainId"] = tx.chain_id ? Json(eth::to_quantity(*tx.chain_id)) : Json(nullptr);
    out["nonce"] = eth::to_quantity(tx.nonce);
    out["to"] = tx.to ? Json(tx.to->to_hex()) : Json(nullptr);
    out["value"] = tx.value.to_hex();
    out["gas"] = eth::to_quantity(tx.gas_limit);
    if (tx.type == TxType::kLegacy || tx.type == TxType::kAccessList) {
        out["gasPrice"] = tx.gas_price.to_hex();
    } else {
        out["maxFeePerGas"] = tx.max_fee_per_gas.to_hex();
        out["maxPriorityFeePerGas"] = tx.max_priority_fee_per_gas.to_hex();
    }
    out["input"] = eth::to_hex(tx.data);
    if (tx.type != TxType::kLegacy) out["accessList"] = access_list_json(tx.access_list);
    if (tx.type == TxType::kBlob) {
        out["maxFeePerBlobGas"] = tx.max_fee_per_blob_gas.to_hex();
        Json hashes = Json::array();
        for (const auto& h : tx.blob_versioned_hashes) hashes.push_back(h.to_hex());
        out["blobVersionedHashes"] = hashes;
    }
    if (tx.type == TxType::kSetCode)
        out["authorizationList"] = authorization_list_json(tx.authorization_list);
    if (tx.signature) {
        const eth::Signature& sig = *tx.signature;
        uint64_t v = sig.y_parity;
        if (tx.type == TxType::kLegacy)
            v = tx.chain_id ? *tx.chain_id * 2 + 35 + sig.y_parity : 27u + sig.y_parity;
        else
            out["yParity"] = eth::to_quantity(sig.y_parity);
        out["v"] = eth::to_quantity(v);
        out["r"] = sig.r.to_hex();
        out["s"] = sig.s.to_hex();
    }
    out["hash"] = hash ? Json(hash->to_hex()) : Json(nullptr);
    out["from"] = sender ? Json(sender->to_hex()) : Json(nullptr);
    return out;
}

}  // namespace vigil::rpc
