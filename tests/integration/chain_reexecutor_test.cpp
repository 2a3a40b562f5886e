// ChainReexecutor on a real Anvil chain and a real LevelDB store: it follows the chain
// from an anchor, derives for every block the same output root as the one recomputed
// from the node's proved data, persists its tip and results across a restart, stops
// (stuck, with the reason) at a block whose witness fails its checks and resumes when it
// no longer does, restarts from a changed anchor, forgets results older than its window,
// and counts a node whose execution differs from Vigil's (Anvil keeps a cleared slot in
// its trie) instead of following it.
#include "verifier/chain_reexecutor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"
#include "chains/eth/secp256k1.h"
#include "chains/eth/transaction.h"
#include "chains/rpc/json_fields.h"
#include "tests/support/anvil.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/temp_dir.h"

namespace vigil::verifier {
namespace {

using eth::Bytes;
using eth::U256;
using rpc::Json;

constexpr uint64_t kChainId = 31337;

// Stores each 64-byte calldata pair (slot, value) (see witness_test.cpp).
const char* kStoreRuntime = "0x60005b8036111560185780602001358135556040016002565b00";

std::string word(uint64_t v) {
    char buf[65];
    std::snprintf(buf, sizeof buf, "%064llx", static_cast<unsigned long long>(v));
    return buf;
}

class ChainReexecutorTest : public ::testing::Test {
  protected:
    void SetUp() override {
        testing::AnvilOptions o;
        o.chain_id = kChainId;
        auto a = testing::AnvilProcess::start(o);
        ASSERT_TRUE(a.ok()) << a.error().message;
        anvil_ = std::move(a).value();
        node_ = client(anvil_->rpc_url());
        auto s = core::Store::open(dir_.path / "store");
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(s).value();
        // The message passer writes what it is sent: its storage root is then part of every
        // output root. anvil_setCode changes state without a block: trust starts after it.
        ASSERT_TRUE(node_
                        ->call("anvil_setCode",
                               Json::array({eth::opstack::message_passer_address().to_hex(),
                                            kStoreRuntime}))
                        .ok());
        ASSERT_TRUE(node_->call("anvil_mine", Json::array({"0x1"})).ok());
        anchor_ = head();
    }

    std::unique_ptr<rpc::RpcClient> client(const std::string& url) {
        rpc::RpcClientOptions ro;
        ro.chain = "l2";
        ro.urls = {url};
        ro.expected_chain_id = kChainId;
        ro.requests_per_second = 1000;
        ro.max_attempts = 1;
        auto c = std::make_unique<rpc::RpcClient>(ro);
        EXPECT_TRUE(c->connect().ok());
        return c;
    }

    uint64_t head() {
        auto n = node_->call("eth_blockNumber", Json::array());
        return n.ok() ? *eth::parse_quantity(n->get<std::string>()) : 0;
    }
    eth::Hash32 hash_of(uint64_t n) {
        auto b = node_->call("eth_getBlockByNumber", Json::array({eth::to_quantity(n), false}));
        return b.ok() ? *rpc::field_hash(*b, "hash") : eth::Hash32();
    }

    // Writes (slot, value) pairs into the message passer's storage, one transaction.
    void write(const std::vector<std::pair<uint64_t, uint64_t>>& pairs) {
        eth::Transaction tx;
        tx.type = eth::TxType::kDynamicFee;
        tx.chain_id = kChainId;
        tx.nonce = nonce_++;
        tx.max_fee_per_gas = U256(10'000'000'000ULL);
        tx.max_priority_fee_per_gas = U256(1'000'000'000ULL);
        tx.gas_limit = 60'000 + 25'000 * pairs.size();
        tx.to = eth::opstack::message_passer_address();
        std::string data;
        for (const auto& [slot, value] : pairs) data += word(slot) + word(value);
        tx.data = *eth::from_hex(data);
        tx = *eth::sign_transaction(tx, *eth::PrivateKey::from_hex(testing::kAnvilKey0));
        auto sent = node_->call("eth_sendRawTransaction",
                                Json::array({eth::to_hex(*eth::encode_transaction(tx))}));
        ASSERT_TRUE(sent.ok()) << sent.error().message;
        for (int i = 0; i < 500; ++i) {
            auto receipt = node_->call("eth_getTransactionReceipt", Json::array({*sent}));
            if (receipt.ok() && !receipt->is_null()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        FAIL() << "no receipt for " << sent->dump();
    }

    ChainReexecutor::Options options() {
        ChainReexecutor::Options o;
        o.rules.chain_id = kChainId;
        o.witness = WitnessMethod::automatic;
        o.anchor_block = anchor_;
        o.anchor_hash = hash_of(anchor_);
        o.blocks_per_commit = 3;
        return o;
    }

    std::unique_ptr<ChainReexecutor> reexecutor(rpc::RpcClient& via,
                                                std::optional<ChainReexecutor::Options> o = {}) {
        auto r = std::make_unique<ChainReexecutor>(
            "op", via, *store_, o ? *o : options(),
            core::Logger(log_, core::LogFormat::text, core::LogLevel::debug), nullptr);
        EXPECT_TRUE(r->start().ok());
        return r;
    }

    // What recomputing from the node's proved data gives for block n.
    eth::Hash32 recomputed(uint64_t n) {
        OutputRootSource source(*node_, core::Finality{});
        auto in = source.compute(n);
        EXPECT_TRUE(in.ok()) << in.error().message;
        return in.ok() ? in->output_root : eth::Hash32();
    }

    testing::TempDir dir_;
    std::ostringstream log_;
    std::unique_ptr<testing::AnvilProcess> anvil_;
    std::unique_ptr<rpc::RpcClient> node_;
    std::unique_ptr<core::Store> store_;
    uint64_t anchor_ = 0;
    uint64_t nonce_ = 0;
};

TEST_F(ChainReexecutorTest, FollowsTheChainAndAgreesWithTheProvedOutputRoots) {
    for (uint64_t i = 1; i <= 8; ++i) write({{i, i * 10}, {100 + i, 7}});
    const uint64_t last = head();
    // Blocks fetched three at a time by their own clients, checked in order.
    ChainReexecutor::Options o = options();
    o.prefetch = 3;
    const std::string url = anvil_->rpc_url();
    size_t workers = 0;
    o.make_client = [this, url, &workers]() {
        ++workers;
        return client(url);
    };
    auto r = reexecutor(*node_, o);
    auto done = r->step();
    ASSERT_TRUE(done.ok()) << done.error().message;
    EXPECT_EQ(*done, last - anchor_);
    const ReexecutorStatus s = r->status();
    EXPECT_EQ(s.tip, last);
    EXPECT_EQ(s.tip_hash, hash_of(last));
    EXPECT_FALSE(s.stuck_block);
    EXPECT_EQ(s.mismatches, 0u);
    EXPECT_GT(s.gas, 0u);
    EXPECT_EQ(workers, 3u);
    EXPECT_EQ(*r->settled_height(), last);
    for (uint64_t n = anchor_ + 1; n <= last; ++n) {
        auto in = r->compute(n, last);
        ASSERT_TRUE(in.ok()) << in.error().message;
        EXPECT_EQ(in->output_root, recomputed(n)) << "block " << n;
    }
    // Before the anchor: never judged; beyond the tip: not yet.
    auto before = r->compute(anchor_, last);
    ASSERT_FALSE(before.ok());
    EXPECT_EQ(before.error().code, kUnverifiable);
    EXPECT_NE(before.error().message.find("anchor"), std::string::npos);
    auto beyond = r->compute(last + 1, last);
    ASSERT_FALSE(beyond.ok());
    EXPECT_EQ(beyond.error().code, kNotYet);

    // What `vigil status` reads while no daemon runs.
    auto stored = ChainReexecutor::load_tip(*store_, "op");
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    ASSERT_TRUE(*stored);
    EXPECT_EQ((*stored)->first, last);
    EXPECT_EQ((*stored)->second, hash_of(last));
    EXPECT_FALSE(*ChainReexecutor::load_tip(*store_, "other"));

    // A restart resumes at the durable tip and executes only what is new.
    r.reset();
    write({{50, 5}});
    auto again = reexecutor(*node_);
    EXPECT_EQ(again->status().tip, last);
    auto more = again->step();
    ASSERT_TRUE(more.ok()) << more.error().message;
    EXPECT_EQ(*more, 1u);
    auto newest = again->compute(last + 1, last + 1);
    ASSERT_TRUE(newest.ok()) << newest.error().message;
    EXPECT_EQ(newest->output_root, recomputed(last + 1));
    EXPECT_EQ(again->compute(anchor_ + 1, last + 1)->output_root, recomputed(anchor_ + 1));
}

TEST_F(ChainReexecutorTest, AWitnessThatFailsItsChecksStopsThereAndResumesWhenFixed) {
    write({{1, 1}});
    auto proxy = testing::FaultProxy::start(anvil_->rpc_url());
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    auto via = client((*proxy)->url());
    auto r = reexecutor(*via);
    ASSERT_TRUE(r->step().ok());
    const uint64_t good = r->status().tip;
    EXPECT_EQ(good, head());

    // From now on every proof the node serves has one node altered.
    std::atomic<bool> lying{true};
    (*proxy)->set_policy([&](const Json&) {
        if (!lying) return testing::Fault::pass_through();
        testing::Fault f = testing::Fault::of(testing::Fault::Kind::rewrite);
        f.rewrite = [](Json& answer) {
            auto alter = [](Json& reply) {
                if (!reply.is_object() || !reply.contains("result")) return;
                Json& result = reply["result"];
                if (!result.is_object() || !result.contains("accountProof")) return;
                Json& nodes = result["accountProof"];
                if (!nodes.is_array() || nodes.empty()) return;
                std::string node = nodes[0].get<std::string>();
                node[node.size() / 2] = node[node.size() / 2] == 'a' ? 'b' : 'a';
                nodes[0] = node;
            };
            if (answer.is_array())
                for (Json& reply : answer) alter(reply);
            else
                alter(answer);
        };
        return f;
    });
    write({{2, 2}});
    auto step = r->step();
    ASSERT_TRUE(step.ok()) << step.error().message;  // stuck is not an error of the round
    ReexecutorStatus s = r->status();
    ASSERT_TRUE(s.stuck_block);
    EXPECT_EQ(*s.stuck_block, good + 1);
    EXPECT_EQ(s.tip, good);
    EXPECT_FALSE(s.stuck_reason.empty());
    EXPECT_EQ(*r->settled_height(), UINT64_MAX);  // proposals past it are told why
    auto at = r->compute(good + 1, UINT64_MAX);
    ASSERT_FALSE(at.ok());
    EXPECT_EQ(at.error().code, kUnverifiable);
    EXPECT_NE(at.error().message.find("stuck at block " + std::to_string(good + 1)),
              std::string::npos)
        << at.error().message;
    EXPECT_TRUE(r->compute(good, UINT64_MAX).ok());  // what was verified stays verified

    lying = false;
    ASSERT_TRUE(r->step().ok());
    s = r->status();
    EXPECT_FALSE(s.stuck_block);
    EXPECT_EQ(s.tip, head());
    EXPECT_EQ(r->compute(good + 1, s.tip)->output_root, recomputed(good + 1));
}

TEST_F(ChainReexecutorTest, AChangedAnchorRestartsAndOldResultsLeaveTheWindow) {
    for (uint64_t i = 1; i <= 6; ++i) write({{i, i}});
    ChainReexecutor::Options o = options();
    o.retain_blocks = 3;
    auto r = reexecutor(*node_, o);
    ASSERT_TRUE(r->step().ok());
    const uint64_t last = r->status().tip;
    ASSERT_EQ(last, anchor_ + 6);
    auto old = r->compute(anchor_ + 1, last);
    ASSERT_FALSE(old.ok());
    EXPECT_EQ(old.error().code, kUnverifiable);
    EXPECT_NE(old.error().message.find("retain"), std::string::npos) << old.error().message;
    EXPECT_TRUE(r->compute(last - 2, last).ok());

    // Another anchor: the stored tip is not trusted from it, execution starts again.
    r.reset();
    o.anchor_block = anchor_ + 4;
    o.anchor_hash = hash_of(anchor_ + 4);
    auto moved = reexecutor(*node_, o);
    EXPECT_EQ(moved->status().tip, anchor_ + 4);
    auto done = moved->step();
    ASSERT_TRUE(done.ok());
    EXPECT_EQ(*done, 2u);
    EXPECT_EQ(moved->compute(last, last)->output_root, recomputed(last));
}

// Anvil keeps a cleared storage slot in its trie as a leaf holding rlp(0), so its state
// root after a clear is not Ethereum's: a real node whose execution differs from Vigil's.
// Vigil's own result stands (counted, logged); the node's next block names a parent that
// is not Vigil's, so re-execution stops there rather than follow the node's chain.
TEST_F(ChainReexecutorTest, ANodeWhoseExecutionDiffersIsCountedAndNotFollowed) {
    std::vector<std::pair<uint64_t, uint64_t>> pairs;
    for (uint64_t i = 1; i <= 40; ++i) pairs.emplace_back(i, i * 1000 + 7);
    write(pairs);
    // Clear one slot whose leaf hangs alone under the root branch: deleting it merges
    // nothing, so the witness has every node the deletion needs, and the node's root and
    // Vigil's differ only by Anvil's kept leaf.
    std::map<uint8_t, std::vector<uint64_t>> by_nibble;
    for (uint64_t i = 1; i <= 40; ++i) {
        const auto key = U256(i).to_be_word();
        by_nibble[eth::keccak256(eth::BytesView(key.data(), key.size())).bytes[0] >> 4].push_back(
            i);
    }
    std::optional<uint64_t> lone;
    for (const auto& [nibble, slots] : by_nibble)
        if (slots.size() == 1) lone = slots[0];
    ASSERT_TRUE(lone) << "no slot alone under its nibble: pick other slots";
    write({{*lone, 0}});
    const uint64_t cleared = head();
    write({{41, 3}});
    auto r = reexecutor(*node_);
    ASSERT_TRUE(r->step().ok());
    const ReexecutorStatus s = r->status();
    EXPECT_EQ(s.mismatches, 1u);
    EXPECT_EQ(s.tip, cleared);
    EXPECT_NE(s.tip_hash, hash_of(cleared)) << "Vigil's block hash is its own";
    ASSERT_TRUE(s.stuck_block);
    EXPECT_EQ(*s.stuck_block, cleared + 1);
    EXPECT_NE(s.stuck_reason.find("not the trusted block"), std::string::npos) << s.stuck_reason;
}

// A deletion that merges a sibling into its parent needs that sibling, which no proof of
// a touched key lists: re-execution proves the deleted keys at the block itself and
// retries with their collapse candidates. Anvil never collapses (its post-state proofs
// keep the cleared leaf), so here the retry cannot help: the block must stop re-execution
// with the reason, not loop and not give a root.
TEST_F(ChainReexecutorTest, ADeletionWhoseSiblingNoProofGivesStopsThere) {
    std::vector<std::pair<uint64_t, uint64_t>> pairs;
    for (uint64_t i = 1; i <= 40; ++i) pairs.emplace_back(i, i * 1000 + 7);
    write(pairs);
    pairs.clear();
    for (uint64_t i = 1; i <= 30; ++i) pairs.emplace_back(i, 0);
    write(pairs);
    const uint64_t cleared = head();
    auto r = reexecutor(*node_);
    ASSERT_TRUE(r->step().ok());
    const ReexecutorStatus s = r->status();
    EXPECT_EQ(s.tip, cleared - 1);
    ASSERT_TRUE(s.stuck_block);
    EXPECT_EQ(*s.stuck_block, cleared);
    EXPECT_NE(s.stuck_reason.find("the sibling a deletion merges"), std::string::npos)
        << s.stuck_reason;
}

}  // namespace
}  // namespace vigil::verifier
