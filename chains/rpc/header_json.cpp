#include "chains/rpc/header_json.h"

#include <string>

namespace vigil::rpc {

Result<eth::BlockHeader> parse_header(const Json& block) {
    if (!block.is_object()) return fail("block: expected a JSON object");
    auto wrap = [](auto result) -> decltype(result) {
        if (!result) return fail("block: " + result.error().message);
        return result;
    };
    eth::BlockHeader h;
    VIGIL_TRY(h.parent_hash, wrap(field_hash(block, "parentHash")));
    VIGIL_TRY(h.ommers_hash, wrap(field_hash(block, "sha3Uncles")));
    VIGIL_TRY(h.beneficiary, wrap(field_address(block, "miner")));
    VIGIL_TRY(h.state_root, wrap(field_hash(block, "stateRoot")));
    VIGIL_TRY(h.transactions_root, wrap(field_hash(block, "transactionsRoot")));
    VIGIL_TRY(h.receipts_root, wrap(field_hash(block, "receiptsRoot")));
    VIGIL_TRY(const std::string bloom_hex, wrap(field_string(block, "logsBloom")));
    auto bloom = eth::Bloom::from_hex(bloom_hex);
    if (!bloom) return fail("block: field 'logsBloom': " + bloom.error().message);
    h.logs_bloom = *bloom;
    VIGIL_TRY(h.difficulty, wrap(field_u256(block, "difficulty")));
    VIGIL_TRY(h.number, wrap(field_uint64(block, "number")));
    VIGIL_TRY(h.gas_limit, wrap(field_uint64(block, "gasLimit")));
    VIGIL_TRY(h.gas_used, wrap(field_uint64(block, "gasUsed")));
    VIGIL_TRY(h.timestamp, wrap(field_uint64(block, "timestamp")));
    VIGIL_TRY(h.extra_data, wrap(field_bytes(block, "extraData")));
    VIGIL_TRY(h.mix_hash, wrap(field_hash(block, "mixHash")));
    VIGIL_TRY(const std::string nonce_hex, wrap(field_string(block, "nonce")));
    auto nonce = eth::FixedBytes<8>::from_hex(nonce_hex);
    if (!nonce) return fail("block: field 'nonce': " + nonce.error().message);
    h.nonce = *nonce;
    if (has_field(block, "baseFeePerGas")) {
        VIGIL_TRY(h.base_fee_per_gas, wrap(field_u256(block, "baseFeePerGas")));
    }
    if (has_field(block, "withdrawalsRoot")) {
        VIGIL_TRY(h.withdrawals_root, wrap(field_hash(block, "withdrawalsRoot")));
    }
    if (has_field(block, "blobGasUsed")) {
        VIGIL_TRY(h.blob_gas_used, wrap(field_uint64(block, "blobGasUsed")));
    }
    if (has_field(block, "excessBlobGas")) {
        VIGIL_TRY(h.excess_blob_gas, wrap(field_uint64(block, "excessBlobGas")));
    }
    if (has_field(block, "parentBeaconBlockRoot")) {
        VIGIL_TRY(h.parent_beacon_block_root, wrap(field_hash(block, "parentBeaconBlockRoot")));
    }
    if (has_field(block, "requestsHash")) {
        VIGIL_TRY(h.requests_hash, wrap(field_hash(block, "requestsHash")));
    }
    VIGIL_CHECK(h.check_shape());
    return h;
}

Result<eth::BlockHeader> parse_verified_header(const Json& block) {
    VIGIL_TRY(eth::BlockHeader h, parse_header(block));
    auto claimed = field_hash(block, "hash");
    if (!claimed) return fail("block: " + claimed.error().message);
    const eth::Hash32 computed = h.hash();
    if (computed != *claimed)
        return fail("block: header hashes to " + computed.to_hex() + ", not to the claimed " +
                    claimed->to_hex());
    return h;
}

Result<std::vector<eth::Withdrawal>> parse_withdrawals(const Json& withdrawals) {
    if (!withdrawals.is_array()) return fail("withdrawals: expected an array");
    std::vector<eth::Withdrawal> out;
    out.reserve(withdrawals.size());
    for (size_t i = 0; i < withdrawals.size(); ++i) {
        const Json& w = withdrawals[i];
        const std::string where = "withdrawals[" + std::to_string(i) + "]: ";
        eth::Withdrawal item;
        auto index = field_uint64(w, "index");
        auto validator = field_uint64(w, "validatorIndex");
        auto address = field_address(w, "address");
        auto amount = field_uint64(w, "amount");
        if (!index) return fail(where + index.error().message);
        if (!validator) return fail(where + validator.error().message);
        if (!address) return fail(where + address.error().message);
        if (!amount) return fail(where + amount.error().message);
        item.index = *index;
        item.validator_index = *validator;
        item.address = *address;
        item.amount_gwei = *amount;
        out.push_back(item);
    }
    return out;
}

}  // namespace vigil::rpc
