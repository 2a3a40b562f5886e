// Re-executes real blocks of a local Anvil chain (Cancun) with Vigil's own EVM and checks
// what the header and the node say: gas used, receipts root and logs bloom against the
// header, and the block's state diff against the node's prestateTracer diffMode output.
//
// The pre-state comes from debug_traceBlockByNumber's prestateTracer (the accounts and
// slots the block touched); a read the tracer did not list is an error, never a zero, so a
// gap in the tracer (or an extra read by our EVM) fails the test instead of hiding. Each
// listed account's storage root comes from eth_getProof at the parent block; the accounts
// the tracer never reports (the EIP-4788 beacon roots contract, the precompiles) too.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chains/eth/keccak.h"
#include "chains/eth/transaction.h"
#include "chains/eth/trie.h"
#include "chains/rpc/http_client.h"
#include "chains/rpc/json_fields.h"
#include "tests/support/anvil.h"
#include "verifier/evm/block.h"
#include "verifier/evm/memory_state.h"
#include "verifier/evm/op_fees.h"

namespace vigil::evm {
namespace {

using eth::Address;
using eth::Bytes;
using eth::U256;
using rpc::Json;

constexpr uint64_t kChainId = 31337;
const U256 kGwei(1'000'000'000ULL);

Bytes hex(const std::string& h) { return eth::from_hex(h).value(); }

U256 json_u256(const Json& v) {
    if (v.is_number_unsigned()) return U256(v.get<uint64_t>());
    return U256::from_string(v.get<std::string>()).value();
}

// A storage contract: called with (slot, value) it stores value at slot and logs
// LOG1(topic = slot, data = value); called without calldata it reverts.
//   CALLDATASIZE ISZERO PUSH1 27 JUMPI
//   PUSH1 32 CALLDATALOAD PUSH1 0 CALLDATALOAD SSTORE
//   PUSH1 32 CALLDATALOAD PUSH1 0 MSTORE PUSH1 0 CALLDATALOAD PUSH1 32 PUSH1 0 LOG1 STOP
//   27: JUMPDEST PUSH1 0 PUSH1 0 REVERT
const std::string kStoreRuntime =
    "3615601b57"
    "60203560003555"
    "602035600052"
    "60003560206000a1"
    "00"
    "5b60006000fd";
// A factory: CREATE2(0, calldata as initcode, salt 0x42), the new address into slot 0.
//   CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY PUSH1 0x42 CALLDATASIZE PUSH1 0 PUSH1 0 CREATE2
//   PUSH1 0 SSTORE STOP
const std::string kFactoryRuntime =
    "366000600037"
    "60423660006000f5"
    "60005500";

// Initcode that returns `runtime` (CODECOPY from offset 12, RETURN).
std::string initcode(const std::string& runtime) {
    const unsigned n = static_cast<unsigned>(runtime.size() / 2) & 0xff;  // PUSH1: < 256 bytes
    char head[64];
    std::snprintf(head, sizeof head, "60%02x600c60003960%02x6000f3", n, n);
    return head + runtime;
}

std::string word(uint64_t v) {
    char buf[65];
    std::snprintf(buf, sizeof buf, "%064llx", static_cast<unsigned long long>(v));
    return buf;
}

// What the prestate tracer listed for one account.
struct TracedAccount {
    U256 balance;
    uint64_t nonce = 0;
    Bytes code;
    std::map<U256, U256> storage;  // listed slots, zeros included
    eth::Hash32 storage_root = eth::kEmptyTrieRoot;
};

// The block's pre-state as far as the tracer listed it.
class TracedState final : public StateSource {
  public:
    std::map<Address, std::optional<TracedAccount>> accounts;  // nullopt: known absent

    Result<std::optional<eth::Account>> account(const Address& a) override {
        auto it = accounts.find(a);
        if (it == accounts.end()) return fail("tracer did not list account " + a.to_hex());
        if (!it->second) return std::optional<eth::Account>();
        const TracedAccount& t = *it->second;
        const eth::Hash32 code_hash = t.code.empty() ? eth::kEmptyCodeHash : eth::keccak256(t.code);
        return std::optional<eth::Account>(
            eth::Account{t.nonce, t.balance, t.storage_root, code_hash});
    }
    Result<U256> storage(const Address& a, const U256& slot) override {
        auto it = accounts.find(a);
        if (it == accounts.end()) return fail("tracer did not list account " + a.to_hex());
        if (!it->second) return U256();  // known absent
        auto jt = it->second->storage.find(slot);
        if (jt == it->second->storage.end())
            return fail("tracer did not list slot " + slot.to_hex() + " of " + a.to_hex());
        return jt->second;
    }
    Result<Bytes> code(const eth::Hash32& hash) override {
        if (hash == eth::kEmptyCodeHash) return Bytes();
        for (const auto& [a, t] : accounts)
            if (t && !t->code.empty() && eth::keccak256(t->code) == hash) return t->code;
        return fail("tracer listed no code with hash " + hash.to_hex());
    }
};

class ReexecuteTest : public ::testing::Test {
  protected:
    void SetUp() override { start("cancun", {}); }

    void start(const std::string& hardfork, std::vector<std::string> extra_args) {
        testing::AnvilOptions o;
        o.chain_id = kChainId;
        o.hardfork = hardfork;
        o.extra_args = std::move(extra_args);
        auto a = testing::AnvilProcess::start(o);
        ASSERT_TRUE(a) << a.error().message;
        anvil = std::move(a).value();
        rpc::RpcClientOptions ro;
        ro.chain = "anvil";
        ro.urls = {anvil->rpc_url()};
        ro.expected_chain_id = kChainId;
        ro.requests_per_second = 0;  // a local node: no client-side rate limit
        client = std::make_unique<rpc::RpcClient>(ro);
        ASSERT_TRUE(client->connect());
        key = eth::PrivateKey::from_hex(testing::kAnvilKey0).value();
    }

    Json call(const std::string& method, Json params = Json::array()) {
        auto r = client->call(method, std::move(params));
        EXPECT_TRUE(r) << method << ": " << (r ? "" : r.error().message);
        return r ? *r : Json();
    }

    // Signs and sends a transaction of `type` from dev account 0; waits for its receipt
    // when `wait` (automine on).
    std::string send(eth::TxType type, std::optional<Address> to, const std::string& data_hex,
                     uint64_t gas, U256 value = 0, bool wait = true,
                     eth::AccessList access_list = {}) {
        eth::Transaction tx;
        tx.type = type;
        tx.chain_id = kChainId;
        tx.nonce = nonce++;
        if (type == eth::TxType::kLegacy) {
            tx.gas_price = kGwei * U256(5);
        } else {
            if (type == eth::TxType::kDynamicFee) {
                tx.max_fee_per_gas = kGwei * U256(10);
                tx.max_priority_fee_per_gas = kGwei;
            } else {
                tx.gas_price = kGwei * U256(4);
            }
            tx.access_list = std::move(access_list);
        }
        tx.gas_limit = gas;
        tx.to = to;
        tx.value = value;
        tx.data = hex(data_hex);
        tx = eth::sign_transaction(tx, key).value();
        const std::string raw = eth::to_hex(*eth::encode_transaction(tx));
        Json hash = call("eth_sendRawTransaction", Json::array({raw}));
        const std::string h = hash.is_string() ? hash.get<std::string>() : "";
        sent[h] = tx;
        for (int i = 0; wait && !h.empty() && i < 3000; ++i) {
            if (!call("eth_getTransactionReceipt", Json::array({h})).is_null()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return h;
    }

    // Sends an OP Stack deposit (unsigned, type 0x7e); waits for its receipt.
    std::string send_deposit(const Address& from, std::optional<Address> to, U256 mint, U256 value,
                             const std::string& data_hex, uint64_t gas) {
        eth::Transaction tx;
        tx.type = eth::TxType::kDeposit;
        tx.source_hash = eth::keccak256(eth::view(std::to_string(sent.size())));
        tx.from = from;
        tx.to = to;
        tx.mint = mint;
        tx.value = value;
        tx.gas_limit = gas;
        tx.data = hex(data_hex);
        const std::string raw = eth::to_hex(*eth::encode_transaction(tx));
        Json hash = call("eth_sendRawTransaction", Json::array({raw}));
        const std::string h = hash.is_string() ? hash.get<std::string>() : "";
        sent[h] = tx;
        for (int i = 0; !h.empty() && i < 3000; ++i) {
            if (!call("eth_getTransactionReceipt", Json::array({h})).is_null()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return h;
    }

    Address receipt_contract(const std::string& h) {
        Json r = call("eth_getTransactionReceipt", Json::array({h}));
        return *rpc::field_address(r, "contractAddress");
    }

    // Reads an account at `block` from the node (for the storage root and the accounts the
    // tracer leaves out).
    TracedAccount node_account(const Address& a, uint64_t block, bool* exists) {
        Json proof =
            call("eth_getProof", Json::array({a.to_hex(), Json::array(), eth::to_quantity(block)}));
        TracedAccount t;
        t.balance = json_u256(proof["balance"]);
        t.nonce = json_u256(proof["nonce"]).low64();
        t.storage_root = *rpc::field_hash(proof, "storageHash");
        const eth::Hash32 code_hash = *rpc::field_hash(proof, "codeHash");
        Json code = call("eth_getCode", Json::array({a.to_hex(), eth::to_quantity(block)}));
        t.code = hex(code.get<std::string>());
        *exists = !(t.balance.is_zero() && t.nonce == 0 && code_hash == eth::kEmptyCodeHash);
        return t;
    }

    void reexecute(uint64_t number, const ChainRules& rules);

    // Anvil admits a sent transaction to its pool asynchronously: with automine off, every
    // one sent must be there before evm_mine, or it stays pending for good.
    void wait_in_pool() {
        for (const auto& [h, tx] : sent)
            for (int i = 0; i < 1000; ++i) {
                if (!call("eth_getTransactionByHash", Json::array({h})).is_null()) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
    }

    std::unique_ptr<testing::AnvilProcess> anvil;
    std::unique_ptr<rpc::RpcClient> client;
    eth::PrivateKey key = eth::PrivateKey::from_hex(testing::kAnvilKey0).value();
    uint64_t nonce = 0;
    std::map<std::string, eth::Transaction> sent;  // by hash
    std::map<uint64_t, eth::Hash32> hashes;        // block hashes, for BLOCKHASH
};

void ReexecuteTest::reexecute(uint64_t number, const ChainRules& rules) {
    SCOPED_TRACE("block " + std::to_string(number));
    const Json header =
        call("eth_getBlockByNumber", Json::array({eth::to_quantity(number), false}));
    ASSERT_TRUE(header.is_object());
    BlockInput in;
    in.number = number;
    in.timestamp = *rpc::field_uint64(header, "timestamp");
    const Json parent =
        call("eth_getBlockByNumber", Json::array({eth::to_quantity(number - 1), false}));
    in.parent_timestamp = *rpc::field_uint64(parent, "timestamp");
    in.coinbase = *rpc::field_address(header, "miner");
    in.gas_limit = *rpc::field_uint64(header, "gasLimit");
    in.base_fee = *rpc::field_u256(header, "baseFeePerGas");
    in.prev_randao = *rpc::field_hash(header, "mixHash");
    in.parent_beacon_block_root = *rpc::field_hash(header, "parentBeaconBlockRoot");
    in.excess_blob_gas = *rpc::field_uint64(header, "excessBlobGas");
    in.block_hash = [this](uint64_t n) -> std::optional<eth::Hash32> {
        if (!hashes.count(n)) return std::nullopt;
        return hashes[n];
    };
    for (const Json& h : header["transactions"]) {
        auto it = sent.find(h.get<std::string>());
        ASSERT_NE(it, sent.end()) << "a transaction this test did not send";
        in.transactions.push_back(it->second);
    }
    ASSERT_FALSE(in.transactions.empty());

    // The pre-state: for each account and slot, the first transaction that lists it gives
    // its value before the block (an earlier transaction would have listed it).
    TracedState pre;
    const Json traces =
        call("debug_traceBlockByNumber",
             Json::array({eth::to_quantity(number), {{"tracer", "prestateTracer"}}}));
    ASSERT_EQ(traces.size(), in.transactions.size());
    for (const Json& tr : traces) {
        for (const auto& [addr_hex, acc] : tr["result"].items()) {
            const Address a = *Address::from_hex(addr_hex);
            auto [it, fresh] = pre.accounts.try_emplace(a);
            if (fresh) {
                TracedAccount t;
                t.balance = acc.contains("balance") ? json_u256(acc["balance"]) : U256();
                t.nonce = acc.contains("nonce") ? json_u256(acc["nonce"]).low64() : 0;
                if (acc.contains("code")) t.code = hex(acc["code"].get<std::string>());
                bool exists = false;
                t.storage_root = node_account(a, number - 1, &exists).storage_root;
                if (exists)
                    it->second = t;
                else
                    it->second = std::nullopt;
            }
            if (!it->second || !acc.contains("storage")) continue;
            for (const auto& [slot, value] : acc["storage"].items())
                it->second->storage.try_emplace(json_u256(slot), json_u256(value));
        }
    }
    // Accounts every block reads but the tracer does not report: the beacon roots
    // contract (the EIP-4788 system call checks its code), the precompiles and the coinbase
    // (warm from the start of every transaction, which our EVM does by loading them; a
    // deposit pays the coinbase nothing, so the tracer leaves it out). Their storage
    // must be empty, so any slot read of theirs still fails.
    // On OP Stack the L1Block predeploy too: its fee values are read outside the EVM.
    std::vector<Address> untraced{kBeaconRootsAddress, in.coinbase};
    if (rules.op_stack) untraced.push_back(op::kL1BlockAddress);
    for (const Address& p : precompile_addresses(PrecompileSet{})) untraced.push_back(p);
    for (const Address& a : untraced) {
        if (pre.accounts.count(a)) continue;
        bool exists = false;
        TracedAccount t = node_account(a, number - 1, &exists);
        if (a == op::kL1BlockAddress) {
            // The slots the L1 fee reads (op_fees.h), from the node at the parent block.
            for (uint64_t slot : {op::kL1BaseFeeSlot, op::kL1FeeScalarsSlot, op::kL1OverheadSlot,
                                  op::kL1ScalarSlot, op::kL1BlobBaseFeeSlot}) {
                const Json v =
                    call("eth_getStorageAt", Json::array({a.to_hex(), eth::to_quantity(slot),
                                                          eth::to_quantity(number - 1)}));
                t.storage[U256(slot)] = json_u256(v);
            }
        } else {
            ASSERT_TRUE(t.storage_root == eth::kEmptyTrieRoot) << a.to_hex() << " has storage";
        }
        if (exists)
            pre.accounts[a] = t;
        else
            pre.accounts[a] = std::nullopt;
    }

    auto out = execute_block(pre, in, rules);
    ASSERT_TRUE(out) << out.error().message;

    EXPECT_EQ(out->gas_used, *rpc::field_uint64(header, "gasUsed"));
    EXPECT_EQ(out->blob_gas_used, *rpc::field_uint64(header, "blobGasUsed"));
    EXPECT_EQ(eth::to_hex(out->logs_bloom.view()), header["logsBloom"].get<std::string>());
    // Each receipt against the node's. Anvil (1.7.1) reports a deposit's depositNonce as the
    // sender's nonce after the deposit; op-geth, kona and Nethermind record the nonce before
    // it (op-geth state_processor.go), which is what Vigil does. So for deposits the node's
    // value must be ours + 1, and the header's receipts root must equal the root of our
    // receipts carrying the node's convention: every other byte of the encoding is checked.
    std::vector<eth::Receipt> node_convention = out->receipts;
    bool any_deposit = false;
    for (size_t i = 0; i < in.transactions.size(); ++i) {
        const Json r = call("eth_getTransactionReceipt", Json::array({header["transactions"][i]}));
        EXPECT_EQ(out->receipts[i].status, *rpc::field_uint64(r, "status") == 1) << i;
        EXPECT_EQ(out->receipts[i].cumulative_gas_used, *rpc::field_uint64(r, "cumulativeGasUsed"))
            << i;
        if (out->receipts[i].type != eth::TxType::kDeposit) continue;
        any_deposit = true;
        ASSERT_TRUE(out->receipts[i].deposit_nonce.has_value());
        EXPECT_EQ(*out->receipts[i].deposit_nonce + 1, *rpc::field_uint64(r, "depositNonce")) << i;
        EXPECT_EQ(out->receipts[i].deposit_receipt_version,
                  std::optional<uint64_t>(*rpc::field_uint64(r, "depositReceiptVersion")))
            << i;
        node_convention[i].deposit_nonce = *rpc::field_uint64(r, "depositNonce");
    }
    if (any_deposit)
        EXPECT_EQ(*eth::receipts_root(node_convention), *rpc::field_hash(header, "receiptsRoot"));
    else
        EXPECT_EQ(out->receipts_root, *rpc::field_hash(header, "receiptsRoot"));

    // The expected post-state of every account the block changed: the pre-state, then each
    // transaction's diffMode post (fields it lists are new; storage slots in its pre but not
    // its post became zero; an account in pre but not in post was deleted).
    struct Expected {
        bool deleted = false;
        U256 balance;
        uint64_t nonce = 0;
        Bytes code;
        std::map<U256, U256> storage;
    };
    std::map<Address, Expected> expected;
    const Json diffs =
        call("debug_traceBlockByNumber",
             Json::array({eth::to_quantity(number),
                          {{"tracer", "prestateTracer"}, {"tracerConfig", {{"diffMode", true}}}}}));
    ASSERT_EQ(diffs.size(), in.transactions.size());
    for (const Json& tr : diffs) {
        const Json& dpre = tr["result"]["pre"];
        const Json& dpost = tr["result"]["post"];
        auto start = [&](const Address& a) -> Expected& {
            auto [it, fresh] = expected.try_emplace(a);
            if (fresh) {
                auto pit = pre.accounts.find(a);
                if (pit != pre.accounts.end() && pit->second) {
                    it->second.balance = pit->second->balance;
                    it->second.nonce = pit->second->nonce;
                    it->second.code = pit->second->code;
                }
            }
            return it->second;
        };
        for (const auto& [addr_hex, acc] : dpre.items()) {
            const Address a = *Address::from_hex(addr_hex);
            Expected& e = start(a);
            if (!dpost.contains(addr_hex)) {
                e = Expected{};
                e.deleted = true;
                continue;
            }
            if (acc.contains("storage"))
                for (const auto& [slot, value] : acc["storage"].items()) {
                    (void)value;
                    const Json& ps = dpost[addr_hex];
                    if (!ps.contains("storage") || !ps["storage"].contains(slot))
                        e.storage[json_u256(slot)] = U256();
                }
        }
        for (const auto& [addr_hex, acc] : dpost.items()) {
            Expected& e = start(*Address::from_hex(addr_hex));
            e.deleted = false;
            if (acc.contains("balance")) e.balance = json_u256(acc["balance"]);
            if (acc.contains("nonce")) e.nonce = json_u256(acc["nonce"]).low64();
            if (acc.contains("code")) e.code = hex(acc["code"].get<std::string>());
            if (acc.contains("storage"))
                for (const auto& [slot, value] : acc["storage"].items())
                    e.storage[json_u256(slot)] = json_u256(value);
        }
    }

    // Our diff, applied to the traced pre-state, against every expected value; and every
    // account and slot our diff changed must be one the node changed too.
    MemoryState after;
    for (const auto& [a, t] : pre.accounts) {
        if (!t) continue;
        MemoryAccount m;
        m.balance = t->balance;
        m.nonce = t->nonce;
        m.code = t->code;
        m.storage = t->storage;
        after.set_account(a, m);
    }
    after.apply(out->diff);
    for (const auto& [a, e] : expected) {
        SCOPED_TRACE(a.to_hex());
        const MemoryAccount* m = after.find(a);
        if (e.deleted) {
            EXPECT_EQ(m, nullptr);
            continue;
        }
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->balance, e.balance);
        EXPECT_EQ(m->nonce, e.nonce);
        EXPECT_EQ(eth::to_hex(m->code), eth::to_hex(e.code));
        for (const auto& [slot, value] : e.storage) {
            auto it = m->storage.find(slot);
            EXPECT_EQ(it == m->storage.end() ? U256() : it->second, value) << slot.to_hex();
        }
    }
    for (const AccountUpdate& u : out->diff.accounts) {
        SCOPED_TRACE(u.address.to_hex());
        auto it = expected.find(u.address);
        if (it == expected.end()) {
            // Unchanged in the node's view: our update must restate the pre-state.
            auto pit = pre.accounts.find(u.address);
            ASSERT_NE(pit, pre.accounts.end());
            ASSERT_TRUE(pit->second.has_value());
            EXPECT_FALSE(u.deleted);
            EXPECT_EQ(u.balance, pit->second->balance);
            EXPECT_EQ(u.nonce, pit->second->nonce);
            continue;
        }
        EXPECT_EQ(u.deleted, it->second.deleted);
        for (const auto& [slot, value] : u.storage) {
            auto sit = it->second.storage.find(slot);
            if (sit == it->second.storage.end()) {
                // Written back to its pre-block value within the block.
                EXPECT_EQ(value, pre.accounts[u.address]->storage.at(slot)) << slot.to_hex();
            } else {
                EXPECT_EQ(value, sit->second) << slot.to_hex();
            }
        }
    }
}

TEST_F(ReexecuteTest, AnvilBlocksMatchTheirHeadersAndTheNodesDiff) {
    const uint64_t start = json_u256(call("eth_blockNumber")).low64();
    hashes[start] = *rpc::field_hash(
        call("eth_getBlockByNumber", Json::array({eth::to_quantity(start), false})), "hash");

    // Deployments: a 1559 creation, a legacy one, and a CREATE2 through the factory.
    const std::string store_init = initcode(kStoreRuntime);
    const Address store =
        receipt_contract(send(eth::TxType::kDynamicFee, std::nullopt, store_init, 300'000));
    const Address factory = receipt_contract(
        send(eth::TxType::kLegacy, std::nullopt, initcode(kFactoryRuntime), 300'000));
    send(eth::TxType::kDynamicFee, factory, store_init, 300'000);
    const Json slot0 = call("eth_getStorageAt", Json::array({factory.to_hex(), "0x0", "latest"}));
    const Address child = *Address::from_word(hex(slot0.get<std::string>()));
    const Json child_code = call("eth_getCode", Json::array({child.to_hex(), "latest"}));
    ASSERT_EQ(child_code.get<std::string>(), "0x" + kStoreRuntime);

    // Several transactions in one block: storage set, reset and clear, a revert, value
    // transfers, logs, legacy, 2930 and 1559 transactions.
    call("evm_setAutomine", Json::array({false}));
    const Address fresh = *Address::from_hex("0x00000000000000000000000000000000000bee01");
    const Address fresh2 = *Address::from_hex("0x00000000000000000000000000000000000bee02");
    send(eth::TxType::kDynamicFee, store, word(1) + word(5), 100'000, 0, false);
    send(eth::TxType::kLegacy, store, word(2) + word(7), 100'000, 0, false);
    send(eth::TxType::kDynamicFee, child, word(3) + word(1), 100'000, 0, false);
    send(eth::TxType::kDynamicFee, store, word(1) + word(0), 100'000, 0, false);  // clear
    send(eth::TxType::kDynamicFee, store, "", 100'000, 0, false);                 // reverts
    send(eth::TxType::kLegacy, fresh, "", 21'000, kGwei * U256(1'000'000'000), false);
    eth::AccessList al{{store, {eth::Hash32::from_view(hex(word(2))).value()}}};
    send(eth::TxType::kAccessList, store, word(2) + word(9), 100'000, 0, false, al);  // reset
    send(eth::TxType::kDynamicFee, fresh2, "", 21'000, U256(2), false);
    wait_in_pool();
    call("evm_mine");
    call("evm_setAutomine", Json::array({true}));
    // And one more block: clear a slot set in the previous block, set a new one.
    send(eth::TxType::kDynamicFee, store, word(2) + word(0), 100'000);
    send(eth::TxType::kLegacy, child, word(4) + word(0x99), 100'000);

    const uint64_t head = json_u256(call("eth_blockNumber")).low64();
    ASSERT_EQ(head, start + 6);
    const Json batch =
        call("eth_getBlockByNumber", Json::array({eth::to_quantity(start + 4), false}));
    ASSERT_EQ(batch["transactions"].size(), 8u);
    ChainRules rules;
    rules.chain_id = kChainId;
    for (uint64_t n = start + 1; n <= head; ++n) {
        reexecute(n, rules);
        hashes[n] = *rpc::field_hash(
            call("eth_getBlockByNumber", Json::array({eth::to_quantity(n), false})), "hash");
    }
}

// Anvil's OP Stack mode (op-revm, Ecotone rules): deposits (mint, value, calls, a failed
// one) next to user transactions, so the deposit receipts (depositNonce, version 1) and the
// fee vault credits are checked against a second implementation. Anvil adds no L1-info
// deposit (and its pool refuses deposits that cannot pay their value), so the L1 fee is
// zero here and a halting creation stands for the failed deposit; its formulas are covered by the
// unit tests.
TEST_F(ReexecuteTest, AnvilOpStackDepositsMatch) {
    anvil.reset();
    start("ecotone", {"--network", "optimism"});
    const uint64_t first = json_u256(call("eth_blockNumber")).low64();
    const Address store = receipt_contract(
        send(eth::TxType::kDynamicFee, std::nullopt, initcode(kStoreRuntime), 300'000));
    const Address depositor = *Address::from_hex("0x00000000000000000000000000000000000de901");
    const Address target = *Address::from_hex("0x00000000000000000000000000000000000de902");
    send_deposit(depositor, target, kGwei, U256(1000), "", 100'000);               // mint, value
    send_deposit(depositor, store, U256(0), U256(0), word(5) + word(6), 100'000);  // call
    send_deposit(depositor, store, U256(0), U256(0), "", 100'000);                 // reverts
    send_deposit(depositor, std::nullopt, U256(0), U256(0), "fe", 100'000);        // halts: INVALID
    send(eth::TxType::kLegacy, store, word(5) + word(0), 100'000);
    const uint64_t head = json_u256(call("eth_blockNumber")).low64();
    ASSERT_EQ(head, first + 6);

    ChainRules rules;
    rules.chain_id = kChainId;
    OpStackForks forks;
    forks.regolith = forks.canyon = forks.delta = forks.ecotone = 0;
    rules.op_stack = forks;
    for (uint64_t n = first + 1; n <= head; ++n) reexecute(n, rules);
}

}  // namespace
}  // namespace vigil::evm
