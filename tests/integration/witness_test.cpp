// Stateless re-execution's state side on a real Anvil chain: for every block, the
// witness fetched through the prestate path, read from the parent's state root, and the
// block's changes (from the prestate tracer's diffMode, standing in for the EVM until the
// interpreter lands) applied to it must give the block's own state root. A witness with a
// node removed or altered must fail naming that node, never give another root.
#include "verifier/witness_fetch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <set>

#include "chains/eth/header.h"
#include "chains/eth/keccak.h"
#include "chains/eth/partial_trie.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"
#include "chains/rpc/header_json.h"
#include "chains/rpc/proof_json.h"
#include "tests/support/anvil.h"
#include "tests/support/anvil_chain_test.h"
#include "tests/support/devnet.h"
#include "tests/support/fault_proxy.h"
#include "verifier/evm/witness_state.h"

namespace vigil::verifier {
namespace {

using eth::Address;
using eth::Bytes;
using eth::Hash32;
using eth::U256;
using rpc::Json;

constexpr uint64_t kChainId = 31337;
// Anvil's dev account 1 (mnemonic "test test ... junk"): a public test key.
constexpr const char* kUserKey =
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

Bytes hex(const char* text) { return *eth::from_hex(text); }

using testing::deployer_of;

// Stores each 64-byte calldata pair (slot, value):
//   PUSH1 0; loop: JUMPDEST DUP1 CALLDATASIZE GT ISZERO PUSH1 end JUMPI
//   DUP1 PUSH1 32 ADD CALLDATALOAD DUP2 CALLDATALOAD SSTORE PUSH1 64 ADD PUSH1 loop JUMP
//   end: JUMPDEST STOP
const Bytes kStoreRuntime = hex("60005b8036111560185780602001358135556040016002565b00");
// SSTORE(0, 1) then REVERT(0, 0): a failed call whose write is undone.
const Bytes kReverterRuntime = hex("600160005560006000fd");
// CREATE2 of the calldata as init code with salt 42, the new address stored in slot 0:
//   CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY PUSH1 42 CALLDATASIZE PUSH1 0 PUSH1 0 CREATE2
//   PUSH1 0 SSTORE STOP
const Bytes kFactoryRuntime = hex("366000600037602a3660006000f560005500");

Bytes store_calldata(const std::vector<std::pair<uint64_t, uint64_t>>& writes) {
    Bytes out;
    for (const auto& [slot, value] : writes) {
        const auto s = U256(slot).to_be_word(), v = U256(value).to_be_word();
        out.insert(out.end(), s.begin(), s.end());
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

class WitnessTest : public ::testing::Test {
  protected:
    // Anvil's genesis header carries the empty trie's root, not its genesis state's, so
    // block 1 cannot be checked against its parent: every test mines an empty block 1
    // first and checks from block 2 on.
    void SetUp() override {
        testing::AnvilOptions o;
        o.chain_id = kChainId;
        auto a = testing::AnvilProcess::start(o);
        ASSERT_TRUE(a.ok()) << a.error().message;
        anvil_ = std::move(a).value();
        testing::DevnetInfo info;
        info.l1 = testing::DevnetChain{"l1", kChainId, anvil_->rpc_url(), anvil_->ws_url()};
        info.keys = testing::DevnetKeys{kUserKey, kUserKey, kUserKey, kUserKey};
        auto c = testing::DevnetClient::connect(info);
        ASSERT_TRUE(c.ok()) << c.error().message;
        chain_ = std::move(c).value();
        deployer_.emplace(*chain_->key("deployer"));
        user_.emplace(*chain_->key("user"));
        ASSERT_TRUE(chain_->mine("l1", 1).ok());
    }

    rpc::RpcClient& rpc() { return *chain_->rpc("l1"); }

    Address deploy(const Bytes& runtime) {
        auto r = chain_->send("l1", *deployer_, std::nullopt, deployer_of(runtime));
        EXPECT_TRUE(r.ok()) << r.error().message;
        return r.ok() && r->contract_address ? *r->contract_address : Address();
    }
    void call(const Address& to, const Bytes& data, const U256& value = U256()) {
        auto r = chain_->send("l1", *user_, to, data, value);
        ASSERT_TRUE(r.ok()) << r.error().message;
    }

    eth::BlockHeader header(uint64_t number) {
        auto b = rpc().call("eth_getBlockByNumber", Json::array({eth::to_quantity(number), false}));
        EXPECT_TRUE(b.ok());
        auto h = rpc::parse_verified_header(*b);
        EXPECT_TRUE(h.ok()) << h.error().message;
        return h.ok() ? *h : eth::BlockHeader{};
    }

    // One transaction's diffMode result as the StateDiff the EVM would give: fields the
    // tracer leaves out of `post` are unchanged (read from the state as it is now), slots
    // in `pre` but not in `post` are cleared, accounts in `pre` but not in `post` deleted.
    Result<evm::StateDiff> diff_of(const Json& trace, evm::WitnessState& state) {
        std::map<Address, evm::AccountUpdate> updates;
        const Json& pre = trace.at("pre");
        const Json& post = trace.at("post");
        for (const auto& [key, entry] : pre.items()) {
            VIGIL_TRY(Address address, Address::from_hex(key));
            if (!post.contains(key)) {
                updates[address].address = address;
                updates[address].deleted = true;
                continue;
            }
            if (!entry.contains("storage")) continue;
            for (const auto& [slot, value] : entry["storage"].items()) {
                const Json& after = post[key];
                if (after.contains("storage") && after["storage"].contains(slot)) continue;
                VIGIL_TRY(Hash32 s, rpc::parse_storage_key(slot));
                updates[address].storage.emplace_back(U256::from_be_word(s.data()), U256());
            }
        }
        for (const auto& [key, entry] : post.items()) {
            VIGIL_TRY(Address address, Address::from_hex(key));
            evm::AccountUpdate& u = updates[address];
            u.address = address;
            VIGIL_TRY(std::optional<eth::Account> now, state.account(address));
            const eth::Account current =
                now.value_or(eth::Account{0, U256(), eth::kEmptyTrieRoot, eth::kEmptyCodeHash});
            u.nonce = current.nonce;
            if (entry.contains("nonce")) {
                VIGIL_TRY(u.nonce, rpc::field_uint64(entry, "nonce"));
            }
            if (entry.contains("balance")) {
                VIGIL_TRY(u.balance, rpc::field_u256(entry, "balance"));
            } else {
                u.balance = current.balance;
            }
            u.code_hash = current.code_hash;
            if (entry.contains("code")) {
                VIGIL_TRY(Bytes code, rpc::field_bytes(entry, "code"));
                u.code_hash = code.empty() ? eth::kEmptyCodeHash : eth::keccak256(code);
                u.code = std::move(code);
            }
            if (entry.contains("storage"))
                for (const auto& [slot, value] : entry["storage"].items()) {
                    VIGIL_TRY(Hash32 s, rpc::parse_storage_key(slot));
                    VIGIL_TRY(U256 v, U256::from_string(value.get<std::string>()));
                    u.storage.emplace_back(U256::from_be_word(s.data()), v);
                }
        }
        evm::StateDiff diff;
        for (auto& [address, u] : updates) diff.accounts.push_back(std::move(u));
        return diff;
    }

    // The state root of `block` recomputed from `witness` on the parent's state root, or
    // the error that makes the block unverifiable.
    Result<Hash32> recompute(uint64_t block, const evm::Witness& witness,
                             const std::vector<Json>& diffs, evm::WitnessState** out = nullptr) {
        const eth::BlockHeader parent = header(block - 1);
        state_ = std::make_unique<evm::WitnessState>(witness, parent.state_root);
        if (out) *out = state_.get();
        Hash32 root = parent.state_root;
        VIGIL_TRY(root, state_->apply(evm::StateDiff{}));  // an empty block
        for (const Json& trace : diffs) {
            VIGIL_TRY(evm::StateDiff diff, diff_of(trace, *state_));
            VIGIL_TRY(root, state_->apply(diff));
        }
        return root;
    }

    std::unique_ptr<testing::AnvilProcess> anvil_;
    std::unique_ptr<testing::DevnetClient> chain_;
    std::unique_ptr<evm::WitnessState> state_;
    std::optional<eth::PrivateKey> deployer_, user_;
};

TEST_F(WitnessTest, EveryBlockRecomputesItsStateRootFromItsWitness) {
    const Address store = deploy(kStoreRuntime);
    const Address reverter = deploy(kReverterRuntime);
    const Address factory = deploy(kFactoryRuntime);
    ASSERT_FALSE(store.is_zero() || reverter.is_zero() || factory.is_zero());

    // Storage-heavy: 40 slots written, then half of them overwritten and new ones added.
    // (Clearing slots has its own test: Anvil's roots keep cleared slots.)
    std::vector<std::pair<uint64_t, uint64_t>> writes;
    for (uint64_t s = 1; s <= 40; ++s) writes.emplace_back(s, s * 1000 + 7);
    call(store, store_calldata(writes));
    writes.clear();
    for (uint64_t s = 20; s <= 60; ++s) writes.emplace_back(s, s + 5);
    call(store, store_calldata(writes));

    // A reverted call (its write undone; the sender still pays): sent with a fixed gas
    // limit so the node does not refuse it on estimation.
    {
        auto nonce = rpc().call("eth_getTransactionCount",
                                Json::array({user_->address().to_hex(), "latest"}));
        ASSERT_TRUE(nonce.ok());
        auto hash = chain_->submit("l1", *user_, reverter, {}, U256(),
                                   *eth::parse_quantity(nonce->get<std::string>()), 100'000);
        ASSERT_TRUE(hash.ok()) << hash.error().message;
        auto receipt = chain_->wait_receipt("l1", *hash);
        ASSERT_TRUE(receipt.ok()) << receipt.error().message;
        EXPECT_FALSE(receipt->success);
    }

    // Value transfers: to a new account and to an existing one.
    call(*Address::from_hex("0x00000000000000000000000000000000000b0b00"), {}, U256(12345));
    call(deployer_->address(), {}, U256(1));

    // CREATE2 of a store contract whose constructor runs no code.
    call(factory, deployer_of(kStoreRuntime));

    // Several transactions in one block: writes of the same slots, a transfer.
    ASSERT_TRUE(rpc().call("evm_setAutomine", Json::array({false})).ok());
    auto nonce_json =
        rpc().call("eth_getTransactionCount", Json::array({user_->address().to_hex(), "latest"}));
    ASSERT_TRUE(nonce_json.ok());
    const uint64_t nonce = *eth::parse_quantity(nonce_json->get<std::string>());
    std::vector<Hash32> pending;
    auto submit = [&](const Address& to, const Bytes& data, const U256& value, uint64_t n) {
        auto h = chain_->submit("l1", *user_, to, data, value, n, 1'000'000);
        ASSERT_TRUE(h.ok()) << h.error().message;
        pending.push_back(*h);
    };
    submit(store, store_calldata({{100, 1}, {101, 2}, {102, 3}, {40, 4}}), U256(), nonce);
    submit(store, store_calldata({{100, 9}, {7, 77}}), U256(), nonce + 1);
    submit(*Address::from_hex("0x00000000000000000000000000000000000c0c00"), {}, U256(5),
           nonce + 2);
    ASSERT_TRUE(rpc().call("evm_mine", Json::array()).ok());
    for (const Hash32& h : pending) {
        auto r = chain_->wait_receipt("l1", h);
        ASSERT_TRUE(r.ok()) << r.error().message;
    }
    ASSERT_TRUE(rpc().call("evm_setAutomine", Json::array({true})).ok());
    ASSERT_TRUE(chain_->mine("l1", 1).ok());  // an empty block

    auto head = chain_->block_number("l1");
    ASSERT_TRUE(head.ok());
    ASSERT_GE(*head, 11u);
    int multi_tx_blocks = 0;
    for (uint64_t block = 2; block <= *head; ++block) {
        SCOPED_TRACE("block " + std::to_string(block));
        auto witness = fetch_prestate_witness(rpc(), header(block).hash());
        ASSERT_TRUE(witness.ok()) << witness.error().message;
        ASSERT_FALSE(witness->headers.empty());
        const eth::BlockHeader parent = header(block - 1);
        EXPECT_EQ(eth::keccak256(witness->headers.front()), parent.hash());
        auto diffs = trace_prestate(rpc(), header(block).hash(), true);
        ASSERT_TRUE(diffs.ok()) << diffs.error().message;
        if (diffs->size() > 1) ++multi_tx_blocks;
        evm::WitnessState* state = nullptr;
        auto root = recompute(block, *witness, *diffs, &state);
        ASSERT_TRUE(root.ok()) << root.error().message;
        EXPECT_EQ(*root, header(block).state_root);

        // The store contract's storage root as the node proves it at this block (the
        // witness reaches it only in blocks that touch it).
        bool touches_store = false;
        for (const Json& d : *diffs) touches_store |= d.at("post").contains(store.to_hex());
        if (!touches_store) continue;
        auto proof = rpc().call(
            "eth_getProof", Json::array({store.to_hex(), Json::array(), eth::to_quantity(block)}));
        ASSERT_TRUE(proof.ok());
        auto parsed = rpc::parse_account_proof(*proof);
        ASSERT_TRUE(parsed.ok());
        auto storage_root = state->storage_root(store);
        ASSERT_TRUE(storage_root.ok()) << storage_root.error().message;
        EXPECT_EQ(*storage_root, parsed->claimed.storage_root);
    }
    EXPECT_EQ(multi_tx_blocks, 1);

    // Ancestor headers for BLOCKHASH, when asked: proven by the parent-hash chain.
    PrestateWitnessOptions with_ancestors;
    with_ancestors.ancestors = 3;
    auto deep = fetch_prestate_witness(rpc(), header(*head).hash(), with_ancestors);
    ASSERT_TRUE(deep.ok()) << deep.error().message;
    ASSERT_EQ(deep->headers.size(), 4u);
    auto hashes = evm::block_hashes(*deep, header(*head - 1).hash());
    ASSERT_TRUE(hashes.ok()) << hashes.error().message;
    ASSERT_EQ(hashes->size(), 4u);
    for (uint64_t n = *head - 4; n < *head; ++n) EXPECT_EQ(hashes->at(n), header(n).hash());
}

// Every node of a real block's witness removed in turn, then altered in turn: the block
// either still recomputes to its own root (the node was not needed) or fails naming that
// very node. Never another root.
TEST_F(WitnessTest, RemovedOrAlteredNodesFailByNameNeverGiveAnotherRoot) {
    const Address store = deploy(kStoreRuntime);
    std::vector<std::pair<uint64_t, uint64_t>> writes;
    for (uint64_t s = 1; s <= 24; ++s) writes.emplace_back(s, s + 1);
    call(store, store_calldata(writes));
    writes.clear();
    for (uint64_t s = 1; s <= 12; ++s) writes.emplace_back(s, s * 3);
    writes.emplace_back(50, 5);
    call(store, store_calldata(writes));
    auto head = chain_->block_number("l1");
    ASSERT_TRUE(head.ok());
    const uint64_t block = *head;
    auto witness = fetch_prestate_witness(rpc(), header(block).hash());
    ASSERT_TRUE(witness.ok()) << witness.error().message;
    auto diffs = trace_prestate(rpc(), header(block).hash(), true);
    ASSERT_TRUE(diffs.ok());
    const Hash32 expected = header(block).state_root;
    auto intact = recompute(block, *witness, *diffs);
    ASSERT_TRUE(intact.ok()) << intact.error().message;
    ASSERT_EQ(*intact, expected);

    std::set<Hash32> hashes;
    for (const Bytes& node : witness->state_nodes) hashes.insert(eth::keccak256(node));
    int needed = 0;
    for (const Hash32& drop : hashes) {
        for (bool alter : {false, true}) {
            evm::Witness broken = *witness;
            broken.state_nodes.clear();
            for (const Bytes& node : witness->state_nodes) {
                if (eth::keccak256(node) != drop) {
                    broken.state_nodes.push_back(node);
                } else if (alter) {
                    Bytes changed = node;
                    changed[changed.size() / 2] ^= 0x40;
                    broken.state_nodes.push_back(changed);
                }
            }
            auto root = recompute(block, broken, *diffs);
            if (root.ok()) {
                EXPECT_EQ(*root, expected) << "without " << drop.to_hex();
                continue;
            }
            ++needed;
            EXPECT_NE(root.error().message.find("missing trie node " + drop.to_hex()),
                      std::string::npos)
                << root.error().message;
        }
    }
    EXPECT_GT(needed, 0);
}

// Clearing slots deletes their leaves, and a deletion that leaves a branch with one
// child merges that child into its parent, which needs the child's node. Anvil (1.7)
// keeps a cleared slot in its storage trie as a leaf holding rlp(0), so its headers'
// roots after a clear are not Ethereum's: the canonical root is rebuilt here from Anvil's
// post-state with the store's storage trie recomputed from its non-zero slots. Anvil
// never collapses a branch either, so its post-state proofs cannot supply the siblings:
// the prestate witness alone may fail (naming the node, never another root), and with
// the proofs of every slot the test wrote it must give the canonical root.
TEST_F(WitnessTest, ClearedSlotsGiveTheCanonicalRoot) {
    const Address store = deploy(kStoreRuntime);
    std::vector<std::pair<uint64_t, uint64_t>> writes;
    for (uint64_t s = 1; s <= 40; ++s) writes.emplace_back(s, s * 1000 + 7);
    call(store, store_calldata(writes));
    writes.clear();
    for (uint64_t s = 1; s <= 30; ++s) writes.emplace_back(s, 0);
    call(store, store_calldata(writes));
    auto head = chain_->block_number("l1");
    ASSERT_TRUE(head.ok());
    const uint64_t block = *head;

    // The canonical post-state root: Anvil's, with the store's storage root replaced.
    eth::Trie canonical_storage(true);
    for (uint64_t s = 31; s <= 40; ++s) {
        const auto slot = U256(s).to_be_word();
        ASSERT_TRUE(
            canonical_storage
                .put(eth::BytesView(slot.data(), 32), eth::rlp::encoded_uint(U256(s * 1000 + 7)))
                .ok());
    }
    auto post = rpc().call("eth_getProof",
                           Json::array({store.to_hex(), Json::array(), eth::to_quantity(block)}));
    ASSERT_TRUE(post.ok());
    auto post_proof = rpc::parse_account_proof(*post);
    ASSERT_TRUE(post_proof.ok());
    eth::TrieNodeSet post_nodes;
    for (const Bytes& n : post_proof->account_proof) post_nodes.add(n);
    eth::PartialTrie post_state(post_nodes, header(block).state_root);
    eth::Account store_account = post_proof->claimed;
    store_account.storage_root = canonical_storage.root_hash();
    ASSERT_TRUE(post_state.put(store.view(), store_account.encode()).ok());
    const Hash32 canonical = *post_state.root_hash();

    auto witness = fetch_prestate_witness(rpc(), header(block).hash());
    ASSERT_TRUE(witness.ok()) << witness.error().message;
    auto diffs = trace_prestate(rpc(), header(block).hash(), true);
    ASSERT_TRUE(diffs.ok());
    auto plain = recompute(block, *witness, *diffs);
    if (plain.ok()) {
        EXPECT_EQ(*plain, canonical);
    } else {
        EXPECT_NE(plain.error().message.find("missing trie node"), std::string::npos)
            << plain.error().message;
    }

    Json keys = Json::array();
    for (uint64_t s = 1; s <= 40; ++s) keys.push_back(eth::to_hex(U256(s).to_be_word()));
    auto pre = rpc().call("eth_getProof",
                          Json::array({store.to_hex(), keys, eth::to_quantity(block - 1)}));
    ASSERT_TRUE(pre.ok());
    auto pre_proof = rpc::parse_account_proof(*pre);
    ASSERT_TRUE(pre_proof.ok());
    evm::Witness full = *witness;
    for (const auto& slot : pre_proof->storage)
        full.state_nodes.insert(full.state_nodes.end(), slot.proof.begin(), slot.proof.end());
    evm::WitnessState* state = nullptr;
    auto root = recompute(block, full, *diffs, &state);
    ASSERT_TRUE(root.ok()) << root.error().message;
    EXPECT_EQ(*root, canonical);
    EXPECT_EQ(*state->storage_root(store), canonical_storage.root_hash());
}

// A node without debug_traceBlockByHash: the fetcher traces each transaction instead and
// gets the same witness.
TEST_F(WitnessTest, PerTransactionTracesWhenTheBlockMethodIsRefused) {
    const Address store = deploy(kStoreRuntime);
    ASSERT_TRUE(rpc().call("evm_setAutomine", Json::array({false})).ok());
    auto nonce_json =
        rpc().call("eth_getTransactionCount", Json::array({user_->address().to_hex(), "latest"}));
    ASSERT_TRUE(nonce_json.ok());
    const uint64_t nonce = *eth::parse_quantity(nonce_json->get<std::string>());
    std::vector<Hash32> pending;
    for (uint64_t i = 0; i < 3; ++i) {
        auto h = chain_->submit("l1", *user_, store, store_calldata({{i, i + 1}, {9, i + 10}}),
                                U256(), nonce + i, 500'000);
        ASSERT_TRUE(h.ok()) << h.error().message;
        pending.push_back(*h);
    }
    ASSERT_TRUE(rpc().call("evm_mine", Json::array()).ok());
    for (const Hash32& h : pending) ASSERT_TRUE(chain_->wait_receipt("l1", h).ok());
    ASSERT_TRUE(rpc().call("evm_setAutomine", Json::array({true})).ok());
    auto head = chain_->block_number("l1");
    ASSERT_TRUE(head.ok());
    const eth::BlockHeader block = header(*head);

    auto proxy = testing::FaultProxy::start(anvil_->rpc_url());
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    std::atomic<int> refused{0};
    (*proxy)->set_policy([&](const Json& request) {
        if (!request.is_object() || request.value("method", "") != "debug_traceBlockByHash")
            return testing::Fault::pass_through();
        ++refused;
        testing::Fault f = testing::Fault::of(testing::Fault::Kind::rpc_error);
        f.rpc_code = -32601;
        f.rpc_message = "Method not found";
        return f;
    });
    rpc::RpcClientOptions o;
    o.chain = "l1-without-block-traces";
    o.urls = {(*proxy)->url()};
    o.expected_chain_id = kChainId;
    o.requests_per_second = 0;
    rpc::RpcClient limited(o);
    ASSERT_TRUE(limited.connect().ok());

    auto direct = fetch_prestate_witness(rpc(), block.hash());
    ASSERT_TRUE(direct.ok()) << direct.error().message;
    auto fallback = fetch_prestate_witness(limited, block.hash());
    ASSERT_TRUE(fallback.ok()) << fallback.error().message;
    EXPECT_EQ(refused.load(), 2);                    // the prestate trace and the diff trace
    auto set_of = [](const std::vector<Bytes>& v) {  // by hash: each distinct node once
        std::set<Hash32> out;
        for (const Bytes& b : v) out.insert(eth::keccak256(b));
        return out;
    };
    EXPECT_EQ(set_of(fallback->state_nodes), set_of(direct->state_nodes));
    EXPECT_EQ(set_of(fallback->codes), set_of(direct->codes));
    auto diffs = trace_prestate(limited, block.hash(), true);
    ASSERT_TRUE(diffs.ok()) << diffs.error().message;
    ASSERT_EQ(diffs->size(), 3u);
    auto root = recompute(*head, *fallback, *diffs);
    ASSERT_TRUE(root.ok()) << root.error().message;
    EXPECT_EQ(*root, block.state_root);
}

TEST_F(WitnessTest, AnvilHasNoExecutionWitnessMethod) {
    // Anvil serves the prestate path only (see the report in verifier/witness_fetch.h);
    // the refusal is a JSON-RPC error, not a transport failure, so a caller can fall back.
    auto w = fetch_execution_witness(rpc(), 1);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.error().code, rpc::kRpcError) << w.error().message;
}

}  // namespace
}  // namespace vigil::verifier
