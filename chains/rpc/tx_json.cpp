#include "chains/rpc/tx_json.h"

#include <set>
#include <string>

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
