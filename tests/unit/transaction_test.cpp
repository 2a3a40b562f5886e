#include "chains/eth/transaction.h"

#include <gtest/gtest.h>

#include <iostream>
#include <map>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/rpc/tx_json.h"
#include "tests/unit/vectors.h"

namespace vigil::eth {
namespace {

using nlohmann::json;

Bytes hex(const std::string& text) {
    auto b = from_hex(text);
    EXPECT_TRUE(b.ok()) << text;
    return b.value_or({});
}
U256 u256(const json& v) {
    if (v.is_number_unsigned()) return U256(v.get<uint64_t>());
    auto r = U256::from_string(v.get<std::string>());
    EXPECT_TRUE(r.ok()) << v;
    return r.value_or(U256());
}
uint64_t u64(const json& v) {
    const U256 x = u256(v);
    EXPECT_TRUE(x.fits_u64()) << v;
    return x.low64();
}

// --- EIP-155 worked example -----------------------------------------------------------

TEST(TransactionVectors, Eip155Example) {
    VIGIL_VECTOR_JSON(c, "transactions/eip-155/example.json");
    Transaction tx;
    tx.chain_id = c["chainId"].get<uint64_t>();
    tx.nonce = c["tx"]["nonce"].get<uint64_t>();
    tx.gas_price = u256(c["tx"]["gasPrice"]);
    tx.gas_limit = c["tx"]["gasLimit"].get<uint64_t>();
    tx.to = *Address::from_hex(c["tx"]["to"].get<std::string>());
    tx.value = u256(c["tx"]["value"]);
    tx.data = hex(c["tx"]["data"]);
    EXPECT_EQ(to_hex(*signing_payload(tx)), c["signingData"].get<std::string>());
    EXPECT_EQ(signing_hash(tx)->to_hex(), c["signingHash"].get<std::string>());

    auto key = PrivateKey::from_hex(c["privateKey"].get<std::string>());
    ASSERT_TRUE(key.ok());
    auto signed_tx = sign_transaction(tx, *key);
    ASSERT_TRUE(signed_tx.ok()) << signed_tx.error().message;
    const Signature& sig = *signed_tx->signature;
    EXPECT_EQ(*tx.chain_id * 2 + 35 + sig.y_parity, c["v"].get<uint64_t>());
    EXPECT_EQ(sig.r.to_dec(), c["r"].get<std::string>());
    EXPECT_EQ(sig.s.to_dec(), c["s"].get<std::string>());
    EXPECT_EQ(to_hex(*encode_transaction(*signed_tx)), c["signedTx"].get<std::string>());

    auto decoded = decode_transaction(hex(c["signedTx"]));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, *signed_tx);
    EXPECT_EQ(*recover_sender(*decoded), key->address());
    EXPECT_EQ(*transaction_hash(*decoded), keccak256(hex(c["signedTx"])));
}

// --- ethereum/tests TransactionTests --------------------------------------------------

// Forks in order; a case is judged under the newest one its result lists.
constexpr const char* kForks[] = {
    "Frontier", "Homestead", "EIP150", "EIP158", "Byzantium", "Constantinople", "ConstantinopleFix",
    "Istanbul", "Berlin",    "London", "Paris",  "Shanghai",  "Cancun",         "Prague"};

std::string newest_fork(const json& result) {
    std::string newest;
    for (const char* fork : kForks)
        if (result.contains(fork)) newest = fork;
    return newest;
}

// Where a rejection must happen, by exception class (from the class's meaning).
std::string expected_stage(const std::string& exception) {
    auto has = [&](const char* s) { return exception.find(s) != std::string::npos; };
    if (has("EC_RECOVERY_FAIL")) return "recover";
    if (has("INTRINSIC_GAS_TOO_LOW") || has("GASLIMIT_PRICE_PRODUCT_OVERFLOW") ||
        has("PRIORITY_GREATER_THAN_MAX_FEE"))
        return "validate";
    if (has("INVALID_CHAINID")) return "decode|validate";
    return "decode";  // RLP_*, *_OVERFLOW of a field, ADDRESS_TOO_*, INVALID_SIGNATURE_VRS
}

struct TtOutcome {
    std::string stage;  // "ok", "decode", "recover", "validate"
    std::string message;
};

TEST(TransactionVectors, EthereumTestsTransactionTests) {
    VIGIL_VECTOR_PATH(root, "transactions/ethereum-tests");
    // Cases per folder, from INDEX.md section 3c.
    const std::map<std::string, size_t> expected_counts = {
        {"ttAddress", 4},  {"ttData", 2},     {"ttEIP1559", 6},    {"ttEIP2028", 2},
        {"ttEIP2930", 5},  {"ttEIP3860", 2},  {"ttGasLimit", 5},   {"ttGasPrice", 3},
        {"ttNonce", 7},    {"ttRSValue", 22}, {"ttSignature", 26}, {"ttVValue", 16},
        {"ttWrongRLP", 37}};
    std::map<std::string, size_t> counts;
    std::map<std::string, size_t> by_exception;  // "EXCEPTION @ stage" -> count
    size_t valid = 0, intrinsic_checked = 0;
    for (const auto& [folder, want] : expected_counts) {
        for (const auto& file : test::list_files(root / folder, ".json")) {
            const json doc = test::load_json(file);
            for (const auto& [name, c] : doc.items()) {
                SCOPED_TRACE(folder + "/" + name);
                ++counts[folder];
                const std::string fork = newest_fork(c["result"]);
                ASSERT_FALSE(fork.empty());
                const json& expect = c["result"][fork];
                const Bytes raw = hex(c["txbytes"]);
                TxRules rules;
                rules.chain_id = 1;  // the chain id these tests are filled for
                rules.eip3860 = fork == "Shanghai" || fork == "Cancun" || fork == "Prague";

                TtOutcome outcome{"ok", ""};
                auto tx = decode_transaction(raw);
                Result<Address> sender = fail("not reached");
                if (!tx) {
                    outcome = {"decode", tx.error().message};
                } else {
                    sender = recover_sender(*tx);
                    if (!sender) {
                        outcome = {"recover", sender.error().message};
                    } else if (auto st = validate_intrinsic(*tx, rules); !st) {
                        outcome = {"validate", st.error().message};
                    }
                }
                if (tx.ok() && expect.contains("intrinsicGas") &&
                    u64(expect["intrinsicGas"]) != 0) {
                    EXPECT_EQ(intrinsic_gas(*tx, rules), u64(expect["intrinsicGas"]));
                    ++intrinsic_checked;
                }
                if (!expect.contains("exception")) {
                    ASSERT_EQ(outcome.stage, "ok") << fork << ": " << outcome.message;
                    EXPECT_EQ(*sender, *Address::from_hex(expect["sender"].get<std::string>()));
                    EXPECT_EQ(transaction_hash(*tx)->to_hex(), expect["hash"].get<std::string>());
                    EXPECT_EQ(to_hex(*encode_transaction(*tx)), to_hex(raw));
                    ++valid;
                    continue;
                }
                const std::string exception = expect["exception"];
                EXPECT_NE(outcome.stage, "ok") << fork << " expects " << exception;
                const std::string stage = expected_stage(exception);
                EXPECT_NE(stage.find(outcome.stage), std::string::npos)
                    << exception << " rejected at " << outcome.stage << ": " << outcome.message;
                ++by_exception[exception + " @ " + outcome.stage];
            }
        }
    }
    size_t total = 0;
    for (const auto& [folder, want] : expected_counts) {
        EXPECT_EQ(counts[folder], want) << folder;
        total += counts[folder];
    }
    std::cout << "TransactionTests: " << total << " cases, " << valid << " valid, "
              << intrinsic_checked << " intrinsic gas values checked\n";
    for (const auto& [kind, n] : by_exception) std::cout << "  " << n << " x " << kind << "\n";
    EXPECT_EQ(total, 137u);
}

// --- ethereum/tests BasicTests/txtest.json (pre-EIP-155) ------------------------------

TEST(TransactionVectors, EthereumTestsTxTest) {
    VIGIL_VECTOR_JSON(cases, "transactions/ethereum-tests/txtest.json");
    size_t count = 0, high_s = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE("txtest case " + std::to_string(count));
        Transaction tx;
        tx.nonce = c["nonce"].get<uint64_t>();
        tx.gas_price = U256(c["gasprice"].get<uint64_t>());
        tx.gas_limit = c["startgas"].get<uint64_t>();
        if (!c["to"].get<std::string>().empty())
            tx.to = *Address::from_hex(c["to"].get<std::string>());
        tx.value = U256(c["value"].get<uint64_t>());
        tx.data = hex(c["data"]);
        // Upstream's `unsigned` is the nine-field list with empty v, r, s; the signed
        // payload of a pre-EIP-155 transaction is its first six fields.
        auto unsigned_tree = rlp::decode_tree(hex(c["unsigned"]));
        ASSERT_TRUE(unsigned_tree.ok());
        ASSERT_EQ(unsigned_tree->items.size(), 9u);
        for (size_t i = 6; i < 9; ++i) EXPECT_TRUE(unsigned_tree->items[i].bytes.empty());
        unsigned_tree->items.resize(6);
        EXPECT_EQ(to_hex(*signing_payload(tx)), to_hex(rlp::encode_tree(*unsigned_tree)));

        auto key = PrivateKey::from_hex(c["key"].get<std::string>());
        ASSERT_TRUE(key.ok());
        const Bytes signed_raw = hex(c["signed"]);
        auto strict = decode_transaction(signed_raw);
        auto frontier = decode_transaction(signed_raw, DecodeOptions{.allow_high_s = true});
        ASSERT_TRUE(frontier.ok()) << frontier.error().message;
        EXPECT_EQ(to_hex(*encode_transaction(*frontier)), to_hex(signed_raw));
        auto sender = recover_sender(*frontier, SRule::kAnyS);
        ASSERT_TRUE(sender.ok()) << sender.error().message;
        EXPECT_EQ(*sender, key->address());

        auto ours = sign_transaction(tx, *key);
        ASSERT_TRUE(ours.ok());
        const Signature& theirs = *frontier->signature;
        EXPECT_EQ(ours->signature->r, theirs.r);
        if (theirs.s > kSecp256k1HalfN) {
            // Signed before Homestead with the same RFC 6979 nonce but not normalised:
            // ours is the low-s twin, and strict decoding rejects theirs naming s.
            ++high_s;
            ASSERT_FALSE(strict.ok());
            EXPECT_NE(strict.error().message.find("'s'"), std::string::npos);
            EXPECT_EQ(ours->signature->s, kSecp256k1N - theirs.s);
            EXPECT_EQ(ours->signature->y_parity, theirs.y_parity ^ 1);
        } else {
            ASSERT_TRUE(strict.ok());
            EXPECT_EQ(to_hex(*encode_transaction(*ours)), to_hex(signed_raw));
        }
        ++count;
    }
    EXPECT_EQ(count, 2u);
    EXPECT_EQ(high_s, 1u);
}

// --- ethers.js testcases/transactions.json --------------------------------------------

// The transaction of one ethers encoding family, built from the case's fields.
Transaction ethers_tx(const json& fields, TxType type, bool with_chain_id) {
    auto get = [&](const char* key) -> const json* {
        return fields.contains(key) ? &fields[key] : nullptr;
    };
    Transaction tx;
    tx.type = type;
    if (type != TxType::kLegacy || with_chain_id)
        tx.chain_id = get("chainId") ? u64(*get("chainId")) : 0;
    if (get("nonce")) tx.nonce = u64(*get("nonce"));
    if (get("gasLimit")) tx.gas_limit = u64(*get("gasLimit"));
    // Each family takes only its own fee fields.
    const bool fee_market = type == TxType::kDynamicFee || type == TxType::kBlob;
    if (!fee_market && get("gasPrice")) tx.gas_price = u256(*get("gasPrice"));
    if (fee_market && get("maxFeePerGas")) tx.max_fee_per_gas = u256(*get("maxFeePerGas"));
    if (fee_market && get("maxPriorityFeePerGas"))
        tx.max_priority_fee_per_gas = u256(*get("maxPriorityFeePerGas"));
    if (get("to")) tx.to = *Address::from_hex(get("to")->get<std::string>());
    if (get("value")) tx.value = u256(*get("value"));
    if (get("data")) tx.data = hex(*get("data"));
    if (get("accessList") && type != TxType::kLegacy) {
        for (const auto& e : *get("accessList")) {
            AccessListEntry entry;
            entry.address = *Address::from_hex(e["address"].get<std::string>());
            for (const auto& k : e["storageKeys"])
                entry.storage_keys.push_back(*Hash32::from_hex(k.get<std::string>()));
            tx.access_list.push_back(entry);
        }
    }
    if (type == TxType::kBlob) {
        if (get("maxFeePerBlobGas")) tx.max_fee_per_blob_gas = u256(*get("maxFeePerBlobGas"));
        if (get("blobVersionedHashes"))
            for (const auto& h : *get("blobVersionedHashes"))
                tx.blob_versioned_hashes.push_back(*Hash32::from_hex(h.get<std::string>()));
    }
    return tx;
}

TEST(TransactionVectors, EthersTransactions) {
    VIGIL_VECTOR_JSON(cases, "transactions/ethers/transactions.json");
    struct Family {
        const char* name;
        TxType type;
        bool chain_id;
    };
    const Family families[] = {{"Legacy", TxType::kLegacy, false},
                               {"Eip155", TxType::kLegacy, true},
                               {"Berlin", TxType::kAccessList, true},
                               {"London", TxType::kDynamicFee, true},
                               {"Cancun", TxType::kBlob, true}};
    size_t count = 0;
    std::map<std::string, size_t> checked, not_provided;
    std::map<std::string, std::string> skipped;  // family -> names
    for (const auto& c : cases) {
        const std::string name = c["name"];
        SCOPED_TRACE(name);
        auto key = PrivateKey::from_hex(c["privateKey"].get<std::string>());
        ASSERT_TRUE(key.ok());
        const Address signer = key->address();
        for (const Family& fam : families) {
            SCOPED_TRACE(fam.name);
            const std::string unsigned_hex = c[std::string("unsigned") + fam.name];
            const std::string signed_hex = c[std::string("signed") + fam.name];
            const json& sig_json = c[std::string("signature") + fam.name];
            if (signed_hex.empty()) {
                // ethers produced no such encoding for these fields (e.g. EIP-155 without
                // a chain id, or a blob transaction without a recipient).
                ++not_provided[fam.name];
                skipped[fam.name] += (skipped[fam.name].empty() ? "" : ", ") + name;
                continue;
            }
            Transaction tx = ethers_tx(c["transaction"], fam.type, fam.chain_id);
            auto payload = signing_payload(tx);
            ASSERT_TRUE(payload.ok()) << payload.error().message;
            EXPECT_EQ(to_hex(*payload), unsigned_hex);

            const Bytes raw = hex(signed_hex);
            auto decoded = decode_transaction(raw);
            ASSERT_TRUE(decoded.ok()) << decoded.error().message;
            EXPECT_EQ(to_hex(*encode_transaction(*decoded)), signed_hex);
            auto sender = recover_sender(*decoded);
            ASSERT_TRUE(sender.ok()) << sender.error().message;
            EXPECT_EQ(*sender, signer);
            EXPECT_EQ(decoded->signature->r, u256(sig_json["r"]));
            EXPECT_EQ(decoded->signature->s, u256(sig_json["s"]));
            const uint64_t v = u64(sig_json["v"]);
            EXPECT_EQ(v, fam.type != TxType::kLegacy ? decoded->signature->y_parity
                         : fam.chain_id ? *tx.chain_id * 2 + 35 + decoded->signature->y_parity
                                        : 27u + decoded->signature->y_parity);

            if (fam.type == TxType::kBlob) {
                // Decode-only type: the decoded fields must be the case's fields.
                tx.signature = decoded->signature;
                EXPECT_EQ(*decoded, tx);
            } else {
                auto ours = sign_transaction(tx, *key);
                ASSERT_TRUE(ours.ok()) << ours.error().message;
                EXPECT_EQ(to_hex(*encode_transaction(*ours)), signed_hex);
                EXPECT_EQ(*decoded, *ours);
            }
            ++checked[fam.name];
        }
        ++count;
    }
    std::cout << "ethers transactions: " << count << " cases;";
    for (const Family& fam : families)
        std::cout << " " << fam.name << " " << checked[fam.name] << " checked/"
                  << not_provided[fam.name] << " not provided;";
    std::cout << "\n";
    for (const auto& [family, names] : skipped)
        std::cout << "  skipped " << family
                  << " (the vector has no signed form: ethers makes none for these fields, e.g. "
                     "EIP-155 without chainId, a blob tx without recipient): "
                  << names << "\n";
    EXPECT_EQ(count, 143u);
    for (const Family& fam : families)
        EXPECT_EQ(checked[fam.name] + not_provided[fam.name], 143u) << fam.name;
    // Every case has the legacy and the typed 2930/1559 forms.
    EXPECT_EQ(checked["Legacy"], 143u);
    EXPECT_EQ(checked["Berlin"], 143u);
    EXPECT_EQ(checked["London"], 143u);
    EXPECT_GT(checked["Eip155"], 0u);
    EXPECT_GT(checked["Cancun"], 0u);
}

// --- OP Stack deposits and real OP Sepolia transactions -------------------------------

TEST(TransactionVectors, OpStackKonaExecutorPayloads) {
    VIGIL_VECTOR_PATH(dir, "opstack/kona-executor");
    size_t files = 0;
    std::map<std::string, size_t> by_type;
    size_t system = 0;
    for (const auto& file : test::list_files(dir, ".json")) {
        SCOPED_TRACE(file.filename().string());
        const json doc = test::load_json(file);
        size_t index = 0;
        for (const auto& t : doc["executing_payload"]["transactions"]) {
            SCOPED_TRACE("transaction " + std::to_string(index));
            const Bytes raw = hex(t);
            auto tx = decode_transaction(raw);
            ASSERT_TRUE(tx.ok()) << tx.error().message;
            auto again = encode_transaction(*tx);
            ASSERT_TRUE(again.ok());
            EXPECT_EQ(to_hex(*again), to_hex(raw));
            EXPECT_EQ(*transaction_hash(*tx), keccak256(raw));
            auto sender = recover_sender(*tx);
            ASSERT_TRUE(sender.ok()) << sender.error().message;
            if (tx->type == TxType::kDeposit) {
                EXPECT_EQ(*sender, tx->from);
                EXPECT_FALSE(signing_payload(*tx).ok());
                if (tx->is_system_tx) ++system;
            }
            // OP Stack rule: the first transaction of every block is the L1-attributes
            // deposit from the depositor account 0xdeaddead...0001.
            if (index == 0) {
                EXPECT_EQ(tx->type, TxType::kDeposit);
                EXPECT_EQ(tx->from.to_hex(), "0xdeaddeaddeaddeaddeaddeaddeaddeaddead0001");
            }
            ++by_type[tx_type_name(tx->type)];
            ++index;
        }
        ++files;
    }
    std::cout << "kona-executor payloads: " << files << " files;";
    for (const auto& [type, n] : by_type) std::cout << " " << type << " " << n << ";";
    std::cout << " system deposits " << system << "\n";
    EXPECT_EQ(files, 6u);
    EXPECT_GE(by_type["deposit"], 6u);
}

// --- Hand-written edge cases ----------------------------------------------------------

Transaction sample_1559() {
    Transaction tx;
    tx.type = TxType::kDynamicFee;
    tx.chain_id = 1;
    tx.nonce = 7;
    tx.max_priority_fee_per_gas = U256(1'000'000'000);
    tx.max_fee_per_gas = U256(30'000'000'000ULL);
    tx.gas_limit = 21000;
    tx.to = *Address::from_hex("0x3535353535353535353535353535353535353535");
    tx.value = U256(1);
    return tx;
}

const PrivateKey& eip155_key() {
    // The EIP-155 example's key.
    static const PrivateKey key =
        *PrivateKey::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646");
    return key;
}

TEST(Transaction, DecodeRejectsMalformedNamingTheField) {
    const Transaction tx = *sign_transaction(sample_1559(), eip155_key());
    const Bytes raw = *encode_transaction(tx);
    ASSERT_TRUE(decode_transaction(raw).ok());

    Bytes trailing = raw;
    trailing.push_back(0);
    EXPECT_NE(decode_transaction(trailing).error().message.find("trailing"), std::string::npos);
    EXPECT_FALSE(decode_transaction(Bytes{}).ok());
    EXPECT_FALSE(decode_transaction(Bytes{0x05, 0xc0}).ok());  // unknown type
    EXPECT_FALSE(decode_transaction(Bytes{0x02}).ok());
    EXPECT_FALSE(decode_transaction(Bytes(raw.begin(), raw.end() - 1)).ok());

    Transaction bad_parity = tx;
    bad_parity.signature->y_parity = 2;
    auto e = decode_transaction(*encode_transaction(bad_parity));
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("'yParity'"), std::string::npos) << e.error().message;

    Transaction high_s = tx;
    high_s.signature->s = kSecp256k1N - tx.signature->s;
    e = decode_transaction(*encode_transaction(high_s));
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("'s'"), std::string::npos) << e.error().message;
    EXPECT_TRUE(decode_transaction(*encode_transaction(high_s), {.allow_high_s = true}).ok());

    Transaction zero_r = tx;
    zero_r.signature->r = U256(0);
    e = decode_transaction(*encode_transaction(zero_r));
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("'r'"), std::string::npos) << e.error().message;

    Transaction big_r = tx;
    big_r.signature->r = kSecp256k1N;
    e = decode_transaction(*encode_transaction(big_r));
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("'r'"), std::string::npos) << e.error().message;
}

TEST(Transaction, LegacyVValues) {
    Transaction tx = sample_1559();
    tx.type = TxType::kLegacy;
    tx.gas_price = U256(1);
    tx.chain_id.reset();
    const Transaction pre155 = *sign_transaction(tx, eip155_key());
    Bytes raw = *encode_transaction(pre155);
    auto back = decode_transaction(raw);
    ASSERT_TRUE(back.ok());
    EXPECT_FALSE(back->chain_id.has_value());
    // Replace v (27/28, one byte) by 26 and by 29: both invalid.
    auto tree = *rlp::decode_tree(raw);
    for (uint8_t v : {26, 29, 0, 1, 34}) {
        tree.items[6].bytes = v ? Bytes{v} : Bytes{};
        auto e = decode_transaction(rlp::encode_tree(tree));
        ASSERT_FALSE(e.ok()) << int(v);
        EXPECT_NE(e.error().message.find("'v'"), std::string::npos) << e.error().message;
    }
    // v = 2^64 (9 bytes) is rejected as too wide.
    tree.items[6].bytes = Bytes{1, 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_FALSE(decode_transaction(rlp::encode_tree(tree)).ok());
}

TEST(Transaction, WrongFieldCounts) {
    const Transaction tx = *sign_transaction(sample_1559(), eip155_key());
    auto tree = *rlp::decode_tree(BytesView(*encode_transaction(tx)).subspan(1));
    auto with_type = [](const rlp::Node& n) {
        Bytes out{0x02};
        append(out, rlp::encode_tree(n));
        return out;
    };
    auto more = tree;
    more.items.push_back(rlp::Node{});
    auto e = decode_transaction(with_type(more));
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("expected 12 fields, got 13"), std::string::npos)
        << e.error().message;
    auto fewer = tree;
    fewer.items.pop_back();
    EXPECT_FALSE(decode_transaction(with_type(fewer)).ok());
}

TEST(Transaction, ValidateIntrinsic) {
    TxRules rules;
    rules.chain_id = 1;
    Transaction tx = sample_1559();
    EXPECT_EQ(intrinsic_gas(tx, rules), 21000u);
    EXPECT_TRUE(validate_intrinsic(tx, rules).ok());
    tx.gas_limit = 20999;
    EXPECT_FALSE(validate_intrinsic(tx, rules).ok());
    tx = sample_1559();
    tx.chain_id = 5;
    EXPECT_FALSE(validate_intrinsic(tx, rules).ok());
    tx = sample_1559();
    tx.max_priority_fee_per_gas = tx.max_fee_per_gas + U256(1);
    EXPECT_FALSE(validate_intrinsic(tx, rules).ok());
    tx = sample_1559();
    tx.nonce = UINT64_MAX;
    EXPECT_FALSE(validate_intrinsic(tx, rules).ok());
    // EIP-3860: 49152 bytes of initcode are allowed, 49153 are not.
    tx = sample_1559();
    tx.to.reset();
    tx.gas_limit = 10'000'000;
    tx.data.assign(49152, 0);
    // 21000 + 32000 + 4 * 49152 + 2 * 1536 (EIP-2, EIP-2028, EIP-3860).
    EXPECT_EQ(intrinsic_gas(tx, rules), 21000u + 32000u + 4u * 49152u + 2u * 1536u);
    EXPECT_TRUE(validate_intrinsic(tx, rules).ok());
    tx.data.push_back(1);
    EXPECT_FALSE(validate_intrinsic(tx, rules).ok());
    // EIP-2930 access list costs.
    tx = sample_1559();
    tx.access_list.push_back(
        {*Address::from_hex("0x" + std::string(40, '1')), {Hash32{}, Hash32{}}});
    EXPECT_EQ(intrinsic_gas(tx, rules), 21000u + 2400u + 2u * 1900u);
}

TEST(Transaction, DepositRoundTripAndNoSignature) {
    Transaction dep;
    dep.type = TxType::kDeposit;
    dep.source_hash[0] = 0xab;
    dep.from = *Address::from_hex("0x" + std::string(40, 'a'));
    dep.mint = U256(5);
    dep.value = U256(5);
    dep.gas_limit = 100000;
    dep.is_system_tx = true;
    const Bytes raw = *encode_transaction(dep);
    EXPECT_EQ(raw[0], 0x7e);
    auto back = decode_transaction(raw);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(*back, dep);
    EXPECT_FALSE(sign_transaction(dep, eip155_key()).ok());
    // isSystemTx other than 0x80/0x01 is rejected.
    auto tree = *rlp::decode_tree(BytesView(raw).subspan(1));
    tree.items[6].bytes = Bytes{2};
    Bytes bad{0x7e};
    append(bad, rlp::encode_tree(tree));
    auto e = decode_transaction(bad);
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("isSystemTx"), std::string::npos);
}

// --- JSON request parsing and formatting (chains/rpc/tx_json) ---------------------------

TEST(TxJson, RequestFromEip155ExampleSignsToTheSignedTx) {
    VIGIL_VECTOR_JSON(c, "transactions/eip-155/example.json");
    rpc::Json request = {{"chainId", c["chainId"]},
                         {"nonce", c["tx"]["nonce"]},
                         {"gasPrice", c["tx"]["gasPrice"]},
                         {"gasLimit", c["tx"]["gasLimit"]},
                         {"to", c["tx"]["to"]},
                         {"value", c["tx"]["value"]},
                         {"input", c["tx"]["data"]}};
    auto tx = rpc::parse_tx_request(request);
    ASSERT_TRUE(tx.ok()) << tx.error().message;
    EXPECT_EQ(tx->type, TxType::kLegacy);
    auto key = PrivateKey::from_hex(c["privateKey"].get<std::string>());
    auto signed_tx = sign_transaction(*tx, *key);
    ASSERT_TRUE(signed_tx.ok());
    EXPECT_EQ(to_hex(*encode_transaction(*signed_tx)), c["signedTx"].get<std::string>());

    const rpc::Json out = rpc::tx_to_json(*signed_tx);
    EXPECT_EQ(out["type"], "0x0");
    EXPECT_EQ(out["nonce"], "0x9");
    EXPECT_EQ(out["chainId"], "0x1");
    EXPECT_EQ(out["v"], "0x25");  // 37
    EXPECT_EQ(out["r"], U256::from_string(c["r"].get<std::string>())->to_hex());
    EXPECT_EQ(out["to"], c["tx"]["to"]);
    EXPECT_EQ(out["hash"], keccak256(hex(c["signedTx"])).to_hex());
}

TEST(TxJson, EthersLondonFieldsRoundTrip) {
    VIGIL_VECTOR_JSON(cases, "transactions/ethers/transactions.json");
    size_t count = 0;
    for (const auto& c : cases) {
        const json& t = c["transaction"];
        if (!t.contains("to") || !t.contains("chainId")) continue;
        SCOPED_TRACE(c["name"].get<std::string>());
        rpc::Json request = {{"type", "0x2"}, {"chainId", t["chainId"]}};
        for (const char* k : {"nonce", "maxFeePerGas", "maxPriorityFeePerGas", "gasLimit", "to",
                              "value", "data", "accessList"})
            if (t.contains(k)) request[k] = t[k];
        if (!request.contains("nonce")) request["nonce"] = 0u;
        for (const char* k : {"maxFeePerGas", "maxPriorityFeePerGas", "gasLimit"})
            if (!request.contains(k)) request[k] = "0x0";
        auto tx = rpc::parse_tx_request(request);
        ASSERT_TRUE(tx.ok()) << tx.error().message;
        auto key = PrivateKey::from_hex(c["privateKey"].get<std::string>());
        auto signed_tx = sign_transaction(*tx, *key);
        ASSERT_TRUE(signed_tx.ok());
        EXPECT_EQ(to_hex(*encode_transaction(*signed_tx)), c["signedLondon"].get<std::string>());
        const rpc::Json out = rpc::tx_to_json(*signed_tx);
        EXPECT_EQ(out["yParity"], c["signatureLondon"]["v"]);
        // r and s are quantities (no leading zeros) as in JSON-RPC; the vector pads them.
        EXPECT_EQ(u256(out["s"]), u256(c["signatureLondon"]["s"]));
        EXPECT_EQ(u256(out["r"]), u256(c["signatureLondon"]["r"]));
        EXPECT_EQ(out["from"], key->address().to_hex());
        ++count;
    }
    EXPECT_GT(count, 90u);
}

TEST(TxJson, RequestErrorsNameTheKey) {
    auto err = [](const std::string& text) {
        auto r = rpc::parse_tx_request(std::string_view(text));
        return r.ok() ? std::string("<accepted>") : r.error().message;
    };
    const std::string base = R"("chainId":1,"nonce":0,"gas":21000)";
    EXPECT_NE(err("{" + base + R"(,"gasPrice":1,"gasPirce":1})").find("'gasPirce'"),
              std::string::npos);
    EXPECT_NE(err("{" + base + R"(,"type":2,"gasPrice":1,"maxFeePerGas":1,
                   "maxPriorityFeePerGas":1})")
                  .find("'gasPrice'"),
              std::string::npos);
    EXPECT_NE(err("{" + base + R"(,"gasPrice":1,"gasLimit":21000})").find("'gasLimit'"),
              std::string::npos);
    EXPECT_NE(err("{" + base + R"(,"gasPrice":1,"data":"0x","input":"0x"})").find("'input'"),
              std::string::npos);
    EXPECT_NE(err(R"({"nonce":0,"gas":21000,"gasPrice":1})").find("'chainId'"), std::string::npos);
    EXPECT_NE(err("{" + base + R"(,"type":3,"gasPrice":1})").find("'type'"), std::string::npos);
    EXPECT_NE(err("{" + base + R"(,"gasPrice":-1})").find("'gasPrice'"), std::string::npos);
    EXPECT_NE(err("{" + base + R"(,"gasPrice":1,"to":"0x12"})").find("'to'"), std::string::npos);
    EXPECT_NE(err("{" + base + R"(,"gasPrice":1,"type":1,"accessList":[{"address":"0x)" +
                  std::string(40, '1') + R"(","keys":[]}]})")
                  .find("'keys'"),
              std::string::npos);
    EXPECT_NE(err("[1]").find("object"), std::string::npos);
    EXPECT_NE(err("{").find("JSON"), std::string::npos);
    // A complete 1559 request with type inferred, "to" null = creation.
    auto ok = rpc::parse_tx_request(std::string_view(
        "{" + base + R"(,"maxFeePerGas":"0x10","maxPriorityFeePerGas":"0x1","to":null})"));
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->type, TxType::kDynamicFee);
    EXPECT_FALSE(ok->to.has_value());
}

}  // namespace
}  // namespace vigil::eth
