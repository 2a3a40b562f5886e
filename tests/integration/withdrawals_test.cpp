// The relayer's first stage on a real L2 (Anvil with the L2ToL1MessagePasser predeploy):
// every MessagePassed is persisted once with all its fields and its hash, across
// restarts, and withdrawals of blocks orphaned by a reorg are dropped.
#include "relayer/withdrawals.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "chains/chain_clients.h"
#include "tests/support/devnet.h"
#include "tests/support/temp_dir.h"

namespace vigil::relayer {
namespace {

using testing::TempDir;

// Follows the L2 until caught up, as a fresh process would (new clients, same store).
void follow(const core::ChainConfig& cfg, core::Store& store, std::ostream& logs,
            RouteCounts* counts = nullptr) {
    rpc::RpcClient rpc(chains::rpc_options(cfg));
    ASSERT_TRUE(rpc.connect().ok());
    core::Logger log(logs, core::LogFormat::json, core::LogLevel::info);
    WithdrawalObserver observer("op-a", store, log);
    ASSERT_TRUE(observer.start().ok());
    chains::Listener listener(cfg, "relayer/op-a", WithdrawalObserver::filter(), rpc, store,
                              observer, log);
    ASSERT_TRUE(listener.start().ok());
    for (int i = 0; i < 1000; ++i) {
        auto r = listener.step();
        ASSERT_TRUE(r.ok()) << r.error().message;
        if (r->caught_up) break;
    }
    if (counts) *counts = observer.counts();
}

TEST(Withdrawals, EachMessagePassedPersistedOnceWithItsFieldsAcrossRestartsAndReorgs) {
    testing::DevnetOptions o;
    o.l2_count = 1;
    auto devnet = testing::Devnet::start(o);
    ASSERT_TRUE(devnet.ok()) << devnet.error().message;
    auto client = testing::DevnetClient::connect((*devnet)->info());
    ASSERT_TRUE(client.ok());
    const testing::DevnetL2& l2 = (*devnet)->info().l2s[0];
    TempDir dir;
    auto store = core::Store::open(dir.path / "store");
    ASSERT_TRUE(store.ok());
    core::ChainConfig cfg = testing::chain_config(l2);
    cfg.ws.reset();
    cfg.max_block_range = 5;  // several committed steps
    std::ostringstream logs;

    std::vector<testing::SentWithdrawal> sent;
    for (size_t size : {size_t{0}, size_t{1000}, size_t{10240}}) {
        auto w = (*client)->withdraw_many(l2.name, 4, size);
        ASSERT_TRUE(w.ok()) << w.error().message;
        sent.insert(sent.end(), w->begin(), w->end());
    }
    RouteCounts counts;
    follow(cfg, **store, logs, &counts);
    follow(cfg, **store, logs, &counts);  // a restart replays nothing
    EXPECT_EQ(counts.total(), 12u);
    EXPECT_EQ(counts.by_state[static_cast<size_t>(WithdrawalState::observed)], 12u);

    WithdrawalStore ws(**store);
    for (const auto& w : sent) {
        auto r = ws.get("op-a", w.hash);
        ASSERT_TRUE(r.ok()) << r.error().message;
        ASSERT_TRUE(r->has_value()) << "withdrawal " << w.hash.to_hex() << " was not observed";
        EXPECT_EQ((*r)->tx, w.tx);
        EXPECT_EQ((*r)->l2_block, w.l2_block);
        EXPECT_EQ((*r)->l2_tx, w.tx_hash);
        EXPECT_EQ((*r)->state, WithdrawalState::observed);
    }
    auto pending = ws.in_state("op-a", WithdrawalState::observed, 100);
    ASSERT_TRUE(pending.ok());
    ASSERT_EQ(pending->size(), 12u);
    for (size_t i = 1; i < pending->size(); ++i)
        EXPECT_LE((*pending)[i - 1].l2_block, (*pending)[i].l2_block);
    auto limited = ws.in_state("op-a", WithdrawalState::observed, 5);
    ASSERT_TRUE(limited.ok());
    EXPECT_EQ(limited->size(), 5u);

    // The last two withdrawals' blocks are replaced by empty ones: they are forgotten.
    auto head = (*client)->block_number(l2.name);
    ASSERT_TRUE(head.ok());
    const uint64_t depth = *head - sent[sent.size() - 2].l2_block + 1;
    ASSERT_TRUE((*client)->reorg(l2.name, depth).ok());
    follow(cfg, **store, logs, &counts);
    EXPECT_EQ(counts.total(), 10u);
    for (size_t i = 0; i < sent.size(); ++i) {
        auto r = ws.get("op-a", sent[i].hash);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->has_value(), i < sent.size() - 2) << i;
    }
    EXPECT_NE(logs.str().find("orphaned by an L2 reorg"), std::string::npos);

    // New withdrawals after the reorg are observed once more.
    auto more = (*client)->withdraw_many(l2.name, 2, 64);
    ASSERT_TRUE(more.ok());
    follow(cfg, **store, logs, &counts);
    EXPECT_EQ(counts.total(), 12u);
    for (const auto& w : *more) {
        auto r = ws.get("op-a", w.hash);
        ASSERT_TRUE(r.ok() && r->has_value());
    }
    // The persisted counts are what a restart sees.
    auto stored = ws.counts("op-a");
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored->total(), 12u);
}

TEST(Withdrawals, RecordsRoundTripAndRefuseForgedFields) {
    WithdrawalRecord r;
    r.route = "op-a";
    r.tx.nonce = *eth::opstack::versioned_nonce(1, eth::U256(7));
    r.tx.sender = *eth::Address::from_hex("0x000000000000000000000000000000000000beef");
    r.tx.target = *eth::Address::from_hex("0x000000000000000000000000000000000000cafe");
    r.tx.value = eth::U256(5);
    r.tx.gas_limit = eth::U256(100000);
    r.tx.data = {1, 2, 3};
    r.hash = eth::opstack::withdrawal_hash(r.tx);
    r.l2_block = 9;
    r.state = WithdrawalState::proven;
    r.attempts = 2;
    r.proof_game = *eth::Address::from_hex("0x00000000000000000000000000000000000a11ce");
    r.proof_game_index = 4;
    r.proven_at = 1'700'000'000;
    r.reason = "already proven on L1";
    r.observed_at_ms = 1'700'000'000'123;
    r.updated_at_ms = 1'700'000'001'456;
    auto same = [&](const WithdrawalRecord& back) {
        EXPECT_EQ(back.route, r.route);
        EXPECT_EQ(back.tx, r.tx);
        EXPECT_EQ(back.hash, r.hash);
        EXPECT_EQ(back.l2_block, 9u);
        EXPECT_EQ(back.state, WithdrawalState::proven);
        EXPECT_EQ(back.attempts, 2u);
        EXPECT_EQ(back.proof_game, r.proof_game);
        EXPECT_EQ(back.proof_game_index, 4u);
        EXPECT_EQ(back.proven_at, r.proven_at);
        EXPECT_EQ(back.reason, r.reason);
        EXPECT_EQ(back.observed_at_ms, r.observed_at_ms);
        EXPECT_EQ(back.updated_at_ms, r.updated_at_ms);
    };
    auto back = decode_withdrawal(encode_withdrawal(r));
    ASSERT_TRUE(back.ok()) << back.error().message;
    same(*back);
    // Records stored as JSON by earlier versions are still read.
    auto legacy = decode_withdrawal(withdrawal_json(r).dump());
    ASSERT_TRUE(legacy.ok()) << legacy.error().message;
    same(*legacy);
    // A record whose fields no longer hash to its hash (corruption, tampering) is refused,
    // in either form.
    std::string text = encode_withdrawal(r);
    const std::string cafe(reinterpret_cast<const char*>(r.tx.target.bytes.data()), 20);
    ASSERT_NE(text.find(cafe), std::string::npos);
    text[text.find(cafe) + 19] ^= 1;
    EXPECT_FALSE(decode_withdrawal(text).ok());
    std::string json = withdrawal_json(r).dump();
    json.replace(json.find("0x000000000000000000000000000000000000cafe"), 42,
                 "0x000000000000000000000000000000000000cafa");
    EXPECT_FALSE(decode_withdrawal(json).ok());
    // Truncated, padded or unknown encodings are errors, never a record.
    const std::string good = encode_withdrawal(r);
    for (size_t cut : {size_t(1), size_t(2), good.size() / 2, good.size() - 1})
        EXPECT_FALSE(decode_withdrawal(good.substr(0, cut)).ok()) << cut;
    EXPECT_FALSE(decode_withdrawal(good + "x").ok());
    EXPECT_FALSE(decode_withdrawal(std::string("\x02") + good.substr(1)).ok());
    EXPECT_FALSE(decode_withdrawal("").ok());
    EXPECT_FALSE(decode_withdrawal("{}").ok());
    EXPECT_FALSE(parse_state("proving-ish").has_value());
    EXPECT_EQ(*parse_state("finalizing"), WithdrawalState::finalizing);
}

}  // namespace
}  // namespace vigil::relayer
