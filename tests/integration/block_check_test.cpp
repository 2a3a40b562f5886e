// Re-executing real Anvil blocks end to end (verifier/reexecute.h): block and witness
// fetched from the node, executed by Vigil's own EVM on a witness checked against a
// trusted parent hash, header and block hash rebuilt, and each computed block hash
// trusted as the parent of the next block. A Cancun chain and an OP Stack chain (user
// transactions, deposits, the L2ToL1MessagePasser and the output root) chain from block
// 1's hash to the head; a witness with a node removed or altered, a wrong trusted parent,
// a block not there yet and a node serving a garbage debug_executionWitness give errors,
// never a verdict.
//
// Anvil facts this relies on (see /work/shared/TOOLCHAIN.md): its genesis header carries
// the empty trie's root, so the chains are trusted from block 1; it keeps a cleared slot
// as a leaf holding rlp(0), so the traffic never clears a slot; it serves no
// debug_executionWitness, so the automatic method must fall back to the prestate path.
// Its OP mode deviates from op-geth in more ways (see the OP Stack test), each avoided
// or checked to be exactly what it is.
#include "verifier/reexecute.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chains/eth/abi.h"
#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"
#include "chains/eth/receipt.h"
#include "chains/eth/secp256k1.h"
#include "chains/eth/transaction.h"
#include "chains/eth/trie.h"
#include "chains/rpc/header_json.h"
#include "chains/rpc/json_fields.h"
#include "chains/rpc/proof_json.h"
#include "tests/support/anvil.h"
#include "tests/support/anvil_chain_test.h"
#include "tests/support/devnet.h"
#include "tests/support/fault_proxy.h"
#include "verifier/evm/op_fees.h"
#include "verifier/evm/witness_state.h"
#include "verifier/witness_fetch.h"

namespace vigil::verifier {
namespace {

using eth::Address;
using eth::Bytes;
using eth::Hash32;
using eth::U256;
using rpc::Json;

constexpr uint64_t kCancunChainId = 4242;
constexpr uint64_t kOpChainId = 4343;
// Anvil's dev account 1 (mnemonic "test test ... junk"): a public test key.
constexpr const char* kAnvilKey1 =
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const U256 kGwei(1'000'000'000ULL);

Bytes hex(const char* text) { return *eth::from_hex(text); }

using testing::deployer_of;

// Stores each 64-byte calldata pair (slot, value):
//   PUSH1 0; loop: JUMPDEST DUP1 CALLDATASIZE GT ISZERO PUSH1 end JUMPI
//   DUP1 PUSH1 32 ADD CALLDATALOAD DUP2 CALLDATALOAD SSTORE PUSH1 64 ADD PUSH1 loop JUMP
//   end: JUMPDEST STOP
const Bytes kMultiStoreRuntime = hex("60005b8036111560185780602001358135556040016002565b00");
// Called with (slot, value): SSTORE(slot, value) and LOG1(topic = slot, data = value);
// without calldata it reverts.
//   CALLDATASIZE ISZERO PUSH1 27 JUMPI
//   PUSH1 32 CALLDATALOAD PUSH1 0 CALLDATALOAD SSTORE
//   PUSH1 32 CALLDATALOAD PUSH1 0 MSTORE PUSH1 0 CALLDATALOAD PUSH1 32 PUSH1 0 LOG1 STOP
//   27: JUMPDEST PUSH1 0 PUSH1 0 REVERT
const Bytes kLogStoreRuntime =
    hex("3615601b5760203560003555602035600052600035602060"
        "00a1005b60006000fd");
// CREATE2 of the calldata as init code with salt 42, the new address stored in slot 0:
//   CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY PUSH1 42 CALLDATASIZE PUSH1 0 PUSH1 0 CREATE2
//   PUSH1 0 SSTORE STOP
const Bytes kFactoryRuntime = hex("366000600037602a3660006000f560005500");
// Compute-heavy: word 0 of the calldata times h = keccak256(h) (h starts as 32 zero bytes
// in memory), then SSTORE(0, h).
//   PUSH1 0 CALLDATALOAD; loop(3): JUMPDEST DUP1 ISZERO PUSH1 end JUMPI
//   PUSH1 32 PUSH1 0 KECCAK256 PUSH1 0 MSTORE PUSH1 1 SWAP1 SUB PUSH1 loop JUMP
//   end(24): JUMPDEST PUSH1 0 MLOAD PUSH1 0 SSTORE STOP
const Bytes kKeccakLoopRuntime =
    hex("6000355b80156018576020600020600052600190036003565b60005160005500");
// SSTORE(0, BLOCKHASH(NUMBER - 1)): NUMBER PUSH1 1 SWAP1 SUB BLOCKHASH PUSH1 0 SSTORE STOP
const Bytes kBlockHashRuntime = hex("43600190034060005500");

// SSTORE(k, BLOCKHASH(NUMBER - k)) for k = calldata word 0:
//   PUSH1 0 CALLDATALOAD DUP1 NUMBER SUB BLOCKHASH SWAP1 SSTORE STOP
const Bytes kAncestorHashRuntime = hex("60003580430340905500");

Bytes pairs_calldata(const std::vector<std::pair<uint64_t, uint64_t>>& writes) {
    Bytes out;
    for (const auto& [slot, value] : writes) {
        const auto s = U256(slot).to_be_word(), v = U256(value).to_be_word();
        out.insert(out.end(), s.begin(), s.end());
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

Bytes word_calldata(uint64_t v) {
    const auto w = U256(v).to_be_word();
    return Bytes(w.begin(), w.end());
}

// The first address 0x…0100 + i whose keccak256 (its state-trie path) starts with the
// same two nibbles as the L2ToL1MessagePasser's.
Address passer_neighbour() {
    const Hash32 target = eth::keccak256(eth::opstack::message_passer_address().view());
    for (uint64_t i = 0;; ++i) {
        const auto word = U256(0x100 + i).to_be_word();
        const Address a = *Address::from_word(Bytes(word.begin(), word.end()));
        if (eth::keccak256(a.view())[0] == target[0]) return a;
    }
}

// Isthmus's OperatorFeeVault predeploy (OP specs, predeploys.md).
const Address kOperatorFeeVault = *Address::from_hex("0x420000000000000000000000000000000000001b");

// L1Block values (op_fees.h slots), as an Ecotone chain might hold them: L1 base fee
// 10 gwei, baseFeeScalar 1368 and blobBaseFeeScalar 810949 (with sequence number 1),
// Bedrock overhead 188 and scalar 684000, blob base fee 3 wei. Slot 8 (Isthmus's
// operator fee scalar in bytes [20, 24) and constant in [24, 32)) is non-zero only
// outside those bytes: Anvil reads it (see below), and charges no operator fee with it.
std::map<uint64_t, U256> l1_block_values() {
    return {
        {8,
         *U256::from_string("0x0100000000000000000000000000000000000000000000000000000000000000")},
        {evm::op::kL1BaseFeeSlot, U256(10'000'000'000ULL)},
        {evm::op::kL1FeeScalarsSlot, *U256::from_string("0x00000000000000000000000000000000"
                                                        "00000558"
                                                        "000c5fc5"
                                                        "0000000000000001")},
        {evm::op::kL1OverheadSlot, U256(188)},
        {evm::op::kL1ScalarSlot, U256(684'000)},
        {evm::op::kL1BlobBaseFeeSlot, U256(3)},
    };
}

evm::ChainRules cancun_rules() {
    evm::ChainRules rules;
    rules.chain_id = kCancunChainId;
    return rules;
}

// Fjord from genesis: Anvil (1.7.1) in OP mode computes the L1 data fee with Fjord's
// formula (FastLZ estimate, 100e6 minimum) and reads Isthmus's operator fee slot whatever
// --hardfork says (seen with "ecotone": its L1 fee was Fjord's), so the chain is run with
// --hardfork fjord and checked under Fjord rules.
evm::ChainRules op_rules() {
    evm::ChainRules rules;
    rules.chain_id = kOpChainId;
    evm::OpStackForks forks;
    forks.regolith = forks.canyon = forks.delta = forks.ecotone = forks.fjord = 0;
    rules.op_stack = forks;
    return rules;
}

// Per-block timings, printed once per chain.
struct Timings {
    size_t blocks = 0, transactions = 0;
    double fetch_ms = 0, execute_ms = 0, max_fetch_ms = 0, max_execute_ms = 0;

    void add(const BlockCheck& c) {
        ++blocks;
        transactions += c.transactions;
        fetch_ms += c.fetch_ms;
        execute_ms += c.execute_ms;
        max_fetch_ms = std::max(max_fetch_ms, c.fetch_ms);
        max_execute_ms = std::max(max_execute_ms, c.execute_ms);
    }
    void print(const char* what) const {
        if (blocks == 0) return;
        std::printf(
            "[ timings  ] %s: %zu blocks, %zu transactions; fetch %.2f ms/block (max %.2f), "
            "execute %.2f ms/block (max %.2f)\n",
            what, blocks, transactions, fetch_ms / blocks, max_fetch_ms, execute_ms / blocks,
            max_execute_ms);
    }
};

// A witness as debug_executionWitness answers it (reth's list shape).
Json witness_json(const evm::Witness& w) {
    Json out = {{"state", Json::array()}, {"codes", Json::array()}, {"headers", Json::array()}};
    for (const Bytes& b : w.state_nodes) out["state"].push_back(eth::to_hex(b));
    for (const Bytes& b : w.codes) out["codes"].push_back(eth::to_hex(b));
    for (const Bytes& b : w.headers) out["headers"].push_back(eth::to_hex(b));
    return out;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

class BlockCheckTest : public testing::AnvilChainTest {
  protected:
    // Signs and sends a transaction of `type` from `key`; with `wait` (automine on) waits
    // for its receipt. Every call names its gas: the node estimates nothing, so a
    // transaction that reverts is still mined.
    Hash32 send(const eth::PrivateKey& key, eth::TxType type, std::optional<Address> to,
                const Bytes& data, uint64_t gas, U256 value = U256(), bool wait = true,
                eth::AccessList access_list = {}) {
        eth::Transaction tx;
        tx.type = type;
        tx.chain_id = chain_id_;
        tx.nonce = nonces_[key.address()]++;
        if (type == eth::TxType::kDynamicFee) {
            tx.max_fee_per_gas = kGwei * U256(20);
            tx.max_priority_fee_per_gas = kGwei;
        } else {
            tx.gas_price = kGwei * U256(type == eth::TxType::kLegacy ? 15 : 12);
        }
        if (type != eth::TxType::kLegacy) tx.access_list = std::move(access_list);
        tx.gas_limit = gas;
        tx.to = to;
        tx.value = value;
        tx.data = data;
        auto signed_tx = eth::sign_transaction(tx, key);
        EXPECT_TRUE(signed_tx.ok());
        return send_raw(*eth::encode_transaction(*signed_tx), wait);
    }

    // Sends an OP Stack deposit (type 0x7e, unsigned; Anvil's OP mode takes them raw).
    Hash32 send_deposit(const Address& from, std::optional<Address> to, U256 mint, U256 value,
                        const Bytes& data, uint64_t gas, bool wait = true) {
        eth::Transaction tx;
        tx.type = eth::TxType::kDeposit;
        tx.source_hash = eth::keccak256(eth::view("deposit " + std::to_string(deposits_++)));
        tx.from = from;
        tx.to = to;
        tx.mint = mint;
        tx.value = value;
        tx.gas_limit = gas;
        tx.data = data;
        return send_raw(*eth::encode_transaction(tx), wait);
    }

    Address deploy(const eth::PrivateKey& key, eth::TxType type, const Bytes& runtime) {
        const Json r = receipt(send(key, type, std::nullopt, deployer_of(runtime), 200'000));
        auto a = rpc::field_address(r, "contractAddress");
        EXPECT_TRUE(a.ok());
        return a.ok() ? *a : Address();
    }

    // Varied Cancun traffic after an empty block 1: deployments (1559, legacy, 2930 and a
    // CREATE2), storage-heavy calls (tens of non-zero SSTOREs), logs, a revert, a keccak
    // loop, BLOCKHASH, value transfers, blocks of several transactions from two senders, an
    // empty block. Never a slot cleared. Returns the multi-transaction block's number.
    uint64_t cancun_traffic() {
        mine();  // block 1: the trusted start
        // An account whose state-trie path starts like the L2ToL1MessagePasser's: under
        // Ethereum rules nothing may read that path (the witness of a block that does not
        // touch this account lacks its leaf).
        EXPECT_TRUE(
            succeeded(send(key1_, eth::TxType::kLegacy, passer_neighbour(), {}, 21'000, U256(7))));
        const eth::PrivateKey& a = key0_;
        const eth::PrivateKey& b = key1_;
        store_ = deploy(a, eth::TxType::kDynamicFee, kMultiStoreRuntime);
        log_store_ = deploy(a, eth::TxType::kLegacy, kLogStoreRuntime);
        factory_ = deploy(b, eth::TxType::kAccessList, kFactoryRuntime);
        keccak_ = deploy(b, eth::TxType::kDynamicFee, kKeccakLoopRuntime);
        blockhash_ = deploy(a, eth::TxType::kDynamicFee, kBlockHashRuntime);

        std::vector<std::pair<uint64_t, uint64_t>> writes;
        for (uint64_t s = 1; s <= 60; ++s) writes.emplace_back(s, s * 1000 + 7);
        EXPECT_TRUE(succeeded(
            send(a, eth::TxType::kDynamicFee, store_, pairs_calldata(writes), 2'000'000)));
        writes.clear();
        for (uint64_t s = 30; s <= 90; ++s) writes.emplace_back(s, s + 5);
        EXPECT_TRUE(
            succeeded(send(b, eth::TxType::kLegacy, store_, pairs_calldata(writes), 2'000'000)));

        const Hash32 created =
            send(a, eth::TxType::kDynamicFee, factory_, deployer_of(kLogStoreRuntime), 300'000);
        EXPECT_TRUE(succeeded(created));
        const Json slot0 =
            call("eth_getStorageAt", Json::array({factory_.to_hex(), "0x0", "latest"}));
        child_ = *Address::from_word(*eth::from_hex(slot0.get<std::string>()));
        const Json child_code = call("eth_getCode", Json::array({child_.to_hex(), "latest"}));
        EXPECT_EQ(child_code.get<std::string>(), eth::to_hex(kLogStoreRuntime));

        EXPECT_TRUE(succeeded(
            send(b, eth::TxType::kDynamicFee, child_, pairs_calldata({{3, 33}}), 100'000)));
        EXPECT_TRUE(succeeded(
            send(a, eth::TxType::kLegacy, log_store_, pairs_calldata({{1, 11}}), 100'000)));
        EXPECT_FALSE(succeeded(send(a, eth::TxType::kDynamicFee, log_store_, {}, 100'000)));
        EXPECT_TRUE(succeeded(
            send(b, eth::TxType::kDynamicFee, keccak_, word_calldata(20'000), 3'000'000)));
        EXPECT_TRUE(succeeded(send(a, eth::TxType::kAccessList, blockhash_, {}, 100'000)));
        const Address fresh = *Address::from_hex("0x00000000000000000000000000000000000b0b01");
        EXPECT_TRUE(succeeded(
            send(a, eth::TxType::kLegacy, fresh, {}, 21'000, kGwei * U256(1'000'000'000))));
        EXPECT_TRUE(succeeded(send(b, eth::TxType::kDynamicFee, a.address(), {}, 21'000, U256(1))));

        // Several transactions in one block, both senders, touching the same slots.
        const uint64_t multi = one_block([&] {
            const Address fresh2 = *Address::from_hex("0x00000000000000000000000000000000000b0b02");
            eth::AccessList al{{store_, {Hash32(U256(31).to_be_word())}}};
            return std::vector<Hash32>{
                send(a, eth::TxType::kDynamicFee, store_,
                     pairs_calldata({{100, 1}, {101, 2}, {102, 3}, {40, 4}}), 500'000, U256(),
                     false),
                send(b, eth::TxType::kAccessList, store_, pairs_calldata({{100, 9}, {31, 77}}),
                     500'000, U256(), false, al),
                send(a, eth::TxType::kLegacy, log_store_, pairs_calldata({{1, 12}}), 100'000,
                     U256(), false),
                send(b, eth::TxType::kDynamicFee, log_store_, {}, 100'000, U256(), false),
                send(a, eth::TxType::kDynamicFee, fresh2, {}, 21'000, U256(5), false),
                send(b, eth::TxType::kDynamicFee, factory_, deployer_of(kBlockHashRuntime), 300'000,
                     U256(), false),
                send(a, eth::TxType::kDynamicFee, keccak_, word_calldata(5'000), 1'000'000, U256(),
                     false),
                send(b, eth::TxType::kLegacy, std::nullopt, deployer_of(kLogStoreRuntime), 200'000,
                     U256(), false),
                send(a, eth::TxType::kDynamicFee, blockhash_, {}, 100'000, U256(), false),
            };
        });
        EXPECT_EQ(block(multi).transactions.size(), 9u);
        one_block([&] {
            std::vector<Hash32> out;
            for (uint64_t i = 0; i < 3; ++i)
                out.push_back(send(b, eth::TxType::kDynamicFee, child_,
                                   pairs_calldata({{7, 70 + i}}), 100'000, U256(), false));
            return out;
        });
        mine();  // an empty block
        EXPECT_TRUE(succeeded(send(a, eth::TxType::kLegacy, store_,
                                   pairs_calldata({{1, 2}, {2, 3}, {200, 1}}), 200'000)));
        return multi;
    }

    // The prestate witness of block `number` with the accounts the tracer never lists,
    // and `ancestors` headers beyond the parent.
    evm::Witness prestate_witness(uint64_t number, const evm::ChainRules& rules,
                                  uint64_t ancestors = 0) {
        const eth::BlockHeader h = header(number);
        PrestateWitnessOptions o;
        o.extra = untraced_accounts(h, rules);
        o.ancestors = ancestors;
        auto w = fetch_prestate_witness(node(), h.hash(), o);
        EXPECT_TRUE(w.ok()) << w.error().message;
        return w.ok() ? *w : evm::Witness{};
    }

    eth::PrivateKey key0_ = *eth::PrivateKey::from_hex(testing::kAnvilKey0);
    eth::PrivateKey key1_ = *eth::PrivateKey::from_hex(kAnvilKey1);
    std::map<Address, uint64_t> nonces_;
    uint64_t deposits_ = 0;
    Address store_, log_store_, factory_, keccak_, blockhash_, child_;
};

TEST_F(BlockCheckTest, CancunChainReexecutesFromBlockOne) {
    start(kCancunChainId, "cancun");
    cancun_traffic();
    const uint64_t last = head();
    ASSERT_EQ(last, 21u);

    ReexecuteOptions opts;
    opts.rules = cancun_rules();
    Hash32 trusted = header(1).hash();
    Timings timings;
    for (uint64_t n = 2; n <= last; ++n) {
        SCOPED_TRACE("block " + std::to_string(n));
        auto check = reexecute_block(node(), n, trusted, opts);
        ASSERT_TRUE(check.ok()) << check.error().message;
        EXPECT_TRUE(check->matches()) << "mismatches: " << joined(check->mismatches);
        EXPECT_EQ(check->number, n);
        EXPECT_EQ(check->witness_method, "prestate");
        EXPECT_EQ(check->block_hash, header(n).hash());
        EXPECT_EQ(check->header.state_root, header(n).state_root);
        ASSERT_EQ(check->block_hash, check->node_header.hash());
        timings.add(*check);
        trusted = check->block_hash;
    }
    EXPECT_EQ(timings.blocks, last - 1);
    EXPECT_EQ(timings.transactions, 29u);
    timings.print("Cancun Anvil, prestate witness");
}

// The devnet's L2ToL1MessagePasser installed at its predeploy address (anvil_setCode
// changes the state outside any block: block 1, mined after it, is irregular and trusted).
// User transactions and deposits write to it; every block's computed message passer
// storage root and output root must be the node's.
//
// Anvil's OP mode, as found here (1.7.1), and what the test does about it:
// - it computes the L1 fee with Fjord's formula whatever --hardfork says: Fjord rules;
// - it reads Isthmus's operator fee slot and credits the operator fee vault, creating it
//   as an empty account on a zero credit (EIP-161 forbids that): the vault gets code;
// - a slot it reads as zero becomes an rlp(0) leaf: every L1Block slot it reads is set;
// - a failed creation deposit leaves an empty account at the address it failed to create:
//   the failed deposit is a reverting call instead;
// - it orders deposits after user transactions in one block, which derivation never
//   produces: deposits share blocks only with deposits.
//
// Anvil (1.7.1) records a deposit receipt's depositNonce as the sender's nonce after the
// deposit, op-geth and Vigil the nonce before it (see reexecute_test): a block holding a
// deposit must differ in its receipts root only, and exactly by that convention. Such a
// block is then chained from the node's hash, once Vigil's header with the receipts root
// of the node's convention hashes to it.
TEST_F(BlockCheckTest, OpStackChainWithDepositsAndMessagePasser) {
    start(kOpChainId, "fjord", {"--network", "optimism"});
    auto artifacts = testing::DevnetArtifacts::load(testing::devnet_artifacts_path());
    ASSERT_TRUE(artifacts.ok()) << artifacts.error().message;
    const Address passer = eth::opstack::message_passer_address();
    call("anvil_setCode",
         Json::array({passer.to_hex(), eth::to_hex(artifacts->message_passer_runtime)}));
    // The predeploys the fees use, as on a real OP Stack chain: the L1Block with L1 fee
    // values (Anvil adds no L1-info deposit to set them), so that user transactions pay an
    // L1 data fee into the L1FeeVault, and the fee vaults with code. Both also keep Anvil's
    // roots canonical: it keeps a slot it read as zero as a leaf holding rlp(0), so every
    // L1Block slot it reads is set; and it creates the Isthmus operator fee vault as an
    // empty account when crediting it a zero fee, so that vault exists beforehand.
    const Address l1_block = evm::op::kL1BlockAddress;
    for (const Address& a :
         {l1_block, evm::op::kBaseFeeVault, evm::op::kL1FeeVault, kOperatorFeeVault})
        call("anvil_setCode", Json::array({a.to_hex(), "0x00"}));
    for (const auto& [slot, value] : l1_block_values())
        call("anvil_setStorageAt", Json::array({l1_block.to_hex(), eth::to_quantity(slot),
                                                eth::to_hex(value.to_be_word())}));
    mine();  // block 1
    ASSERT_EQ(head(), 1u);

    const eth::PrivateKey& a = key0_;
    const eth::PrivateKey& b = key1_;
    auto withdrawal = [](const Address& target, uint64_t gas, const Bytes& data) {
        return *eth::abi::encode_call(
            *eth::abi::parse_signature("initiateWithdrawal(address,uint256,bytes)"),
            eth::abi::Value::tuple({eth::abi::Value::address(target), eth::abi::Value::uint(gas),
                                    eth::abi::Value::bytes(data)}));
    };
    const Address depositor = *Address::from_hex("0x00000000000000000000000000000000000de901");
    const Address target = *Address::from_hex("0x00000000000000000000000000000000000de902");

    const Address store = deploy(a, eth::TxType::kDynamicFee, kMultiStoreRuntime);
    const Address log_store = deploy(b, eth::TxType::kLegacy, kLogStoreRuntime);
    EXPECT_TRUE(
        succeeded(send(a, eth::TxType::kDynamicFee, passer,
                       withdrawal(target, 100'000, hex("0xdeadbeef")), 300'000, U256(1000))));
    const Hash32 store_call =
        send(b, eth::TxType::kLegacy, store, pairs_calldata({{1, 5}, {2, 6}, {3, 7}}), 300'000);
    EXPECT_TRUE(succeeded(store_call));
    EXPECT_TRUE(succeeded(send_deposit(depositor, target, kGwei, U256(1000), {}, 100'000)));
    // A deposit with value into the passer's receive(): a withdrawal from L1, in one go.
    EXPECT_TRUE(succeeded(send_deposit(depositor, passer, kGwei, U256(77), {}, 200'000)));
    EXPECT_TRUE(succeeded(
        send_deposit(depositor, store, U256(), U256(), pairs_calldata({{9, 9}}), 100'000)));
    // A failed deposit: its call reverts, the nonce and the mint stay. (Not a failed
    // creation: Anvil leaves an empty account at the address it failed to create, which
    // EIP-161 forbids and op-geth does not do.)
    EXPECT_FALSE(succeeded(send_deposit(depositor, log_store, kGwei, U256(), {}, 100'000)));
    const uint64_t mixed = one_block([&] {
        return std::vector<Hash32>{
            send(a, eth::TxType::kDynamicFee, passer, withdrawal(a.address(), 50'000, {}), 300'000,
                 U256(), false),
            send(b, eth::TxType::kDynamicFee, passer, withdrawal(target, 60'000, hex("0x01")),
                 300'000, U256(5), false),
            send(a, eth::TxType::kAccessList, store, pairs_calldata({{1, 50}, {4, 8}}), 300'000,
                 U256(), false),
            send(b, eth::TxType::kLegacy, target, {}, 21'000, U256(3), false),
        };
    });
    // Two deposits in one block. (Not with user transactions: Anvil orders a deposit after
    // them, which derivation never produces.)
    one_block([&] {
        return std::vector<Hash32>{
            send_deposit(depositor, passer, kGwei, U256(9), {}, 200'000, false),
            send_deposit(target, store, U256(), U256(), pairs_calldata({{12, 13}}), 100'000, false),
        };
    });
    EXPECT_EQ(block(mixed).transactions.size(), 4u);
    mine();  // an empty block
    EXPECT_TRUE(succeeded(send(b, eth::TxType::kDynamicFee, passer,
                               withdrawal(b.address(), 70'000, hex("0x0203")), 300'000)));
    const uint64_t last = head();
    ASSERT_EQ(last, 13u);

    const evm::ChainRules rules = op_rules();
    ReexecuteOptions opts;
    opts.rules = rules;
    Hash32 trusted = header(1).hash();
    Timings timings;
    size_t deposit_blocks = 0;
    std::set<Hash32> passer_roots;
    for (uint64_t n = 2; n <= last; ++n) {
        SCOPED_TRACE("block " + std::to_string(n));
        auto check = reexecute_block(node(), n, trusted, opts);
        ASSERT_TRUE(check.ok()) << check.error().message;
        EXPECT_EQ(check->witness_method, "prestate");
        timings.add(*check);
        const eth::BlockHeader node_header = header(n);
        EXPECT_EQ(check->header.state_root, node_header.state_root);

        // The message passer's storage root and the output root, from the node.
        const Json proof = call("eth_getProof",
                                Json::array({passer.to_hex(), Json::array(), eth::to_quantity(n)}));
        auto parsed = rpc::parse_account_proof(proof);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(check->message_passer_storage_root, parsed->claimed.storage_root);
        passer_roots.insert(check->message_passer_storage_root);
        const Hash32 node_output = eth::opstack::output_root_v0(
            node_header.state_root, parsed->claimed.storage_root, node_header.hash());

        bool has_deposit = false;
        for (const rpc::RpcTransaction& t : block(n).transactions)
            has_deposit |= t.tx.type == eth::TxType::kDeposit;
        if (!has_deposit) {
            EXPECT_TRUE(check->matches()) << "mismatches: " << joined(check->mismatches);
            EXPECT_EQ(check->block_hash, node_header.hash());
            EXPECT_EQ(check->output_root, node_output);
            trusted = check->block_hash;
            continue;
        }
        ++deposit_blocks;
        EXPECT_EQ(check->mismatches, std::vector<std::string>{"receiptsRoot"});
        // Vigil's receipts in Anvil's convention give the node's receipts root.
        const evm::Witness witness = prestate_witness(n, rules);
        const rpc::RpcBlock served = block(n);
        evm::BlockInput in;
        in.number = n;
        in.timestamp = node_header.timestamp;
        in.parent_timestamp = header(n - 1).timestamp;
        in.coinbase = node_header.beneficiary;
        in.gas_limit = node_header.gas_limit;
        in.base_fee = node_header.base_fee_per_gas.value_or(U256());
        in.prev_randao = node_header.mix_hash;
        in.parent_beacon_block_root = node_header.parent_beacon_block_root;
        in.excess_blob_gas = node_header.excess_blob_gas.value_or(0);
        for (const rpc::RpcTransaction& t : served.transactions) in.transactions.push_back(t.tx);
        evm::WitnessState state(witness, check->parent_state_root);
        auto outcome = evm::execute_block(state, in, rules);
        ASSERT_TRUE(outcome.ok()) << outcome.error().message;
        EXPECT_EQ(outcome->receipts_root, check->header.receipts_root);
        std::vector<eth::Receipt> anvil_convention = outcome->receipts;
        for (eth::Receipt& r : anvil_convention)
            if (r.deposit_nonce) ++*r.deposit_nonce;
        eth::BlockHeader rebuilt = check->header;
        rebuilt.receipts_root = *eth::receipts_root(anvil_convention);
        EXPECT_EQ(rebuilt.receipts_root, node_header.receipts_root);
        ASSERT_EQ(rebuilt.hash(), node_header.hash());
        EXPECT_EQ(eth::opstack::output_root_v0(check->header.state_root,
                                               check->message_passer_storage_root, rebuilt.hash()),
                  node_output);
        trusted = rebuilt.hash();
    }
    EXPECT_EQ(deposit_blocks, 5u);  // four of one deposit, one of two
    // The passer's storage changed in the blocks that wrote to it (it started empty).
    EXPECT_GE(passer_roots.size(), 5u);
    timings.print("OP Stack Anvil (Fjord), prestate witness");

    // A node's debug_executionWitness covers what the block touched only: for a block that
    // does not touch the message passer it lacks the passer's path, which the output root
    // needs. Served here by a proxy (the prestate witness without the passer's proof):
    // alone it is unverifiable; reexecute_block completes it with the passer's proof.
    const uint64_t untouched = *rpc::field_uint64(receipt(store_call), "blockNumber");
    const eth::BlockHeader h = header(untouched);
    PrestateWitnessOptions po;
    po.extra = untraced_accounts(h, rules);
    po.extra.erase(passer);
    auto bare = fetch_prestate_witness(node(), h.hash(), po);
    ASSERT_TRUE(bare.ok()) << bare.error().message;
    auto alone = check_block(block(untouched), *bare, header(untouched - 1).hash(), rules);
    ASSERT_FALSE(alone.ok()) << "the test's witness covers the passer after all";
    EXPECT_EQ(alone.error().code, kUnverifiable) << alone.error().message;

    auto proxy = testing::FaultProxy::start(anvil_->rpc_url());
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    const Json served = witness_json(*bare);
    (*proxy)->set_policy([&](const Json& request) {
        if (!request.is_object() || request.value("method", "") != "debug_executionWitness")
            return testing::Fault::pass_through();
        testing::Fault f = testing::Fault::of(testing::Fault::Kind::rewrite);
        f.rewrite = [&](Json& answer) {
            answer.erase("error");
            answer["result"] = served;
        };
        return f;
    });
    auto through_proxy = make_client((*proxy)->url(), "anvil-with-witness");
    ASSERT_TRUE(through_proxy->connect().ok());
    auto completed = reexecute_block(*through_proxy, untouched, header(untouched - 1).hash(), opts);
    ASSERT_TRUE(completed.ok()) << completed.error().message;
    EXPECT_EQ(completed->witness_method, "execution_witness");
    EXPECT_TRUE(completed->matches()) << joined(completed->mismatches);
    EXPECT_EQ(completed->block_hash, h.hash());
    const Json proof = call(
        "eth_getProof", Json::array({passer.to_hex(), Json::array(), eth::to_quantity(untouched)}));
    EXPECT_EQ(completed->message_passer_storage_root, *rpc::field_hash(proof, "storageHash"));
}

// Every distinct node and code of a real block's witness (nine transactions from two
// senders) removed in turn, then with one byte flipped: each one the block needs gives
// kUnverifiable, never another root and never kBlockInvalid; added foreign nodes change
// nothing. Headers: an ancestor beyond the parent may go; the parent may not.
TEST_F(BlockCheckTest, AlteredOrMissingWitnessNodesAreUnverifiable) {
    start(kCancunChainId, "cancun");
    const uint64_t n = cancun_traffic();
    const evm::ChainRules rules = cancun_rules();
    const evm::Witness witness = prestate_witness(n, rules, 2);
    ASSERT_EQ(witness.headers.size(), 3u);
    const rpc::RpcBlock served = block(n);
    const Hash32 parent = header(n - 1).hash();

    auto intact = check_block(served, witness, parent, rules);
    ASSERT_TRUE(intact.ok()) << intact.error().message;
    ASSERT_TRUE(intact->matches()) << joined(intact->mismatches);
    ASSERT_EQ(intact->block_hash, served.header.hash());

    // Each alteration either must give kUnverifiable (`needed`) or must change nothing.
    auto judge = [&](const evm::Witness& broken, bool needed, const std::string& what) {
        auto c = check_block(served, broken, parent, rules);
        if (needed) {
            ASSERT_FALSE(c.ok()) << what << ": a verdict without a needed node";
            EXPECT_EQ(c.error().code, kUnverifiable) << what << ": " << c.error().message;
            return;
        }
        ASSERT_TRUE(c.ok()) << what << ": " << c.error().message;
        EXPECT_TRUE(c->matches()) << what;
        EXPECT_EQ(c->block_hash, intact->block_hash) << what;
    };
    auto without = [](const std::vector<Bytes>& items, const Hash32& drop, bool flip) {
        std::vector<Bytes> out;
        for (const Bytes& item : items) {
            if (eth::keccak256(item) != drop) {
                out.push_back(item);
            } else if (flip) {
                Bytes changed = item;
                changed[changed.size() / 2] ^= 0x01;
                out.push_back(std::move(changed));
            }
        }
        return out;
    };

    // Every node is needed but the empty trie's (rlp("") = 0x80, which storage proofs of
    // accounts without storage list: the empty root names no node); every code is run.
    std::set<Hash32> nodes, codes;
    for (const Bytes& b : witness.state_nodes) nodes.insert(eth::keccak256(b));
    for (const Bytes& b : witness.codes) codes.insert(eth::keccak256(b));
    EXPECT_TRUE(nodes.count(intact->parent_state_root));
    EXPECT_EQ(codes.size(), 5u);  // the two stores, factory, keccak loop, BLOCKHASH reader
    size_t tried = 0;
    for (bool flip : {false, true}) {
        for (const Hash32& h : nodes) {
            evm::Witness broken = witness;
            broken.state_nodes = without(witness.state_nodes, h, flip);
            ++tried;
            judge(broken, h != eth::kEmptyTrieRoot,
                  (flip ? "flipped node " : "removed node ") + h.to_hex());
        }
        for (const Hash32& h : codes) {
            evm::Witness broken = witness;
            broken.codes = without(witness.codes, h, flip);
            ++tried;
            judge(broken, true, (flip ? "flipped code " : "removed code ") + h.to_hex());
        }
    }
    std::printf("[ tamper   ] block %llu: %zu nodes and %zu codes, %zu alterations\n",
                static_cast<unsigned long long>(n), nodes.size(), codes.size(), tried);
    // Foreign nodes and codes added change nothing: each is used only where a hash names it.
    {
        evm::Witness more = witness;
        for (const Bytes& node : witness.state_nodes) {
            Bytes changed = node;
            changed.back() ^= 0x01;
            more.state_nodes.push_back(std::move(changed));
        }
        more.codes.push_back(kFactoryRuntime);
        more.codes.push_back(hex("0x6000"));
        judge(more, false, "foreign nodes added");
    }

    // Headers: the grandparent and its parent are not needed (only BLOCKHASH(n - 1) is read).
    for (size_t i : {size_t{1}, size_t{2}}) {
        evm::Witness fewer = witness;
        fewer.headers.erase(fewer.headers.begin() + static_cast<std::ptrdiff_t>(i));
        auto c = check_block(served, fewer, parent, rules);
        ASSERT_TRUE(c.ok()) << c.error().message;
        EXPECT_EQ(c->block_hash, intact->block_hash);
    }
    ASSERT_EQ(eth::keccak256(witness.headers[0]), parent);
    {
        evm::Witness no_parent = witness;
        no_parent.headers.erase(no_parent.headers.begin());
        auto c = check_block(served, no_parent, parent, rules);
        ASSERT_FALSE(c.ok());
        EXPECT_EQ(c.error().code, kUnverifiable) << c.error().message;
        evm::Witness altered_parent = witness;
        altered_parent.headers[0][altered_parent.headers[0].size() / 2] ^= 0x01;
        c = check_block(served, altered_parent, parent, rules);
        ASSERT_FALSE(c.ok());
        EXPECT_EQ(c.error().code, kUnverifiable) << c.error().message;
    }
}

// BLOCKHASH of ancestors older than the parent: the prestate tracer does not say which a
// block reads, so the witness first holds the parent's header only; the block must still
// be verified (the missing ancestors fetched, each checked by the parent-hash chain).
TEST_F(BlockCheckTest, BlockHashOfOlderAncestors) {
    start(kCancunChainId, "cancun");
    mine();
    const Address reader = deploy(key0_, eth::TxType::kDynamicFee, kAncestorHashRuntime);
    call("anvil_mine", Json::array({eth::to_quantity(12)}));
    const uint64_t first = head() + 1;
    for (uint64_t k : {1, 2, 5, 13}) {
        const Hash32 tx = send(key0_, eth::TxType::kDynamicFee, reader, word_calldata(k), 100'000);
        EXPECT_TRUE(succeeded(tx));
        const uint64_t at = *rpc::field_uint64(receipt(tx), "blockNumber");
        const Json stored =
            call("eth_getStorageAt", Json::array({reader.to_hex(), eth::to_quantity(k), "latest"}));
        EXPECT_EQ(*Hash32::from_hex(stored.get<std::string>()), header(at - k).hash());
    }
    ReexecuteOptions opts;
    opts.rules = cancun_rules();
    Hash32 trusted = header(first - 1).hash();
    for (uint64_t n = first; n <= head(); ++n) {
        SCOPED_TRACE("block " + std::to_string(n));
        auto check = reexecute_block(node(), n, trusted, opts);
        ASSERT_TRUE(check.ok()) << check.error().message;
        EXPECT_TRUE(check->matches()) << joined(check->mismatches);
        EXPECT_EQ(check->block_hash, header(n).hash());
        trusted = check->block_hash;
    }
}

// A trusted parent the node's chain does not have, a block beyond the head, and a block
// that cannot be included on its parent.
TEST_F(BlockCheckTest, WrongParentFutureBlockAndInvalidBlock) {
    start(kCancunChainId, "cancun");
    mine();
    const Address store = deploy(key0_, eth::TxType::kDynamicFee, kMultiStoreRuntime);
    EXPECT_TRUE(succeeded(
        send(key0_, eth::TxType::kDynamicFee, store, pairs_calldata({{1, 1}, {2, 2}}), 200'000)));
    const uint64_t last = head();
    ReexecuteOptions opts;
    opts.rules = cancun_rules();

    auto ok = reexecute_block(node(), last, header(last - 1).hash(), opts);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_TRUE(ok->matches()) << joined(ok->mismatches);

    // The grandparent's hash, and a hash no block has.
    const std::string nowhere = "no block has this hash";
    for (const Hash32& wrong : {header(last - 2).hash(), eth::keccak256(eth::view(nowhere))}) {
        auto c = reexecute_block(node(), last, wrong, opts);
        ASSERT_FALSE(c.ok());
        EXPECT_EQ(c.error().code, kUnverifiable) << c.error().message;
    }
    auto future = reexecute_block(node(), last + 1, header(last).hash(), opts);
    ASSERT_FALSE(future.ok());
    EXPECT_EQ(future.error().code, kNotYet) << future.error().message;
    future = reexecute_block(node(), last + 1000, header(last).hash(), opts);
    ASSERT_FALSE(future.ok());
    EXPECT_EQ(future.error().code, kNotYet) << future.error().message;

    // check_block with the wrong parent, on the right witness.
    const rpc::RpcBlock served = block(last);
    const evm::Witness witness = prestate_witness(last, opts.rules);
    auto c = check_block(served, witness, header(last - 2).hash(), opts.rules);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, kUnverifiable) << c.error().message;

    // A header whose gas limit is below the transaction's: the block cannot be included.
    rpc::RpcBlock shrunk = served;
    shrunk.header.gas_limit = 100'000;
    c = check_block(shrunk, witness, header(last - 1).hash(), opts.rules);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, kBlockInvalid) << c.error().message;
}

// A node that serves debug_executionWitness (here a proxy answering it in front of Anvil):
// the automatic method uses it; a correct one gives the same verdict as the prestate path,
// anything wrong in it gives kUnverifiable, never a verdict and never a silent fallback.
TEST_F(BlockCheckTest, ExecutionWitnessFromTheNodeIsCheckedLikeAnyOther) {
    start(kCancunChainId, "cancun");
    mine();
    const Address store = deploy(key0_, eth::TxType::kDynamicFee, kMultiStoreRuntime);
    EXPECT_TRUE(succeeded(send(key0_, eth::TxType::kDynamicFee, store,
                               pairs_calldata({{1, 1}, {2, 2}, {3, 3}}), 200'000)));
    const uint64_t n = head();
    const evm::ChainRules rules = cancun_rules();
    const evm::Witness witness = prestate_witness(n, rules);
    const Hash32 parent = header(n - 1).hash();

    auto proxy = testing::FaultProxy::start(anvil_->rpc_url());
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    std::optional<Json> served_result;  // what debug_executionWitness answers
    std::atomic<bool> garbage_body{false};
    (*proxy)->set_policy([&](const Json& request) {
        if (!request.is_object() || request.value("method", "") != "debug_executionWitness")
            return testing::Fault::pass_through();
        if (garbage_body) return testing::Fault::of(testing::Fault::Kind::garbage);
        testing::Fault f = testing::Fault::of(testing::Fault::Kind::rewrite);
        f.rewrite = [&](Json& answer) {
            answer.erase("error");
            answer["result"] = *served_result;
        };
        return f;
    });
    auto through_proxy = make_client((*proxy)->url(), "anvil-with-witness", 1);
    ASSERT_TRUE(through_proxy->connect().ok());
    ReexecuteOptions opts;
    opts.rules = rules;

    served_result = witness_json(witness);
    auto good = reexecute_block(*through_proxy, n, parent, opts);
    ASSERT_TRUE(good.ok()) << good.error().message;
    EXPECT_EQ(good->witness_method, "execution_witness");
    EXPECT_TRUE(good->matches()) << joined(good->mismatches);
    EXPECT_EQ(good->block_hash, header(n).hash());

    std::vector<std::pair<std::string, Json>> bad;
    bad.emplace_back("a string", Json("garbage"));
    bad.emplace_back("no state", Json{{"codes", Json::array()}});
    bad.emplace_back("state not hex",
                     Json{{"state", Json::array({"0xzz"})}, {"codes", Json::array()}});
    {
        Json j = witness_json(witness);
        j["headers"] = Json::array();
        bad.emplace_back("no headers", j);
    }
    {
        Json j = witness_json(witness);
        j["codes"] = Json::array();
        bad.emplace_back("no codes", j);
    }
    {
        // reexecute_block completes a node's witness with the message passer's proof, which
        // brings honest copies of the nodes on its path (the state root's among them): alter
        // every node off that path.
        const Json proof =
            call("eth_getProof", Json::array({eth::opstack::message_passer_address().to_hex(),
                                              Json::array(), eth::to_quantity(n - 1)}));
        std::set<Hash32> on_path;
        for (const Json& node : proof["accountProof"])
            on_path.insert(eth::keccak256(*eth::from_hex(node.get<std::string>())));
        evm::Witness w = witness;
        size_t altered = 0;
        for (Bytes& node : w.state_nodes)
            if (!on_path.count(eth::keccak256(node))) {
                node[node.size() / 2] ^= 0x01;
                ++altered;
            }
        ASSERT_GT(altered, 0u);
        bad.emplace_back("the nodes off the message passer's path altered", witness_json(w));
    }
    {
        evm::Witness w = witness;
        w.state_nodes.resize(w.state_nodes.size() / 2);
        bad.emplace_back("half the nodes", witness_json(w));
    }
    for (const auto& [what, result] : bad) {
        SCOPED_TRACE(what);
        served_result = result;
        auto c = reexecute_block(*through_proxy, n, parent, opts);
        ASSERT_FALSE(c.ok()) << "a verdict from a broken witness";
        EXPECT_EQ(c.error().code, kUnverifiable) << c.error().message;
    }

    // An answer that is not JSON at all: an endpoint failure, kept as such (retry later,
    // or on another endpoint), not a judgement on the block.
    garbage_body = true;
    auto c = reexecute_block(*through_proxy, n, parent, opts);
    ASSERT_FALSE(c.ok()) << "a verdict from a garbage answer";
    EXPECT_EQ(c.error().code, rpc::kMalformed) << c.error().message;
}

// A node whose header lies about the state root, its block hash recomputed to match (so
// the block passes its own hash check), with an honest witness: Vigil reports exactly that
// field, and its block hash is the honest chain's, not the lying node's.
TEST_F(BlockCheckTest, ALyingHeaderIsReportedAndTheHonestHashKept) {
    start(kCancunChainId, "cancun");
    mine();
    const Address store = deploy(key0_, eth::TxType::kDynamicFee, kMultiStoreRuntime);
    EXPECT_TRUE(succeeded(
        send(key1_, eth::TxType::kLegacy, store, pairs_calldata({{5, 6}, {7, 8}}), 200'000)));
    const uint64_t n = head();
    const evm::ChainRules rules = cancun_rules();
    const Json served = witness_json(prestate_witness(n, rules));
    const std::string forged_root = eth::keccak256(eth::view(std::string("forged"))).to_hex();
    std::atomic<bool> drop_proofs{false};

    auto proxy = testing::FaultProxy::start(anvil_->rpc_url());
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    (*proxy)->set_policy([&](const Json& request) {
        const Json& first = request.is_array() && !request.empty() ? request[0] : request;
        const std::string method = first.is_object() ? first.value("method", "") : "";
        if (drop_proofs && method == "eth_getProof")
            return testing::Fault::of(testing::Fault::Kind::drop);
        testing::Fault f = testing::Fault::of(testing::Fault::Kind::rewrite);
        if (method == "debug_executionWitness") {
            f.rewrite = [&](Json& answer) {
                answer.erase("error");
                answer["result"] = served;
            };
            return f;
        }
        if (method == "eth_getBlockByNumber" && !drop_proofs &&
            first["params"][0] == eth::to_quantity(n)) {
            f.rewrite = [&](Json& answer) {
                Json& b = answer["result"];
                b["stateRoot"] = forged_root;
                b["hash"] = rpc::parse_header(b)->hash().to_hex();
                for (Json& tx : b["transactions"])
                    if (tx.is_object()) tx["blockHash"] = b["hash"];
            };
            return f;
        }
        return testing::Fault::pass_through();
    });
    auto liar = make_client((*proxy)->url(), "lying-node", 1);
    ASSERT_TRUE(liar->connect().ok());
    ReexecuteOptions opts;
    opts.rules = rules;
    auto c = reexecute_block(*liar, n, header(n - 1).hash(), opts);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->mismatches, std::vector<std::string>{"stateRoot"});
    EXPECT_EQ(c->node_header.state_root.to_hex(), forged_root);
    EXPECT_EQ(c->header.state_root, header(n).state_root);
    EXPECT_EQ(c->block_hash, header(n).hash());
    EXPECT_NE(c->block_hash, c->node_header.hash());

    // A node that drops the connection while the prestate witness is fetched: a transport
    // failure, kept as such (retry later), never a judgement.
    drop_proofs = true;
    opts.witness = WitnessMethod::prestate;
    c = reexecute_block(*liar, n, header(n - 1).hash(), opts);
    ASSERT_FALSE(c.ok());
    EXPECT_TRUE(c.error().code == rpc::kTransport || c.error().code == rpc::kNoEndpoint)
        << c.error().code << ": " << c.error().message;
}

}  // namespace
}  // namespace vigil::verifier
