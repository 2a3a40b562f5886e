#include "chains/eth/header.h"

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"

namespace vigil::eth {
namespace {

// Field counts of each header shape (fields are only ever appended).
constexpr size_t kLegacyFields = 15;
constexpr size_t kLondonFields = 16;
constexpr size_t kShanghaiFields = 17;
constexpr size_t kCancunFields = 20;
constexpr size_t kPragueFields = 21;

}  // namespace

size_t BlockHeader::field_count() const {
    if (requests_hash) return kPragueFields;
    if (parent_beacon_block_root || blob_gas_used || excess_blob_gas) return kCancunFields;
    if (withdrawals_root) return kShanghaiFields;
    if (base_fee_per_gas) return kLondonFields;
    return kLegacyFields;
}

Status BlockHeader::check_shape() const {
    const bool cancun_any = blob_gas_used || excess_blob_gas || parent_beacon_block_root;
    const bool cancun_all = blob_gas_used && excess_blob_gas && parent_beacon_block_root;
    if (cancun_any && !cancun_all)
        return fail(
            "header: blobGasUsed, excessBlobGas and parentBeaconBlockRoot come together "
            "(Cancun)");
    if (requests_hash && !cancun_all)
        return fail("header: requestsHash (Prague) without the Cancun fields");
    if (cancun_all && !withdrawals_root)
        return fail("header: Cancun fields without withdrawalsRoot (Shanghai)");
    if (withdrawals_root && !base_fee_per_gas)
        return fail("header: withdrawalsRoot (Shanghai) without baseFeePerGas (London)");
    return {};
}

Bytes BlockHeader::encode() const {
    Bytes p;
    p.reserve(700);
    rlp::encode_bytes(p, parent_hash.view());
    rlp::encode_bytes(p, ommers_hash.view());
    rlp::encode_bytes(p, beneficiary.view());
    rlp::encode_bytes(p, state_root.view());
    rlp::encode_bytes(p, transactions_root.view());
    rlp::encode_bytes(p, receipts_root.view());
    rlp::encode_bytes(p, logs_bloom.view());
    rlp::encode_uint(p, difficulty);
    rlp::encode_uint(p, number);
    rlp::encode_uint(p, gas_limit);
    rlp::encode_uint(p, gas_used);
    rlp::encode_uint(p, timestamp);
    rlp::encode_bytes(p, extra_data);
    rlp::encode_bytes(p, mix_hash.view());
    rlp::encode_bytes(p, nonce.view());
    // Each fork's fields follow only when all earlier ones are present (check_shape).
    if (base_fee_per_gas) {
        rlp::encode_uint(p, *base_fee_per_gas);
        if (withdrawals_root) {
            rlp::encode_bytes(p, withdrawals_root->view());
            if (blob_gas_used && excess_blob_gas && parent_beacon_block_root) {
                rlp::encode_uint(p, *blob_gas_used);
                rlp::encode_uint(p, *excess_blob_gas);
                rlp::encode_bytes(p, parent_beacon_block_root->view());
                if (requests_hash) rlp::encode_bytes(p, requests_hash->view());
            }
        }
    }
    return rlp::wrap_list(p);
}

Hash32 BlockHeader::hash() const { return keccak256(encode()); }

Result<BlockHeader> BlockHeader::decode(BytesView encoded) {
    auto item = rlp::decode_exact(encoded);
    if (!item) return fail("header: " + item.error().message);
    if (!item->is_list) return fail("header: expected a list, found a string");
    rlp::ListReader r(*item, encoded.size() - item->payload.size());
    auto count = r.count();
    if (!count) return fail("header: " + count.error().message);
    if (*count != kLegacyFields && *count != kLondonFields && *count != kShanghaiFields &&
        *count != kCancunFields && *count != kPragueFields)
        return fail("header: list of " + std::to_string(*count) +
                    " fields (a header has 15, 16, 17, 20 or 21)");

    BlockHeader h;
    // Every read names its field on error.
    auto named = [](const char* field, auto result) -> decltype(result) {
        if (!result) return fail(std::string("header: ") + field + ": " + result.error().message);
        return result;
    };
    VIGIL_TRY(h.parent_hash, named("parentHash", r.next_fixed<32>()));
    VIGIL_TRY(h.ommers_hash, named("sha3Uncles", r.next_fixed<32>()));
    VIGIL_TRY(const FixedBytes<20> miner, named("miner", r.next_fixed<20>()));
    h.beneficiary = Address(miner);
    VIGIL_TRY(h.state_root, named("stateRoot", r.next_fixed<32>()));
    VIGIL_TRY(h.transactions_root, named("transactionsRoot", r.next_fixed<32>()));
    VIGIL_TRY(h.receipts_root, named("receiptsRoot", r.next_fixed<32>()));
    VIGIL_TRY(h.logs_bloom, named("logsBloom", r.next_fixed<256>()));
    VIGIL_TRY(h.difficulty, named("difficulty", r.next_u256()));
    VIGIL_TRY(h.number, named("number", r.next_uint64()));
    VIGIL_TRY(h.gas_limit, named("gasLimit", r.next_uint64()));
    VIGIL_TRY(h.gas_used, named("gasUsed", r.next_uint64()));
    VIGIL_TRY(h.timestamp, named("timestamp", r.next_uint64()));
    VIGIL_TRY(const BytesView extra, named("extraData", r.next_bytes()));
    h.extra_data.assign(extra.begin(), extra.end());
    VIGIL_TRY(h.mix_hash, named("mixHash", r.next_fixed<32>()));
    VIGIL_TRY(h.nonce, named("nonce", r.next_fixed<8>()));
    if (*count >= kLondonFields) {
        VIGIL_TRY(h.base_fee_per_gas, named("baseFeePerGas", r.next_u256()));
    }
    if (*count >= kShanghaiFields) {
        VIGIL_TRY(h.withdrawals_root, named("withdrawalsRoot", r.next_fixed<32>()));
    }
    if (*count >= kCancunFields) {
        VIGIL_TRY(h.blob_gas_used, named("blobGasUsed", r.next_uint64()));
        VIGIL_TRY(h.excess_blob_gas, named("excessBlobGas", r.next_uint64()));
        VIGIL_TRY(h.parent_beacon_block_root, named("parentBeaconBlockRoot", r.next_fixed<32>()));
    }
    if (*count >= kPragueFields) {
        VIGIL_TRY(h.requests_hash, named("requestsHash", r.next_fixed<32>()));
    }
    return h;
}

Bytes Withdrawal::encode() const {
    Bytes p;
    rlp::encode_uint(p, index);
    rlp::encode_uint(p, validator_index);
    rlp::encode_bytes(p, address.view());
    rlp::encode_uint(p, amount_gwei);
    return rlp::wrap_list(p);
}

Hash32 withdrawals_root(std::span<const Withdrawal> withdrawals) {
    std::vector<Bytes> items;
    items.reserve(withdrawals.size());
    for (const Withdrawal& w : withdrawals) items.push_back(w.encode());
    return ordered_trie_root(items);
}

}  // namespace vigil::eth
