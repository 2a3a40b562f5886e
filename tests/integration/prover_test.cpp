// The relayer's prove step on a real devnet: withdrawals observed on the L2 are proved
// on L1 only against a game the verifier (the real ProposalWatcher, in process, on the
// same store) judged valid; a newer invalid game is never used; a restart sends nothing
// again.
#include "relayer/prover.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "chains/chain_clients.h"
#include "tests/support/devnet.h"
#include "tests/support/temp_dir.h"
#include "verifier/watcher.h"

namespace vigil::relayer {
namespace {

using testing::TempDir;

void catch_up(chains::Listener& listener) {
    ASSERT_TRUE(listener.start().ok());
    for (int i = 0; i < 1000; ++i) {
        auto r = listener.step();
        ASSERT_TRUE(r.ok()) << r.error().message;
        if (r->caught_up) return;
    }
}

struct Rig {
    TempDir dir;
    std::unique_ptr<testing::Devnet> devnet;
    std::unique_ptr<testing::DevnetClient> client;
    std::unique_ptr<core::Store> store;
    core::ChainConfig l1, l2;
    core::RollupConfig rollup;
    std::unique_ptr<rpc::RpcClient> l1_rpc, l2_rpc;
    std::ostringstream logs;
    core::Logger log{logs, core::LogFormat::json, core::LogLevel::debug};

    void start() {
        testing::DevnetOptions o;
        o.l2_count = 1;
        auto d = testing::Devnet::start(o);
        ASSERT_TRUE(d.ok()) << d.error().message;
        devnet = std::move(d).value();
        auto c = testing::DevnetClient::connect(devnet->info());
        ASSERT_TRUE(c.ok());
        client = std::move(c).value();
        auto s = core::Store::open(dir.path / "store");
        ASSERT_TRUE(s.ok());
        store = std::move(s).value();
        l1 = testing::chain_config(devnet->info().l1);
        l2 = testing::chain_config(devnet->info().l2s[0]);
        rollup.name = "op-a";
        rollup.l1_chain = "l1";
        rollup.l2_chain = l2.name;
        rollup.dispute_game_factory = devnet->info().l2s[0].dispute_game_factory;
        l1_rpc = std::make_unique<rpc::RpcClient>(chains::rpc_options(l1));
        l2_rpc = std::make_unique<rpc::RpcClient>(chains::rpc_options(l2));
        ASSERT_TRUE(l1_rpc->connect().ok() && l2_rpc->connect().ok());
    }

    // The relayer's observer and the verifier's watcher, each caught up.
    void observe_and_judge() {
        WithdrawalObserver observer("op-a", *store, log);
        ASSERT_TRUE(observer.start().ok());
        chains::Listener wl(l2, "relayer/op-a", WithdrawalObserver::filter(), *l2_rpc, *store,
                            observer, log);
        catch_up(wl);
        verifier::ProposalWatcher watcher(rollup, *l1_rpc, *l2_rpc, l2.finality, *store, {},
                                          nullptr, log, {});
        ASSERT_TRUE(watcher.start().ok());
        chains::Listener pl(l1, "verifier/op-a", verifier::ProposalWatcher::filter(rollup), *l1_rpc,
                            *store, watcher, log);
        catch_up(pl);
    }

    std::unique_ptr<chains::Sender> sender() {
        chains::SenderOptions so;
        so.chain_id = l1.chain_id;
        so.confirmations = 1;
        auto s = std::make_unique<chains::Sender>("l1", *l1_rpc, *store,
                                                  client->key("relayer").value(), so, log);
        EXPECT_TRUE(s->start().ok());
        return s;
    }

    RouteSpec route() const {
        RouteSpec r;
        r.name = "op-a";
        r.rollup = "op-a";
        r.portal = devnet->info().l2s[0].optimism_portal;
        return r;
    }

    uint64_t relayer_nonce() {
        auto n =
            l1_rpc->call("eth_getTransactionCount",
                         rpc::Json::array({client->key("relayer")->address().to_hex(), "latest"}));
        return n.ok() ? eth::parse_quantity(n->get<std::string>()).value_or(0) : 0;
    }
};

TEST(Prover, ProvesOnlyAgainstAValidGameAndNeverTwice) {
    Rig rig;
    rig.start();
    const std::string l2 = rig.devnet->info().l2s[0].name;
    std::vector<testing::SentWithdrawal> sent;
    for (size_t size : {size_t{0}, size_t{300}, size_t{4096}}) {
        auto w = rig.client->withdraw_many(l2, 1, size);
        ASSERT_TRUE(w.ok()) << w.error().message;
        sent.push_back((*w)[0]);
    }
    ASSERT_TRUE(rig.client->mine(l2, 2).ok());
    auto head = rig.client->block_number(l2);
    ASSERT_TRUE(head.ok());

    // Only an invalid game covers them: nothing is proved.
    ASSERT_TRUE(rig.client->propose(l2, *head, true).ok());
    rig.observe_and_judge();
    {
        auto sender = rig.sender();
        Prover prover(rig.route(), *rig.l1_rpc, *rig.l2_rpc, *rig.store, *sender, rig.log);
        ASSERT_TRUE(prover.start().ok());
        auto round = prover.poll();
        ASSERT_TRUE(round.ok()) << round.error().message;
        EXPECT_EQ(round->sent, 0u);
        EXPECT_EQ(round->waiting, 3u);
        EXPECT_EQ(rig.relayer_nonce(), 0u);
    }

    // A valid game at the head covers them; an invalid one posted after it (for an earlier
    // block) changes nothing: proofs go against the valid game only.
    auto valid = rig.client->propose(l2, *head, false);
    ASSERT_TRUE(valid.ok()) << valid.error().message;
    ASSERT_TRUE(rig.client->propose(l2, *head - 1, true).ok());  // a newer invalid game
    rig.observe_and_judge();
    {
        auto sender = rig.sender();
        Prover prover(rig.route(), *rig.l1_rpc, *rig.l2_rpc, *rig.store, *sender, rig.log);
        ASSERT_TRUE(prover.start().ok());
        // Proofs wait until the L1 head is past the game's creation second.
        size_t proofs = 0;
        for (int i = 0; i < 10 && proofs < 3; ++i) {
            auto round = prover.poll();
            ASSERT_TRUE(round.ok()) << round.error().message;
            proofs += round->sent;
            if (proofs < 3) {
                ASSERT_TRUE(rig.client->increase_time("l1", 1).ok());
            }
            ASSERT_TRUE(rig.client->mine("l1", 1).ok());
        }
        EXPECT_EQ(proofs, 3u) << rig.logs.str();
        for (int i = 0; i < 50 && prover.counts().by_state[3] < 3; ++i) {
            ASSERT_TRUE(rig.client->mine("l1", 1).ok());
            ASSERT_TRUE(prover.poll().ok());
        }
        EXPECT_EQ(prover.counts().by_state[static_cast<size_t>(WithdrawalState::proven)], 3u)
            << rig.logs.str();
    }
    WithdrawalStore ws(*rig.store);
    for (const auto& w : sent) {
        auto r = ws.get("op-a", w.hash);
        ASSERT_TRUE(r.ok() && r->has_value());
        EXPECT_EQ((*r)->state, WithdrawalState::proven);
        ASSERT_TRUE((*r)->proof_game.has_value());
        EXPECT_EQ(*(*r)->proof_game, valid->game) << "proved against another game";
        // The portal agrees.
        auto proven = rig.client->view(
            "l1", rig.devnet->info().l2s[0].optimism_portal, "provenWithdrawals(bytes32,address)",
            {eth::abi::Value::fixed_bytes(eth::Bytes(w.hash.bytes.begin(), w.hash.bytes.end())),
             eth::abi::Value::address(rig.client->key("relayer")->address())},
            "(address,uint64)");
        ASSERT_TRUE(proven.ok()) << proven.error().message;
        EXPECT_EQ(proven->as<eth::abi::TupleValue>().items[0].as<eth::Address>(), valid->game);
    }
    const uint64_t nonce = rig.relayer_nonce();
    EXPECT_EQ(nonce, 3u);

    // A restart (new sender and prover on the same store) sends nothing.
    auto sender = rig.sender();
    Prover again(rig.route(), *rig.l1_rpc, *rig.l2_rpc, *rig.store, *sender, rig.log);
    ASSERT_TRUE(again.start().ok());
    auto round = again.poll();
    ASSERT_TRUE(round.ok());
    EXPECT_EQ(round->sent, 0u);
    ASSERT_TRUE(rig.client->mine("l1", 1).ok());
    EXPECT_EQ(rig.relayer_nonce(), nonce);
}

TEST(Prover, FinalizesOnceTheProofMaturedAndTheGameResolved) {
    Rig rig;
    rig.start();
    const std::string l2 = rig.devnet->info().l2s[0].name;
    auto sent = rig.client->withdraw_many(l2, 2, 100);
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    ASSERT_TRUE(rig.client->mine(l2, 1).ok());
    auto head = rig.client->block_number(l2);
    ASSERT_TRUE(head.ok());
    auto game = rig.client->propose(l2, *head, false);
    ASSERT_TRUE(game.ok()) << game.error().message;
    rig.observe_and_judge();
    auto sender = rig.sender();
    Prover prover(rig.route(), *rig.l1_rpc, *rig.l2_rpc, *rig.store, *sender, rig.log);
    ASSERT_TRUE(prover.start().ok());
    for (int i = 0; i < 50 && prover.counts().by_state[3] < 2; ++i) {
        ASSERT_TRUE(rig.client->increase_time("l1", 1).ok());
        ASSERT_TRUE(rig.client->mine("l1", 1).ok());
        ASSERT_TRUE(prover.poll().ok());
    }
    ASSERT_EQ(prover.counts().by_state[static_cast<size_t>(WithdrawalState::proven)], 2u)
        << rig.logs.str();

    // Not matured, game in progress: the portal says no, nothing is sent.
    auto early = prover.finalize();
    ASSERT_TRUE(early.ok()) << early.error().message;
    EXPECT_EQ(early->waiting, 2u);
    EXPECT_EQ(early->sent, 0u);

    // The game's clock runs out, it resolves DEFENDER_WINS, the delays pass.
    const testing::DevnetOptions defaults;
    ASSERT_TRUE(rig.client->increase_time("l1", defaults.max_clock_duration_secs + 1).ok());
    ASSERT_TRUE(rig.client->mine("l1", 1).ok());
    auto challenger = rig.client->key("challenger");
    auto status = rig.client->resolve_game(game->game, *challenger);
    ASSERT_TRUE(status.ok()) << status.error().message;
    ASSERT_TRUE(rig.client
                    ->increase_time("l1", defaults.proof_maturity_delay_secs +
                                              defaults.dispute_game_finality_delay_secs + 2)
                    .ok());
    ASSERT_TRUE(rig.client->mine("l1", 1).ok());
    auto ready = prover.finalize();
    ASSERT_TRUE(ready.ok()) << ready.error().message;
    EXPECT_EQ(ready->sent, 2u) << rig.logs.str();
    for (int i = 0; i < 50 && prover.counts().by_state[5] < 2; ++i) {
        ASSERT_TRUE(rig.client->mine("l1", 1).ok());
        ASSERT_TRUE(prover.finalize().ok());
    }
    EXPECT_EQ(prover.counts().by_state[static_cast<size_t>(WithdrawalState::finalized)], 2u)
        << rig.logs.str();
    for (const auto& w : *sent) {
        auto done = rig.client->view(
            "l1", rig.devnet->info().l2s[0].optimism_portal, "finalizedWithdrawals(bytes32)",
            {eth::abi::Value::fixed_bytes(eth::Bytes(w.hash.bytes.begin(), w.hash.bytes.end()))},
            "(bool)");
        ASSERT_TRUE(done.ok());
        EXPECT_TRUE(done->as<eth::abi::TupleValue>().items[0].as<bool>());
    }
    EXPECT_EQ(rig.relayer_nonce(), 4u);  // two proofs, two finalizations, nothing else

    // A restart finalizes nothing twice.
    auto sender2 = rig.sender();
    Prover again(rig.route(), *rig.l1_rpc, *rig.l2_rpc, *rig.store, *sender2, rig.log);
    ASSERT_TRUE(again.start().ok());
    auto after = again.finalize();
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->sent, 0u);
    ASSERT_TRUE(rig.client->mine("l1", 1).ok());
    EXPECT_EQ(rig.relayer_nonce(), 4u);
}

// A proof whose game is later blacklisted by the guardian, or lost to a challenger, is
// made again against the newest valid game the portal still accepts, and the withdrawal
// is finalized through that one.
TEST(Prover, ReprovesWhenItsGameIsBlacklistedOrLost) {
    Rig rig;
    rig.start();
    const std::string l2 = rig.devnet->info().l2s[0].name;
    const eth::Address portal = rig.devnet->info().l2s[0].optimism_portal;
    const testing::DevnetOptions defaults;
    auto sent = rig.client->withdraw_many(l2, 2, 64);
    ASSERT_TRUE(sent.ok()) << sent.error().message;
    auto sender = rig.sender();
    Prover prover(rig.route(), *rig.l1_rpc, *rig.l2_rpc, *rig.store, *sender, rig.log);
    WithdrawalStore records(*rig.store);

    // Proposes a valid game at a new L2 head, lets the verifier judge it, and proves both
    // withdrawals against the newest usable game; returns the game.
    auto prove_round = [&](const char* step) -> eth::Address {
        SCOPED_TRACE(step);
        EXPECT_TRUE(rig.client->mine(l2, 1).ok());
        auto head = rig.client->block_number(l2);
        auto game = rig.client->propose(l2, *head, false);
        EXPECT_TRUE(game.ok()) << game.error().message;
        rig.observe_and_judge();
        EXPECT_TRUE(prover.start().ok());
        const auto proven = static_cast<size_t>(WithdrawalState::proven);
        for (int i = 0; i < 50 && prover.counts().by_state[proven] < 2; ++i) {
            EXPECT_TRUE(rig.client->increase_time("l1", 1).ok());
            auto round = prover.poll();
            EXPECT_TRUE(round.ok()) << round.error().message;
        }
        EXPECT_EQ(prover.counts().by_state[proven], 2u) << rig.logs.str();
        for (const auto& w : *sent) {
            auto r = records.get("op-a", w.hash);
            EXPECT_TRUE(r.ok() && r->has_value());
            if (r.ok() && r->has_value()) {
                EXPECT_EQ((*r)->proof_game, game->game);
            }
            // The portal holds our proof against that game.
            auto on_l1 = rig.client->view(
                "l1", portal, "provenWithdrawals(bytes32,address)",
                {eth::abi::Value::fixed_bytes(eth::Bytes(w.hash.bytes.begin(), w.hash.bytes.end())),
                 eth::abi::Value::address(rig.client->key("relayer")->address())},
                "(address,uint64)");
            EXPECT_TRUE(on_l1.ok());
            if (on_l1.ok()) {
                EXPECT_EQ(on_l1->as<eth::abi::TupleValue>().items[0].as<eth::Address>(),
                          game->game);
            }
        }
        return game->game;
    };
    // Lets the proofs mature, then runs a finalize round: each lost proof goes back to
    // provable.
    auto expect_reproving = [&](const char* step) {
        SCOPED_TRACE(step);
        ASSERT_TRUE(rig.client->increase_time("l1", defaults.proof_maturity_delay_secs + 1).ok());
        auto round = prover.finalize();
        ASSERT_TRUE(round.ok()) << round.error().message;
        EXPECT_EQ(round->reproving, 2u) << rig.logs.str();
        EXPECT_EQ(round->sent, 0u);
        EXPECT_EQ(prover.counts().by_state[static_cast<size_t>(WithdrawalState::provable)], 2u);
    };

    const eth::Address g1 = prove_round("first proofs");
    // The guardian blacklists the game.
    auto guardian = rig.client->key("deployer");
    ASSERT_TRUE(rig.client
                    ->transact("l1", *guardian, portal, "blacklistDisputeGame(address)",
                               {eth::abi::Value::address(g1)})
                    .ok());
    expect_reproving("g1 blacklisted");
    const eth::Address g2 = prove_round("proofs against g2");
    ASSERT_NE(g2, g1);

    // g2 is attacked and nobody defends it: the challenger wins.
    auto challenger = rig.client->key("challenger");
    eth::Hash32 other;
    other.bytes[31] = 1;
    ASSERT_TRUE(rig.client->attack(g2, *challenger, 0, other).ok());
    ASSERT_TRUE(rig.client->increase_time("l1", defaults.max_clock_duration_secs + 1).ok());
    auto lost = rig.client->resolve_game(g2, *challenger);
    ASSERT_TRUE(lost.ok()) << lost.error().message;
    ASSERT_EQ(*lost, testing::GameStatus::challenger_wins);
    expect_reproving("g2 lost");
    const eth::Address g3 = prove_round("proofs against g3");
    ASSERT_NE(g3, g2);

    // g3 resolves for the defender: both are finalized through it, once.
    ASSERT_TRUE(rig.client->increase_time("l1", defaults.max_clock_duration_secs + 1).ok());
    auto won = rig.client->resolve_game(g3, *challenger);
    ASSERT_TRUE(won.ok()) << won.error().message;
    ASSERT_EQ(*won, testing::GameStatus::defender_wins);
    ASSERT_TRUE(rig.client
                    ->increase_time("l1", defaults.proof_maturity_delay_secs +
                                              defaults.dispute_game_finality_delay_secs + 2)
                    .ok());
    const auto finalized = static_cast<size_t>(WithdrawalState::finalized);
    for (int i = 0; i < 50 && prover.counts().by_state[finalized] < 2; ++i) {
        ASSERT_TRUE(rig.client->mine("l1", 1).ok());
        ASSERT_TRUE(prover.finalize().ok());
    }
    EXPECT_EQ(prover.counts().by_state[finalized], 2u) << rig.logs.str();
    EXPECT_EQ(rig.relayer_nonce(), 8u);  // 3 x 2 proofs, 2 finalizations, nothing else
}

}  // namespace
}  // namespace vigil::relayer
