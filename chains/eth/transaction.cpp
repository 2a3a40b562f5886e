#include "chains/eth/transaction.h"

#include <string_view>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"

namespace vigil::eth {
namespace {

// EIP-155: v = chain_id * 2 + 35 + y_parity; pre-EIP-155: v = 27 + y_parity.
constexpr uint64_t kLegacyVBase = 27;
constexpr uint64_t kEip155VBase = 35;
// EIP-3860: MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE (EIP-170, 24576).
constexpr size_t kMaxInitcodeSize = 49152;
// Intrinsic gas constants (yellow paper appendix G, EIP-2, EIP-2028, EIP-2930, EIP-3860).
constexpr uint64_t kTxGas = 21000;
constexpr uint64_t kTxCreateGas = 32000;
constexpr uint64_t kTxDataZeroGas = 4;
constexpr uint64_t kTxDataNonZeroGas = 16;
constexpr uint64_t kAccessListAddressGas = 2400;
constexpr uint64_t kAccessListStorageKeyGas = 1900;
constexpr uint64_t kInitcodeWordGas = 2;
// EIP-7702: PER_EMPTY_ACCOUNT_COST, charged per authorization; MAGIC, the prefix of the
// authorization digest; SET_CODE_TX_TYPE.
constexpr uint64_t kPerAuthorizationGas = 25000;
constexpr uint8_t kAuthorizationMagic = 0x05;
// Number of RLP fields of each signed form.
constexpr size_t kLegacyFields = 9;
constexpr size_t kAccessListFields = 11;
constexpr size_t kDynamicFeeFields = 12;
constexpr size_t kBlobFields = 14;
constexpr size_t kSetCodeFields = 13;
constexpr size_t kAuthorizationFields = 6;
constexpr size_t kDepositFields = 8;

// Offset of a list's payload, given the offset of the list's header.
size_t payload_offset(const rlp::Item& list, size_t header_offset) {
    return header_offset + list.encoded_size - list.payload.size();
}

std::string type_prefix(TxType type) { return std::string("tx (") + tx_type_name(type) + "): "; }

// Reads the fields of one transaction list, prefixing every error with the field name.
class FieldReader {
  public:
    FieldReader(TxType type, const rlp::Item& list, size_t base_offset)
        : type_(type), reader_(list, base_offset) {}

    Error error(std::string_view field, const std::string& message) const {
        return fail(type_prefix(type_) + "field '" + std::string(field) + "': " + message);
    }

    Result<uint64_t> u64(std::string_view field) {
        auto v = reader_.next_uint64();
        if (!v) return error(field, v.error().message);
        return v;
    }
    Result<U256> u256(std::string_view field) {
        auto v = reader_.next_u256();
        if (!v) return error(field, v.error().message);
        return v;
    }
    Result<BytesView> bytes(std::string_view field) {
        auto v = reader_.next_bytes();
        if (!v) return error(field, v.error().message);
        return v;
    }
    // Empty string = contract creation, else exactly 20 bytes.
    Result<std::optional<Address>> recipient(std::string_view field) {
        VIGIL_TRY(BytesView b, bytes(field));
        if (b.empty()) return std::optional<Address>();
        if (b.size() != 20)
            return error(field, "address must be 20 bytes (or empty for a creation), got " +
                                    std::to_string(b.size()));
        return std::optional<Address>(*Address::from_view(b));
    }
    Result<Address> address(std::string_view field) {
        VIGIL_TRY(BytesView b, bytes(field));
        if (b.size() != 20)
            return error(field, "address must be 20 bytes, got " + std::to_string(b.size()));
        return *Address::from_view(b);
    }
    Result<Hash32> hash(std::string_view field) {
        VIGIL_TRY(BytesView b, bytes(field));
        if (b.size() != 32)
            return error(field, "expected 32 bytes, got " + std::to_string(b.size()));
        return *Hash32::from_view(b);
    }
    Result<rlp::Item> list(std::string_view field) {
        auto v = reader_.next_list();
        if (!v) return error(field, v.error().message);
        return v;
    }
    size_t offset() const { return reader_.offset(); }

    Result<AccessList> access_list() {
        const size_t list_offset = offset();
        VIGIL_TRY(rlp::Item items, list("accessList"));
        AccessList out;
        rlp::ListReader entries(items, payload_offset(items, list_offset));
        for (size_t i = 0; !entries.done(); ++i) {
            const std::string name = "accessList[" + std::to_string(i) + "]";
            const size_t entry_offset = entries.offset();
            auto entry_item = entries.next_list();
            if (!entry_item) return error(name, entry_item.error().message);
            rlp::ListReader entry(*entry_item, payload_offset(*entry_item, entry_offset));
            AccessListEntry e;
            auto addr = entry.next_bytes();
            if (!addr) return error(name + ".address", addr.error().message);
            if (addr->size() != 20)
                return error(name + ".address",
                             "address must be 20 bytes, got " + std::to_string(addr->size()));
            e.address = *Address::from_view(*addr);
            const size_t keys_offset = entry.offset();
            auto keys = entry.next_list();
            if (!keys) return error(name + ".storageKeys", keys.error().message);
            if (!entry.done()) return error(name, "an entry must have exactly 2 items");
            rlp::ListReader key_reader(*keys, payload_offset(*keys, keys_offset));
            for (size_t k = 0; !key_reader.done(); ++k) {
                const std::string key_name = name + ".storageKeys[" + std::to_string(k) + "]";
                auto key = key_reader.next_bytes();
                if (!key) return error(key_name, key.error().message);
                if (key->size() != 32)
                    return error(key_name, "storage key must be 32 bytes, got " +
                                               std::to_string(key->size()));
                e.storage_keys.push_back(*Hash32::from_view(*key));
            }
            out.push_back(std::move(e));
        }
        return out;
    }

    Result<std::vector<Hash32>> hash_list(std::string_view field) {
        const size_t list_offset = offset();
        VIGIL_TRY(rlp::Item items, list(field));
        std::vector<Hash32> out;
        rlp::ListReader reader(items, payload_offset(items, list_offset));
        for (size_t i = 0; !reader.done(); ++i) {
            const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
            auto h = reader.next_bytes();
            if (!h) return error(name, h.error().message);
            if (h->size() != 32)
                return error(name, "expected 32 bytes, got " + std::to_string(h->size()));
            out.push_back(*Hash32::from_view(*h));
        }
        return out;
    }

    Result<std::vector<Authorization>> authorization_list() {
        const size_t list_offset = offset();
        VIGIL_TRY(rlp::Item items, list("authorizationList"));
        std::vector<Authorization> out;
        rlp::ListReader entries(items, payload_offset(items, list_offset));
        for (size_t i = 0; !entries.done(); ++i) {
            const std::string name = "authorizationList[" + std::to_string(i) + "]";
            const size_t entry_offset = entries.offset();
            auto entry_item = entries.next_list();
            if (!entry_item) return error(name, entry_item.error().message);
            auto count = rlp::ListReader(*entry_item).count();
            if (!count) return error(name, count.error().message);
            if (*count != kAuthorizationFields)
                return error(name,
                             "an authorization has exactly 6 items, got " + std::to_string(*count));
            rlp::ListReader entry(*entry_item, payload_offset(*entry_item, entry_offset));
            Authorization a;
            auto chain_id = entry.next_u256();
            if (!chain_id) return error(name + ".chainId", chain_id.error().message);
            a.chain_id = *chain_id;
            auto address = entry.next_fixed<20>();
            if (!address) return error(name + ".address", address.error().message);
            a.address = Address(*address);
            auto nonce = entry.next_uint64();
            if (!nonce) return error(name + ".nonce", nonce.error().message);
            a.nonce = *nonce;
            auto y = entry.next_uint64();
            if (!y) return error(name + ".yParity", y.error().message);
            if (*y > 0xff) return error(name + ".yParity", "does not fit in 8 bits");
            a.y_parity = static_cast<uint8_t>(*y);
            auto r = entry.next_u256();
            if (!r) return error(name + ".r", r.error().message);
            a.r = *r;
            auto s = entry.next_u256();
            if (!s) return error(name + ".s", s.error().message);
            a.s = *s;
            out.push_back(a);
        }
        return out;
    }

    // y parity, r, s of a typed transaction.
    Result<Signature> typed_signature(const DecodeOptions& options) {
        VIGIL_TRY(uint64_t y_parity, u64("yParity"));
        if (y_parity > 1)
            return error("yParity", "must be 0 or 1, got " + std::to_string(y_parity));
        return r_s(static_cast<uint8_t>(y_parity), options);
    }

    Result<Signature> r_s(uint8_t y_parity, const DecodeOptions& options) {
        Signature sig;
        sig.y_parity = y_parity;
        VIGIL_TRY(sig.r, u256("r"));
        VIGIL_TRY(sig.s, u256("s"));
        if (sig.r.is_zero()) return error("r", "is zero");
        if (sig.r >= kSecp256k1N) return error("r", "is not below the curve order n");
        if (sig.s.is_zero()) return error("s", "is zero");
        if (sig.s >= kSecp256k1N) return error("s", "is not below the curve order n");
        if (!options.allow_high_s && sig.s > kSecp256k1HalfN)
            return error("s", "is above n/2 (high s, rejected since Homestead, EIP-2)");
        return sig;
    }

    Status expect_end() const {
        if (!reader_.done()) {
            auto extra = reader_.count();
            return fail(type_prefix(type_) + "too many fields: " +
                        (extra ? std::to_string(*extra) + " extra item(s)" : "malformed tail") +
                        " at offset " + std::to_string(reader_.offset()));
        }
        return {};
    }

  private:
    TxType type_;
    rlp::ListReader reader_;
};

// The number of items in a list, or an error that says the count is wrong.
Status check_field_count(TxType type, const rlp::Item& list, size_t expected) {
    auto count = rlp::ListReader(list).count();
    if (!count) return fail(type_prefix(type) + count.error().message);
    if (*count != expected)
        return fail(type_prefix(type) + "expected " + std::to_string(expected) + " fields, got " +
                    std::to_string(*count));
    return {};
}

Result<Transaction> decode_legacy(const rlp::Item& list, const DecodeOptions& options) {
    Transaction tx;
    tx.type = TxType::kLegacy;
    VIGIL_CHECK(check_field_count(tx.type, list, kLegacyFields));
    FieldReader f(tx.type, list, payload_offset(list, 0));
    VIGIL_TRY(tx.nonce, f.u64("nonce"));
    VIGIL_TRY(tx.gas_price, f.u256("gasPrice"));
    VIGIL_TRY(tx.gas_limit, f.u64("gasLimit"));
    VIGIL_TRY(tx.to, f.recipient("to"));
    VIGIL_TRY(tx.value, f.u256("value"));
    VIGIL_TRY(BytesView data, f.bytes("data"));
    tx.data.assign(data.begin(), data.end());
    VIGIL_TRY(uint64_t v, f.u64("v"));
    uint8_t y_parity = 0;
    if (v == kLegacyVBase || v == kLegacyVBase + 1) {
        y_parity = static_cast<uint8_t>(v - kLegacyVBase);
    } else if (v >= kEip155VBase) {
        tx.chain_id = (v - kEip155VBase) / 2;
        y_parity = static_cast<uint8_t>((v - kEip155VBase) % 2);
    } else {
        return f.error("v",
                       "must be 27, 28 or chainId*2+35+{0,1} (EIP-155), got " + std::to_string(v));
    }
    VIGIL_TRY(tx.signature, f.r_s(y_parity, options));
    VIGIL_CHECK(f.expect_end());
    return tx;
}

Result<Transaction> decode_typed(TxType type, const rlp::Item& list, const DecodeOptions& options) {
    Transaction tx;
    tx.type = type;
    const size_t expected = type == TxType::kAccessList   ? kAccessListFields
                            : type == TxType::kDynamicFee ? kDynamicFeeFields
                            : type == TxType::kBlob       ? kBlobFields
                            : type == TxType::kSetCode    ? kSetCodeFields
                                                          : kDepositFields;
    VIGIL_CHECK(check_field_count(type, list, expected));
    // Offsets in messages count from the start of the raw transaction (the type byte is 0).
    FieldReader f(type, list, payload_offset(list, 1));
    if (type == TxType::kDeposit) {
        VIGIL_TRY(tx.source_hash, f.hash("sourceHash"));
        VIGIL_TRY(tx.from, f.address("from"));
        VIGIL_TRY(tx.to, f.recipient("to"));
        VIGIL_TRY(tx.mint, f.u256("mint"));
        VIGIL_TRY(tx.value, f.u256("value"));
        VIGIL_TRY(tx.gas_limit, f.u64("gas"));
        VIGIL_TRY(BytesView flag, f.bytes("isSystemTx"));
        // RLP booleans: 0x80 is false, 0x01 is true; anything else is not canonical.
        if (flag.size() > 1 || (flag.size() == 1 && flag[0] != 1))
            return f.error("isSystemTx", "must be 0x80 (false) or 0x01 (true)");
        tx.is_system_tx = flag.size() == 1;
        VIGIL_TRY(BytesView data, f.bytes("data"));
        tx.data.assign(data.begin(), data.end());
        VIGIL_CHECK(f.expect_end());
        return tx;
    }
    VIGIL_TRY(tx.chain_id, f.u64("chainId"));
    VIGIL_TRY(tx.nonce, f.u64("nonce"));
    if (type == TxType::kAccessList) {
        VIGIL_TRY(tx.gas_price, f.u256("gasPrice"));
    } else {
        VIGIL_TRY(tx.max_priority_fee_per_gas, f.u256("maxPriorityFeePerGas"));
        VIGIL_TRY(tx.max_fee_per_gas, f.u256("maxFeePerGas"));
    }
    VIGIL_TRY(tx.gas_limit, f.u64("gasLimit"));
    if (type == TxType::kBlob || type == TxType::kSetCode) {
        // EIP-4844 and EIP-7702: these transactions cannot create a contract.
        VIGIL_TRY(tx.to, f.address("to"));
    } else {
        VIGIL_TRY(tx.to, f.recipient("to"));
    }
    VIGIL_TRY(tx.value, f.u256("value"));
    VIGIL_TRY(BytesView data, f.bytes("data"));
    tx.data.assign(data.begin(), data.end());
    VIGIL_TRY(tx.access_list, f.access_list());
    if (type == TxType::kBlob) {
        VIGIL_TRY(tx.max_fee_per_blob_gas, f.u256("maxFeePerBlobGas"));
        VIGIL_TRY(tx.blob_versioned_hashes, f.hash_list("blobVersionedHashes"));
    }
    if (type == TxType::kSetCode) {
        VIGIL_TRY(tx.authorization_list, f.authorization_list());
    }
    VIGIL_TRY(tx.signature, f.typed_signature(options));
    VIGIL_CHECK(f.expect_end());
    return tx;
}

// --- Encoding -------------------------------------------------------------------------

void encode_recipient(Bytes& out, const std::optional<Address>& to) {
    if (to)
        rlp::encode_bytes(out, to->view());
    else
        rlp::encode_bytes(out, {});
}

void encode_access_list(Bytes& out, const AccessList& list) {
    Bytes entries;
    for (const AccessListEntry& e : list) {
        Bytes entry;
        rlp::encode_bytes(entry, e.address.view());
        Bytes keys;
        for (const Hash32& k : e.storage_keys) rlp::encode_bytes(keys, k.view());
        rlp::encode_list_header(entry, keys.size());
        append(entry, keys);
        rlp::encode_list_header(entries, entry.size());
        append(entries, entry);
    }
    rlp::encode_list_header(out, entries.size());
    append(out, entries);
}

void encode_authorization_list(Bytes& out, const std::vector<Authorization>& list) {
    Bytes entries;
    for (const Authorization& a : list) {
        Bytes entry;
        rlp::encode_uint(entry, a.chain_id);
        rlp::encode_bytes(entry, a.address.view());
        rlp::encode_uint(entry, a.nonce);
        rlp::encode_uint(entry, uint64_t{a.y_parity});
        rlp::encode_uint(entry, a.r);
        rlp::encode_uint(entry, a.s);
        rlp::encode_list_header(entries, entry.size());
        append(entries, entry);
    }
    rlp::encode_list_header(out, entries.size());
    append(out, entries);
}

void encode_r_s(Bytes& out, const Signature& sig) {
    rlp::encode_uint(out, sig.r);
    rlp::encode_uint(out, sig.s);
}

// The fields of a typed transaction up to and including the access list (type 1, 2),
// the blob fields (type 3) or the authorization list (type 4): the signed part.
void encode_typed_body(Bytes& out, const Transaction& tx) {
    rlp::encode_uint(out, tx.chain_id.value_or(0));
    rlp::encode_uint(out, tx.nonce);
    if (tx.type == TxType::kAccessList) {
        rlp::encode_uint(out, tx.gas_price);
    } else {
        rlp::encode_uint(out, tx.max_priority_fee_per_gas);
        rlp::encode_uint(out, tx.max_fee_per_gas);
    }
    rlp::encode_uint(out, tx.gas_limit);
    encode_recipient(out, tx.to);
    rlp::encode_uint(out, tx.value);
    rlp::encode_bytes(out, tx.data);
    encode_access_list(out, tx.access_list);
    if (tx.type == TxType::kBlob) {
        rlp::encode_uint(out, tx.max_fee_per_blob_gas);
        Bytes hashes;
        for (const Hash32& h : tx.blob_versioned_hashes) rlp::encode_bytes(hashes, h.view());
        rlp::encode_list_header(out, hashes.size());
        append(out, hashes);
    }
    if (tx.type == TxType::kSetCode) encode_authorization_list(out, tx.authorization_list);
}

void encode_legacy_body(Bytes& out, const Transaction& tx) {
    rlp::encode_uint(out, tx.nonce);
    rlp::encode_uint(out, tx.gas_price);
    rlp::encode_uint(out, tx.gas_limit);
    encode_recipient(out, tx.to);
    rlp::encode_uint(out, tx.value);
    rlp::encode_bytes(out, tx.data);
}

// type byte (when typed) ‖ rlp list of `payload`.
Bytes envelope(TxType type, const Bytes& payload) {
    Bytes out;
    out.reserve(payload.size() + 10);
    if (type != TxType::kLegacy) out.push_back(static_cast<uint8_t>(type));
    rlp::encode_list_header(out, payload.size());
    append(out, payload);
    return out;
}

Status check_encodable(const Transaction& tx) {
    if ((tx.type == TxType::kBlob || tx.type == TxType::kSetCode) && !tx.to)
        return fail(type_prefix(tx.type) + "field 'to': a " + tx_type_name(tx.type) +
                    " transaction needs a recipient");
    if (tx.type != TxType::kLegacy && tx.type != TxType::kDeposit && !tx.chain_id)
        return fail(type_prefix(tx.type) + "field 'chainId': required for typed transactions");
    return {};
}

}  // namespace

const char* tx_type_name(TxType type) {
    switch (type) {
        case TxType::kLegacy:
            return "legacy";
        case TxType::kAccessList:
            return "access-list";
        case TxType::kDynamicFee:
            return "dynamic-fee";
        case TxType::kBlob:
            return "blob";
        case TxType::kSetCode:
            return "set-code";
        case TxType::kDeposit:
            return "deposit";
    }
    return "unknown";
}

Result<Transaction> decode_transaction(BytesView raw, DecodeOptions options) {
    if (raw.empty()) return fail("tx: empty input");
    const uint8_t first = raw[0];
    // EIP-2718: a first byte in [0xc0, 0xfe] starts a legacy RLP list; [0x00, 0x7f] is a
    // transaction type.
    if (first >= 0xc0) {
        auto item = rlp::decode_exact(raw);
        if (!item) return fail("tx (legacy): " + item.error().message);
        if (!item->is_list) return fail("tx (legacy): expected an RLP list");
        return decode_legacy(*item, options);
    }
    if (first > 0x7f)
        return fail("tx: first byte 0x" + to_hex_bare(raw.first(1)) +
                    " is neither a transaction type (0x00-0x7f) nor an RLP list");
    TxType type;
    switch (first) {
        case 0x01:
            type = TxType::kAccessList;
            break;
        case 0x02:
            type = TxType::kDynamicFee;
            break;
        case 0x03:
            type = TxType::kBlob;
            break;
        case 0x04:
            type = TxType::kSetCode;
            break;
        case 0x7e:
            type = TxType::kDeposit;
            break;
        default:
            return fail("tx: unsupported transaction type 0x" + to_hex_bare(raw.first(1)));
    }
    auto item = rlp::decode_prefix(raw.subspan(1), 1);
    if (!item) return fail(type_prefix(type) + item.error().message);
    if (item->encoded_size != raw.size() - 1)
        return fail(type_prefix(type) + std::to_string(raw.size() - 1 - item->encoded_size) +
                    " trailing bytes after the payload");
    if (!item->is_list) return fail(type_prefix(type) + "payload must be an RLP list");
    return decode_typed(type, *item, options);
}

Result<Bytes> encode_transaction(const Transaction& tx) {
    VIGIL_CHECK(check_encodable(tx));
    Bytes payload;
    if (tx.type == TxType::kDeposit) {
        rlp::encode_bytes(payload, tx.source_hash.view());
        rlp::encode_bytes(payload, tx.from.view());
        encode_recipient(payload, tx.to);
        rlp::encode_uint(payload, tx.mint);
        rlp::encode_uint(payload, tx.value);
        rlp::encode_uint(payload, tx.gas_limit);
        rlp::encode_uint(payload, uint64_t{tx.is_system_tx ? 1u : 0u});
        rlp::encode_bytes(payload, tx.data);
        return envelope(tx.type, payload);
    }
    if (!tx.signature) return fail(type_prefix(tx.type) + "cannot encode: not signed");
    const Signature& sig = *tx.signature;
    if (tx.type == TxType::kLegacy) {
        encode_legacy_body(payload, tx);
        const uint64_t v = tx.chain_id ? *tx.chain_id * 2 + kEip155VBase + sig.y_parity
                                       : kLegacyVBase + sig.y_parity;
        rlp::encode_uint(payload, v);
    } else {
        encode_typed_body(payload, tx);
        rlp::encode_uint(payload, uint64_t{sig.y_parity});
    }
    encode_r_s(payload, sig);
    return envelope(tx.type, payload);
}

Result<Bytes> signing_payload(const Transaction& tx) {
    if (tx.type == TxType::kDeposit)
        return fail("tx (deposit): deposit transactions carry no signature");
    VIGIL_CHECK(check_encodable(tx));
    Bytes payload;
    if (tx.type == TxType::kLegacy) {
        encode_legacy_body(payload, tx);
        if (tx.chain_id) {
            rlp::encode_uint(payload, *tx.chain_id);
            rlp::encode_uint(payload, uint64_t{0});
            rlp::encode_uint(payload, uint64_t{0});
        }
    } else {
        encode_typed_body(payload, tx);
    }
    return envelope(tx.type, payload);
}

Result<Hash32> signing_hash(const Transaction& tx) {
    VIGIL_TRY(Bytes payload, signing_payload(tx));
    return keccak256(payload);
}

Result<Hash32> transaction_hash(const Transaction& tx) {
    VIGIL_TRY(Bytes raw, encode_transaction(tx));
    return keccak256(raw);
}

Result<Transaction> sign_transaction(Transaction tx, const PrivateKey& key) {
    if (tx.type == TxType::kBlob || tx.type == TxType::kSetCode || tx.type == TxType::kDeposit)
        return fail(type_prefix(tx.type) + "signing is not supported for this type");
    if (tx.type == TxType::kLegacy && tx.chain_id &&
        *tx.chain_id > (UINT64_MAX - kEip155VBase - 1) / 2)
        return fail("tx (legacy): field 'chainId': too large for an EIP-155 v");
    VIGIL_TRY(Hash32 digest, signing_hash(tx));
    VIGIL_TRY(tx.signature, sign_hash(digest, key));
    return tx;
}

Result<Address> recover_sender(const Transaction& tx, SRule rule) {
    if (tx.type == TxType::kDeposit) return tx.from;
    if (!tx.signature) return fail(type_prefix(tx.type) + "not signed");
    VIGIL_TRY(Hash32 digest, signing_hash(tx));
    auto sender = recover_address(digest, *tx.signature, rule);
    if (!sender) return fail(type_prefix(tx.type) + sender.error().message);
    return sender;
}

Hash32 authorization_signing_hash(const Authorization& auth) {
    Bytes payload;
    rlp::encode_uint(payload, auth.chain_id);
    rlp::encode_bytes(payload, auth.address.view());
    rlp::encode_uint(payload, auth.nonce);
    Bytes message{kAuthorizationMagic};
    append(message, rlp::wrap_list(payload));
    return keccak256(message);
}

Result<Address> recover_authority(const Authorization& auth) {
    if (auth.y_parity > 1)
        return fail("authorization: yParity must be 0 or 1, got " + std::to_string(auth.y_parity));
    Signature sig;
    sig.r = auth.r;
    sig.s = auth.s;
    sig.y_parity = auth.y_parity;
    auto authority = recover_address(authorization_signing_hash(auth), sig, SRule::kLowS);
    if (!authority) return fail("authorization: " + authority.error().message);
    return authority;
}

uint64_t intrinsic_gas(const Transaction& tx, const TxRules& rules) {
    uint64_t gas = kTxGas;
    if (!tx.to) gas += kTxCreateGas;
    for (uint8_t b : tx.data) gas += b == 0 ? kTxDataZeroGas : kTxDataNonZeroGas;
    for (const AccessListEntry& e : tx.access_list)
        gas += kAccessListAddressGas + kAccessListStorageKeyGas * e.storage_keys.size();
    if (!tx.to && rules.eip3860) gas += kInitcodeWordGas * ((tx.data.size() + 31) / 32);
    gas += kPerAuthorizationGas * tx.authorization_list.size();
    return gas;
}

Status validate_intrinsic(const Transaction& tx, const TxRules& rules) {
    const std::string where = type_prefix(tx.type);
    if (tx.type == TxType::kDeposit) return {};
    if (rules.chain_id && tx.chain_id && *tx.chain_id != *rules.chain_id)
        return fail(where + "field 'chainId': " + std::to_string(*tx.chain_id) +
                    " is not this chain's " + std::to_string(*rules.chain_id));
    if (tx.nonce == UINT64_MAX)
        return fail(where + "field 'nonce': must be below 2^64-1 (EIP-2681)");
    U256 fee_cap = tx.gas_price;
    if (tx.type == TxType::kDynamicFee || tx.type == TxType::kBlob || tx.type == TxType::kSetCode) {
        if (tx.max_priority_fee_per_gas > tx.max_fee_per_gas)
            return fail(where + "field 'maxPriorityFeePerGas': above maxFeePerGas (EIP-1559)");
        fee_cap = tx.max_fee_per_gas;
    }
    const auto product = mul_wide(U256(tx.gas_limit), fee_cap);
    if (product[4] | product[5] | product[6] | product[7])
        return fail(where + "gasLimit * fee cap overflows 256 bits");
    if (tx.type == TxType::kBlob && tx.blob_versioned_hashes.empty())
        return fail(where + "field 'blobVersionedHashes': at least one blob is required");
    if (tx.type == TxType::kSetCode && tx.authorization_list.empty())
        return fail(where +
                    "field 'authorizationList': at least one authorization is required "
                    "(EIP-7702)");
    if (!tx.to && rules.eip3860 && tx.data.size() > kMaxInitcodeSize)
        return fail(where + "field 'data': initcode of " + std::to_string(tx.data.size()) +
                    " bytes exceeds " + std::to_string(kMaxInitcodeSize) + " (EIP-3860)");
    const uint64_t needed = intrinsic_gas(tx, rules);
    if (tx.gas_limit < needed)
        return fail(where + "field 'gasLimit': " + std::to_string(tx.gas_limit) +
                    " is below the intrinsic gas " + std::to_string(needed));
    return {};
}

}  // namespace vigil::eth
